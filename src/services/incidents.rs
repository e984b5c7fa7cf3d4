//! A firm's incidents: sending each stage (at once, by one person, or
//! through a draft approved by a second person, as the stage's rule says),
//! updating a stage, reclassifying an incident as not reportable, and
//! reading them back. Each stage's due time is computed when its trigger
//! happens and kept on the incident; each version keeps the due time it
//! was measured against and whether it met it.
//!
//! Every write first touches the incident's row, so two people sending at
//! once are serialised (the row lock on PostgreSQL, the single writer on
//! SQLite) and `(incident_id, version_no)` stays unique.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::audit::{self, Action, Event};
use super::tokens::hex;
use super::{Actor, Invalid, four_eyes, incident_rules};
use crate::db::models::{Incident, IncidentDraft, IncidentVersion, User};
use crate::db::schema::{
    incident_draft_editors, incident_drafts, incident_triage, incident_version_preparers,
    incident_versions, incidents, users,
};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::incident::{
    IncidentSource, IncidentStage, IncidentStatus, Report, ReportForm, Triage, check_reason,
};
use crate::domain::incident_deadline::{DeadlineRule, Trigger};
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};

/// The firm user acting.
#[derive(Clone, Copy, Debug)]
pub struct FirmActor {
    pub user_id: i64,
    pub firm_id: i64,
    pub role: Role,
}

impl FirmActor {
    pub fn of(user: &User) -> Option<FirmActor> {
        Some(FirmActor {
            user_id: user.id,
            firm_id: user.firm_id?,
            role: user.role,
        })
    }
}

/// What sending a stage did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A version was recorded.
    Sent { incident_id: i64, version_no: i32 },
    /// The stage needs four eyes: it waits, as a draft, for a second person.
    Drafted { incident_id: i64 },
}

/// Where a stage is sent: a new incident, or one that exists (`based_on`:
/// the latest version the sender saw, so a stale form is refused).
#[derive(Clone, Copy, Debug)]
pub enum Target {
    New,
    Existing { incident_id: i64, based_on: i32 },
}

