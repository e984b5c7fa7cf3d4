//! What a signed-in user does to their own account from the account pages,
//! each in its own audited transaction: end their other sessions, replace
//! their recovery codes.

use chrono::NaiveDateTime;

use super::Actor;
use super::audit::{self, Action, Event};
use super::{second_factor, sessions};
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;

/// Ends every session of `user_id` but `keep`; returns how many ended.
pub fn end_other_sessions(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    keep: i64,
    now: NaiveDateTime,
) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let ended = sessions::delete_others(conn, user_id, Some(keep))?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::SessionsEnded,
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: &format!("{ended} other sessions"),
            },
        )?;
        Ok(ended)
    })
}

/// New recovery codes for `user_id` (the old ones stop working), returned
/// once in clear.
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<String>> {
    write_tx(conn, |conn| {
        let codes = second_factor::new_recovery_codes(conn, user_id, now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::FactorAdded,
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: "recovery codes replaced",
            },
        )?;
        Ok(codes)
    })
}
