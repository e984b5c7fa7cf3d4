//! Passkeys (WebAuthn): the relying party, ceremony state kept on the server
//! for five minutes and taken back once, and naming and removing passkeys.
//! Registration and sign-in (after the password, alone, or for a step-up)
//! are in the submodules.

mod register;
mod sign_in;

pub use register::{Registered, finish_registration, start_registration};
pub use sign_in::{reauthenticate, sign_in, start_authentication, verify_second_factor};

use crate::i18n::Key;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::*;

use super::audit::{self, Action, Event};
use super::sessions;
use super::{Actor, clean_line, second_factor};
use crate::db::models::User;
use crate::db::schema::{passkeys, webauthn_states};
use crate::db::{DbConn, write_tx};
use crate::error::{AppError, AppResult};

/// How long a ceremony may take, from challenge to answer.
pub const STATE_TTL: Duration = Duration::minutes(5);
const NAME_MAX: usize = crate::domain::limits::PASSKEY_NAME;

/// What a ceremony is for; its state is only taken back for that purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Register,
    /// Passkey-only sign-in, keyed by the pre-sign-in CSRF cookie.
    Login,
    /// The second factor after the password.
    Verify,
    Reauth,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
            Purpose::Verify => "verify",
            Purpose::Reauth => "reauth",
        }
    }
}

/// Why a passkey operation was refused (a user's problem, never a fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The public URL's host is not a domain name (an IP address).
    Unavailable,
    /// No ceremony in progress: it expired, was used, or was another's.
    Expired,
    /// The authenticator's answer did not verify.
    Failed,
    Duplicate,
    NoPasskeys,
    LastFactor,
    /// The name typed, with the message key.
    Name(Key),
}

impl Refused {
    /// A short word for a redirect's query (`?passkey=failed`).
    pub fn reason(self) -> &'static str {
        match self {
            Refused::Unavailable => "unavailable",
            Refused::Expired => "expired",
            Refused::Failed => "failed",
            Refused::Duplicate => "duplicate",
            Refused::NoPasskeys => "none",
            Refused::LastFactor => "last_factor",
            Refused::Name(_) => "name",
        }
    }

    pub fn key(self) -> Key {
        match self {
            Refused::Unavailable => msg!("passkey.err.unavailable"),
            Refused::Expired => msg!("passkey.err.expired"),
            Refused::Failed => msg!("passkey.err.failed"),
            Refused::Duplicate => msg!("passkey.err.duplicate"),
            Refused::NoPasskeys => msg!("passkey.err.none"),
            Refused::LastFactor => msg!("passkey.err.last_factor"),
            Refused::Name(key) => key,
        }
    }
}

pub type Outcome<T> = Result<T, Refused>;

static PARTIES: LazyLock<Mutex<HashMap<String, Arc<Webauthn>>>> = LazyLock::new(Default::default);

/// The relying party for a public URL, built once: its id is the URL's
/// host, its origin the URL's origin. WebAuthn refuses IP addresses.
pub fn relying_party(public_url: &str, name: &str) -> Outcome<Arc<Webauthn>> {
    let mut parties = PARTIES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = parties.get(public_url) {
        return Ok(found.clone());
    }
    let url = Url::parse(public_url).map_err(|_| Refused::Unavailable)?;
    let host = url.domain().ok_or(Refused::Unavailable)?.to_owned();
    let origin =
        Url::parse(&url.origin().ascii_serialization()).map_err(|_| Refused::Unavailable)?;
    let timeout = STATE_TTL.to_std().map_err(|_| Refused::Unavailable)?;
    let built = WebauthnBuilder::new(&host, &origin)
        .and_then(|b| b.rp_name(name).timeout(timeout).build())
        .map_err(|e| {
            tracing::error!(error = %e, public_url, "no WebAuthn relying party");
            Refused::Unavailable
        })?;
    let built = Arc::new(built);
    parties.insert(public_url.to_owned(), built.clone());
    Ok(built)
}

