//! Rows as read from and written to the tables.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;
use crate::domain::compensation::CompensationKind;
use crate::domain::stage::Stage;
use crate::domain::{PublicationStatus, ReturnState, Role, VersionStatus};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = firms)]
pub struct Firm {
    pub id: i64,
    pub name: String,
    pub registration_no: String,
    pub lei: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// The first month (`YYYY-MM`) the firm must file a return for.
    pub first_period: String,
}

#[derive(Insertable)]
#[diesel(table_name = firms)]
pub struct NewFirm<'a> {
    pub name: &'a str,
    pub registration_no: &'a str,
    pub lei: Option<&'a str>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub first_period: &'a str,
}

/// `Debug` shows no secret (see the impls at the end of this file).
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub firm_id: Option<i64>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub active: bool,
    pub locale: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: Option<NaiveDateTime>,
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<NaiveDateTime>,
    pub totp_last_step: Option<i64>,
    pub export_right: crate::domain::amendment::ExportRight,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub firm_id: Option<i64>,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub active: bool,
    pub locale: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: Option<NaiveDateTime>,
}

/// `Debug` shows no secret (see the impls at the end of this file).
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub authenticated_at: NaiveDateTime,
    pub ip: String,
    pub user_agent: String,
    pub stage: Stage,
    pub second_factor_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub authenticated_at: NaiveDateTime,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub stage: Stage,
    pub second_factor_at: Option<NaiveDateTime>,
}

/// `Debug` shows no secret (see the impls at the end of this file).
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = auth_tokens)]
pub struct AuthToken {
    pub id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = returns)]
pub struct ReturnRow {
    pub id: i64,
    pub firm_id: i64,
    pub period: String,
    pub state: ReturnState,
    pub draft_json: Option<String>,
    pub draft_updated_by: Option<i64>,
    pub draft_updated_at: Option<NaiveDateTime>,
    pub current_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = return_versions)]
pub struct Version {
    pub id: i64,
    pub return_id: i64,
    pub firm_id: i64,
    pub period: String,
    pub version_no: i32,
    pub receipt_no: String,
    pub idempotency_key: Option<String>,
    pub source: String,
    pub status: VersionStatus,
    pub is_nil: bool,
    pub unauthorized_accesses: i64,
    pub affected_accounts: i64,
    pub fraudulent_trades: i64,
    pub sale_amount_jpy: i64,
    pub purchase_amount_jpy: i64,
    pub remediation: String,
    pub submitted_at: NaiveDateTime,
    pub submitted_by: Option<i64>,
    pub due_date: NaiveDate,
    pub on_time: bool,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub review_note: Option<String>,
    /// The granted extension the version was filed under (its due date
    /// is the extension's), frozen when filed.
    pub extension_ref: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = return_versions)]
pub struct NewVersionRow<'a> {
    pub return_id: i64,
    pub firm_id: i64,
    pub period: &'a str,
    pub version_no: i32,
    pub receipt_no: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub source: &'a str,
    pub status: VersionStatus,
    pub is_nil: bool,
    pub unauthorized_accesses: i64,
    pub affected_accounts: i64,
    pub fraudulent_trades: i64,
    pub sale_amount_jpy: i64,
    pub purchase_amount_jpy: i64,
    pub remediation: &'a str,
    pub submitted_at: NaiveDateTime,
    pub submitted_by: Option<i64>,
    pub due_date: NaiveDate,
    pub on_time: bool,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = period_summary)]
