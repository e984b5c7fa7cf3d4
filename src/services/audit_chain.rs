//! Verification of the audit chain: every event's hash is recomputed from
//! its stored fields and the previous event's hash, in id order, and the
//! `audit_head` row must agree with the last event. Rows are read in
//! batches by id range, so a long log is checked in flat memory.

use std::fmt;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::audit::{Fields, event_hash};
use super::audit_rows::{Row, load_tolerant};
use crate::db::models::AuditEvent;
use crate::db::schema::{audit_events, audit_head};
use crate::db::{Backend, DbConn};
use crate::error::AppError;

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows read per query.
pub const BATCH: i64 = 10_000;

/// The event where the chain breaks (action and time unknown when the row
/// itself does not read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenEvent {
    pub id: i64,
    pub action: Option<String>,
    pub occurred_at: Option<NaiveDateTime>,
}

/// What does not agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The event does not point at the event before it: one was removed,
    /// inserted or reordered.
    PrevHash { stored: String, expected: String },
    /// The event's fields no longer produce its hash: a field was altered.
    Hash { stored: String, computed: String },
    /// `audit_head.last_hash` is not the last event's hash.
    HeadHash { head: String, last: String },
    /// `audit_head.events` is not the number of events.
    HeadCount { head: i64, counted: i64 },
    /// The row does not read as an event (a NULL where a value belongs, a
    /// timestamp that is not one): it was written behind the portal's back.
    Malformed { why: String },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::PrevHash { stored, expected } => write!(
                f,
                "prev_hash is {stored} but the previous event's hash is {expected} \
                 (an event was removed, inserted or reordered)"
            ),
            Fault::Hash { stored, computed } => write!(
                f,
                "stored hash {stored} does not match the hash of its fields {computed} \
                 (a field was altered)"
            ),
            Fault::HeadHash { head, last } => write!(
                f,
                "audit_head.last_hash is {head} but the last event's hash is {last}"
            ),
            Fault::HeadCount { head, counted } => write!(
                f,
                "audit_head.events is {head} but the log holds {counted} events"
            ),
            Fault::Malformed { why } => write!(
                f,
                "the row does not read as an event ({why}); it was written behind the portal's back"
            ),
        }
    }
}

/// The first broken link: the event (none when the log is empty but the
/// head says otherwise) and what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    pub event: Option<BrokenEvent>,
    pub fault: Fault,
}

/// The outcome of a walk over the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainReport {
    /// `last_id` is the last event's id (0 when the log is empty).
    Intact {
        events: i64,
        last_id: i64,
        head: String,
    },
    Broken(Break),
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        matches!(self, ChainReport::Intact { .. })
    }
}

/// The line the `verify-audit` command prints.
impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainReport::Intact { events, head, .. } => {
                write!(f, "audit chain intact: {events} events, head {head}")
            }
            ChainReport::Broken(Break {
                event: Some(e),
                fault,
            }) => match (&e.action, e.occurred_at) {
                (Some(action), Some(at)) => write!(
                    f,
                    "audit chain broken at event {} ({action} at {}): {fault}",
                    e.id,
                    at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
                ),
                _ => write!(f, "audit chain broken at event {}: {fault}", e.id),
            },
            ChainReport::Broken(Break { event: None, fault }) => {
                write!(f, "audit chain broken at audit_head: {fault}")
            }
        }
    }
}

/// The expected hash of a stored event, chained to `prev_hash`.
pub fn recompute(prev_hash: &str, e: &AuditEvent) -> String {
    event_hash(
        prev_hash,
        e.occurred_at,
        e.actor_user_id,
        &e.actor,
        &e.ip,
        &Fields {
            action: &e.action,
            object_type: &e.object_type,
            object_id: &e.object_id,
            detail: &e.detail,
        },
    )
}

fn broken(e: &AuditEvent, fault: Fault) -> ChainReport {
    ChainReport::Broken(Break {
        event: Some(BrokenEvent {
            id: e.id,
            action: Some(e.action.clone()),
            occurred_at: Some(e.occurred_at),
        }),
        fault,
    })
}

