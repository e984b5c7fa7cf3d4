//! Access tokens for the filing API: the OAuth 2.0 client-credentials grant
//! with a `private_key_jwt` client assertion (RFC 7523). No shared secret
//! is ever issued: a client proves itself by signing a short-lived JWT
//! with a key whose public half an approver registered.
//!
//! A request is refused as early and as cheaply as it can be: the
//! assertion's shape and claims are read first (no database); then one
//! attempt is reserved against the throttles of the calling address and of
//! the client named (`throttle`); then the client's keys are read and the
//! signature checked; only then is anything granted. Failures are counted
//! against the address always, and against the client only once its
//! signature checked out (so no one else can make a client wait). The
//! assertion's `jti` is stored under a unique key, so a replay is refused
//! atomically, on every instance. The token is a random bearer string of
//! which only the SHA-256 is kept; it lives `TOKEN_LIFETIME`, and a client
//! holds at most `LIVE_TOKENS` at once (the per-client rate limit).

mod assertion;
pub mod lookup;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::audit::{self, Action, Event};
use super::throttle::{self, Key as ThrottleKey, Refusals, Reservation};
use super::{Actor, tokens};
use crate::db::models::{ApiClientKeyRow, ApiClientRow};
use crate::db::schema::{api_assertions, api_client_keys, api_clients, api_tokens, users};
use crate::db::{DbConn, write_tx_unseen};
use crate::domain::api_client::{ClientStatus, Scopes};
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::i18n::Key;

pub use assertion::{ASSERTION_LIFETIME, CLOCK_SKEW, JTI_MAX};

/// How long an access token lives (`expires_in`).
pub const TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// Unexpired tokens one client may hold; past this it is refused (429)
/// until its oldest expires. A client is meant to reuse its token.
pub const LIVE_TOKENS: usize = 20;

/// RFC 6749 §5.2 error codes (and RFC 6749 §4.1.2.1's
/// `temporarily_unavailable` for a throttled caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnsupportedGrantType,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// Why a token was refused: the code, the description's message key (the
/// protocol's descriptions are ASCII: the web layer sends the English
/// text), and how long to wait when the answer is "later".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub description: Key,
    pub retry_after: Option<Duration>,
}

impl Refusal {
    pub fn new(code: ErrorCode, description: Key) -> Refusal {
        Refusal {
            code,
            description,
            retry_after: None,
        }
    }

    fn client(description: Key) -> Refusal {
        Refusal::new(ErrorCode::InvalidClient, description)
    }

    fn later(description: Key, wait: Duration) -> Refusal {
        Refusal {
            code: ErrorCode::TemporarilyUnavailable,
            description,
            retry_after: Some(wait.max(Duration::seconds(1))),
        }
    }
}

/// A token request, its form already read.
pub struct TokenRequest<'a> {
    /// The signed JWT (`client_assertion`).
    pub assertion: &'a str,
    /// The `scope` asked for, if any (none: every scope the client has).
    pub scope: Option<&'a str>,
    /// `client_id` if the form sent one (it must name the assertion's).
    pub client_id: Option<&'a str>,
    /// This endpoint's URL, the only audience taken.
    pub audience: &'a str,
    pub ip: &'a str,
}

/// A token granted.
#[derive(Clone)]
pub struct Granted {
    pub access_token: String,
    pub scopes: Scopes,
    pub expires_in: i64,
}

