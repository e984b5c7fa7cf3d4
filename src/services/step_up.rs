//! Step-up: the password again (and a TOTP code when the user has one)
//! before a sensitive change. Throttled like a sign-in: each attempt is
//! reserved against the user's step-up key before the password is hashed,
//! so parallel guesses cannot slip past the limit.

use chrono::{Duration, NaiveDateTime};

use super::audit::{self, Action, Event};
use super::throttle::{self, Key, Reservation};
use super::{Actor, second_factor, sessions, sign_in};
use crate::db::{DbConn, write_tx_unseen};
use crate::error::AppResult;

/// Reserves one step-up attempt for `user_id`: `None` when it may go
/// ahead, or the wait (the refusal counted, and audited once per window).
pub fn begin(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    now: NaiveDateTime,
) -> AppResult<Option<Duration>> {
    write_tx_unseen(conn, |conn| {
        match throttle::reserve(conn, &[Key::StepUp(user_id)], now)? {
            Reservation::Granted => Ok(None),
            Reservation::Refused { wait, report } => {
                if let Some(refusals) = report {
                    let who = user_id.to_string();
                    sign_in::record_refusals(conn, actor, Some(user_id), &who, &refusals, now)?;
                }
                Ok(Some(wait))
            }
        }
    })
}

/// What a reserved step-up attempt presented.
pub struct Attempt<'a> {
    pub user_id: i64,
    pub session_id: i64,
    pub password_ok: bool,
    /// Checked when the user has an authenticator app.
    pub code: Option<&'a str>,
}

/// Finishes a reserved attempt: on success the session is marked
/// re-authenticated and the count cleared; either way it is audited.
pub fn finish(
    conn: &mut DbConn,
    keys: &crate::secrets::Keyring,
    actor: &Actor,
    attempt: &Attempt<'_>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let key = Key::StepUp(attempt.user_id);
    crate::db::write_tx_sessions(conn, |conn| {
        let code_ok = match attempt.code {
            Some(code) => second_factor::accept_totp(conn, keys, attempt.user_id, code, now, true)?,
            None => true,
        };
        let ok = attempt.password_ok && code_ok;
        if ok {
            sessions::reauthenticated(conn, attempt.session_id, now)?;
            throttle::clear(conn, &key)?;
        } else {
            throttle::failed(conn, &key, now)?;
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: if ok {
                    Action::Reauthenticated
                } else {
                    Action::SecondFactorFailed
                },
                object_type: "user",
                object_id: &attempt.user_id.to_string(),
                detail: "step-up",
            },
        )?;
        Ok(ok)
    })
}
