//! Reading audit rows that may have been damaged behind the portal's back
//! (a NULL where a value belongs, a timestamp that is not one): a row the
//! model cannot read becomes a [`Row::Malformed`] naming its id and why,
//! so verification reports it as a broken link and the admin view shows it
//! instead of failing.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::DbConn;
use crate::db::models::AuditEvent;
use crate::db::schema::audit_events;

/// One stored audit row, readable or not.
#[derive(Clone, Debug)]
pub enum Row {
    Event(AuditEvent),
    /// The row exists but does not read as an event.
    Malformed {
        id: i64,
        why: String,
    },
}

impl Row {
    pub fn id(&self) -> i64 {
        match self {
            Row::Event(e) => e.id,
            Row::Malformed { id, .. } => *id,
        }
    }
}

/// Loads `ids` one by one (the slow path, taken only when a batch failed to
/// read), in the order given.
fn one_by_one(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<Row>> {
    let mut rows = Vec::with_capacity(ids.len());
    for &id in ids {
        let read = audit_events::table
            .find(id)
            .select(AuditEvent::as_select())
            .first(conn);
        rows.push(match read {
            Ok(e) => Row::Event(e),
            Err(DieselError::DeserializationError(why)) => Row::Malformed {
                id,
                why: why.to_string(),
            },
            Err(other) => return Err(other),
        });
    }
    Ok(rows)
}

/// Runs `events` (a query for whole events); when some row does not read,
/// runs `ids` (the same query for ids only, which always read) and loads
/// those rows one by one, so each bad row is named and the good ones kept.
pub fn load_tolerant(
    conn: &mut DbConn,
    events: impl FnOnce(&mut DbConn) -> QueryResult<Vec<AuditEvent>>,
    ids: impl FnOnce(&mut DbConn) -> QueryResult<Vec<i64>>,
) -> QueryResult<Vec<Row>> {
    match events(conn) {
        Ok(events) => Ok(events.into_iter().map(Row::Event).collect()),
        Err(DieselError::DeserializationError(_)) => {
            let ids = ids(conn)?;
            one_by_one(conn, &ids)
        }
        Err(other) => Err(other),
    }
}