pub struct SummaryRow {
    pub period: String,
    pub firms_with_fraudulent_trades: i64,
    pub firms_reporting: i64,
    pub unauthorized_accesses: i64,
    pub affected_accounts: i64,
    pub fraudulent_trades: i64,
    pub sale_amount_jpy: i64,
    pub purchase_amount_jpy: i64,
    pub updated_at: NaiveDateTime,
    pub awaiting_review: i64,
    pub purchase_domestic_jpy: i64,
    pub purchase_china_hk_jpy: i64,
    pub purchase_us_jpy: i64,
    pub purchase_other_jpy: i64,
    pub vector_phishing: i64,
    pub vector_credential_stuffing: i64,
    pub vector_malware: i64,
    pub vector_sim_swap: i64,
    pub vector_insider: i64,
    pub vector_unknown: i64,
    pub revision: i64,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub ip: String,
    /// As stored, not parsed: the chain check hashes a row as found, so a
    /// tampered action shows as a broken chain, not as an unreadable row.
    /// Every write goes through `audit::Action`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The metadata and totals of the trade detail uploaded for a draft.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = trade_uploads)]
pub struct TradeUploadRow {
    pub return_id: i64,
    pub file_name: String,
    pub encoding: String,
    pub row_count: i64,
    pub sell_count: i64,
    pub buy_count: i64,
    pub sell_total_jpy: i64,
    pub buy_total_jpy: i64,
    pub sell_domestic_jpy: i64,
    pub sell_china_hk_jpy: i64,
    pub sell_us_jpy: i64,
    pub sell_other_jpy: i64,
    pub buy_domestic_jpy: i64,
    pub buy_china_hk_jpy: i64,
    pub buy_us_jpy: i64,
    pub buy_other_jpy: i64,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = version_details)]
pub struct VersionDetails {
    pub version_id: i64,
    pub purchase_domestic_jpy: i64,
    pub purchase_china_hk_jpy: i64,
    pub purchase_us_jpy: i64,
    pub purchase_other_jpy: i64,
    pub vector_phishing: i64,
    pub vector_credential_stuffing: i64,
    pub vector_malware: i64,
    pub vector_sim_swap: i64,
    pub vector_insider: i64,
    pub vector_unknown: i64,
    pub detected_customer: i64,
    pub detected_monitoring: i64,
    pub detected_other: i64,
    pub detected_other_text: String,
    pub customer_losses_jpy: i64,
    pub compensation_paid_jpy: i64,
    pub accounts_compensated: i64,
    pub compensation_policy: CompensationKind,
    pub compensation_percent: Option<i32>,
    pub checklist: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub attested_by: Option<i64>,
    pub warnings: String,
    pub warnings_explanation: String,
    pub four_eyes: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = publications)]
pub struct Publication {
    pub id: i64,
    pub title: String,
    pub cutoff_at: NaiveDateTime,
    pub period_from: String,
    pub period_to: String,
    pub footnotes: String,
    pub p_percent: i32,
    pub status: PublicationStatus,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub released_at: Option<NaiveDateTime>,
    pub table_json: Option<String>,
    pub csv_en: Option<String>,
    pub csv_ja: Option<String>,
    pub sha256_en: Option<String>,
    pub sha256_ja: Option<String>,
    pub title_ja: String,
    pub footnotes_ja: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = publication_overrides)]
pub struct PublicationOverride {
    pub id: i64,
    pub publication_id: i64,
    pub cell: String,
    pub justification: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

// Hand-written `Debug` for rows holding secrets: hashes, TOTP secrets and
// CSRF tokens show as `[redacted]`, so a `{:?}` in a log line leaks none.

const REDACTED: &str = "[redacted]";

fn redacted<T>(value: &Option<T>) -> Option<&'static str> {
    value.as_ref().map(|_| REDACTED)
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("firm_id", &self.firm_id)
            .field("password_hash", &redacted(&self.password_hash))
            .field("must_change_password", &self.must_change_password)
            .field("active", &self.active)
            .field("locale", &self.locale)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("password_changed_at", &self.password_changed_at)
            .field("totp_secret", &redacted(&self.totp_secret))
            .field("totp_enabled_at", &self.totp_enabled_at)
            .field("totp_last_step", &self.totp_last_step)
            .field("export_right", &self.export_right)
            .finish()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("token_hash", &REDACTED)
            .field("user_id", &self.user_id)
            .field("csrf_token", &REDACTED)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("authenticated_at", &self.authenticated_at)
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .field("stage", &self.stage)
            .field("second_factor_at", &self.second_factor_at)
            .finish()
    }
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthToken")
            .field("id", &self.id)
            .field("token_hash", &REDACTED)
            .field("purpose", &self.purpose)
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish()
    }
}

