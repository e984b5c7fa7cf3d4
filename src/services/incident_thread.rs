//! An incident's thread, shared by both sides: the regulator writes to the
//! firm (or leaves an internal note the firm never sees) and the firm
//! answers. A firm-visible message from the regulator is emailed to the
//! firm's approvers; a firm's answer to the staff who follow the incident.
//! The emails are written to the outbox in the transaction that stores
//! the message; an internal note is never mailed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::{Actor, Invalid, notify};
use crate::db::models::{Incident, IncidentMessage, User};
use crate::db::schema::{incident_messages, incident_triage, incidents, users};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::incident::{IncidentStatus, check_message};
use crate::error::{AppError, AppResult};
use crate::mail::thread_messages::{self, Sender};

/// One message as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadLine {
    pub id: i64,
    /// The author's display name.
    pub author: String,
    pub from_regulator: bool,
    pub firm_visible: bool,
    pub body: String,
    pub sent_at: NaiveDateTime,
}

/// The messages a firm may read: those visible to it, oldest first.
pub fn for_firm(conn: &mut DbConn, incident_id: i64) -> QueryResult<Vec<ThreadLine>> {
    lines(conn, incident_id, true)
}

/// Every message, internal notes included, oldest first (staff only).
pub fn for_staff(conn: &mut DbConn, incident_id: i64) -> QueryResult<Vec<ThreadLine>> {
    lines(conn, incident_id, false)
}

fn lines(conn: &mut DbConn, incident_id: i64, firm_only: bool) -> QueryResult<Vec<ThreadLine>> {
    let mut query = incident_messages::table
        .inner_join(users::table)
        .filter(incident_messages::incident_id.eq(incident_id))
        .into_boxed();
    if firm_only {
        query = query.filter(incident_messages::firm_visible.eq(true));
    }
    let rows: Vec<(IncidentMessage, String)> = query
        .order(incident_messages::id.asc())
        .select((IncidentMessage::as_select(), users::display_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(m, author)| ThreadLine {
            id: m.id,
            author,
            from_regulator: m.from_regulator,
            firm_visible: m.firm_visible,
            body: m.body,
            sent_at: m.sent_at,
        })
        .collect())
}

/// Who writes, as the thread sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Regulator,
    Firm(i64),
}

fn side_of(author: &User) -> AppResult<Side> {
    match (author.role, author.firm_id) {
        (Role::Analyst | Role::Admin, None) => Ok(Side::Regulator),
        (Role::Reporter | Role::Approver, Some(firm_id)) => Ok(Side::Firm(firm_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// The incident `author` may write on: any sent incident for staff, the
/// firm's own for a firm user. A draft is invisible to the regulator and
/// another firm's incident is never told apart from a missing one.
fn reachable(conn: &mut DbConn, side: Side, incident_id: i64) -> AppResult<Incident> {
    let incident: Incident = incidents::table
        .find(incident_id)
        .select(Incident::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    match side {
        Side::Regulator if incident.status == IncidentStatus::Draft => Err(AppError::NotFound),
        Side::Firm(firm_id) if firm_id != incident.firm_id => Err(AppError::NotFound),
        _ => Ok(incident),
    }
}

/// A staff member writes (firm-visible or internal) or a firm user answers
/// (always visible to the firm; `firm_visible` is ignored for them).
#[allow(clippy::too_many_arguments)]
pub fn post(
    conn: &mut DbConn,
    actor: &Actor,
    author: &User,
    incident_id: i64,
    body: &str,
    firm_visible: bool,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Result<(), Invalid>> {
    let side = side_of(author)?;
    let body = match check_message(body) {
        Ok(body) => body,
        Err(key) => {
            // The incident is looked up first all the same: a firm user
            // learns nothing of another firm's incident from a mistake.
            reachable(conn, side, incident_id)?;
            return Ok(Err(Invalid::one("body", key)));
        }
    };
    write_tx(conn, |conn| {
        post_in(
            conn,
            actor,
            author,
            incident_id,
            &body,
            firm_visible,
            now,
            links,
        )
    })
}

/// `post` inside the caller's transaction (`body` already checked): the
/// triage's request for more information is sent this way.
#[allow(clippy::too_many_arguments)]
pub(crate) fn post_in(
    conn: &mut DbConn,
    actor: &Actor,
    author: &User,
    incident_id: i64,
    body: &str,
    firm_visible: bool,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Result<(), Invalid>> {
    let side = side_of(author)?;
    let incident = reachable(conn, side, incident_id)?;
    if incident.status == IncidentStatus::Draft {
        // Only the firm reaches its draft: nothing is sent yet, so there is
        // nobody to write to.
        return Ok(Err(Invalid::one("body", msg!("incident_thread.err.draft"))));
    }
    let from_regulator = side == Side::Regulator;
    let firm_visible = firm_visible || !from_regulator;
    let message_id: i64 = diesel::insert_into(incident_messages::table)
        .values((
            incident_messages::incident_id.eq(incident_id),
            incident_messages::author_id.eq(author.id),
            incident_messages::from_regulator.eq(from_regulator),
            incident_messages::firm_visible.eq(firm_visible),
            incident_messages::body.eq(body),
            incident_messages::sent_at.eq(now),
        ))
        .returning(incident_messages::id)
        .get_result(conn)?;
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::IncidentMessageSent,
            object_type: "incident",
            object_id: &incident_id.to_string(),
            detail: &format!(
                "message={message_id} from={} {}",
                if from_regulator { "regulator" } else { "firm" },
                if firm_visible { "visible" } else { "internal" }
            ),
        },
    )?;
    if !firm_visible {
        return Ok(Ok(()));
    }
    let firm = notify::firm_name(conn, incident.firm_id)?;
    let (recipients, sender, link) = if from_regulator {
        (
            notify::firm_users(conn, incident.firm_id, &[Role::Approver])?,
            Sender::Regulator,
            links.incident_thread(incident_id),
        )
    } else {
        (
            following_staff(conn, incident_id)?,
            Sender::Firm,
            links.review_incident_thread(incident_id),
        )
    };
    notify::send_each(conn, &recipients, now, |to, lang| {
        thread_messages::thread_message(
            to,
            lang,
            sender,
            &firm,
            incident_id,
            &author.display_name,
            body,
            now,
            &link,
        )
    })?;
    Ok(Ok(()))
}

/// The active staff who wrote in the thread or triaged the incident; all
/// active analysts when none has (all staff when there is no analyst).
fn following_staff(conn: &mut DbConn, incident_id: i64) -> QueryResult<Vec<User>> {
    let mut following: Vec<i64> = incident_messages::table
        .filter(incident_messages::incident_id.eq(incident_id))
        .filter(incident_messages::from_regulator.eq(true))
        .select(incident_messages::author_id)
        .load(conn)?;
    following.extend(
        incident_triage::table
            .filter(incident_triage::incident_id.eq(incident_id))
            .select(incident_triage::changed_by)
            .load::<i64>(conn)?,
    );
    notify::following_or_analysts(conn, &following)
}
