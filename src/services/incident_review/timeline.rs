//! What happened to an incident, in time order: each version of each stage
//! (who sent it, who prepared it, by one person or four eyes, against which
//! due time, on time or late, from where), the triage moves, the
//! reclassification and the messages (internal notes for staff only).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{incident_triage, incidents, users};
use crate::domain::incident::{IncidentSource, IncidentStage, Triage};
use crate::error::{AppError, AppResult};
use crate::services::incident_thread::{self, ThreadLine};
use crate::services::incidents as firm_incidents;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    /// A version of a stage was sent.
    Version {
        version_no: i32,
        stage: IncidentStage,
        sent_by: String,
        /// Who prepared it (empty when the sender alone did).
        prepared_by: Vec<String>,
        sent_by_one: bool,
        due_at: NaiveDateTime,
        on_time: bool,
        source: IncidentSource,
    },
    /// The triage moved to `state`.
    Triage { state: Triage, by: String },
    /// The firm reclassified the incident as not reportable.
    Reclassified { reason: String, by: String },
    /// A message of the thread.
    Message(ThreadLine),
}

/// A happening and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub what: Happening,
}

/// The incident's timeline, oldest first; `staff` includes the internal
/// notes. At the same instant a version comes before the triage it
/// started, and both before the messages.
pub fn timeline(conn: &mut DbConn, incident_id: i64, staff: bool) -> AppResult<Vec<TimelineEntry>> {
    let mut entries = Vec::new();
    for line in firm_incidents::versions(conn, incident_id)? {
        let v = line.version;
        entries.push(TimelineEntry {
            at: v.submitted_at,
            what: Happening::Version {
                version_no: v.version_no,
                stage: v.stage,
                sent_by: line.sent_by,
                prepared_by: line.prepared_by,
                sent_by_one: v.sent_by_one,
                due_at: v.due_at,
                on_time: v.on_time,
                source: v.source,
            },
        });
    }
    let moves: Vec<(Triage, NaiveDateTime, String)> = incident_triage::table
        .inner_join(users::table.on(users::id.eq(incident_triage::changed_by)))
        .filter(incident_triage::incident_id.eq(incident_id))
        .order(incident_triage::id.asc())
        .select((
            incident_triage::state,
            incident_triage::changed_at,
            users::display_name,
        ))
        .load(conn)?;
    entries.extend(moves.into_iter().map(|(state, at, by)| TimelineEntry {
        at,
        what: Happening::Triage { state, by },
    }));
    let reclassified: Option<(Option<String>, Option<NaiveDateTime>, Option<String>)> =
        incidents::table
            .left_join(users::table.on(incidents::reclassified_by.eq(users::id.nullable())))
            .filter(incidents::id.eq(incident_id))
            .select((
                incidents::reclassified_reason,
                incidents::reclassified_at,
                users::display_name.nullable(),
            ))
            .first(conn)
            .optional()?;
    let Some((reason, at, by)) = reclassified else {
        return Err(AppError::NotFound);
    };
    if let (Some(reason), Some(at)) = (reason, at) {
        entries.push(TimelineEntry {
            at,
            what: Happening::Reclassified {
                reason,
                by: by.unwrap_or_default(),
            },
        });
    }
    let thread = if staff {
        incident_thread::for_staff(conn, incident_id)?
    } else {
        incident_thread::for_firm(conn, incident_id)?
    };
    entries.extend(thread.into_iter().map(|m| TimelineEntry {
        at: m.sent_at,
        what: Happening::Message(m),
    }));
    // A stable sort: at one instant the order of pushing stands.
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}
