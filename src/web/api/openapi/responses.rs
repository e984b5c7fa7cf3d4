//! The refusals every operation of a kind can give, described once as
//! reusable responses (`#/components/responses/…`): the ones that come
//! from the shared machinery (the bearer token, the database, the
//! `Idempotency-Key`) rather than from the operation's own rules. Each is
//! problem details (`application/problem+json`).

use utoipa::ToResponse;

use crate::web::api::problem::Body;

/// No token, or one that is not (or no longer) valid: `WWW-Authenticate`
/// says which (RFC 6750 §3: no error code when none was sent,
/// `error="invalid_token"` otherwise). Get a new token at the token
/// endpoint.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"api\"`, with `error=\"invalid_token\"` when a token was sent"))
)]
pub struct Unauthorized(pub Body<'static>);

/// The portal failed (the fault is logged): the request did nothing,
/// and its `Idempotency-Key` is free again. Retry later.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Internal(pub Body<'static>);

/// The portal is overloaded or its database is out of reach: the request
/// did nothing. Retry after the seconds `Retry-After` gives.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = i64, description = "Seconds to wait before retrying"))
)]
pub struct Unavailable(pub Body<'static>);

/// A request with this `Idempotency-Key` is still running: wait for its
/// answer, then repeat (`Retry-After` seconds).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = i64, description = "Seconds to wait before repeating"))
)]
pub struct InProgress(pub Body<'static>);

/// The client holds as many `Idempotency-Key`s as it may (those of the
/// last 24 hours): wait `Retry-After` seconds, or reuse keys less eagerly.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = i64, description = "Seconds to wait before retrying"))
)]
pub struct TooManyKeys(pub Body<'static>);

/// The client's requests for this minute are used up (each client has a
/// budget per minute): wait the seconds `Retry-After` gives.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = i64, description = "Seconds until the client's minute ends"))
)]
pub struct RateLimited(pub Body<'static>);
