//! A client's keys: at most two that may sign at once (one, and the next
//! during a rotation), held by the database (a partial unique index on the
//! key's slot among the un-retired keys), and at least one (the last is
//! never retired). Key changes of one client take turns on its row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{check_key, visible};
use crate::db::models::{ApiClientRow, User};
use crate::db::schema::{api_client_keys, api_clients, api_tokens};
use crate::db::{DbConn, write_tx};
use crate::domain::api_client::ClientStatus;
use crate::domain::jwk::PublicJwk;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Action, Event};
use crate::services::{Actor, Invalid};

/// Keys that may sign at once.
pub const LIVE_KEYS: usize = 2;

/// Stores a key in `slot` (1 or 2).
pub(super) fn insert(
    conn: &mut DbConn,
    client: i64,
    key: &PublicJwk,
    slot: i32,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(api_client_keys::table)
        .values((
            api_client_keys::client_id.eq(client),
            api_client_keys::kid.eq(key.thumbprint()),
            api_client_keys::alg.eq(key.alg()),
            api_client_keys::public_jwk.eq(key.canonical()),
            api_client_keys::slot.eq(slot),
            api_client_keys::added_by.eq(by),
            api_client_keys::added_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Takes the client's row until the transaction ends (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already holds the database), so that two key changes
/// of one client take turns, and reads it again.
fn lock(conn: &mut DbConn, id: i64) -> QueryResult<ApiClientRow> {
    diesel::update(api_clients::table.find(id))
        .set(api_clients::status.eq(api_clients::status))
        .execute(conn)?;
    api_clients::table
        .find(id)
        .select(crate::db::models::ApiClientRow::as_select())
        .first(conn)
}

/// The slots of the keys that may sign.
fn live_slots(conn: &mut DbConn, client: i64) -> QueryResult<Vec<i32>> {
    api_client_keys::table
        .filter(api_client_keys::client_id.eq(client))
        .filter(api_client_keys::retired_at.is_null())
        .select(api_client_keys::slot)
        .load(conn)
}

fn record(
    conn: &mut DbConn,
    actor: &Actor,
    client: &ApiClientRow,
    action: Action,
    detail: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    audit::record(
        conn,
        now,
        actor,
        Event {
            action,
            object_type: "api_client",
            object_id: &client.client_id,
            detail,
        },
    )
}

/// Whether `by` may add a key to `client`: a firm's client acts in the
/// name of the approver who registered it, so only that person; a
/// regulator client, any admin.
pub fn may_add(by: &User, client: &ApiClientRow) -> bool {
    match client.firm_id {
        Some(_) => by.id == client.registered_by,
        None => by.role == Role::Admin,
    }
}

/// Adds a second key (a rotation begins). `Ok(Err(_))`: what to fix in
/// the form (not a key we take, one the client has, or two already).
#[tracing::instrument(skip_all, fields(by = by.id, client = id))]
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    by: &User,
    id: i64,
    pasted: &str,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    let client = visible(conn, by, id)?;
    if !may_add(by, &client) {
        return Err(AppError::Conflict(msg!("err.api_client.key_owner")));
    }
    let key = match check_key(pasted) {
        Ok(key) => key,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let added = write_tx(conn, |conn| {
        let client = lock(conn, id)?;
        if client.status == ClientStatus::Suspended {
            return Err(AppError::Conflict(msg!("err.api_client.suspended")));
        }
        let kid = key.thumbprint();
        let known: i64 = api_client_keys::table
            .filter(api_client_keys::client_id.eq(id))
            .filter(api_client_keys::kid.eq(&kid))
            .count()
            .get_result(conn)?;
        if known > 0 {
            return Ok(Err(Invalid::one(
                "public_jwk",
                msg!("err.api_client.key_known"),
            )));
        }
        let taken = live_slots(conn, id)?;
        let Some(slot) = (1..=2).find(|s| !taken.contains(s)) else {
            return Ok(Err(Invalid::one(
                "public_jwk",
                msg!("err.api_client.two_keys"),
            )));
        };
        insert(conn, id, &key, slot, by.id, now)?;
        let detail = format!("{} {}", key.alg(), kid);
        record(
            conn,
            actor,
            &client,
            Action::ApiClientKeyAdded,
            &detail,
            now,
        )?;
        Ok(Ok(()))
    });
    match added {
        // The index refused a third key or a known one another request
        // added meanwhile: the same answer as the check above gives.
        Err(AppError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => Ok(
            Err(Invalid::one("public_jwk", msg!("err.api_client.two_keys"))),
        ),
        other => other,
    }
}

/// Retires a key (a rotation ends, or a key is withdrawn): it signs no
/// more, and the tokens got with it end now. The last key is kept.
#[tracing::instrument(skip_all, fields(by = by.id, client = id, key = key_id))]
pub fn retire(
    conn: &mut DbConn,
    actor: &Actor,
    by: &User,
    id: i64,
    key_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    visible(conn, by, id)?;
    write_tx(conn, |conn| {
        let client = lock(conn, id)?;
        let key: (String, Option<NaiveDateTime>) = api_client_keys::table
            .find(key_id)
            .filter(api_client_keys::client_id.eq(id))
            .select((api_client_keys::kid, api_client_keys::retired_at))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        if key.1.is_some() {
            return Err(AppError::Conflict(msg!("err.api_client.key_retired")));
        }
        if live_slots(conn, id)?.len() < LIVE_KEYS {
            return Err(AppError::Conflict(msg!("err.api_client.last_key")));
        }
        diesel::update(api_client_keys::table.find(key_id))
            .set((
                api_client_keys::retired_at.eq(Some(now)),
                api_client_keys::retired_by.eq(Some(by.id)),
            ))
            .execute(conn)?;
        let ended = diesel::delete(api_tokens::table.filter(api_tokens::key_id.eq(key_id)))
            .execute(conn)?;
        let detail = format!("{}; {ended} token(s) ended", key.0);
        record(
            conn,
            actor,
            &client,
            Action::ApiClientKeyRetired,
            &detail,
            now,
        )?;
        Ok(())
    })
}
