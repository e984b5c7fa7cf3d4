//! Static files, compiled into the binary.

use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../static/portal.css");
const PASSKEY_SCRIPT: &str = include_str!("../../static/passkey.js");
const FOCUS_SCRIPT: &str = include_str!("../../static/focus.js");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// The one script: WebAuthn ceremonies for the passkey widgets.
pub async fn passkey_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(PASSKEY_SCRIPT)
}

/// Moves focus to a page's summary of problems.
pub async fn focus_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(FOCUS_SCRIPT)
}
