//! Every route, named once. Handlers, redirects and templates use these, so
//! a renamed route cannot leave a dead link.

use crate::domain::period::Period;
use crate::domain::return_sections::ReturnSection;

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const LANGUAGE: &str = "/language";
pub const PASSWORD: &str = "/account/password";
pub const SETUP: &str = "/setup/{token}";
pub const INVITATION: &str = "/invite/{token}";
pub const PASSWORD_FORGOT: &str = "/password/forgot";
pub const PASSWORD_RESET: &str = "/password/reset/{token}";
pub const FIRM_USERS: &str = "/firm/users";
pub const USER_ACTIVE: &str = "/users/{id}/active";
pub const LOGIN_VERIFY: &str = "/login/verify";
pub const LOGIN_VERIFY_TOTP: &str = "/login/verify/totp";
pub const LOGIN_VERIFY_RECOVERY: &str = "/login/verify/recovery";
pub const LOGIN_VERIFY_PASSKEY: &str = "/login/verify/passkey";
pub const LOGIN_VERIFY_PASSKEY_OPTIONS: &str = "/login/verify/passkey/options";
pub const LOGIN_PASSKEY: &str = "/login/passkey";
pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/passkey/options";
pub const PASSKEYS: &str = "/account/passkeys";
pub const PASSKEY_REGISTER: &str = "/account/passkeys/register";
pub const PASSKEY_REGISTER_OPTIONS: &str = "/account/passkeys/register/options";
pub const PASSKEY_RENAME: &str = "/account/passkeys/{id}/rename";
pub const PASSKEY_REMOVE: &str = "/account/passkeys/{id}/remove";
pub const REAUTH_PASSKEY: &str = "/account/reauth/passkey";
pub const REAUTH_PASSKEY_OPTIONS: &str = "/account/reauth/passkey/options";
pub const PASSKEY_SCRIPT: &str = "/static/passkey.js";
pub const FOCUS_SCRIPT: &str = "/static/focus.js";
pub const ACCOUNT: &str = "/account";
pub const ENROL: &str = "/account/enrol";
pub const ENROL_TOTP: &str = "/account/enrol/totp";
pub const REAUTH: &str = "/account/reauth";
pub const RECOVERY_CODES: &str = "/account/recovery-codes";
pub const SESSIONS: &str = "/account/sessions";
pub const SESSIONS_END_OTHERS: &str = "/account/sessions/end-others";
pub const HEALTHZ: &str = "/healthz";
pub const STATISTICS: &str = "/statistics";
pub const STATISTICS_REVISIONS: &str = "/statistics/revisions";
pub const STATISTICS_REVISIONS_CSV: &str = "/statistics/revisions.csv";
pub const STATISTICS_RELEASE: &str = "/statistics/{id}";
pub const STATISTICS_CSV: &str = "/statistics/{id}/csv";
pub const STATISTICS_CSV_JA: &str = "/statistics/{id}/csv/ja";
pub const STATISTICS_JSON: &str = "/statistics/{id}.json";
/// Beside the English CSV, where CSV on the Web looks for it first.
pub const STATISTICS_CSVW: &str = "/statistics/{id}/csv-metadata.json";
/// Beside the Japanese CSV, likewise.
pub const STATISTICS_CSVW_JA: &str = "/statistics/{id}/csv/ja-metadata.json";
pub const STATISTICS_CATALOG: &str = "/statistics/catalog.json";
pub const ADMIN_PUBLICATIONS: &str = "/admin/publications";
pub const ADMIN_PUBLICATION: &str = "/admin/publications/{id}";
pub const ADMIN_PUBLICATION_OVERRIDE: &str = "/admin/publications/{id}/override";
pub const ADMIN_PUBLICATION_RELEASE: &str = "/admin/publications/{id}/release";
pub const ADMIN_PUBLICATION_SCHEDULE: &str = "/admin/publications/{id}/schedule";
pub const ADMIN_PUBLICATION_UNSCHEDULE: &str = "/admin/publications/{id}/unschedule";
pub const READYZ: &str = "/readyz";
pub const STYLESHEET: &str = "/static/portal.css";