impl std::fmt::Debug for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Granted")
            .field("access_token", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// What the client's own audit rows carry: a firm's client acts for the
/// approver who registered it; a regulator client for no one person.
pub fn client_actor(client_id: &str, firm_id: Option<i64>, registered_by: i64, ip: &str) -> Actor {
    Actor {
        user_id: firm_id.map(|_| registered_by),
        label: format!("api-client:{client_id}"),
        ip: ip.to_owned(),
    }
}

/// Grants a token for a valid assertion, or says why not.
#[tracing::instrument(skip_all)]
pub fn grant(
    conn: &mut DbConn,
    request: &TokenRequest<'_>,
    now: NaiveDateTime,
) -> AppResult<Result<Granted, Refusal>> {
    let read = match assertion::read(request.assertion, request.audience, now) {
        Ok(read) => read,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if request.client_id.is_some_and(|id| id != read.claims.iss) {
        return Ok(Err(Refusal::client(msg!("api.oauth.client_id_mismatch"))));
    }
    let asked = match request.scope.map(Scopes::parse).transpose() {
        Ok(asked) => asked,
        Err(_) => {
            return Ok(Err(Refusal::new(
                ErrorCode::InvalidScope,
                msg!("api.oauth.unknown_scope"),
            )));
        }
    };
    // The address first, the client second (`store` and `settle_failure`
    // give them back by position).
    let keys = [
        ThrottleKey::ApiAddress(request.ip.to_owned()),
        ThrottleKey::ApiClient(read.claims.iss.clone()),
    ];
    if let Some(wait) = reserve(conn, &keys, request.ip, now)? {
        return Ok(Err(Refusal::later(msg!("api.oauth.throttled"), wait)));
    }
    let outcome = evaluate(conn, request, &read, asked, &keys, now)?;
    if let Err(failure) = &outcome {
        settle_failure(conn, &keys, failure, request.ip, &read.claims.iss, now)?;
    }
    Ok(outcome.map_err(|failure| failure.refusal))
}

/// Reserves one attempt on the address and the client; the wait when
/// either must wait (its refusals audited once a window).
fn reserve(
    conn: &mut DbConn,
    keys: &[ThrottleKey],
    ip: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Duration>> {
    write_tx_unseen(conn, |conn| match throttle::reserve(conn, keys, now)? {
        Reservation::Granted => Ok(None),
        Reservation::Refused { wait, report } => {
            if let Some(refusals) = report {
                record_refusals(conn, ip, &refusals, now)?;
            }
            Ok(Some(wait))
        }
    })
}

fn record_refusals(
    conn: &mut DbConn,
    ip: &str,
    refusals: &Refusals,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (object_id, who) = match &refusals.key {
        ThrottleKey::ApiClient(id) => (id.as_str(), id.as_str()),
        _ => ("-", ip),
    };
    let detail = format!(
        "{} {who}: {} refused since {}",
        refusals.key.kind(),
        refusals.count,
        refusals.since.format("%Y-%m-%d %H:%M:%S UTC")
    );
    audit::record(
        conn,
        now,
        &Actor {
            user_id: None,
            label: "api".to_owned(),
            ip: ip.to_owned(),
        },
        Event {
            action: Action::ApiTokenThrottled,
            object_type: "api_client",
            object_id,
            detail: &detail,
        },
    )
}

/// A refusal, and how far the request got.
struct Failure {
    refusal: Refusal,
    /// The signature checked out: the client itself sent this (its
    /// failure counts against it, and is audited).
    signed: Option<ApiClientRow>,
    /// Not a failure at all (the client's own token limit): nothing is
    /// counted.
    uncounted: bool,
}

impl Failure {
    fn unsigned(refusal: Refusal) -> Failure {
        Failure {
            refusal,
            signed: None,
            uncounted: false,
        }
    }

    fn signed(refusal: Refusal, client: &ApiClientRow) -> Failure {
        Failure {
            refusal,
            signed: Some(client.clone()),
            uncounted: false,
        }
    }
}

/// The client named by `iss` and the keys that may sign for it.
fn client_and_keys(
    conn: &mut DbConn,
    client_id: &str,
) -> QueryResult<Option<(ApiClientRow, Vec<ApiClientKeyRow>)>> {
    let Some(client) = api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let keys = api_client_keys::table
        .filter(api_client_keys::client_id.eq(client.id))
        .filter(api_client_keys::retired_at.is_null())
        .select(ApiClientKeyRow::as_select())
        .load(conn)?;
    Ok(Some((client, keys)))
}

/// A firm's client acts for the approver who registered it: that person
/// must still be an active approver of the firm.
fn registrant_stands(conn: &mut DbConn, client: &ApiClientRow) -> QueryResult<bool> {
    let Some(firm) = client.firm_id else {
        return Ok(true);
    };
    let standing: i64 = users::table
        .find(client.registered_by)
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Approver))
        .filter(users::firm_id.eq(firm))
        .count()
        .get_result(conn)?;
    Ok(standing == 1)
}

fn evaluate(
    conn: &mut DbConn,
    request: &TokenRequest<'_>,
    read: &assertion::Read,
    asked: Option<Scopes>,
    keys: &[ThrottleKey],
    now: NaiveDateTime,
) -> AppResult<Result<Granted, Failure>> {
    let unverified = || Failure::unsigned(Refusal::client(msg!("api.oauth.unverified")));
    let Some((client, client_keys)) = client_and_keys(conn, &read.claims.iss)? else {
        return Ok(Err(unverified()));
    };
    let Some(key) = assertion::verify(request.assertion, read, &client_keys) else {
        return Ok(Err(unverified()));
    };
    if client.status != ClientStatus::Active {
        return Ok(Err(Failure::signed(
            Refusal::client(msg!("api.oauth.inactive")),
            &client,
        )));
    }
    if !registrant_stands(conn, &client)? {
        return Ok(Err(Failure::signed(
            Refusal::new(ErrorCode::InvalidGrant, msg!("api.oauth.registrant_gone")),
            &client,
        )));
    }
    let allowed = Scopes::parse(&client.scopes)
        .map_err(|e| crate::error::AppError::Db(DieselError::from(e)))?;
    let scopes = match asked {
        Some(asked) => asked.intersect(&allowed),
        None => allowed,
    };
    if scopes.is_empty() {
        return Ok(Err(Failure::signed(
            Refusal::new(ErrorCode::InvalidScope, msg!("api.oauth.scope_not_allowed")),
            &client,
        )));
    }
    let verified = Verified {
        client: &client,
        key: &key,
        scopes,
    };
    let stored = store(conn, request, read, &verified, keys, now);
    match stored {
        Err(crate::error::AppError::Db(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Ok(Err(Failure::signed(
            Refusal::client(msg!("api.oauth.replayed")),
            &client,
        ))),
        other => other,
    }
}

/// A client whose signature checked out, the key that made it, and the
/// scopes it is to be granted.
struct Verified<'a> {
    client: &'a ApiClientRow,
    key: &'a ApiClientKeyRow,
    scopes: Scopes,
}

/// Stores the assertion id and the token, in one transaction: the client
/// still active (it may have been suspended meanwhile), the jti unused,
/// room among the client's tokens. Its throttle counts are given back.
fn store(
    conn: &mut DbConn,
    request: &TokenRequest<'_>,
    read: &assertion::Read,
    verified: &Verified<'_>,
    keys: &[ThrottleKey],
    now: NaiveDateTime,
) -> AppResult<Result<Granted, Failure>> {
    let Verified {
        client,
        key,
        scopes,
    } = verified;
    write_tx_unseen(conn, |conn| {
        // Takes the client's row (two grants of one client take turns) and
        // finds it still active.
        let active = diesel::update(
            api_clients::table
                .find(client.id)
                .filter(api_clients::status.eq(ClientStatus::Active)),
        )
        .set(api_clients::last_token_at.eq(Some(now)))
        .execute(conn)?;
        if active == 0 {
            return Ok(Err(Failure::signed(
                Refusal::client(msg!("api.oauth.inactive")),
                client,
            )));
        }
        // The key may have been retired since it was read (a retirement
        // takes the same row first, so it is seen here).
        let signing: i64 = api_client_keys::table
            .find(key.id)
            .filter(api_client_keys::retired_at.is_null())
            .count()
            .get_result(conn)?;
        if signing == 0 {
            return Ok(Err(Failure::unsigned(Refusal::client(msg!(
                "api.oauth.unverified"
            )))));
        }
        diesel::delete(
            api_assertions::table
                .filter(api_assertions::client_id.eq(client.id))
                .filter(api_assertions::expires_at.lt(now)),
        )
        .execute(conn)?;
        diesel::delete(
            api_tokens::table
                .filter(api_tokens::client_id.eq(client.id))
                .filter(api_tokens::expires_at.le(now)),
        )
        .execute(conn)?;
        let live: Vec<NaiveDateTime> = api_tokens::table
            .filter(api_tokens::client_id.eq(client.id))
            .select(api_tokens::expires_at)
            .order(api_tokens::expires_at.asc())
            .load(conn)?;
        if live.len() >= LIVE_TOKENS {
            let wait = live.first().map_or(TOKEN_LIFETIME, |first| *first - now);
            return Ok(Err(Failure {
                refusal: Refusal::later(msg!("api.oauth.too_many_tokens"), wait),
                signed: Some((*client).clone()),
                uncounted: true,
            }));
        }
        // A replay fails here, on the primary key, whoever came first.
        diesel::insert_into(api_assertions::table)
            .values((
                api_assertions::client_id.eq(client.id),
                api_assertions::jti.eq(&read.claims.jti),
                api_assertions::expires_at.eq(read.expires_at),
            ))
            .execute(conn)?;
        let token = tokens::new_token();
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::token_hash.eq(tokens::hash_token(&token)),
                api_tokens::client_id.eq(client.id),
                api_tokens::key_id.eq(key.id),
                api_tokens::scopes.eq(scopes.as_text()),
                api_tokens::issued_at.eq(now),
                api_tokens::expires_at.eq(now + TOKEN_LIFETIME),
            ))
            .execute(conn)?;
        throttle::release(conn, &keys[0])?;
        throttle::clear(conn, &keys[1])?;
        let actor = client_actor(
            &client.client_id,
            client.firm_id,
            client.registered_by,
            request.ip,
        );
        let detail = format!("scope {}; key {}", scopes.as_text(), key.kid);
        audit::record(
            conn,
            now,
            &actor,
            Event {
                action: Action::ApiTokenIssued,
                object_type: "api_client",
                object_id: &client.client_id,
                detail: &detail,
            },
        )?;
        Ok(Ok(Granted {
            access_token: token,
            scopes: scopes.clone(),
            expires_in: TOKEN_LIFETIME.num_seconds(),
        }))
    })
}

/// After a refusal: what the reservation counted is kept or given back,
/// and a refusal the client itself signed is audited.
fn settle_failure(
    conn: &mut DbConn,
    keys: &[ThrottleKey],
    failure: &Failure,
    ip: &str,
    iss: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx_unseen(conn, |conn| {
        if failure.uncounted {
            throttle::release(conn, &keys[0])?;
            throttle::release(conn, &keys[1])?;
        } else if failure.signed.is_none() {
            // Anyone can name a client: not its failure.
            throttle::release(conn, &keys[1])?;
        }
        if let Some(client) = &failure.signed {
            let actor = client_actor(iss, client.firm_id, client.registered_by, ip);
            let detail = format!(
                "{}: {}",
                failure.refusal.code.as_str(),
                failure.refusal.description.name()
            );
            audit::record(
                conn,
                now,
                &actor,
                Event {
                    action: Action::ApiTokenRefused,
                    object_type: "api_client",
                    object_id: iss,
                    detail: &detail,
                },
            )?;
        }
        Ok(())
    })
}
