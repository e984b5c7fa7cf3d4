//! The regulator's decision on a version: accept it, or send it back to the
//! firm with a reason (emailed to the firm's approvers in the same
//! transaction). Only the latest version of a return, and only while it
//! awaits review, can be decided; a returned return is amended by a new
//! version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::four_eyes::{Basis, name_of as display_name};

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::notify;
use super::{Actor, Invalid, clean_text};
use crate::db::models::{ReturnRow, Version};
use crate::db::schema::{audit_events, return_versions, returns, users};
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::{ReviewOutcome, Role, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::mail::workflow_messages;

/// Longest reason accepted, in characters.
pub const REASON_MAX_CHARS: usize = crate::domain::limits::RETURN_REASON;

/// Locks the version's return (on PostgreSQL, the update takes the row
/// lock a concurrent submission also takes) and checks that the version is
/// the latest one and still awaits review.
fn lock_decidable(
    conn: &mut DbConn,
    version_id: i64,
    now: NaiveDateTime,
) -> AppResult<(Version, ReturnRow)> {
    let return_id: i64 = return_versions::table
        .find(version_id)
        .select(return_versions::return_id)
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    diesel::update(returns::table.find(return_id))
        .set(returns::updated_at.eq(now))
        .execute(conn)?;
    let row = returns::table
        .find(return_id)
        .select(ReturnRow::as_select())
        .first(conn)?;
    let version = return_versions::table
        .find(version_id)
        .select(Version::as_select())
        .first(conn)?;
    if version.version_no != row.current_version {
        return Err(AppError::Conflict("review.conflict.superseded"));
    }
    if version.status != VersionStatus::Submitted {
        return Err(AppError::Conflict("review.conflict.decided"));
    }
    Ok((version, row))
}

/// The reason for sending a return back, trimmed: required, at most
/// `REASON_MAX_CHARS` characters, no control characters but line breaks.
pub fn clean_reason(reason: &str) -> Result<String, &'static str> {
    clean_text(reason, REASON_MAX_CHARS, true)
}

fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    version: &Version,
    outcome: ReviewOutcome,
    note: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Version> {
    let changed = diesel::update(
        return_versions::table
            .find(version.id)
            .filter(return_versions::status.eq(VersionStatus::Submitted)),
    )
    .set((
        return_versions::status.eq(outcome.status()),
        return_versions::reviewed_at.eq(now),
        return_versions::reviewed_by.eq(actor.user_id),
        return_versions::review_note.eq(note),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Err(AppError::Conflict("review.conflict.decided"));
    }
    diesel::update(returns::table.find(version.return_id))
        .set((
            returns::state.eq(outcome.return_state()),
            returns::updated_at.eq(now),
        ))
        .execute(conn)?;
    super::summary::reviewed(conn, &version.period, now)?;
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: match outcome {
                ReviewOutcome::Accepted => Action::VersionAccepted,
                ReviewOutcome::Returned => Action::VersionReturned,
            },
            object_type: "version",
            object_id: &version.id.to_string(),
            detail: &format!(
                "firm {} {} v{} {}",
                version.firm_id, version.period, version.version_no, version.receipt_no
            ),
        },
    )?;
    Ok(return_versions::table
        .find(version.id)
        .select(Version::as_select())
        .first(conn)?)
}

/// Accepts the latest version of a return. A superseded or already
/// decided version is refused with a conflict (409), nothing changed.
pub fn accept(
    conn: &mut DbConn,
    actor: &Actor,
    version_id: i64,
    now: NaiveDateTime,
) -> AppResult<Version> {
    write_tx(conn, |conn| {
        let (version, _) = lock_decidable(conn, version_id, now)?;
        decide(conn, actor, &version, ReviewOutcome::Accepted, None, now)
    })
}

