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

/// Every action the trail records, named once (the audit view filters by
/// these).
pub mod action {
    pub const USER_INVITED: &str = "user.invited";
    pub const INVITATION_ACCEPTED: &str = "user.invitation_accepted";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const USER_ENABLED: &str = "user.enabled";
    pub const RESET_REQUESTED: &str = "auth.reset_requested";
    pub const PASSWORD_RESET: &str = "user.password_reset";
    pub const POLICY_CHANGED: &str = "policy.changed";
    pub const SIGN_IN_THROTTLED: &str = "auth.sign_in_throttled";
    pub const ACCOUNT_LOCKED: &str = "auth.account_locked";
    pub const PASSWORD_ACCEPTED: &str = "auth.password_accepted";
    pub const FACTOR_ADDED: &str = "user.factor_added";
    pub const FACTOR_REMOVED: &str = "user.factor_removed";
    pub const SECOND_FACTOR_FAILED: &str = "auth.second_factor_failed";
    pub const SESSIONS_ENDED: &str = "auth.sessions_ended";
    pub const LANGUAGE_CHANGED: &str = "user.language_changed";
    pub const REAUTHENTICATED: &str = "auth.reauthenticated";
    pub const DEMO_SEEDED: &str = "demo.seeded";
    pub const DRAFT_SAVED: &str = "return.draft_saved";
    pub const FIRM_CREATED: &str = "firm.created";
    pub const PASSWORD_CHANGED: &str = "user.password_changed";
    pub const RETURNS_IMPORTED: &str = "returns.imported";
    pub const RETURN_VIEWED: &str = "return.viewed";
    pub const SETUP_LINK_ISSUED: &str = "setup.link_issued";
    pub const SIGN_IN: &str = "auth.sign_in";
    pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
    pub const SIGN_OUT: &str = "auth.sign_out";
    pub const SUBMITTED: &str = "return.submitted";
    pub const SUBMITTED_NIL: &str = "return.submitted_nil";
    pub const USER_CREATED: &str = "user.created";
    pub const TRADES_UPLOADED: &str = "trades.uploaded";
    pub const TRADES_REMOVED: &str = "trades.removed";
    pub const TRADES_FIGURES_TAKEN: &str = "trades.figures_taken";
    pub const VERSION_ACCEPTED: &str = "return.accepted";
    pub const VERSION_RETURNED: &str = "return.returned";
    pub const CALENDAR_CHANGED: &str = "calendar.changed";
    pub const PUBLICATION_DRAFTED: &str = "publication.drafted";
    pub const PUBLICATION_CELL_RELEASED: &str = "publication.cell_released";
    pub const PUBLICATION_RELEASED: &str = "publication.released";
    pub const EXPORTED: &str = "export.downloaded";
    pub const FIRM_FIRST_PERIOD_CHANGED: &str = "firm.first_period_changed";
    // Four eyes.
    pub const MARKED_NIL: &str = "return.marked_nil";
    pub const FIRM_EXEMPTED: &str = "firm.single_user_exempted";
    pub const FIRM_EXEMPTION_WITHDRAWN: &str = "firm.single_user_exemption_withdrawn";
}

pub struct Event<'a> {
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
    event: &Event<'_>,
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
        &event,
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
