//! Second factors: which a user may use (policy), TOTP enrolment and
//! verification, recovery codes, and finishing a sign-in. TOTP secrets are
//! stored sealed ([`crate::secrets`]): written through the keyring, opened
//! only to show a pending one or to check a code.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::sessions::{self, Issued, Stage};
use super::throttle::{self, Key, Reservation};
use super::tokens::hash_token;
use super::{Actor, totp};
use crate::db::models::{Session, User};
use crate::db::schema::{passkeys, recovery_codes, users};
use crate::db::{DbConn, write_tx, write_tx_unseen};
use crate::error::AppResult;
use crate::mail::messages::{self, FactorChange};
use crate::secrets::Keyring;
use crate::secrets::seal::TOTP;

/// Setting: "allowed" lets regulator staff use TOTP, "forbidden" (or
/// unset) forbids (`policy::StaffTotp`).
pub const TOTP_STAFF: &str = "totp_staff";
/// Setting: the last day firms may use TOTP (YYYY-MM-DD); empty = no end.
pub const TOTP_FIRMS_UNTIL: &str = "totp_firms_until";
pub const RECOVERY_CODES: usize = 10;

/// Whether TOTP is an acceptable factor for this user today. Default:
/// forbidden for staff, allowed for firms until a date the admin sets.
/// Observers, from outside the regulator, get the strictest rule there is:
/// passkeys only, whatever the staff setting says.
pub fn totp_allowed(conn: &mut DbConn, user: &User, today: NaiveDate) -> QueryResult<bool> {
    if user.role.is_observer() {
        return Ok(false);
    }
    let policy = super::policy::current(conn)?;
    if user.role.is_staff() {
        return Ok(policy.staff_totp);
    }
    Ok(policy.firms_until.is_none_or(|last| today <= last))
}

pub fn passkey_count(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// The factors a user can sign in with now.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usable {
    pub passkeys: i64,
    pub totp: bool,
    pub recovery_codes: i64,
}

impl Usable {
    pub fn any(&self) -> bool {
        self.passkeys > 0 || self.totp
    }
}

pub fn usable(conn: &mut DbConn, user: &User, today: NaiveDate) -> QueryResult<Usable> {
    let recovery: i64 = recovery_codes::table
        .filter(recovery_codes::user_id.eq(user.id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Usable {
        passkeys: passkey_count(conn, user.id)?,
        totp: user.totp_enabled_at.is_some() && totp_allowed(conn, user, today)?,
        recovery_codes: recovery,
    })
}

/// Where a user goes once the password checked out.
pub fn stage_after_password(
    conn: &mut DbConn,
    user: &User,
    today: NaiveDate,
) -> QueryResult<Stage> {
    Ok(if usable(conn, user, today)?.any() {
        Stage::SecondFactor
    } else {
        Stage::Enrol
    })
}

/// The secret being enrolled: the pending one if any, else a new one (kept
/// pending, sealed, until a code confirms it).
pub fn pending_totp_secret(conn: &mut DbConn, keys: &Keyring, user: &User) -> AppResult<String> {
    if let (Some(stored), None) = (&user.totp_secret, user.totp_enabled_at) {
        return keys.open(TOTP, user.id, stored);
    }
    let secret = totp::new_secret();
    diesel::update(
        users::table
            .find(user.id)
            .filter(users::totp_enabled_at.is_null()),
    )
    .set(users::totp_secret.eq(keys.seal(TOTP, user.id, &secret)))
    .execute(conn)?;
    Ok(secret)
}

/// Accepts a TOTP code once: the step is recorded atomically, so a replay
/// (or a concurrent second use) of the same code fails.
pub fn accept_totp(
    conn: &mut DbConn,
    keys: &Keyring,
    user_id: i64,
    code: &str,
    now: NaiveDateTime,
    require_enabled: bool,
) -> AppResult<bool> {
    let user: User = users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)?;
    let Some(stored) = &user.totp_secret else {
        return Ok(false);
    };
    if require_enabled && user.totp_enabled_at.is_none() {
        return Ok(false);
    }
    let secret = keys.open(TOTP, user.id, stored)?;
    let Some(step) = totp::check(&secret, code, now, user.totp_last_step)? else {
        return Ok(false);
    };
    let claimed = diesel::update(
        users::table.find(user_id).filter(
            users::totp_last_step
                .is_null()
                .or(users::totp_last_step.lt(step)),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(claimed == 1)
}

fn new_recovery_code() -> String {
    // 60 bits in Crockford-style groups: XXXX-XXXX-XXXX.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let raw = super::tokens::new_token();
    let bytes = raw.as_bytes();
    let chars: Vec<char> = (0..12)
        .map(|i| ALPHABET[usize::from(bytes[i]) % ALPHABET.len()] as char)
        .collect();
    format!(
        "{}-{}-{}",
        chars[..4].iter().collect::<String>(),
        chars[4..8].iter().collect::<String>(),
        chars[8..].iter().collect::<String>()
    )
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn recovery_hash(code: &str) -> String {
    hash_token(&normalise_recovery(code))
}

/// Replaces the user's recovery codes with ten new ones, returned once.
pub fn new_recovery_codes(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    for code in &codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(recovery_hash(code)),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(codes)
}

/// Uses up one recovery code; false if unknown or already used.
pub fn use_recovery_code(
    conn: &mut DbConn,
    user_id: i64,
    code: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if normalise_recovery(code).len() != 12 {
        return Ok(false);
    }
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(recovery_hash(code)))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// The result of confirming a TOTP enrolment: recovery codes when this is
/// the user's first factor (shown once).
pub struct Enrolled {
    pub recovery_codes: Vec<String>,
    pub issued: Option<Issued>,
}

/// Confirms a pending TOTP secret with a code. On a pending sign-in the
/// session becomes full (new token). `Ok(None)` when the code is wrong.
pub fn confirm_totp(
    conn: &mut DbConn,
    keys: &Keyring,
    actor: &Actor,
    session: &Session,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Enrolled>> {
    let user_id = session.user_id;
    write_tx(conn, |conn| {
        if !accept_totp(conn, keys, user_id, code, now, false)? {
            return Ok(None);
        }
        diesel::update(users::table.find(user_id))
            .set(users::totp_enabled_at.eq(now))
            .execute(conn)?;
        let has_codes: i64 = recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        let recovery_codes = if has_codes == 0 {
            new_recovery_codes(conn, user_id, now)?
        } else {
            vec![]
        };
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::FactorAdded,
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: "totp",
            },
        )?;
        super::accounts::notify(conn, user_id, now, |to, lang| {
            messages::factor_changed(to, lang, FactorChange::TotpEnabled, now)
        })?;
        let issued = match session.stage {
            Stage::Full => {
                // Adding a factor ends the user's other sessions.
                sessions::delete_others(conn, user_id, Some(session.id))?;
                None
            }
            _ => Some(finish(conn, actor, session, "totp enrolment", now)?),
        };
        Ok(Some(Enrolled {
            recovery_codes,
            issued,
        }))
    })
}

/// Promotes a pending session to a full one and records the sign-in.
pub fn finish(
    conn: &mut DbConn,
    actor: &Actor,
    session: &Session,
    method: &str,
    now: NaiveDateTime,
) -> QueryResult<Issued> {
    let issued = sessions::promote(conn, session, now)?;
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::SignIn,
            object_type: "user",
            object_id: &session.user_id.to_string(),
            detail: method,
        },
    )?;
    Ok(issued)
}

