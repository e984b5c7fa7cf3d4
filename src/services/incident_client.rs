//! What a firm's API client needs of its incidents beyond `incidents`: the
//! person it acts for, as the firm actor the lifecycle takes, and one
//! incident whole as the firm sees it — its versions, the draft waiting
//! for a second person, and the messages of its thread the firm may see
//! (`incident_thread::for_firm`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::incidents::{self, FirmActor, VersionLine};
use crate::db::DbConn;
use crate::db::models::{Incident, User};
use crate::db::schema::{incident_drafts, users};
use crate::domain::incident::IncidentStage;
use crate::error::{AppError, AppResult};

/// The approver who registered a firm's client, as the firm actor it acts
/// for: still active and still of the client's firm, or `Forbidden`.
pub fn acting_for(conn: &mut DbConn, user_id: i64, firm_id: i64) -> AppResult<FirmActor> {
    let user: Option<User> = users::table
        .find(user_id)
        .filter(users::active.eq(true))
        .select(User::as_select())
        .first(conn)
        .optional()?;
    user.as_ref()
        .and_then(FirmActor::of)
        .filter(|who| who.firm_id == firm_id)
        .ok_or(AppError::Forbidden)
}

/// The draft of a stage waiting for a second person.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub stage: IncidentStage,
    pub updated_at: NaiveDateTime,
    pub updated_by: String,
}

/// A message of the thread the firm may see.
#[derive(Clone, Debug)]
pub struct Message {
    pub from_regulator: bool,
    /// Who wrote it, for the firm's own messages; the regulator's are
    /// signed by the regulator, not by a person.
    pub author: Option<String>,
    pub body: String,
    pub sent_at: NaiveDateTime,
}

/// One incident as its firm sees it.
#[derive(Clone, Debug)]
pub struct FirmView {
    pub incident: Incident,
    /// Oldest first.
    pub versions: Vec<VersionLine>,
    pub waiting: Option<Waiting>,
    /// Oldest first.
    pub messages: Vec<Message>,
}

impl FirmView {
    /// The latest version's number (0 before the first is sent).
    pub fn latest(&self) -> i32 {
        self.versions.last().map_or(0, |v| v.version.version_no)
    }
}

/// The firm's incident whole, or `NotFound` (another firm's included).
pub fn view(conn: &mut DbConn, firm_id: i64, incident_id: i64) -> AppResult<FirmView> {
    let incident = incidents::of_firm(conn, firm_id, incident_id)?;
    let versions = incidents::versions(conn, incident_id)?;
    let waiting = incident_drafts::table
        .inner_join(users::table.on(users::id.eq(incident_drafts::updated_by)))
        .filter(incident_drafts::incident_id.eq(incident_id))
        .select((
            incident_drafts::stage,
            incident_drafts::updated_at,
            users::display_name,
        ))
        .first::<(IncidentStage, NaiveDateTime, String)>(conn)
        .optional()?
        .map(|(stage, updated_at, updated_by)| Waiting {
            stage,
            updated_at,
            updated_by,
        });
    let messages = firm_messages(conn, incident_id)?;
    Ok(FirmView {
        incident,
        versions,
        waiting,
        messages,
    })
}

/// The messages of an incident's thread its firm may see, oldest first
/// (`incident_thread::for_firm`), the regulator's unsigned.
pub fn firm_messages(conn: &mut DbConn, incident_id: i64) -> QueryResult<Vec<Message>> {
    Ok(super::incident_thread::for_firm(conn, incident_id)?
        .into_iter()
        .map(|line| Message {
            from_regulator: line.from_regulator,
            author: (!line.from_regulator).then_some(line.author),
            body: line.body,
            sent_at: line.sent_at,
        })
        .collect())
}