/// An API client (`api_clients`): public data only, no secret.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_clients)]
pub struct ApiClientRow {
    pub id: i64,
    /// The public client id (`pc_…`): `iss` and `sub` of its assertions.
    pub client_id: String,
    /// `None`: a regulator (staff) client.
    pub firm_id: Option<i64>,
    pub name: String,
    pub status: crate::domain::api_client::ClientStatus,
    /// The scopes it may be granted, space-separated.
    pub scopes: String,
    pub registered_by: i64,
    pub registered_at: NaiveDateTime,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub suspended_by: Option<i64>,
    pub suspended_at: Option<NaiveDateTime>,
}

/// A public key of an API client (`api_client_keys`).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_client_keys)]
pub struct ApiClientKeyRow {
    pub id: i64,
    pub client_id: i64,
    /// The key's RFC 7638 thumbprint.
    pub kid: String,
    pub alg: crate::domain::api_client::KeyAlg,
    /// The canonical public JWK.
    pub public_jwk: String,
    pub added_by: i64,
    pub added_at: NaiveDateTime,
    pub retired_by: Option<i64>,
    pub retired_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incidents)]
pub struct Incident {
    pub id: i64,
    pub firm_id: i64,
    pub status: crate::domain::incident::IncidentStatus,
    /// The latest stage sent (`None` while a draft).
    pub stage: Option<crate::domain::incident::IncidentStage>,
    pub kind: crate::domain::incident::IncidentKind,
    pub vector: crate::domain::incident::AttackVector,
    /// The month (`YYYY-MM`) the incident began in.
    pub period: String,
    pub accounts: i64,
    pub trades: i64,
    pub ongoing: bool,
    pub triage: crate::domain::incident::Triage,
    pub initial_due_at: Option<NaiveDateTime>,
    pub intermediate_due_at: Option<NaiveDateTime>,
    pub final_due_at: Option<NaiveDateTime>,
    /// When the next stage is due (`None` when none is awaited).
    pub next_due_at: Option<NaiveDateTime>,
    pub reclassified_reason: Option<String>,
    pub reclassified_by: Option<i64>,
    pub reclassified_at: Option<NaiveDateTime>,
    pub campaign_id: Option<i64>,
    pub opened_by: i64,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incident_versions)]
pub struct IncidentVersion {
    pub id: i64,
    pub incident_id: i64,
    pub version_no: i32,
    pub stage: crate::domain::incident::IncidentStage,
    /// The stage's `Report` as JSON.
    pub document: String,
    pub submitted_by: i64,
    pub submitted_at: NaiveDateTime,
    /// Sent by one person (the stage did not need four eyes).
    pub sent_by_one: bool,
    /// The stage's due time this version was measured against.
    pub due_at: NaiveDateTime,
    pub on_time: bool,
    pub source: crate::domain::incident::IncidentSource,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incident_drafts)]
pub struct IncidentDraft {
    pub incident_id: i64,
    pub stage: crate::domain::incident::IncidentStage,
    /// The typed `ReportForm` as JSON (kept as typed, mistakes and all).
    pub document: String,
    pub updated_by: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incident_messages)]
pub struct IncidentMessage {
    pub id: i64,
    pub incident_id: i64,
    pub author_id: i64,
    pub from_regulator: bool,
    pub firm_visible: bool,
    pub body: String,
    pub sent_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incident_triage)]
pub struct IncidentTriage {
    pub id: i64,
    pub incident_id: i64,
    pub state: crate::domain::incident::Triage,
    pub changed_by: i64,
    pub changed_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = incident_campaigns)]
pub struct IncidentCampaign {
    pub id: i64,
    pub name: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// A request for a later due date of one firm's month, and its decision.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = extensions)]
pub struct Extension {
    pub id: i64,
    pub firm_id: i64,
    pub period: String,
    /// The due date in force when it was asked.
    pub due_before: NaiveDate,
    pub requested_due: NaiveDate,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: NaiveDateTime,
    pub status: crate::domain::extension::ExtensionStatus,
    pub granted_due: Option<NaiveDate>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
}
