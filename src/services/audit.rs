//! The append-only, hash-chained audit trail. Each event carries the SHA-256
//! of the previous event's hash and its own canonical encoding; the
//! `audit_head` row is updated in the same transaction, which serialises
//! appends so the chain never forks.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::Actor;
use super::tokens::hex;
use crate::db::DbConn;
use crate::db::schema::{audit_events, audit_head};

/// Every action the trail records, named once (`domain::audit_action`).
pub use crate::domain::audit_action::Action;

/// An event to record.
pub struct Event<'a> {
    pub action: Action,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub detail: &'a str,
}

impl<'a> Event<'a> {
    /// The fields the hash covers.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            action: self.action.as_str(),
            object_type: self.object_type,
            object_id: self.object_id,
            detail: self.detail,
        }
    }
}

/// The hashed fields of an event as text: what was recorded, or what a
/// stored row holds (the chain check hashes a row as found, so a tampered
/// action is reported as a break rather than failing to read).
pub struct Fields<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub detail: &'a str,
}

/// The hash of one event: SHA-256 over length-prefixed fields, so no field
/// can bleed into the next.
pub fn event_hash(
    prev_hash: &str,
    occurred_at: NaiveDateTime,
    actor_user_id: Option<i64>,
    actor: &str,
    ip: &str,
    event: &Fields<'_>,
) -> String {
    let when = occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let who = actor_user_id.map(|id| id.to_string()).unwrap_or_default();
    let mut hasher = Sha256::new();
    for field in [
        prev_hash,
        &when,
        &who,
        actor,
        ip,
        event.action,
        event.object_type,
        event.object_id,
        event.detail,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex(&hasher.finalize())
}

/// Appends an event. Call inside the transaction that makes the change.
pub fn record(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    event: Event<'_>,
) -> QueryResult<()> {
    // Taking the row lock first (PostgreSQL) serialises concurrent appends.
    diesel::update(audit_head::table.find(1))
        .set(audit_head::events.eq(audit_head::events + 1))
        .execute(conn)?;
    let prev_hash: String = audit_head::table
        .find(1)
        .select(audit_head::last_hash)
        .first(conn)?;
    let hash = event_hash(
        &prev_hash,
        now,
        actor.user_id,
        &actor.label,
        &actor.ip,
        &event.fields(),
    );
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::occurred_at.eq(now),
            audit_events::actor_user_id.eq(actor.user_id),
            audit_events::actor.eq(&actor.label),
            audit_events::ip.eq(&actor.ip),
            audit_events::action.eq(event.action),
            audit_events::object_type.eq(event.object_type),
            audit_events::object_id.eq(event.object_id),
            audit_events::detail.eq(event.detail),
            audit_events::prev_hash.eq(&prev_hash),
            audit_events::hash.eq(&hash),
        ))
        .execute(conn)?;
    diesel::update(audit_head::table.find(1))
        .set(audit_head::last_hash.eq(&hash))
        .execute(conn)?;
    Ok(())
}
