//! Table definitions shared by both backends (hand-written: only types that
//! SQLite and PostgreSQL have in common through diesel's MultiConnection).

diesel::table! {
    firms (id) {
        id -> BigInt,
        name -> Text,
        registration_no -> Text,
        lei -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        first_period -> Text,
        single_user_exempt -> Bool,
        exempt_decided_on -> Nullable<Date>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        firm_id -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        must_change_password -> Bool,
        active -> Bool,
        locale -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_changed_at -> Nullable<Timestamp>,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        export_right -> Text,
    }
}

diesel::table! {
    auth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        authenticated_at -> Timestamp,
        ip -> Text,
        user_agent -> Text,
        stage -> Text,
        second_factor_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    auth_throttle (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        refused -> Integer,
        refused_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    returns (id) {
        id -> BigInt,
        firm_id -> BigInt,
        period -> Text,
        state -> Text,
        draft_json -> Nullable<Text>,
        draft_updated_by -> Nullable<BigInt>,
        draft_updated_at -> Nullable<Timestamp>,
        current_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ready_sha256 -> Nullable<Text>,
        ready_by -> Nullable<BigInt>,
        ready_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    return_versions (id) {
        id -> BigInt,
        return_id -> BigInt,
        firm_id -> BigInt,
        period -> Text,
        version_no -> Integer,
        receipt_no -> Text,
        idempotency_key -> Nullable<Text>,
        source -> Text,
        status -> Text,
        is_nil -> Bool,
        unauthorized_accesses -> BigInt,
        affected_accounts -> BigInt,
        fraudulent_trades -> BigInt,
        sale_amount_jpy -> BigInt,
        purchase_amount_jpy -> BigInt,
        remediation -> Text,
        submitted_at -> Timestamp,
        submitted_by -> Nullable<BigInt>,
        due_date -> Date,
        on_time -> Bool,
        reviewed_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        review_note -> Nullable<Text>,
        attested_by -> Nullable<BigInt>,
        approver_note -> Text,
        four_eyes_basis -> Text,
        exempt_decided_on -> Nullable<Date>,
        content_sha256 -> Nullable<Text>,
        nil_warnings -> Text,
        nil_explanation -> Text,
        extension_ref -> Nullable<Text>,
    }
}

diesel::table! {
    trade_details (id) {
        id -> BigInt,
        version_id -> BigInt,
        row_no -> Integer,
        trade_date -> Date,
        side -> Text,
        security_code -> Text,
        market -> Text,
        quantity -> BigInt,
        amount_jpy -> BigInt,
        account_ref -> Text,
    }
}

diesel::table! {
    period_summary (period) {
        period -> Text,
        firms_with_fraudulent_trades -> BigInt,
        firms_reporting -> BigInt,
        unauthorized_accesses -> BigInt,
        affected_accounts -> BigInt,
        fraudulent_trades -> BigInt,
        sale_amount_jpy -> BigInt,
        purchase_amount_jpy -> BigInt,
        updated_at -> Timestamp,
        awaiting_review -> BigInt,
        purchase_domestic_jpy -> BigInt,
        purchase_china_hk_jpy -> BigInt,
        purchase_us_jpy -> BigInt,
        purchase_other_jpy -> BigInt,
        vector_phishing -> BigInt,
        vector_credential_stuffing -> BigInt,
        vector_malware -> BigInt,
        vector_sim_swap -> BigInt,
        vector_insider -> BigInt,
        vector_unknown -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor -> Text,
        ip -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        last_hash -> Text,
        events -> BigInt,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        created_at -> Timestamp,
        to_addr -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        credential_id -> Text,
        passkey_json -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_states (state_key) {
        state_key -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        state_json -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    reminders_sent (id) {
        id -> BigInt,
        firm_id -> BigInt,
        period -> Text,
        kind -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    digests (id) {
        id -> BigInt,
        day -> Text,
        sent_at -> Timestamp,
        submissions -> Integer,
    }
}

diesel::table! {
    digest_items (version_id) {
        version_id -> BigInt,
        digest_id -> BigInt,
    }
}

diesel::table! {
    trade_uploads (return_id) {
        return_id -> BigInt,
        file_name -> Text,
        encoding -> Text,
        row_count -> BigInt,
        sell_count -> BigInt,
        buy_count -> BigInt,
        sell_total_jpy -> BigInt,
        buy_total_jpy -> BigInt,
        sell_domestic_jpy -> BigInt,
        sell_china_hk_jpy -> BigInt,
        sell_us_jpy -> BigInt,
        sell_other_jpy -> BigInt,
        buy_domestic_jpy -> BigInt,
        buy_china_hk_jpy -> BigInt,
        buy_us_jpy -> BigInt,
        buy_other_jpy -> BigInt,
        first_date -> Date,
        last_date -> Date,
        uploaded_by -> Nullable<BigInt>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    draft_trades (return_id, row_no) {
        return_id -> BigInt,
        row_no -> Integer,
        trade_date -> Date,
        side -> Text,
        security_code -> Text,
        market -> Text,
        quantity -> BigInt,
        amount_jpy -> BigInt,
        account_ref -> Text,
    }
}

diesel::table! {
    version_details (version_id) {
        version_id -> BigInt,
        purchase_domestic_jpy -> BigInt,
        purchase_china_hk_jpy -> BigInt,
        purchase_us_jpy -> BigInt,
        purchase_other_jpy -> BigInt,
        vector_phishing -> BigInt,
        vector_credential_stuffing -> BigInt,
        vector_malware -> BigInt,
        vector_sim_swap -> BigInt,
        vector_insider -> BigInt,
        vector_unknown -> BigInt,
        detected_customer -> BigInt,
        detected_monitoring -> BigInt,
        detected_other -> BigInt,
        detected_other_text -> Text,
        customer_losses_jpy -> BigInt,
        compensation_paid_jpy -> BigInt,
        accounts_compensated -> BigInt,
        compensation_policy -> Text,
        compensation_percent -> Nullable<Integer>,
        checklist -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        contact_email -> Text,
        attested_by -> Nullable<BigInt>,
        warnings -> Text,
        warnings_explanation -> Text,
        four_eyes -> Text,
    }
}

diesel::table! {
    publications (id) {
        id -> BigInt,
        title -> Text,
        cutoff_at -> Timestamp,
        period_from -> Text,
        period_to -> Text,
        footnotes -> Text,
        p_percent -> Integer,
        status -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
        table_json -> Nullable<Text>,
        csv_en -> Nullable<Text>,
        csv_ja -> Nullable<Text>,
        sha256_en -> Nullable<Text>,
        sha256_ja -> Nullable<Text>,
        title_ja -> Text,
        footnotes_ja -> Text,
        audit_json -> Nullable<Text>,
        contributors_json -> Nullable<Text>,
    }
}

diesel::table! {
    publication_overrides (id) {
        id -> BigInt,
        publication_id -> BigInt,
        cell -> Text,
        justification -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

// Four eyes: who changed a draft, and the preparers of each version.
diesel::table! {
    draft_changes (id) {
        id -> BigInt,
        return_id -> BigInt,
        user_id -> BigInt,
        content_sha256 -> Text,
        what -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    version_preparers (version_id, user_id) {
        version_id -> BigInt,
        user_id -> BigInt,
    }
}

// The filing API's idempotency keys (services::idempotency).
diesel::table! {
    api_idempotency (id) {
        id -> BigInt,
        client_id -> BigInt,
        idempotency_key -> Text,
        method_and_path -> Text,
        request_sha256 -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_idempotency_quota (client_id) {
        client_id -> BigInt,
        keys_held -> BigInt,
    }
}

// API clients: who may call the filing API, their keys, the assertion ids
// already used, and the access tokens issued (hashes only).
diesel::table! {
    api_clients (id) {
        id -> BigInt,
        client_id -> Text,
        firm_id -> Nullable<BigInt>,
        name -> Text,
        status -> Text,
        scopes -> Text,
        registered_by -> BigInt,
        registered_at -> Timestamp,
        confirmed_by -> Nullable<BigInt>,
        confirmed_at -> Nullable<Timestamp>,
        suspended_by -> Nullable<BigInt>,
        suspended_at -> Nullable<Timestamp>,
        last_token_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_client_keys (id) {
        id -> BigInt,
        client_id -> BigInt,
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        slot -> Integer,
        added_by -> BigInt,
        added_at -> Timestamp,
        retired_by -> Nullable<BigInt>,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_assertions (client_id, jti) {
        client_id -> BigInt,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        client_id -> BigInt,
        key_id -> BigInt,
        scopes -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(draft_changes -> returns (return_id));
diesel::joinable!(version_preparers -> return_versions (version_id));
diesel::joinable!(version_preparers -> users (user_id));
diesel::joinable!(draft_changes -> users (user_id));
diesel::joinable!(publication_overrides -> publications (publication_id));
diesel::joinable!(version_details -> return_versions (version_id));
diesel::joinable!(users -> firms (firm_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(returns -> firms (firm_id));
diesel::joinable!(return_versions -> returns (return_id));
diesel::joinable!(return_versions -> firms (firm_id));
diesel::joinable!(trade_details -> return_versions (version_id));
diesel::joinable!(trade_uploads -> returns (return_id));
diesel::joinable!(draft_trades -> returns (return_id));
diesel::joinable!(reminders_sent -> firms (firm_id));
diesel::joinable!(digest_items -> return_versions (version_id));
diesel::joinable!(digest_items -> digests (digest_id));
// Incidents reported in stages, the deadline rules, the regulator's triage,
// thread and campaigns, and the notices claimed once.
diesel::table! {
    incident_deadlines (stage) {
        stage -> Text,
        trigger -> Text,
        unit -> Text,
        amount -> Integer,
        remind_hours -> Integer,
        four_eyes -> Bool,
    }
}

diesel::table! {
    incident_campaigns (id) {
        id -> BigInt,
        name -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        firm_id -> BigInt,
        status -> Text,
        stage -> Nullable<Text>,
        kind -> Text,
        vector -> Text,
        period -> Text,
        accounts -> BigInt,
        trades -> BigInt,
        ongoing -> Bool,
        triage -> Text,
        initial_due_at -> Nullable<Timestamp>,
        intermediate_due_at -> Nullable<Timestamp>,
        final_due_at -> Nullable<Timestamp>,
        next_due_at -> Nullable<Timestamp>,
        reclassified_reason -> Nullable<Text>,
        reclassified_by -> Nullable<BigInt>,
        reclassified_at -> Nullable<Timestamp>,
        campaign_id -> Nullable<BigInt>,
        opened_by -> BigInt,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incident_versions (id) {
        id -> BigInt,
        incident_id -> BigInt,
        version_no -> Integer,
        stage -> Text,
        document -> Text,
        submitted_by -> BigInt,
        submitted_at -> Timestamp,
        sent_by_one -> Bool,
        due_at -> Timestamp,
        on_time -> Bool,
        source -> Text,
    }
}

diesel::table! {
    incident_version_preparers (version_id, user_id) {
        version_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    incident_drafts (incident_id) {
        incident_id -> BigInt,
        stage -> Text,
        document -> Text,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incident_draft_editors (incident_id, user_id) {
        incident_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    incident_triage (id) {
        id -> BigInt,
        incident_id -> BigInt,
        state -> Text,
        changed_by -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    incident_messages (id) {
        id -> BigInt,
        incident_id -> BigInt,
        author_id -> BigInt,
        from_regulator -> Bool,
        firm_visible -> Bool,
        body -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    incident_notices (incident_id, stage, kind) {
        incident_id -> BigInt,
        stage -> Text,
        kind -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    firm_trade_months (firm_id, period) {
        firm_id -> BigInt,
        period -> Text,
    }
}

diesel::joinable!(incidents -> firms (firm_id));
diesel::joinable!(incidents -> incident_campaigns (campaign_id));
diesel::joinable!(incident_versions -> incidents (incident_id));
diesel::joinable!(incident_versions -> users (submitted_by));
diesel::joinable!(incident_version_preparers -> incident_versions (version_id));
diesel::joinable!(incident_drafts -> incidents (incident_id));
diesel::joinable!(incident_triage -> incidents (incident_id));
diesel::joinable!(incident_messages -> incidents (incident_id));
diesel::joinable!(incident_messages -> users (author_id));
diesel::joinable!(incident_notices -> incidents (incident_id));
diesel::joinable!(api_clients -> firms (firm_id));
diesel::joinable!(api_client_keys -> api_clients (client_id));
diesel::joinable!(api_tokens -> api_clients (client_id));
diesel::joinable!(api_assertions -> api_clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(
    version_details,
    firms,
    users,
    auth_tokens,
    sessions,
    auth_throttle,
    returns,
    return_versions,
    trade_details,
    trade_uploads,
    draft_trades,
    period_summary,
    audit_events,
    audit_head,
    email_outbox,
    settings,
    recovery_codes,
    passkeys,
    webauthn_states,
    reminders_sent,
    digests,
    digest_items,
    publications,
    publication_overrides,
    draft_changes,
    version_preparers,
    api_clients,
    api_client_keys,
    api_assertions,
    api_tokens,
    incident_deadlines,
    incident_campaigns,
    incidents,
    incident_versions,
    incident_version_preparers,
    incident_drafts,
    incident_draft_editors,
    incident_triage,
    incident_messages,
    incident_notices,
    firm_trade_months,
    review_comments,
    review_answers,
    retention_runs,
    legal_holds,
    observer_scopes,
    observer_scope_firms,
    version_amendments,
    extensions,
);

diesel::table! {
    review_comments (id) {
        id -> BigInt,
        version_id -> BigInt,
        section -> Text,
        author_id -> BigInt,
        firm_visible -> Bool,
        body -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        answered_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    review_answers (id) {
        id -> BigInt,
        comment_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        sent_at -> Timestamp,
    }
}

diesel::joinable!(review_comments -> return_versions (version_id));
diesel::joinable!(review_answers -> review_comments (comment_id));
diesel::joinable!(review_answers -> users (author_id));

// Retention: the daily purge's claim, and the legal holds that suspend it
// for a firm (services::retention).
diesel::table! {
    retention_runs (id) {
        id -> Integer,
        last_day -> Text,
        last_run_at -> Nullable<Timestamp>,
        last_purged -> BigInt,
    }
}

diesel::table! {
    legal_holds (id) {
        id -> BigInt,
        firm_id -> BigInt,
        reason -> Text,
        placed_by -> BigInt,
        placed_at -> Timestamp,
        lifted_by -> Nullable<BigInt>,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(legal_holds -> firms (firm_id));

// supervision: observers
diesel::table! {
    observer_scopes (user_id) {
        user_id -> BigInt,
        aggregates_only -> Bool,
        period_from -> Nullable<Text>,
        period_to -> Nullable<Text>,
        expires_on -> Date,
        revision -> Integer,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    observer_scope_firms (user_id, firm_id) {
        user_id -> BigInt,
        firm_id -> BigInt,
    }
}

diesel::joinable!(observer_scope_firms -> firms (firm_id));

diesel::table! {
    version_amendments (version_id) {
        version_id -> BigInt,
        reason -> Text,
        reason_text -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(version_amendments -> return_versions (version_id));

diesel::table! {
    extensions (id) {
        id -> BigInt,
        firm_id -> BigInt,
        period -> Text,
        due_before -> Date,
        requested_due -> Date,
        reason -> Text,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        status -> Text,
        granted_due -> Nullable<Date>,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(extensions -> firms (firm_id));
