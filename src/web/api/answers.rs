//! What every endpoint of the filing API shares: the caller's language,
//! the period in the path, JSON in and out, and the refusals that are not
//! about a rule.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::problem::{Problem, ProblemError, type_uri};
use crate::clock::Clock;
use crate::domain::period::Period;
use crate::i18n::{Lang, Tr};
use crate::web::returns::reportable_period;

/// Most bytes a JSON request body may have: far above a whole return (its
/// text fields stop at their limits, about 7,000 characters).
pub const JSON_LIMIT: usize = 256 * 1024;

/// The caller's language, from `Accept-Language` (English otherwise).
pub fn tr(req: &HttpRequest) -> Tr {
    Tr::new(Lang::from_accept_language(req))
}

/// 404 as problem details.
pub fn not_found(t: &Tr) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        &type_uri("not-found"),
        t.t(msg!("api.problem.not_found")).to_owned(),
    )
}

/// The month in the path: a month (`YYYY-MM`) that has begun.
pub fn period(raw: &str, clock: &Clock, t: &Tr) -> Result<Period, Problem> {
    reportable_period(raw, clock).map_err(|_| not_found(t))
}

/// A JSON answer.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type("application/json")
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// The request's body as JSON: anything else is a 400 naming where it
/// stopped being JSON.
pub fn read_json(req: &HttpRequest, body: &[u8], t: &Tr) -> Result<serde_json::Value, Problem> {
    let typed = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if typed.as_deref() != Some("application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &type_uri("unsupported-media-type"),
            t.t(msg!("api.problem.json_expected")).to_owned(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| malformed_json(t, &e))
}

/// A body that is not JSON: 400, naming where it stopped being JSON.
pub fn malformed_json(t: &Tr, e: &serde_json::Error) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        &type_uri("malformed-json"),
        t.t(msg!("api.problem.malformed_json")).to_owned(),
    )
    .with_detail(format!("line {}, column {}", e.line(), e.column()))
}

/// A body that broke off while it was being read.
pub fn bad_body(t: &Tr) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        &type_uri("bad-body"),
        t.t(msg!("error.bad_request")).to_owned(),
    )
}

/// The request broke rules of the catalogue: 422, the problem type the
/// rule's when all are of one rule.
pub fn checks_failed(t: &Tr, public_url: &str, errors: Vec<ProblemError>) -> Problem {
    let first = errors.first().map(|e| e.rule.clone());
    let one_rule = first
        .as_ref()
        .filter(|rule| errors.iter().all(|e| &e.rule == *rule));
    let kind = match one_rule.and_then(|id| crate::domain::rules::by_id(id)) {
        Some(rule) => format!("{}{}", public_url.trim_end_matches('/'), rule.path()),
        None => type_uri("checks-failed"),
    };
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        &kind,
        t.t(msg!("api.problem.checks_failed")).to_owned(),
    );
    problem.errors = errors;
    problem
}

/// A request that is not a well-formed call (as opposed to a return that
/// breaks a rule): 422 naming where, by a JSON Pointer, in `detail`.
pub fn invalid_request(t: &Tr, pointer: &str, key: crate::i18n::Key) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        &type_uri("invalid-request"),
        t.t(msg!("api.problem.invalid_request")).to_owned(),
    )
    .with_detail(format!("{pointer}: {}", t.t(key)))
}

/// Audits that the caller read a firm's data (`what`, `id`).
pub async fn audit_read(
    state: &crate::web::AppState,
    caller: &super::caller::ApiCaller,
    what: &'static str,
    id: &str,
) -> Result<(), Problem> {
    let (actor, id, now) = (caller.actor.clone(), id.to_owned(), state.clock.now());
    crate::db::run(&state.pool, move |conn| {
        Ok(crate::services::audit_log::api_read(
            conn, now, &actor, what, &id,
        )?)
    })
    .await?;
    Ok(())
}

/// The portal's own errors inside an API call, as problem details (see
/// `problem::from_app_error`; its titles here in English, the caller's
/// language being out of reach of `?`).
impl From<crate::error::AppError> for Problem {
    fn from(error: crate::error::AppError) -> Self {
        super::problem::from_app_error(&error, crate::i18n::Lang::En)
    }
}

impl super::caller::ApiCaller {
    /// The caller's firm: a regulator's client has none, and is refused
    /// what only a firm's client may do (403).
    pub fn firm(&self) -> Result<i64, Problem> {
        self.firm_id.ok_or_else(|| {
            Problem::new(
                StatusCode::FORBIDDEN,
                &type_uri("firm-clients-only"),
                Tr::new(self.lang)
                    .t(msg!("api.problem.firm_only"))
                    .to_owned(),
            )
        })
    }
}
