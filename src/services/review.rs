//! The regulator's decision on a version: accept it, or send it back to the
//! firm with a reason (emailed to the firm's approvers in the same
//! transaction). Only the latest version of a return, and only while it
//! awaits review, can be decided; a returned return is amended by a new
//! version.

use crate::i18n::Key;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::notify;
use super::{Actor, Invalid, clean_text};
use crate::db::models::{ReturnRow, Version};
use crate::db::schema::{return_versions, returns};
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
        return Err(AppError::Conflict(msg!("review.conflict.superseded")));
    }
    if version.status != VersionStatus::Submitted {
        return Err(AppError::Conflict(msg!("review.conflict.decided")));
    }
    Ok((version, row))
}

/// The reason for sending a return back, trimmed: required, at most
/// `REASON_MAX_CHARS` characters, no control characters but line breaks.
pub fn clean_reason(reason: &str) -> Result<String, Key> {
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
        return Err(AppError::Conflict(msg!("review.conflict.decided")));
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