/// Returns the latest version to the firm with `reason` (required, at most
/// 2,000 characters) and emails the firm's active approvers, with a link to
/// the return.
pub fn send_back(
    conn: &mut DbConn,
    actor: &Actor,
    version_id: i64,
    reason: &str,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<Result<Version, Invalid>> {
    let reason = match clean_reason(reason) {
        Ok(reason) => reason,
        Err(key) => return Ok(Err(Invalid::one("reason", key))),
    };
    write_tx(conn, |conn| {
        let (version, _) = lock_decidable(conn, version_id, now)?;
        let version = decide(
            conn,
            actor,
            &version,
            ReviewOutcome::Returned,
            Some(&reason),
            now,
        )?;
        let approvers = notify::firm_users(conn, version.firm_id, &[Role::Approver])?;
        let firm = notify::firm_name(conn, version.firm_id)?;
        let link = links.return_page(&version.period);
        notify::send_each(conn, &approvers, now, |to, lang| {
            workflow_messages::returned(to, lang, &firm, &version, &reason, &link)
        })?;
        Ok(Ok(version))
    })
}

/// The reason and time of the regulator's return of the firm's return for
/// `period`, while it awaits amendment (its latest version is "returned").
pub fn open_review_note(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    let latest: Option<(VersionStatus, Option<String>, Option<NaiveDateTime>)> = returns::table
        .inner_join(
            return_versions::table.on(return_versions::return_id
                .eq(returns::id)
                .and(return_versions::version_no.eq(returns::current_version))),
        )
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select((
            return_versions::status,
            return_versions::review_note,
            return_versions::reviewed_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match latest {
        Some((VersionStatus::Returned, Some(note), Some(at))) => Some((note, at)),
        _ => None,
    })
}

/// Who stands behind a version, by display name: who submitted it, who
/// attested it, who prepared it (as the four-eyes check recorded), the
/// firm's users who saved its draft, and the four-eyes basis as recorded.
/// The review page shows these through this one function, so data stored
/// per version later is shown by changing it alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionPeople {
    pub submitted_by: Option<String>,
    pub attested_by: Option<String>,
    pub prepared_by: Option<String>,
    /// Distinct users who saved the draft this version was filed from,
    /// in the order they first saved it.
    pub saved_by: Vec<String>,
    /// The four-eyes basis as recorded before the basis had a column of
    /// its own ("exempt: …", "prepared by …").
    pub four_eyes: Option<String>,
    /// Prepared by one and submitted by another (recorded on the version).
    pub two_people: bool,
    /// Exempt by the regulator's decision of that date (recorded on the version).
    pub exempt_on: Option<chrono::NaiveDate>,
    /// The approver's note given with the attestation.
    pub approver_note: String,
}

/// The audit event that recorded the submission of `version_id`.
fn submission_event(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<i64>> {
    audit_events::table
        .filter(
            audit_events::action
                .eq_any([Action::Submitted.as_str(), Action::SubmittedNil.as_str()]),
        )
        .filter(audit_events::object_type.eq("version"))
        .filter(audit_events::object_id.eq(version_id.to_string()))
        .select(audit_events::id)
        .first(conn)
        .optional()
}

/// The people behind version `version_id` (`None`: no such version).
pub fn version_people(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<VersionPeople>> {
    let Some(version) = return_versions::table
        .find(version_id)
        .select(Version::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let details = super::submission::details_of(conn, version_id)?;
    let four_eyes = details.as_ref().map(|d| d.four_eyes.clone());
    let preparer = four_eyes
        .as_deref()
        .and_then(|f| f.strip_prefix("prepared by user "))
        .and_then(|id| id.trim().parse::<i64>().ok());
    // The drafts saved since the previous version was filed, by the
    // order of the audit trail (times can tie).
    let previous: Option<i64> = return_versions::table
        .filter(return_versions::return_id.eq(version.return_id))
        .filter(return_versions::version_no.lt(version.version_no))
        .order(return_versions::version_no.desc())
        .select(return_versions::id)
        .first(conn)
        .optional()?;
    let until = submission_event(conn, version_id)?;
    let since = match previous {
        Some(id) => submission_event(conn, id)?,
        None => None,
    };
    let mut saves = audit_events::table
        .inner_join(users::table.on(audit_events::actor_user_id.eq(users::id.nullable())))
        .filter(audit_events::action.eq(Action::DraftSaved.as_str()))
        .filter(audit_events::object_type.eq("return"))
        .filter(audit_events::object_id.eq(version.return_id.to_string()))
        .into_boxed();
    if let Some(until) = until {
        saves = saves.filter(audit_events::id.lt(until));
    }
    if let Some(since) = since {
        saves = saves.filter(audit_events::id.gt(since));
    }
    let savers: Vec<(i64, String)> = saves
        .order(audit_events::id.asc())
        .select((users::id, users::display_name))
        .load(conn)?;
    let mut saved_by = Vec::new();
    let mut seen = Vec::new();
    for (id, name) in savers {
        if !seen.contains(&id) {
            seen.push(id);
            saved_by.push(name);
        }
    }
    let recorded = super::four_eyes::version_people(conn, version_id)?;
    let (two_people, exempt_on, approver_note, preparers, attested) = match recorded {
        Some(r) => (
            matches!(r.basis, Basis::TwoPeople),
            match r.basis {
                Basis::Exempt(date) => Some(date),
                _ => None,
            },
            r.approver_note,
            r.preparers,
            r.attested_by,
        ),
        None => (false, None, String::new(), Vec::new(), None),
    };
    let prepared_by = if preparers.is_empty() {
        display_name(conn, preparer)?
    } else {
        Some(preparers.join(", "))
    };
    let attested_by = match attested {
        Some(name) => Some(name),
        None => display_name(conn, details.as_ref().and_then(|d| d.attested_by))?,
    };
    Ok(Some(VersionPeople {
        submitted_by: display_name(conn, version.submitted_by)?,
        attested_by,
        prepared_by,
        saved_by,
        four_eyes,
        two_people,
        exempt_on,
        approver_note,
    }))
}