pub const RETURNS: &str = "/returns";
pub const RETURN: &str = "/returns/{period}";
pub const RETURN_DRAFT: &str = "/returns/{period}/draft";
pub const RETURN_SUBMIT: &str = "/returns/{period}/submit";
pub const RETURN_NIL: &str = "/returns/{period}/nil";
pub const RETURN_NIL_EXPLANATION: &str = "/returns/{period}/nil/explanation";
pub const RETURN_APPROVE: &str = "/returns/{period}/approve";
pub const RETURN_VERSION: &str = "/returns/{period}/versions/{version}";
pub const RETURN_TRADES: &str = "/returns/{period}/trades";
pub const RETURN_SECTION: &str = "/returns/{period}/sections/{section}";
pub const RETURN_CHECK: &str = "/returns/{period}/check";
pub const RETURN_READY: &str = "/returns/{period}/ready";
pub const RETURN_TRADES_USE: &str = "/returns/{period}/trades/use-figures";
pub const RETURN_TRADES_REMOVE: &str = "/returns/{period}/trades/remove";
pub const RETURN_TRADES_TEMPLATE: &str = "/returns/{period}/trades/template.csv";

pub const DASHBOARD: &str = "/dashboard";
pub const REVIEW: &str = "/review";
pub const REVIEW_VERSION: &str = "/review/versions/{id}";
pub const REVIEW_FIRM: &str = "/review/firms/{id}";
pub const REVIEW_ACCEPT: &str = "/review/versions/{id}/accept";
pub const REVIEW_RETURN: &str = "/review/versions/{id}/return";
pub const REVIEW_COMPARE: &str = "/review/compare";
pub const REVIEW_BOARD: &str = "/review/board";
pub const REVIEW_COMPLETENESS: &str = "/review/completeness";
pub const REVIEW_QUEUE: &str = "/review/queue";
pub const REVIEW_EXPORT_VERSIONS: &str = "/review/exports/versions.csv";
pub const REVIEW_EXPORT_TRADES: &str = "/review/exports/trades.csv";
pub const RETURN_COMPARE: &str = "/returns/{period}/compare";
pub const ADMIN_CALENDAR: &str = "/admin/calendar";

pub const ADMIN_FIRMS: &str = "/admin/firms";
pub const ADMIN_FIRM_FIRST_PERIOD: &str = "/admin/firms/{id}/first-period";
pub const ADMIN_FIRM_EXEMPTION: &str = "/admin/firms/{id}/exemption";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_POLICY: &str = "/admin/policy";
pub const ADMIN_AUDIT: &str = "/admin/audit";

/// The filing API's token endpoint (OAuth client credentials).
pub const API_TOKEN: &str = "/api/v1/token";
/// The client behind a token, its firm and scopes.
pub const API_WHOAMI: &str = "/api/v1/whoami";
/// A firm's API clients (its approvers), and the form to register one.
pub const FIRM_API_CLIENTS: &str = "/firm/api-clients";
/// Every API client (admins), and the form to register a regulator client.
pub const ADMIN_API_CLIENTS: &str = "/admin/api-clients";
pub const API_CLIENT: &str = "/api-clients/{id}";
pub const API_CLIENT_CONFIRM: &str = "/api-clients/{id}/confirm";
pub const API_CLIENT_SUSPEND: &str = "/api-clients/{id}/suspend";
pub const API_CLIENT_KEYS: &str = "/api-clients/{id}/keys";
pub const API_CLIENT_KEY_RETIRE: &str = "/api-clients/{id}/keys/{key}/retire";

/// The step-up page, coming back to `next` (a path of ours) afterwards.
pub fn reauth(next: &str) -> String {
    let next = crate::web::language::local_path(next);
    format!(
        "{REAUTH}?next={}",
        next.replace('&', "%26").replace('#', "%23")
    )
}

pub fn invitation(token: &str) -> String {
    format!("/invite/{token}")
}

