//! Every route, named once. Handlers, redirects and templates use these, so
//! a renamed route cannot leave a dead link.

use crate::domain::period::Period;

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const PASSWORD: &str = "/account/password";
pub const SETUP: &str = "/setup/{token}";
pub const LOGIN_VERIFY: &str = "/login/verify";
pub const LOGIN_VERIFY_TOTP: &str = "/login/verify/totp";
pub const LOGIN_VERIFY_RECOVERY: &str = "/login/verify/recovery";
pub const ACCOUNT: &str = "/account";
pub const ENROL: &str = "/account/enrol";
pub const ENROL_TOTP: &str = "/account/enrol/totp";
pub const REAUTH: &str = "/account/reauth";
pub const RECOVERY_CODES: &str = "/account/recovery-codes";
pub const SESSIONS: &str = "/account/sessions";
pub const SESSIONS_END_OTHERS: &str = "/account/sessions/end-others";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const STYLESHEET: &str = "/static/portal.css";

pub const RETURNS: &str = "/returns";
pub const RETURN: &str = "/returns/{period}";
pub const RETURN_DRAFT: &str = "/returns/{period}/draft";
pub const RETURN_SUBMIT: &str = "/returns/{period}/submit";
pub const RETURN_NIL: &str = "/returns/{period}/nil";
pub const RETURN_VERSION: &str = "/returns/{period}/versions/{version}";

pub const DASHBOARD: &str = "/dashboard";
pub const REVIEW: &str = "/review";
pub const REVIEW_VERSION: &str = "/review/versions/{id}";

pub const ADMIN_FIRMS: &str = "/admin/firms";
pub const ADMIN_USERS: &str = "/admin/users";

/// The step-up page, coming back to `next` (a path of ours) afterwards.
pub fn reauth(next: &str) -> String {
    let next = if next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        HOME
    };
    format!(
        "{REAUTH}?next={}",
        next.replace('&', "%26").replace('#', "%23")
    )
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

pub fn return_version(period: Period, version: i32) -> String {
    format!("/returns/{period}/versions/{version}")
}

pub fn review_version(id: i64) -> String {
    format!("/review/versions/{id}")
}

pub fn review_period(period: &str) -> String {
    format!("/review?period={period}")
}