/// Walks the whole chain in one read-only snapshot (appends made meanwhile
/// are not seen, so the head and the events agree) and reports the first
/// broken link, if any.
pub fn verify(conn: &mut DbConn) -> Result<ChainReport, AppError> {
    conn.transaction::<_, AppError, _>(|conn| {
        if conn.backend() == Backend::Postgres {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        walk(conn)
    })
}

fn walk(conn: &mut DbConn) -> Result<ChainReport, AppError> {
    let (head_hash, head_events): (String, i64) = audit_head::table
        .find(1)
        .select((audit_head::last_hash, audit_head::events))
        .first(conn)?;
    let mut prev = GENESIS.to_owned();
    let mut counted: i64 = 0;
    let mut last: Option<AuditEvent> = None;
    let mut after = i64::MIN;
    loop {
        let batch = load_tolerant(
            conn,
            |conn| {
                audit_events::table
                    .filter(audit_events::id.gt(after))
                    .order(audit_events::id.asc())
                    .limit(BATCH)
                    .select(AuditEvent::as_select())
                    .load(conn)
            },
            |conn| {
                audit_events::table
                    .filter(audit_events::id.gt(after))
                    .order(audit_events::id.asc())
                    .limit(BATCH)
                    .select(audit_events::id)
                    .load(conn)
            },
        )?;
        let full = batch.len() as i64 == BATCH;
        for row in batch {
            let e = match row {
                Row::Event(e) => e,
                Row::Malformed { id, why } => {
                    return Ok(ChainReport::Broken(Break {
                        event: Some(BrokenEvent {
                            id,
                            action: None,
                            occurred_at: None,
                        }),
                        fault: Fault::Malformed { why },
                    }));
                }
            };
            if e.prev_hash != prev {
                let fault = Fault::PrevHash {
                    stored: e.prev_hash.clone(),
                    expected: prev,
                };
                return Ok(broken(&e, fault));
            }
            let computed = recompute(&prev, &e);
            if computed != e.hash {
                let fault = Fault::Hash {
                    stored: e.hash.clone(),
                    computed,
                };
                return Ok(broken(&e, fault));
            }
            counted += 1;
            after = e.id;
            prev = computed;
            last = Some(e);
        }
        if !full {
            break;
        }
    }
    let head_break = |fault| match &last {
        Some(e) => broken(e, fault),
        None => ChainReport::Broken(Break { event: None, fault }),
    };
    if head_hash != prev {
        return Ok(head_break(Fault::HeadHash {
            head: head_hash,
            last: prev,
        }));
    }
    if head_events != counted {
        return Ok(head_break(Fault::HeadCount {
            head: head_events,
            counted,
        }));
    }
    Ok(ChainReport::Intact {
        events: counted,
        last_id: last.map_or(0, |e| e.id),
        head: head_hash,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_as_one_line() {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let report = ChainReport::Broken(Break {
            event: Some(BrokenEvent {
                id: 7,
                action: Some("auth.sign_in".into()),
                occurred_at: Some(at),
            }),
            fault: Fault::HeadCount {
                head: 8,
                counted: 7,
            },
        });
        assert_eq!(
            report.to_string(),
            "audit chain broken at event 7 (auth.sign_in at 2025-05-20T10:00:00.000000Z): \
             audit_head.events is 8 but the log holds 7 events"
        );
        let intact = ChainReport::Intact {
            events: 0,
            last_id: 0,
            head: GENESIS.into(),
        };
        assert!(intact.is_intact());
        assert_eq!(
            intact.to_string(),
            format!("audit chain intact: 0 events, head {GENESIS}")
        );
        let malformed = ChainReport::Broken(Break {
            event: Some(BrokenEvent {
                id: 9,
                action: None,
                occurred_at: None,
            }),
            fault: Fault::Malformed {
                why: "Unexpected null for non-null column".into(),
            },
        });
        assert_eq!(
            malformed.to_string(),
            "audit chain broken at event 9: the row does not read as an event \
             (Unexpected null for non-null column); it was written behind the portal's back"
        );
    }
}
