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
use super::{Actor, Invalid, clean_text, review_comments, review_threads};
use crate::db::models::{ReturnRow, Version};
use crate::db::schema::{return_versions, returns};
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::{ReviewOutcome, Role, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::mail::{review_messages, workflow_messages};

/// Longest reason accepted, in characters.
pub const REASON_MAX_CHARS: usize = crate::domain::limits::RETURN_REASON;

/// Locks the version's return (on PostgreSQL, the update takes the row
/// lock a concurrent submission also takes): everything that changes the
/// review of a return (a decision, a comment, a resolution) takes it first.
pub(crate) fn lock_return(
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
    Ok((version, row))
}

/// Locks the version's return (`lock_return`) and checks that the version
/// is the latest one and still awaits review.
pub(crate) fn lock_decidable(
    conn: &mut DbConn,
    version_id: i64,
    now: NaiveDateTime,
) -> AppResult<(Version, ReturnRow)> {
    let (version, row) = lock_return(conn, version_id, now)?;
    if version.version_no != row.current_version {
        return Err(AppError::Conflict(msg!("review.conflict.superseded")));
    }
    if version.status != VersionStatus::Submitted {
        return Err(AppError::Conflict(msg!("review.conflict.decided")));
    }
    Ok((version, row))
}

/// The reason for sending a return back, trimmed: at most
/// `REASON_MAX_CHARS` characters, no control characters but line breaks.
/// It may be empty when the return has open comments (`send_back` says).
pub fn clean_reason(reason: &str) -> Result<String, Key> {
    clean_text(reason, REASON_MAX_CHARS, false)
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
/// decided version, or a return with a firm-visible comment not resolved
/// (drafted or sent, on any of its versions), is refused with a conflict
/// (409), nothing changed. The comments are counted after the lock, so a
/// comment written meanwhile waits for the acceptance or stops it.
pub fn accept(
    conn: &mut DbConn,
    actor: &Actor,
    version_id: i64,
    now: NaiveDateTime,
) -> AppResult<Version> {
    write_tx(conn, |conn| {
        let (version, _) = lock_decidable(conn, version_id, now)?;
        if !review_threads::open_on_return(conn, version.return_id)?.is_empty() {
            return Err(AppError::Conflict(OPEN_COMMENTS));
        }
        decide(conn, actor, &version, ReviewOutcome::Accepted, None, now)
    })
}

/// Why an acceptance is refused while a firm-visible comment is open.
pub const OPEN_COMMENTS: Key = msg!("review_thread.err.open_comments");

/// Returns the latest version to the firm with `reason` (at most 2,000
/// characters) and its open firm-visible comments (drafts are sent with
/// it), and emails the firm's active approvers both, with a link to the
/// return. The reason is required when no comment is open.
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
        let open = review_threads::open_on_return(conn, version.return_id)?;
        if reason.is_empty() && open.is_empty() {
            return Ok(Err(Invalid::one("reason", msg!("err.required"))));
        }
        review_comments::send_drafts_in(conn, &open, now)?;
        let note = Some(reason.as_str()).filter(|r| !r.is_empty());
        let version = decide(conn, actor, &version, ReviewOutcome::Returned, note, now)?;
        let approvers = notify::firm_users(conn, version.firm_id, &[Role::Approver])?;
        let firm = notify::firm_name(conn, version.firm_id)?;
        let link = links.return_page(&version.period);
        notify::send_each(conn, &approvers, now, |to, lang| {
            let comments = review_messages::comment_items(lang, &open);
            workflow_messages::returned(to, lang, &firm, &version, &reason, &comments, &link)
        })?;
        Ok(Ok(version))
    })
}

/// The reason (empty when only comments were sent) and time of the regulator's return of the firm's return for
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
    // Returned with open comments only, the reason is empty.
    Ok(match latest {
        Some((VersionStatus::Returned, note, Some(at))) => Some((note.unwrap_or_default(), at)),
        _ => None,
    })
}
