//! Problem details (RFC 9457) for the API's refusals: a JSON body of type
//! `application/problem+json` with the problem's type URI, a title in the
//! caller's language, the status, an optional detail and the rule errors
//! (omitted when there are none), plus any headers the refusal needs
//! (`WWW-Authenticate`, `Retry-After`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::error::{AppError, Outage};
use crate::i18n::{Lang, Tr};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The type URI of a problem that is not a rule's: `/api/v1/problems/<slug>`.
pub fn type_uri(slug: &str) -> String {
    format!("/api/v1/problems/{slug}")
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub type_uri: String,
    pub title: String,
    pub detail: Option<String>,
    pub errors: Vec<ProblemError>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// One check that failed, named by its rule in the catalogue (`/rules`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemError {
    /// The rule's ID (`RET-E…`, `RET-W…`, `TRD-E…`, `DOC-E…`), described
    /// at `/rules#<ID>`.
    #[schema(example = "RET-E001")]
    pub rule: String,
    /// `error` or `warning`.
    #[schema(example = "error")]
    pub severity: String,
    /// A JSON Pointer (RFC 6901) to the member at fault in the document
    /// sent (the draft, or the trade rows); empty for the whole document.
    #[schema(example = "/figures/affected_accounts")]
    pub pointer: String,
    /// What is wrong, in the caller's language (`Accept-Language`).
    pub message: String,
}

/// Problem details (RFC 9457), the body of every refusal of the API but
/// the token endpoint's.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct Body<'a> {
    /// The problem's type: `/api/v1/problems/<name>`, or the rule's page
    /// (`…/rules#<ID>`) when every error is of one rule.
    #[serde(rename = "type")]
    #[schema(example = "/api/v1/problems/not-found")]
    type_uri: &'a str,
    /// A short summary, in the caller's language.
    title: &'a str,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// More about this occurrence, when there is more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    /// The rules the request broke (absent when none).
    #[serde(skip_serializing_if = "<[ProblemError]>::is_empty")]
    #[schema(value_type = Vec<ProblemError>)]
    errors: &'a [ProblemError],
}

impl Problem {
    pub fn new(status: StatusCode, type_uri: &str, title: String) -> Self {
        Problem {
            status,
            type_uri: type_uri.to_owned(),
            title,
            detail: None,
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.type_uri)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = Body {
            type_uri: &self.type_uri,
            title: &self.title,
            status: self.status.as_u16(),
            detail: self.detail.as_deref(),
            errors: &self.errors,
        };
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
        for (name, value) in &self.headers {
            response.append_header((name.clone(), value.clone()));
        }
        match serde_json::to_string(&body) {
            Ok(json) => response.body(json),
            Err(_) => response.finish(),
        }
    }
}

/// The portal's own failure (a database outage, a fault) as a problem:
/// 503 with `Retry-After`, or 500; logged like the pages' failures.
pub fn from_app_error(error: &AppError, lang: Lang) -> Problem {
    let t = Tr::new(lang);
    if error.is_failure() {
        tracing::error!(error = %error.chain(), "API request failed");
    }
    match error {
        AppError::Unavailable(outage) => {
            let retry = match outage {
                Outage::Overloaded(_) => 2,
                _ => 5,
            };
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                &type_uri("unavailable"),
                t.t(msg!("api.problem.unavailable")).to_owned(),
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(retry))
        }
        AppError::NotFound => Problem::new(
            StatusCode::NOT_FOUND,
            &type_uri("not-found"),
            t.t(msg!("api.problem.not_found")).to_owned(),
        ),
        _ => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            &type_uri("internal"),
            t.t(msg!("api.problem.internal")).to_owned(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_body_omits_what_is_empty() {
        let problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            &type_uri("invalid-token"),
            "No".to_owned(),
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"api\""),
        );
        let response = problem.error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            CONTENT_TYPE
        );
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "/api/v1/problems/invalid-token", "title": "No", "status": 401
            })
        );
        let mut with_errors = problem.with_detail("why".to_owned());
        with_errors.errors.push(ProblemError {
            rule: "R1".into(),
            severity: "error".into(),
            pointer: "/a".into(),
            message: "m".into(),
        });
        let body = actix_web::body::to_bytes(with_errors.error_response().into_body())
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["detail"], "why");
        assert_eq!(json["errors"][0]["pointer"], "/a");
    }
}
