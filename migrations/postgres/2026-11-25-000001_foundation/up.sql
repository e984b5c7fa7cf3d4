-- Foundation schema (PostgreSQL). Keep in step with migrations/sqlite.
CREATE TABLE firms (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    registration_no TEXT NOT NULL UNIQUE,
    lei TEXT UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reporter', 'approver', 'analyst', 'admin')),
    firm_id BIGINT REFERENCES firms(id),
    password_hash TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    locale TEXT NOT NULL DEFAULT 'en',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP,
    CHECK ((role IN ('reporter', 'approver')) = (firm_id IS NOT NULL))
);
CREATE INDEX users_firm ON users(firm_id);

CREATE TABLE auth_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    authenticated_at TIMESTAMP NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE auth_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE returns (
    id BIGSERIAL PRIMARY KEY,
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    draft_json TEXT,
    draft_updated_by BIGINT REFERENCES users(id),
    draft_updated_at TIMESTAMP,
    current_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (firm_id, period)
);
CREATE INDEX returns_period ON returns(period);

CREATE TABLE return_versions (
    id BIGSERIAL PRIMARY KEY,
    return_id BIGINT NOT NULL REFERENCES returns(id),
    firm_id BIGINT NOT NULL REFERENCES firms(id),
    period TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    is_nil BOOLEAN NOT NULL,
    unauthorized_accesses BIGINT NOT NULL CHECK (unauthorized_accesses >= 0),
    affected_accounts BIGINT NOT NULL CHECK (affected_accounts >= 0),
    fraudulent_trades BIGINT NOT NULL CHECK (fraudulent_trades >= 0),
    sale_amount_jpy BIGINT NOT NULL CHECK (sale_amount_jpy >= 0),
    purchase_amount_jpy BIGINT NOT NULL CHECK (purchase_amount_jpy >= 0),
    remediation TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by BIGINT REFERENCES users(id),
    due_date DATE NOT NULL,
    on_time BOOLEAN NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users(id),
    review_note TEXT,
    UNIQUE (return_id, version_no)
);
CREATE INDEX return_versions_submitted ON return_versions(submitted_at);
CREATE INDEX return_versions_firm_period ON return_versions(firm_id, period, version_no);

CREATE TABLE trade_details (
    id BIGSERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES return_versions(id),
    row_no INTEGER NOT NULL,
    trade_date DATE NOT NULL,
    side TEXT NOT NULL,
    security_code TEXT NOT NULL,
    market TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount_jpy BIGINT NOT NULL,
    account_ref TEXT NOT NULL,
    UNIQUE (version_id, row_no)
);

CREATE TABLE period_summary (
    period TEXT PRIMARY KEY,
    firms_with_fraudulent_trades BIGINT NOT NULL DEFAULT 0,
    firms_reporting BIGINT NOT NULL DEFAULT 0,
    unauthorized_accesses BIGINT NOT NULL DEFAULT 0,
    affected_accounts BIGINT NOT NULL DEFAULT 0,
    fraudulent_trades BIGINT NOT NULL DEFAULT 0,
    sale_amount_jpy BIGINT NOT NULL DEFAULT 0,
    purchase_amount_jpy BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_occurred ON audit_events(occurred_at);

-- One row: the hash at the end of the audit chain. Updating it inside each
-- writing transaction serialises appends, so the chain never forks.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_hash TEXT NOT NULL,
    events BIGINT NOT NULL
);
INSERT INTO audit_head (id, last_hash, events) VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000', 0);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX email_outbox_pending ON email_outbox(sent_at, next_attempt_at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