pub fn password_reset(token: &str) -> String {
    format!("/password/reset/{token}")
}

pub fn setup(token: &str) -> String {
    format!("/setup/{token}")
}

pub fn return_page(period: Period) -> String {
    format!("/returns/{period}")
}

pub fn return_draft(period: Period) -> String {
    format!("/returns/{period}/draft")
}

pub fn return_submit(period: Period) -> String {
    format!("/returns/{period}/submit")
}

pub fn return_nil(period: Period) -> String {
    format!("/returns/{period}/nil")
}

/// Why a nil month is nil although the firm reported incidents in it.
pub fn return_nil_explanation(period: Period) -> String {
    format!("/returns/{period}/nil/explanation")
}

/// The approver's page: the whole prepared return, read-only, to submit.
pub fn return_approve(period: Period) -> String {
    format!("/returns/{period}/approve")
}

/// One section's page of the return (the task list's link to it).
pub fn return_section(period: Period, section: ReturnSection) -> String {
    match section {
        ReturnSection::Trades => return_trades(period),
        _ => format!("/returns/{period}/sections/{}", section.slug()),
    }
}

/// Check your answers: the whole draft, before the hand-over.
pub fn return_check(period: Period) -> String {
    format!("/returns/{period}/check")
}

/// Marks the draft ready for approval (POST).
pub fn return_ready(period: Period) -> String {
    format!("/returns/{period}/ready")
}

pub fn admin_firm_exemption(id: i64) -> String {
    format!("/admin/firms/{id}/exemption")
}

pub fn return_trades(period: Period) -> String {
    format!("/returns/{period}/trades")
}

pub fn return_trades_use(period: Period) -> String {
    format!("/returns/{period}/trades/use-figures")
}

pub fn return_trades_remove(period: Period) -> String {
    format!("/returns/{period}/trades/remove")
}

pub fn return_trades_template(period: Period) -> String {
    format!("/returns/{period}/trades/template.csv")
}

pub fn return_version(period: Period, version: i32) -> String {
    format!("/returns/{period}/versions/{version}")
}

pub fn review_firm(id: i64) -> String {
    format!("/review/firms/{id}")
}

pub fn review_version(id: i64) -> String {
    format!("/review/versions/{id}")
}

pub fn review_period(period: &str) -> String {
    format!("/review?period={period}")
}

pub fn review_accept(id: i64) -> String {
    format!("/review/versions/{id}/accept")
}

pub fn review_return(id: i64) -> String {
    format!("/review/versions/{id}/return")
}

/// Staff comparison of two versions (ids) of one return.
pub fn review_compare(a: i64, b: i64) -> String {
    format!("/review/compare?a={a}&b={b}")
}

/// A firm's comparison of two of its versions (numbers) of a period.
pub fn return_compare(period: Period, a: i32, b: i32) -> String {
    format!("/returns/{period}/compare?a={a}&b={b}")
}

/// The queue of versions awaiting review.
pub fn review_queue() -> String {
    REVIEW_QUEUE.to_owned()
}

pub fn admin_firm_first_period(id: i64) -> String {
    format!("/admin/firms/{id}/first-period")
}

pub fn review_board(period: Period) -> String {
    format!("/review/board?period={period}")
}

/// One API client's page (its keys, confirmation, suspension).
pub fn api_client(id: i64) -> String {
    format!("/api-clients/{id}")
}

pub fn api_client_confirm(id: i64) -> String {
    format!("/api-clients/{id}/confirm")
}

pub fn api_client_suspend(id: i64) -> String {
    format!("/api-clients/{id}/suspend")
}

pub fn api_client_keys(id: i64) -> String {
    format!("/api-clients/{id}/keys")
}

