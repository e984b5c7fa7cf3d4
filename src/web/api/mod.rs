//! The filing API (`/api/v1`, JSON): for firms' own systems and the
//! regulator's analytics tools, beside the pages and calling the same
//! services. Its callers are API clients with bearer tokens (`caller`),
//! got at the token endpoint (`token`), never sessions; its refusals are
//! problem details (`problem`); every `POST`/`PUT` is idempotent under its
//! `Idempotency-Key` (`idempotent`); the checks a return meets are named by
//! the rule catalogue (`checks`).

// A refusal is a `Problem` (its fields are the API's contract), returned
// by value: it is made once per refused request, where its size costs
// nothing worth a box.
#![allow(clippy::result_large_err)]

pub mod answers;
pub mod caller;
pub mod checks;
pub mod drafts;
pub mod idempotent;
pub mod incidents;
pub mod openapi;
pub mod periods;
pub mod problem;
pub mod rate;
pub mod reference;
pub mod summary;
pub mod token;
pub mod trades;
pub mod versions;
pub mod whoami;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{AppState, paths};
use crate::i18n::{Key, Lang, Tr};
use problem::{Problem, type_uri};

/// This portal's token endpoint as clients reach it: the only audience an
/// assertion may name (RFC 7523 §3).
pub fn token_url(state: &AppState) -> String {
    format!("{}{}", state.config.public_url, paths::API_TOKEN)
}

/// A problem made from a bare status (the router's 404 and 405, a body
/// too large, a failure) and the message the error carried.
pub fn problem_of_status(status: StatusCode, key: Key, lang: Lang) -> HttpResponse {
    let title = Tr::new(lang).t(key).to_owned();
    actix_web::ResponseError::error_response(&Problem::new(status, &type_uri(slug(status)), title))
}

/// The problem type's name of a refusal known only by its status.
pub fn slug(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::CONFLICT => "conflict",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    }
}
