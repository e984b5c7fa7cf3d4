//! `POST /api/v1/token`: the OAuth 2.0 token endpoint for the
//! client-credentials grant with a `private_key_jwt` client assertion
//! (RFC 6749 §4.4, RFC 7521/7523). Form in, JSON out; never cached; errors
//! as RFC 6749 §5.2 says (`error`, `error_description` in English: the
//! protocol allows ASCII only). No cookie is read: the assertion is the
//! whole authentication, so there is no CSRF token either.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::token_url;
use crate::error::{AppError, Outage};
use crate::i18n::{Lang, Tr};
use crate::services::api_tokens::{self, ErrorCode, Refusal, TokenRequest};
use crate::web::AppState;
use crate::web::extract::client_ip;

/// RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The form (each parameter at most once: a repeated one fails to read).
#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    error: &'static str,
    error_description: &'a str,
}

/// Token responses are never stored (RFC 6749 §5.1).
fn uncached(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    response
}

fn refused(refusal: &Refusal) -> HttpResponse {
    let status = match refusal.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::TemporarilyUnavailable => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = uncached(status);
    if let Some(wait) = refusal.retry_after {
        response.insert_header((
            header::RETRY_AFTER,
            HeaderValue::from(wait.num_seconds().max(1)),
        ));
    }
    response.json(ErrorResponse {
        error: refusal.code.as_str(),
        error_description: Tr::new(Lang::En).t(refusal.description),
    })
}

fn request_error(description: crate::i18n::Key) -> HttpResponse {
    refused(&Refusal::new(ErrorCode::InvalidRequest, description))
}

/// The portal's own failure, in the endpoint's format.
fn failed(error: &AppError) -> HttpResponse {
    if error.is_failure() {
        tracing::error!(error = %error.chain(), "token request failed");
    }
    match error {
        AppError::Unavailable(outage) => {
            let wait = if matches!(outage, Outage::Overloaded(_)) {
                2
            } else {
                5
            };
            uncached(StatusCode::SERVICE_UNAVAILABLE)
                .insert_header((header::RETRY_AFTER, HeaderValue::from(wait)))
                .json(ErrorResponse {
                    error: "temporarily_unavailable",
                    error_description: Tr::new(Lang::En).t(msg!("api.problem.unavailable")),
                })
        }
        _ => uncached(StatusCode::INTERNAL_SERVER_ERROR).json(ErrorResponse {
            error: "server_error",
            error_description: Tr::new(Lang::En).t(msg!("api.problem.internal")),
        }),
    }
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Result<web::Form<TokenForm>, actix_web::Error>,
) -> HttpResponse {
    let Ok(web::Form(form)) = form else {
        return request_error(msg!("api.oauth.bad_form"));
    };
    let (Some(grant_type), Some(assertion_type), Some(assertion)) = (
        form.grant_type.as_deref(),
        form.client_assertion_type.as_deref(),
        form.client_assertion,
    ) else {
        return request_error(msg!("api.oauth.missing"));
    };
    if grant_type != "client_credentials" {
        return refused(&Refusal::new(
            ErrorCode::UnsupportedGrantType,
            msg!("api.oauth.grant_type"),
        ));
    }
    if assertion_type != JWT_BEARER {
        return refused(&Refusal::new(
            ErrorCode::InvalidClient,
            msg!("api.oauth.assertion_type"),
        ));
    }
    let audience = token_url(&state);
    let ip = client_ip(&req);
    let now = state.clock.now();
    let (scope, client_id) = (form.scope, form.client_id);
    let outcome = crate::db::run(&state.pool, move |conn| {
        let request = TokenRequest {
            assertion: &assertion,
            scope: scope.as_deref(),
            client_id: client_id.as_deref(),
            audience: &audience,
            ip: &ip,
        };
        api_tokens::grant(conn, &request, now)
    })
    .await;
    match outcome {
        Ok(Ok(granted)) => uncached(StatusCode::OK).json(TokenResponse {
            access_token: &granted.access_token,
            token_type: "Bearer",
            expires_in: granted.expires_in,
            scope: granted.scopes.as_text(),
        }),
        Ok(Err(refusal)) => refused(&refusal),
        Err(error) => failed(&error),
    }
}
