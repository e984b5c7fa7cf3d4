//! What the scheduler tells people about incident deadlines, on every pass
//! and at any hour (the deadlines are in hours): for each open incident,
//! the reminder when the awaited stage is due within its rule's lead, and
//! the overdue notice once its due time passes with no version of it —
//! both to the firm's approvers and the regulator's staff; and, for each
//! stage's first version, word to the staff that it arrived.
//!
//! Each (incident, stage, kind) goes out once however many passes run at
//! once on however many instances: the pass inserts the row of
//! `incident_notices` with an insert-or-ignore (a backend-specific
//! statement) and writes the emails only when its insert took effect, in
//! the same transaction. A reminder's transaction first takes the
//! incident's row lock and reads it again, so a stage sent (or an incident
//! reclassified) at that moment is seen and nothing goes out for it.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::mail_links::MailLinks;
use super::{incident_rules, notify};
use crate::db::models::{Incident, IncidentVersion};
use crate::db::schema::{incident_notices, incident_versions, incidents};
use crate::db::{DbConn, write_tx_unseen};
use crate::domain::Role;
use crate::domain::incident::{IncidentStage, IncidentStatus};
use crate::domain::incident_deadline::DeadlineRule;
use crate::error::AppResult;
use crate::mail::incident_messages::{self, Audience, NoticeKind, StageFacts};

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoticeReport {
    /// Reminders sent (one per incident and stage, to everyone concerned).
    pub reminders: usize,
    /// Overdue notices sent.
    pub overdue: usize,
    /// Stages whose first version the staff were told of.
    pub announced: usize,
    /// Emails written to the outbox.
    pub emails: usize,
}

impl NoticeReport {
    /// Every (incident, stage, kind) this pass claimed.
    pub fn notices(&self) -> usize {
        self.reminders + self.overdue + self.announced
    }
}

/// One pass at `now`; emails link through `links`.
#[tracing::instrument(skip_all, fields(now = %now))]
pub fn run_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<NoticeReport> {
    let mut report = NoticeReport::default();
    for rule in incident_rules::all(conn)? {
        for kind in [NoticeKind::Passed, NoticeKind::Before] {
            for id in awaiting(conn, &rule, kind, now)? {
                if let Some(emails) = remind(conn, id, &rule, kind, now, links)? {
                    match kind {
                        NoticeKind::Passed => report.overdue += 1,
                        _ => report.reminders += 1,
                    }
                    report.emails += emails;
                }
            }
        }
    }
    for (id, stage) in unannounced(conn)? {
        if let Some(emails) = announce(conn, id, stage, now, links)? {
            report.announced += 1;
            report.emails += emails;
        }
    }
    Ok(report)
}

/// Whether the notice `kind` of a stage due at `due` is for `now`: the
/// reminder from its lead until the due time, the overdue notice from the
/// due time on.
fn is_time(rule: &DeadlineRule, kind: NoticeKind, due: NaiveDateTime, now: NaiveDateTime) -> bool {
    match kind {
        NoticeKind::Passed => now >= due,
        NoticeKind::Before => rule.remind_at(due).is_some_and(|at| at <= now) && now < due,
        NoticeKind::Sent => false,
    }
}

/// Open incidents awaiting `rule`'s stage whose notice `kind` is due and
/// not yet claimed.
fn awaiting(
    conn: &mut DbConn,
    rule: &DeadlineRule,
    kind: NoticeKind,
    now: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    let Some(before) = rule.stage.previous() else {
        // The initial stage is never awaited: an incident exists once it
        // is sent (or drafted, which the regulator does not see).
        return Ok(Vec::new());
    };
    let claimed = incident_notices::table
        .filter(incident_notices::incident_id.eq(incidents::id))
        .filter(incident_notices::stage.eq(rule.stage))
        .filter(incident_notices::kind.eq(kind.as_str()));
    let query = incidents::table
        .filter(incidents::status.eq(IncidentStatus::Open))
        .filter(incidents::stage.eq(before))
        .filter(not(exists(claimed)))
        .order(incidents::id.asc())
        .select(incidents::id);
    match kind {
        NoticeKind::Passed => query.filter(incidents::next_due_at.le(now)).load(conn),
        NoticeKind::Before if rule.remind_hours > 0 => {
            let horizon = now + Duration::hours(i64::from(rule.remind_hours));
            query
                .filter(incidents::next_due_at.gt(now))
                .filter(incidents::next_due_at.le(horizon))
                .load(conn)
        }
        NoticeKind::Before | NoticeKind::Sent => Ok(Vec::new()),
    }
}