/// A stored JSON document (a version's report, a draft's form); one that
/// does not parse is a corrupt database, never a user's mistake.
pub(crate) fn stored<T: serde::de::DeserializeOwned>(json: &str) -> QueryResult<T> {
    serde_json::from_str(json).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// The SHA-256 of a draft's stored form: what an approver saw.
pub fn draft_sha(draft: &IncidentDraft) -> String {
    hex(&Sha256::digest(
        format!("{}\n{}", draft.stage, draft.document).as_bytes(),
    ))
}

/// The firm's incident, or `NotFound` (another firm's is never told apart
/// from one that does not exist).
pub fn of_firm(conn: &mut DbConn, firm_id: i64, incident_id: i64) -> AppResult<Incident> {
    incidents::table
        .find(incident_id)
        .filter(incidents::firm_id.eq(firm_id))
        .select(Incident::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Every incident of a firm, newest first.
pub fn firm_list(conn: &mut DbConn, firm_id: i64) -> QueryResult<Vec<Incident>> {
    incidents::table
        .filter(incidents::firm_id.eq(firm_id))
        .order(incidents::id.desc())
        .select(Incident::as_select())
        .load(conn)
}

/// An incident's versions, oldest first, each with who sent it and who
/// prepared it.
pub fn versions(conn: &mut DbConn, incident_id: i64) -> QueryResult<Vec<VersionLine>> {
    let rows: Vec<(IncidentVersion, String)> = incident_versions::table
        .inner_join(users::table)
        .filter(incident_versions::incident_id.eq(incident_id))
        .order(incident_versions::version_no.asc())
        .select((IncidentVersion::as_select(), users::display_name))
        .load(conn)?;
    // Every version's preparers in one query, not one per version.
    let ids: Vec<i64> = rows.iter().map(|(v, _)| v.id).collect();
    let preparers: Vec<(i64, String)> = incident_version_preparers::table
        .inner_join(users::table.on(users::id.eq(incident_version_preparers::user_id)))
        .filter(incident_version_preparers::version_id.eq_any(&ids))
        .order((
            incident_version_preparers::version_id.asc(),
            users::id.asc(),
        ))
        .select((incident_version_preparers::version_id, users::display_name))
        .load(conn)?;
    let mut lines = Vec::with_capacity(rows.len());
    for (version, sent_by) in rows {
        let prepared_by = preparers
            .iter()
            .filter(|(id, _)| *id == version.id)
            .map(|(_, name)| name.clone())
            .collect();
        let report: Report = stored(&version.document)?;
        lines.push(VersionLine {
            version,
            report,
            sent_by,
            prepared_by,
        });
    }
    Ok(lines)
}

/// One version as the pages show it.
#[derive(Clone, Debug)]
pub struct VersionLine {
    pub version: IncidentVersion,
    pub report: Report,
    pub sent_by: String,
    pub prepared_by: Vec<String>,
}

/// The latest version's report, and its number (0 with none).
pub fn latest(conn: &mut DbConn, incident_id: i64) -> QueryResult<(i32, Option<Report>)> {
    let latest: Option<(i32, String)> = incident_versions::table
        .filter(incident_versions::incident_id.eq(incident_id))
        .order(incident_versions::version_no.desc())
        .select((incident_versions::version_no, incident_versions::document))
        .first(conn)
        .optional()?;
    match latest {
        None => Ok((0, None)),
        Some((no, document)) => {
            let report = stored(&document)?;
            Ok((no, Some(report)))
        }
    }
}

/// The draft waiting for approval: the row, its form as typed, and who
/// edited it (id, name).
pub struct Draft(pub IncidentDraft, pub ReportForm, pub Vec<(i64, String)>);

/// The draft waiting for approval, if any.
pub fn draft(conn: &mut DbConn, incident_id: i64) -> QueryResult<Option<Draft>> {
    let Some(draft) = incident_drafts::table
        .find(incident_id)
        .select(IncidentDraft::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let form: ReportForm = stored(&draft.document)?;
    let editors: Vec<(i64, String)> = incident_draft_editors::table
        .inner_join(users::table.on(users::id.eq(incident_draft_editors::user_id)))
        .filter(incident_draft_editors::incident_id.eq(incident_id))
        .order(users::id.asc())
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(Some(Draft(draft, form, editors)))
}

/// The stages a firm may send for an incident now: the current one again
/// (an update) and the next. None once final or reclassified.
pub fn open_stages(incident: &Incident) -> Vec<IncidentStage> {
    match (incident.status, incident.stage) {
        (IncidentStatus::Open, Some(stage)) => std::iter::once(stage).chain(stage.next()).collect(),
        (IncidentStatus::Draft, _) => vec![IncidentStage::Initial],
        _ => Vec::new(),
    }
}

/// Takes the incident's row lock and reads it.
fn lock(
    conn: &mut DbConn,
    firm_id: i64,
    incident_id: i64,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let touched = diesel::update(
        incidents::table
            .filter(incidents::id.eq(incident_id))
            .filter(incidents::firm_id.eq(firm_id)),
    )
    .set(incidents::updated_at.eq(now))
    .execute(conn)?;
    if touched == 0 {
        return Err(AppError::NotFound);
    }
    of_firm(conn, firm_id, incident_id)
}

/// Sends `stage` of an incident as `who`: checked against the stage; a
/// stage that needs four eyes is saved as the draft a second person
/// approves, any other is recorded at once as sent by one person.
#[allow(clippy::too_many_arguments)]
pub fn send(
    conn: &mut DbConn,
    actor: &Actor,
    who: FirmActor,
    target: Target,
    stage: IncidentStage,
    form: &ReportForm,
    now: NaiveDateTime,
    source: IncidentSource,
) -> AppResult<Result<Outcome, Invalid>> {
    if !matches!(who.role, Role::Approver | Role::Reporter) {
        return Err(AppError::Forbidden);
    }
    write_tx(conn, |conn| {
        let rule = incident_rules::of(conn, stage)?;
        let incident = match target {
            Target::New => {
                if stage != IncidentStage::Initial {
                    return Ok(Err(Invalid::one("stage", msg!("err.incident.stage"))));
                }
                None
            }
            Target::Existing {
                incident_id,
                based_on,
            } => {
                let incident = lock(conn, who.firm_id, incident_id, now)?;
                if !open_stages(&incident).contains(&stage) {
                    return Ok(Err(Invalid::one("stage", msg!("err.incident.stage"))));
                }
                let (latest, _) = latest(conn, incident_id)?;
                if latest != based_on {
                    return Ok(Err(Invalid::one("based_on", msg!("err.incident.stale"))));
                }
                Some(incident)
            }
        };
        // Checked once the incident is known to be the firm's: another
        // firm's is not found, whatever was typed.
        let report = match form.check(stage, now) {
            Ok(report) => report,
            Err(mistakes) => return Ok(Err(Invalid(mistakes))),
        };
        let incident_id = match incident {
            Some(ref i) => i.id,
            None => insert_incident(conn, who, &report, rule.four_eyes, now)?,
        };
        if rule.four_eyes {
            save_draft(conn, who, incident_id, stage, form, now)?;
            audit::record(
                conn,
                now,
                actor,
                Event {
                    action: Action::IncidentDrafted,
                    object_type: "incident",
                    object_id: &incident_id.to_string(),
                    detail: &format!("stage={stage}"),
                },
            )?;
            return Ok(Ok(Outcome::Drafted { incident_id }));
        }
        let incident = match incident {
            Some(i) => i,
            None => of_firm(conn, who.firm_id, incident_id)?,
        };
        let version_no = record(
            conn,
            actor,
            &incident,
            stage,
            &report,
            who.user_id,
            &[],
            now,
            source,
        )?;
        Ok(Ok(Outcome::Sent {
            incident_id,
            version_no,
        }))
    })
}

fn insert_incident(
    conn: &mut DbConn,
    who: FirmActor,
    report: &Report,
    draft: bool,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(incidents::table)
        .values((
            incidents::firm_id.eq(who.firm_id),
            incidents::status.eq(if draft {
                IncidentStatus::Draft
            } else {
                IncidentStatus::Open
            }),
            incidents::kind.eq(report.kind),
            incidents::vector.eq(report.vector),
            incidents::period.eq(Period::from_date(report.occurred_on).to_string()),
            incidents::accounts.eq(report.accounts),
            incidents::trades.eq(report.trades),
            incidents::ongoing.eq(report.ongoing),
            incidents::triage.eq(Triage::Received),
            incidents::opened_by.eq(who.user_id),
            incidents::opened_at.eq(now),
            incidents::updated_at.eq(now),
        ))
        .returning(incidents::id)
        .get_result(conn)
}

fn save_draft(
    conn: &mut DbConn,
    who: FirmActor,
    incident_id: i64,
    stage: IncidentStage,
    form: &ReportForm,
    now: NaiveDateTime,
) -> AppResult<()> {
    let document = serde_json::to_string(form).map_err(|e| AppError::Internal(e.to_string()))?;
    let existing: Option<IncidentStage> = incident_drafts::table
        .find(incident_id)
        .select(incident_drafts::stage)
        .first(conn)
        .optional()?;
    if existing.is_some_and(|s| s != stage) {
        // A draft of another stage is replaced: its editors prepared that one.
        diesel::delete(
            incident_draft_editors::table
                .filter(incident_draft_editors::incident_id.eq(incident_id)),
        )
        .execute(conn)?;
    }
    if existing.is_some() {
        diesel::update(incident_drafts::table.find(incident_id))
            .set((
                incident_drafts::stage.eq(stage),
                incident_drafts::document.eq(&document),
                incident_drafts::updated_by.eq(who.user_id),
                incident_drafts::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(incident_drafts::table)
            .values((
                incident_drafts::incident_id.eq(incident_id),
                incident_drafts::stage.eq(stage),
                incident_drafts::document.eq(&document),
                incident_drafts::updated_by.eq(who.user_id),
                incident_drafts::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    let known: i64 = incident_draft_editors::table
        .filter(incident_draft_editors::incident_id.eq(incident_id))
        .filter(incident_draft_editors::user_id.eq(who.user_id))
        .count()
        .get_result(conn)?;
    if known == 0 {
        diesel::insert_into(incident_draft_editors::table)
            .values((
                incident_draft_editors::incident_id.eq(incident_id),
                incident_draft_editors::user_id.eq(who.user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Why an approval is refused (each shown on the page, nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Only an approver sends a stage that needs four eyes.
    NotApprover,
    /// The approver edited the draft.
    OwnDraft,
    /// The draft changed since the page was shown (or is gone).
    Stale,
}

/// An approver who did not prepare it sends the draft (`seen`: the draft's
/// SHA-256 as the page showed it). The firm's single-user exemption lets
/// its one user send their own draft.
pub fn approve(
    conn: &mut DbConn,
    actor: &Actor,
    who: FirmActor,
    incident_id: i64,
    seen: &str,
    now: NaiveDateTime,
    source: IncidentSource,
) -> AppResult<Result<i32, Refusal>> {
    if who.role != Role::Approver {
        return Ok(Err(Refusal::NotApprover));
    }
    write_tx(conn, |conn| {
        let incident = lock(conn, who.firm_id, incident_id, now)?;
        let Some(Draft(draft, form, editors)) = draft(conn, incident_id)? else {
            return Ok(Err(Refusal::Stale));
        };
        if draft_sha(&draft) != seen || !open_stages(&incident).contains(&draft.stage) {
            return Ok(Err(Refusal::Stale));
        }
        let exempt = four_eyes::exemption(conn, who.firm_id)?.is_some();
        if editors.iter().any(|(id, _)| *id == who.user_id) && !exempt {
            return Ok(Err(Refusal::OwnDraft));
        }
        let Ok(report) = form.check(draft.stage, now) else {
            return Ok(Err(Refusal::Stale));
        };
        let preparers: Vec<i64> = editors.iter().map(|(id, _)| *id).collect();
        let version_no = record(
            conn,
            actor,
            &incident,
            draft.stage,
            &report,
            who.user_id,
            &preparers,
            now,
            source,
        )?;
        diesel::delete(
            incident_draft_editors::table
                .filter(incident_draft_editors::incident_id.eq(incident_id)),
        )
        .execute(conn)?;
        diesel::delete(incident_drafts::table.find(incident_id)).execute(conn)?;
        Ok(Ok(version_no))
    })
}

/// The due time a rule gives when the first version of `sent` is recorded
/// with `report` at `now`; `None` when its trigger has not happened.
fn triggered(
    rule: &DeadlineRule,
    sent: IncidentStage,
    report: &Report,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    match rule.trigger {
        Trigger::Awareness if sent == IncidentStage::Initial => Some(rule.due_at(report.aware_at)),
        Trigger::Classification if sent == IncidentStage::Initial => {
            Some(rule.due_at(report.classified_at))
        }
        Trigger::Previous if rule.stage.previous() == Some(sent) => Some(rule.due_at(now)),
        _ => None,
    }
}

/// Records a version of `stage` (inside the caller's transaction, the
/// incident locked): freezes the due times its trigger sets, measures it
/// against its stage's due time, updates the incident from it. Returns its
/// number.
#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    stage: IncidentStage,
    report: &Report,
    sent_by: i64,
    preparers: &[i64],
    now: NaiveDateTime,
    source: IncidentSource,
) -> AppResult<i32> {
    let before: Vec<IncidentStage> = incident_versions::table
        .filter(incident_versions::incident_id.eq(incident.id))
        .select(incident_versions::stage)
        .load(conn)?;
    let version_no = i32::try_from(before.len())
        .unwrap_or(i32::MAX)
        .saturating_add(1);
    let mut due = [
        incident.initial_due_at,
        incident.intermediate_due_at,
        incident.final_due_at,
    ];
    if !before.contains(&stage) {
        for rule in incident_rules::all(conn)? {
            let slot = &mut due[stage_index(rule.stage)];
            if slot.is_none() {
                *slot = triggered(&rule, stage, report, now);
            }
        }
    }
    let stage_due = due[stage_index(stage)].unwrap_or(now);
    let on_time = now <= stage_due;
    let reached = incident.stage.map_or(stage, |s| s.max(stage));
    let (status, next_due_at) = match reached.next() {
        None => (IncidentStatus::Final, None),
        Some(next) => (IncidentStatus::Open, due[stage_index(next)]),
    };
    let first_send = incident.status == IncidentStatus::Draft || incident.stage.is_none();
    diesel::update(incidents::table.find(incident.id))
        .set((
            incidents::status.eq(status),
            incidents::stage.eq(Some(reached)),
            incidents::kind.eq(report.kind),
            incidents::vector.eq(report.vector),
            incidents::period.eq(Period::from_date(report.occurred_on).to_string()),
            incidents::accounts.eq(report.accounts),
            incidents::trades.eq(report.trades),
            incidents::ongoing.eq(report.ongoing),
            incidents::initial_due_at.eq(due[0]),
            incidents::intermediate_due_at.eq(due[1]),
            incidents::final_due_at.eq(due[2]),
            incidents::next_due_at.eq(next_due_at),
            incidents::updated_at.eq(now),
        ))
        .execute(conn)?;
    if first_send {
        diesel::update(incidents::table.find(incident.id))
            .set((
                incidents::opened_at.eq(now),
                incidents::opened_by.eq(sent_by),
            ))
            .execute(conn)?;
        diesel::insert_into(incident_triage::table)
            .values((
                incident_triage::incident_id.eq(incident.id),
                incident_triage::state.eq(Triage::Received),
                incident_triage::changed_by.eq(sent_by),
                incident_triage::changed_at.eq(now),
            ))
            .execute(conn)?;
    }
    let document = serde_json::to_string(report).map_err(|e| AppError::Internal(e.to_string()))?;
    let version_id: i64 = diesel::insert_into(incident_versions::table)
        .values((
            incident_versions::incident_id.eq(incident.id),
            incident_versions::version_no.eq(version_no),
            incident_versions::stage.eq(stage),
            incident_versions::document.eq(&document),
            incident_versions::submitted_by.eq(sent_by),
            incident_versions::submitted_at.eq(now),
            incident_versions::sent_by_one.eq(preparers.is_empty()),
            incident_versions::due_at.eq(stage_due),
            incident_versions::on_time.eq(on_time),
            incident_versions::source.eq(source),
        ))
        .returning(incident_versions::id)
        .get_result(conn)?;
    for user_id in preparers {
        diesel::insert_into(incident_version_preparers::table)
            .values((
                incident_version_preparers::version_id.eq(version_id),
                incident_version_preparers::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::IncidentSent,
            object_type: "incident",
            object_id: &incident.id.to_string(),
            detail: &format!(
                "stage={stage} version={version_no} on_time={on_time} due={} sent_by_one={}",
                stage_due.format("%Y-%m-%dT%H:%M:%SZ"),
                preparers.is_empty()
            ),
        },
    )?;
    Ok(version_no)
}

fn stage_index(stage: IncidentStage) -> usize {
    match stage {
        IncidentStage::Initial => 0,
        IncidentStage::Intermediate => 1,
        IncidentStage::Final => 2,
    }
}

/// The due time kept for `stage` (`None` until its trigger happened).
pub fn due_of(incident: &Incident, stage: IncidentStage) -> Option<NaiveDateTime> {
    [
        incident.initial_due_at,
        incident.intermediate_due_at,
        incident.final_due_at,
    ][stage_index(stage)]
}

/// An approver reclassifies an open incident as not reportable, with a
/// reason: no stage is awaited any more.
pub fn reclassify(
    conn: &mut DbConn,
    actor: &Actor,
    who: FirmActor,
    incident_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    if who.role != Role::Approver {
        return Err(AppError::Forbidden);
    }
    write_tx(conn, |conn| {
        let incident = lock(conn, who.firm_id, incident_id, now)?;
        let reason = match check_reason(reason) {
            Ok(reason) => reason,
            Err(key) => return Ok(Err(Invalid::one("reason", key))),
        };
        if incident.status != IncidentStatus::Open {
            return Ok(Err(Invalid::one("reason", msg!("err.incident.stage"))));
        }
        diesel::update(incidents::table.find(incident_id))
            .set((
                incidents::status.eq(IncidentStatus::NotReportable),
                incidents::next_due_at.eq(None::<NaiveDateTime>),
                incidents::reclassified_reason.eq(Some(&reason)),
                incidents::reclassified_by.eq(Some(who.user_id)),
                incidents::reclassified_at.eq(Some(now)),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::IncidentReclassified,
                object_type: "incident",
                object_id: &incident_id.to_string(),
                detail: &format!("stage={}", incident.stage.map_or("", |s| s.as_str())),
            },
        )?;
        Ok(Ok(()))
    })
}

/// The firm's incidents that began in `period` and were sent (open or
/// final: never a draft nobody sent, nor one reclassified as not
/// reportable), oldest first: what the month's return is reconciled with.
pub fn in_month(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<Vec<Incident>> {
    incidents::table
        .filter(incidents::firm_id.eq(firm_id))
        .filter(incidents::period.eq(period.to_string()))
        .filter(incidents::status.eq_any([IncidentStatus::Open, IncidentStatus::Final]))
        .order(incidents::id.asc())
        .select(Incident::as_select())
        .load(conn)
}
