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
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    /// `client_credentials`.
    #[schema(value_type = String, required = true, example = "client_credentials")]
    grant_type: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(
        value_type = String,
        required = true,
        example = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    )]
    client_assertion_type: Option<String>,
    /// The signed JWT (compact JWS, ES256 or EdDSA, `kid` = the key's RFC
    /// 7638 thumbprint): `iss` = `sub` = the client id, `aud` = this
    /// endpoint's URL, a `jti` never used before, `exp` at most 5 minutes
    /// ahead.
    #[schema(value_type = String, required = true)]
    client_assertion: Option<String>,
    /// The scopes wanted, space-separated (by default all the client has).
    #[schema(value_type = String, example = "returns:read returns:draft")]
    scope: Option<String>,
    /// The client id, if sent, must be the assertion's.
    #[schema(value_type = String, example = "pc_3q2b7TzQ0u1mXJY5c9kQeA")]
    client_id: Option<String>,
}

/// A token (RFC 6749 §5.1).
#[derive(Serialize, utoipa::ToSchema)]
struct TokenResponse<'a> {
    /// Send it as `Authorization: Bearer <token>`.
    access_token: &'a str,
    /// `Bearer`.
    token_type: &'static str,
    /// Seconds the token stays valid.
    expires_in: i64,
    /// The scopes granted, space-separated.
    scope: String,
}

/// Why no token was given (RFC 6749 §5.2).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OAuthError)]
struct ErrorResponse<'a> {
    /// `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `invalid_scope`, `unsupported_grant_type`,
    /// `temporarily_unavailable` or `server_error`.
    error: &'static str,
    /// What went wrong, in English (the protocol allows ASCII only).
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

/// `POST /api/v1/token`
#[utoipa::path(
    post,
    path = crate::web::paths::API_TOKEN,
    tag = "token",
    operation_id = "token",
    summary = "Get an access token",
    description = "OAuth 2.0 client credentials with a signed client assertion (RFC 6749 §4.4, \
RFC 7523). Form in, JSON out, never cached; refusals as RFC 6749 §5.2 says, not problem details. \
No `Idempotency-Key`: each assertion can be used once.",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "The form cannot be read or lacks a parameter \
(`invalid_request`), the grant type is not `client_credentials` (`unsupported_grant_type`), a \
scope asked for is not the client's (`invalid_scope`), or the approver who registered the client \
is no longer active (`invalid_grant`)", body = ErrorResponse),
        (status = 401, description = "The client is unknown, suspended or not yet confirmed, or \
the assertion is not valid: its type, signature, key, audience, times, or a `jti` used before \
(`invalid_client`)", body = ErrorResponse),
        (status = 429, description = "Too many refused attempts, or the client holds as many live \
tokens as it may (`temporarily_unavailable`): wait `Retry-After` seconds", body = ErrorResponse,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
        (status = 500, description = "The portal failed (`server_error`)", body = ErrorResponse),
        (status = 503, description = "The portal is overloaded or its database is out of reach \
(`temporarily_unavailable`)", body = ErrorResponse,
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
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