/// Sends one incident's reminder or overdue notice unless the stage came
/// meanwhile or it was claimed already. `Some(emails)` when this call sent
/// it.
fn remind(
    conn: &mut DbConn,
    incident_id: i64,
    rule: &DeadlineRule,
    kind: NoticeKind,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Option<usize>> {
    write_tx_unseen(conn, |conn| {
        // The row lock (nothing changes): a send or a reclassification in
        // progress finishes first, and is read below.
        diesel::update(incidents::table.find(incident_id))
            .set(incidents::updated_at.eq(incidents::updated_at))
            .execute(conn)?;
        let incident: Incident = incidents::table
            .find(incident_id)
            .select(Incident::as_select())
            .first(conn)?;
        let still = incident.status == IncidentStatus::Open
            && incident.stage.and_then(IncidentStage::next) == Some(rule.stage);
        let Some(due) = incident
            .next_due_at
            .filter(|due| still && is_time(rule, kind, *due, now))
        else {
            return Ok(None);
        };
        let versions: i64 = incident_versions::table
            .filter(incident_versions::incident_id.eq(incident_id))
            .filter(incident_versions::stage.eq(rule.stage))
            .count()
            .get_result(conn)?;
        if versions > 0 || claim(conn, incident_id, rule.stage, kind, now)? == 0 {
            return Ok(None);
        }
        let firm = notify::firm_name(conn, incident.firm_id)?;
        let facts = StageFacts {
            incident_id,
            firm: &firm,
            kind: incident.kind,
            stage: rule.stage,
            due,
        };
        let approvers = notify::firm_users(conn, incident.firm_id, &[Role::Approver])?;
        let link = links.incident(incident_id);
        let mut emails = notify::send_each(conn, &approvers, now, |to, lang| {
            incident_messages::reminder(to, lang, kind, &facts, Audience::Firm, &link)
        })?;
        let staff = notify::staff_users(conn)?;
        let link = links.review_incident(incident_id);
        emails += notify::send_each(conn, &staff, now, |to, lang| {
            incident_messages::reminder(to, lang, kind, &facts, Audience::Staff, &link)
        })?;
        Ok(Some(emails))
    })
}

/// (incident, stage) of every stage with a version whose arrival the staff
/// were not told of.
fn unannounced(conn: &mut DbConn) -> QueryResult<Vec<(i64, IncidentStage)>> {
    let told = incident_notices::table
        .filter(incident_notices::incident_id.eq(incident_versions::incident_id))
        .filter(incident_notices::stage.eq(incident_versions::stage))
        .filter(incident_notices::kind.eq(NoticeKind::Sent.as_str()));
    let mut stages: Vec<(i64, IncidentStage)> = incident_versions::table
        .filter(not(exists(told)))
        .select((incident_versions::incident_id, incident_versions::stage))
        .distinct()
        .load(conn)?;
    stages.sort();
    Ok(stages)
}

/// Tells the staff of a stage's first version, unless told already.
fn announce(
    conn: &mut DbConn,
    incident_id: i64,
    stage: IncidentStage,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Option<usize>> {
    write_tx_unseen(conn, |conn| {
        if claim(conn, incident_id, stage, NoticeKind::Sent, now)? == 0 {
            return Ok(None);
        }
        let first: IncidentVersion = incident_versions::table
            .filter(incident_versions::incident_id.eq(incident_id))
            .filter(incident_versions::stage.eq(stage))
            .order(incident_versions::version_no.asc())
            .select(IncidentVersion::as_select())
            .first(conn)?;
        let incident: Incident = incidents::table
            .find(incident_id)
            .select(Incident::as_select())
            .first(conn)?;
        let firm = notify::firm_name(conn, incident.firm_id)?;
        let facts = StageFacts {
            incident_id,
            firm: &firm,
            kind: incident.kind,
            stage,
            due: first.due_at,
        };
        let staff = notify::staff_users(conn)?;
        let link = links.review_incident(incident_id);
        let emails = notify::send_each(conn, &staff, now, |to, lang| {
            incident_messages::arrived(
                to,
                lang,
                &facts,
                first.submitted_at,
                first.version_no,
                first.on_time,
                &link,
            )
        })?;
        Ok(Some(emails))
    })
}

/// Inserts the notice's row unless it exists: 1 when this call claimed it.
fn claim(
    conn: &mut DbConn,
    incident_id: i64,
    stage: IncidentStage,
    kind: NoticeKind,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    const COLUMNS: &str = "incident_notices (incident_id, stage, kind, sent_at)";
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(format!(
            "INSERT INTO {COLUMNS} VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
        ))
        .bind::<BigInt, _>(incident_id)
        .bind::<Text, _>(stage.as_str())
        .bind::<Text, _>(kind.as_str())
        .bind::<Timestamp, _>(now)
        .execute(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(format!(
            "INSERT OR IGNORE INTO {COLUMNS} VALUES (?, ?, ?, ?)"
        ))
        .bind::<BigInt, _>(incident_id)
        .bind::<Text, _>(stage.as_str())
        .bind::<Text, _>(kind.as_str())
        .bind::<Timestamp, _>(now)
        .execute(lite),
    }
}
