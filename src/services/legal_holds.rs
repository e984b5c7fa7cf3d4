//! Legal holds: an admin places one on a firm, with a reason, and the
//! retention purge leaves that firm's data alone until it is lifted. At
//! most one hold is in force per firm (a unique index over holds not
//! lifted, so two admins placing at once cannot both succeed); lifted
//! holds are kept. Placing and lifting are audited.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::{Actor, Invalid, clean_text, review};
use crate::db::schema::{firms, legal_holds, users};
use crate::db::{DbConn, write_tx};
use crate::error::{AppError, AppResult};

/// A hold in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub reason: String,
    pub placed_by: String,
    pub placed_at: NaiveDateTime,
}

/// The firm's hold in force, if any.
pub fn in_force(conn: &mut DbConn, firm_id: i64) -> QueryResult<Option<Hold>> {
    legal_holds::table
        .inner_join(users::table.on(users::id.eq(legal_holds::placed_by)))
        .filter(legal_holds::firm_id.eq(firm_id))
        .filter(legal_holds::lifted_at.is_null())
        .select((
            legal_holds::reason,
            users::display_name,
            legal_holds::placed_at,
        ))
        .first(conn)
        .optional()
        .map(|row| {
            row.map(|(reason, placed_by, placed_at)| Hold {
                reason,
                placed_by,
                placed_at,
            })
        })
}

/// Every firm under a hold in force, by id.
pub fn held_firms(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    legal_holds::table
        .filter(legal_holds::lifted_at.is_null())
        .order(legal_holds::firm_id.asc())
        .select(legal_holds::firm_id)
        .load(conn)
}

/// Places a hold on the firm. Refused beside the reason when it is not
/// valid, and when the firm is held already (a form from before another
/// admin placed one).
pub fn place(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    let Some(placed_by) = actor.user_id else {
        return Ok(Err(Invalid::one("reason", msg!("err.form.invalid"))));
    };
    write_tx(conn, |conn| {
        lock_firm(conn, firm_id)?;
        let reason = match clean_text(reason, review::REASON_MAX_CHARS, true) {
            Ok(reason) => reason,
            Err(key) => return Ok(Err(Invalid::one("reason", key))),
        };
        // Under the firm's lock, so two admins cannot both place one (the
        // unique index over holds in force backs this up).
        if in_force(conn, firm_id)?.is_some() {
            return Ok(Err(Invalid::one("reason", msg!("legal_hold.already"))));
        }
        diesel::insert_into(legal_holds::table)
            .values((
                legal_holds::firm_id.eq(firm_id),
                legal_holds::reason.eq(&reason),
                legal_holds::placed_by.eq(placed_by),
                legal_holds::placed_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::LegalHoldPlaced,
                object_type: "firm",
                object_id: &firm_id.to_string(),
                detail: &reason,
            },
        )?;
        Ok(Ok(()))
    })
}

/// Lifts the firm's hold; refused when none is in force (lifted already).
pub fn lift(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    write_tx(conn, |conn| {
        lock_firm(conn, firm_id)?;
        let lifted = diesel::update(
            legal_holds::table
                .filter(legal_holds::firm_id.eq(firm_id))
                .filter(legal_holds::lifted_at.is_null()),
        )
        .set((
            legal_holds::lifted_by.eq(actor.user_id),
            legal_holds::lifted_at.eq(now),
        ))
        .execute(conn)?;
        if lifted == 0 {
            return Ok(Err(Invalid::one("lift", msg!("legal_hold.not_held"))));
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::LegalHoldLifted,
                object_type: "firm",
                object_id: &firm_id.to_string(),
                detail: "",
            },
        )?;
        Ok(Ok(()))
    })
}

/// Takes the firm's row lock (PostgreSQL; SQLite's write transaction is
/// exclusive already); `NotFound` for a firm that does not exist.
fn lock_firm(conn: &mut DbConn, firm_id: i64) -> AppResult<()> {
    let found = diesel::update(firms::table.find(firm_id))
        .set(firms::id.eq(firms::id))
        .execute(conn)?;
    if found == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