pub fn api_client_key_retire(id: i64, key: i64) -> String {
    format!("/api-clients/{id}/keys/{key}/retire")
}
pub const RULES: &str = "/rules";
pub const RULES_JSON: &str = "/rules.json";
/// Everything of the filing API is under this prefix (JSON, bearer
/// tokens, problem details; never a page or a cookie).
pub const API_PREFIX: &str = "/api/";
pub const API_PERIODS: &str = "/api/v1/periods";
pub const API_DRAFT: &str = "/api/v1/returns/{period}/draft";
pub const API_DRAFT_TRADES: &str = "/api/v1/returns/{period}/draft/trades";
pub const API_DRAFT_READY: &str = "/api/v1/returns/{period}/draft/ready";
pub const API_VALIDATE: &str = "/api/v1/validate";
pub const API_VERSIONS: &str = "/api/v1/returns/{period}/versions";
pub const API_VERSION: &str = "/api/v1/returns/{period}/versions/{version}";
pub const API_SUMMARY: &str = "/api/v1/summary";
pub const API_COMPLETENESS: &str = "/api/v1/completeness";
pub const API_OPENAPI: &str = "/api/v1/openapi.json";
pub const API_REFERENCE: &str = "/api/v1/reference";

pub const INCIDENTS: &str = "/incidents";
pub const INCIDENT_NEW: &str = "/incidents/new";
pub const INCIDENT: &str = "/incidents/{id}";
pub const INCIDENT_STAGE: &str = "/incidents/{id}/stages/{stage}";
pub const INCIDENT_APPROVE: &str = "/incidents/{id}/approve";
pub const INCIDENT_RECLASSIFY: &str = "/incidents/{id}/reclassify";

pub fn incident(id: i64) -> String {
    format!("/incidents/{id}")
}

pub fn incident_stage(id: i64, stage: crate::domain::incident::IncidentStage) -> String {
    format!("/incidents/{id}/stages/{stage}")
}

pub fn incident_approve(id: i64) -> String {
    format!("/incidents/{id}/approve")
}

pub fn incident_reclassify(id: i64) -> String {
    format!("/incidents/{id}/reclassify")
}

/// The regulator's register of incidents (filters in the query).
pub const REVIEW_INCIDENTS: &str = "/review/incidents";
pub const REVIEW_INCIDENT: &str = "/review/incidents/{id}";
pub const REVIEW_INCIDENT_TRIAGE: &str = "/review/incidents/{id}/triage";
pub const REVIEW_INCIDENT_MESSAGES: &str = "/review/incidents/{id}/messages";
pub const REVIEW_INCIDENT_CAMPAIGN: &str = "/review/incidents/{id}/campaign";
pub const REVIEW_CAMPAIGN: &str = "/review/campaigns/{id}";
/// A firm user answers in an incident's thread (POST).
pub const INCIDENT_MESSAGES: &str = "/incidents/{id}/messages";

pub fn review_incident(id: i64) -> String {
    format!("/review/incidents/{id}")
}

/// The thread on the staff's incident page.
pub fn review_incident_thread(id: i64) -> String {
    format!("/review/incidents/{id}#thread")
}

pub fn review_incident_triage(id: i64) -> String {
    format!("/review/incidents/{id}/triage")
}

pub fn review_incident_messages(id: i64) -> String {
    format!("/review/incidents/{id}/messages")
}

pub fn review_incident_campaign(id: i64) -> String {
    format!("/review/incidents/{id}/campaign")
}

pub fn review_campaign(id: i64) -> String {
    format!("/review/campaigns/{id}")
}

/// The thread on the firm's incident page (`/incidents/{id}`).
pub fn incident_thread(id: i64) -> String {
    format!("/incidents/{id}#thread")
}

/// Where a firm user's answer in the thread is posted.
pub fn incident_messages(id: i64) -> String {
    format!("/incidents/{id}/messages")
}

pub const API_INCIDENTS: &str = "/api/v1/incidents";
pub const API_INCIDENT: &str = "/api/v1/incidents/{id}";
pub const API_INCIDENT_STAGE: &str = "/api/v1/incidents/{id}/stages/{stage}";

pub fn api_incident(id: i64) -> String {
    format!("/api/v1/incidents/{id}")
}