/// The answer to a second-factor attempt.
pub enum Verified {
    Yes(Issued),
    /// Wrong code; the user may try again.
    No,
    /// Too many failures: wait this long.
    Wait(chrono::Duration),
    /// Too many failures: the pending sign-in was ended.
    Ended,
}

/// Verifies a second factor on a pending sign-in; throttled per user
/// (doubling waits, then the pending sign-in ends and the factor locks).
/// The attempt is reserved before the code is checked, in a transaction
/// of its own, so parallel guesses cannot pass the limit.
pub fn verify(
    conn: &mut DbConn,
    keys: &Keyring,
    actor: &Actor,
    session: &Session,
    method: Method,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<Verified> {
    let key = Key::SecondFactor(session.user_id);
    // Throttle and audit rows only: kept reads stay.
    let refused = write_tx_unseen(conn, |conn| -> AppResult<Option<chrono::Duration>> {
        match throttle::reserve(conn, std::slice::from_ref(&key), now)? {
            Reservation::Granted => Ok(None),
            Reservation::Refused { wait, report } => {
                if let Some(refusals) = report {
                    let who = session.user_id.to_string();
                    let id = Some(session.user_id);
                    super::sign_in::record_refusals(conn, actor, id, &who, &refusals, now)?;
                }
                Ok(Some(wait))
            }
        }
    })?;
    if let Some(wait) = refused {
        return Ok(Verified::Wait(wait));
    }
    crate::db::write_tx_sessions(conn, |conn| {
        let user: User = users::table
            .find(session.user_id)
            .select(User::as_select())
            .first(conn)?;
        let ok = match method {
            Method::Totp => {
                totp_allowed(conn, &user, now.date())?
                    && accept_totp(conn, keys, user.id, code, now, true)?
            }
            Method::Recovery => use_recovery_code(conn, user.id, code, now)?,
        };
        if ok {
            throttle::clear(conn, &key)?;
            return Ok(Verified::Yes(finish(
                conn,
                actor,
                session,
                method.name(),
                now,
            )?));
        }
        // The throttle row before the audit head (the lock order of
        // `throttle::reserve`'s transaction: no deadlock on PostgreSQL).
        let locked = throttle::failed(conn, &key, now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::SecondFactorFailed,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: method.name(),
            },
        )?;
        if locked {
            sessions::delete_by_id(conn, session.id)?;
            audit::record(
                conn,
                now,
                &Actor::system("throttle"),
                Event {
                    action: Action::AccountLocked,
                    object_type: "user",
                    object_id: &user.id.to_string(),
                    detail: "second factor",
                },
            )?;
            return Ok(Verified::Ended);
        }
        Ok(Verified::No)
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Totp,
    Recovery,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::Recovery => "recovery code",
        }
    }
}