/// The WebAuthn user handle: stable per user, and no personal data.
pub fn user_handle(user_id: i64) -> Uuid {
    let digest = Sha256::digest(format!("incident-portal passkey user {user_id}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("webauthn: {e}"))
}

/// Starts a ceremony: any earlier one under the same key ends.
fn put_state(
    conn: &mut DbConn,
    key: &str,
    purpose: Purpose,
    user_id: Option<i64>,
    state: &impl Serialize,
    now: NaiveDateTime,
) -> AppResult<()> {
    let json = serde_json::to_string(state).map_err(internal)?;
    write_tx(conn, |conn| {
        use webauthn_states::dsl as s;
        diesel::delete(s::webauthn_states.filter(s::state_key.eq(key).or(s::expires_at.lt(now))))
            .execute(conn)?;
        diesel::insert_into(s::webauthn_states)
            .values((
                s::state_key.eq(key),
                s::purpose.eq(purpose.as_str()),
                s::user_id.eq(user_id),
                s::state_json.eq(&json),
                s::expires_at.eq(now + STATE_TTL),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Takes a ceremony's state back, once (call inside a write transaction):
/// it is gone afterwards, whether or not it was still good.
fn take_state<S: DeserializeOwned>(
    conn: &mut DbConn,
    key: &str,
    purpose: Purpose,
    owner: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<Option<S>> {
    use webauthn_states::dsl as s;
    let row: Option<(String, Option<i64>, String, NaiveDateTime)> = s::webauthn_states
        .find(key)
        .select((s::purpose, s::user_id, s::state_json, s::expires_at))
        .first(conn)
        .optional()?;
    let Some((stored_purpose, user_id, json, expires_at)) = row else {
        return Ok(None);
    };
    let taken = diesel::delete(s::webauthn_states.filter(s::state_key.eq(key)))
        .filter(s::state_json.eq(&json))
        .execute(conn)?;
    let good = taken == 1 && stored_purpose == purpose.as_str() && user_id == owner;
    Ok(if good && now < expires_at {
        serde_json::from_str(&json).ok()
    } else {
        None
    })
}

/// A stored passkey.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub credential_id: String,
    pub passkey_json: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A user's passkeys, oldest first.
pub fn list(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::id.asc())
        .select(PasskeyRow::as_select())
        .load(conn)
}

fn parsed(row: &PasskeyRow) -> Option<Passkey> {
    serde_json::from_str(&row.passkey_json).ok()
}

fn owned(conn: &mut DbConn, user_id: i64, id: i64) -> AppResult<PasskeyRow> {
    passkeys::table
        .filter(passkeys::id.eq(id))
        .filter(passkeys::user_id.eq(user_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Renames one of the user's passkeys.
/// A passkey's name as typed, trimmed: one line of at most
/// `limits::PASSKEY_NAME` characters (`required`: not empty).
pub fn clean_name(name: &str, required: bool) -> Result<String, Key> {
    clean_line(name, NAME_MAX, required)
}

pub fn rename(conn: &mut DbConn, user_id: i64, id: i64, name: &str) -> AppResult<Outcome<()>> {
    let name = match clean_name(name, true) {
        Ok(name) => name,
        Err(key) => return Ok(Err(Refused::Name(key))),
    };
    let row = owned(conn, user_id, id)?;
    diesel::update(passkeys::table.find(row.id))
        .set(passkeys::name.eq(name))
        .execute(conn)?;
    Ok(Ok(()))
}

/// Removes one of the user's passkeys, unless the account would be left
/// with no factor it may use (another passkey, or TOTP while allowed).
/// Audited; the user's other sessions end.
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    user: &User,
    keep_session: i64,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Outcome<()>> {
    write_tx(conn, |conn| {
        let row = owned(conn, user.id, id)?;
        let usable = second_factor::usable(conn, user, now.date())?;
        if usable.passkeys <= 1 && !usable.totp {
            return Ok(Err(Refused::LastFactor));
        }
        diesel::delete(passkeys::table.find(row.id)).execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::FactorRemoved,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: "passkey",
            },
        )?;
        sessions::delete_others(conn, user.id, Some(keep_session))?;
        super::accounts::notify(conn, user.id, now, |to, lang| {
            crate::mail::messages::factor_changed(
                to,
                lang,
                crate::mail::messages::FactorChange::PasskeyRemoved,
                now,
            )
        })?;
        Ok(Ok(()))
    })
}