/// The admin's deadline rules of the incident stages.
pub const ADMIN_INCIDENT_DEADLINES: &str = "/admin/incident-deadlines";

// Review threads.
/// Staff comment on a version (POST).
pub const REVIEW_COMMENTS: &str = "/review/versions/{id}/comments";
/// Staff send the review: every drafted comment at once (POST).
pub const REVIEW_COMMENTS_SEND: &str = "/review/versions/{id}/comments/send";
/// Staff resolve a comment of the version's return (POST).
pub const REVIEW_COMMENT_RESOLVE: &str = "/review/versions/{id}/comments/{comment}/resolve";
/// A firm user answers a comment on the firm's return (POST).
pub const RETURN_COMMENT_ANSWER: &str = "/returns/{period}/comments/{comment}/answer";

pub fn review_comments(id: i64) -> String {
    format!("/review/versions/{id}/comments")
}

pub fn review_comments_send(id: i64) -> String {
    format!("/review/versions/{id}/comments/send")
}

pub fn review_comment_resolve(id: i64, comment: i64) -> String {
    format!("/review/versions/{id}/comments/{comment}/resolve")
}

/// The review comments on the staff's page of a version.
pub fn review_comments_anchor(id: i64) -> String {
    format!("/review/versions/{id}#comments")
}

pub fn return_comment_answer(period: Period, comment: i64) -> String {
    format!("/returns/{period}/comments/{comment}/answer")
}

/// A comment on the firm's return page.
pub fn return_comment(period: Period, comment: i64) -> String {
    format!("/returns/{period}#comment-{comment}")
}

/// Retention: the admin's setting and the day's runs.
pub const ADMIN_RETENTION: &str = "/admin/retention";
/// A firm's legal hold (admins): shown, placed and lifted.
pub const ADMIN_FIRM_LEGAL_HOLD: &str = "/admin/firms/{id}/legal-hold";
pub const ADMIN_FIRM_LEGAL_HOLD_LIFT: &str = "/admin/firms/{id}/legal-hold/lift";

pub fn admin_firm_legal_hold(id: i64) -> String {
    format!("/admin/firms/{id}/legal-hold")
}

pub fn admin_firm_legal_hold_lift(id: i64) -> String {
    format!("/admin/firms/{id}/legal-hold/lift")
}

// supervision: observers
pub const OBSERVER_HOME: &str = "/observer";
pub const OBSERVER_DASHBOARD: &str = "/observer/dashboard";
pub const OBSERVER_VERSION: &str = "/observer/versions/{id}";
pub const ADMIN_OBSERVERS: &str = "/admin/observers";
pub const ADMIN_OBSERVER: &str = "/admin/observers/{id}";
pub const ADMIN_OBSERVER_VIEWS: &str = "/admin/observer-views";

pub fn observer_version(id: i64) -> String {
    format!("/observer/versions/{id}")
}

pub fn admin_observer(id: i64) -> String {
    format!("/admin/observers/{id}")
}

/// An admin sets a staff user's right to export (and to include contact
/// details).
pub const USER_EXPORT_RIGHT: &str = "/users/{id}/export-right";

pub fn user_export_right(id: i64) -> String {
    format!("/users/{id}/export-right")
}

// Supervision: deadline extensions and timeliness over time.
/// A firm's month: its due date, the requests for an extension and (to
/// its approvers) the form to ask for one.
pub const RETURN_EXTENSION: &str = "/returns/{period}/extension";
/// The requests awaiting a decision, and the latest decided.
pub const REVIEW_EXTENSIONS: &str = "/review/extensions";
/// One request, and the form to grant or refuse it.
pub const REVIEW_EXTENSION: &str = "/review/extensions/{id}";
/// Timeliness per month over a range (table and chart).
pub const REVIEW_TIMELINESS: &str = "/review/timeliness";

pub fn return_extension(period: Period) -> String {
    format!("/returns/{period}/extension")
}

pub fn review_extension(id: i64) -> String {
    format!("/review/extensions/{id}")
}
