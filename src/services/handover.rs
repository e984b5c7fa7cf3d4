//! Hand-over to approvers: a preparer who has checked the answers marks
//! the draft ready for approval. The mark records who and the SHA-256 of
//! the whole draft (trade rows included); it stands only while the draft
//! still has that hash, so any later change undoes it without a write.
//! The firm's approvers who prepared none of it are emailed.

use crate::i18n::Key;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::{Actor, amendments, four_eyes, notify, submission};
use crate::db::schema::{draft_changes, returns};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::mail::workflow_messages;

/// Why a draft cannot be marked ready (each a message key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// There is no draft.
    NothingPrepared,
    /// The draft changed after the page was shown.
    Changed,
    /// A rule fails or a warning is unexplained.
    Problems,
}

impl Refusal {
    pub fn key(self) -> Key {
        match self {
            Refusal::NothingPrepared => msg!("cya.refused.nothing"),
            Refusal::Changed => msg!("cya.refused.changed"),
            Refusal::Problems => msg!("cya.refused.problems"),
        }
    }
}

/// A ready mark as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyMark {
    pub by: String,
    pub at: NaiveDateTime,
    /// Whether the draft is still the one marked ready.
    pub current: bool,
}

/// What the preparer checked before marking the draft ready.
#[derive(Clone, Copy, Debug)]
pub struct Checked<'a> {
    /// The hash of the draft they were shown.
    pub sha256: &'a str,
    /// Whether an amendment's reason is asked of the draft (the filing
    /// API's `amendment`); in the portal the approver gives it.
    pub reason_in_draft: bool,
}

/// Marks the firm-month's draft ready for approval, if it is still the
/// draft the preparer checked (`checked.sha256`) and it meets every rule
/// with every warning explained (and, when asked, gives an amendment's
/// reason); audited; the approvers are emailed in their language, with a
/// link to the approver's page.
pub fn mark_ready(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    checked: Checked<'_>,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<Result<(), Refusal>> {
    write_tx(conn, |conn| {
        let Some(row) = super::returns::lock_existing(conn, firm_id, period, now)? else {
            return Ok(Err(Refusal::NothingPrepared));
        };
        if row.draft_json.is_none() {
            return Ok(Err(Refusal::NothingPrepared));
        }
        let draft = four_eyes::stored_draft(conn, row.id)?;
        let hash = four_eyes::draft_sha256(conn, row.id, &draft)?;
        if hash != checked.sha256 {
            return Ok(Err(Refusal::Changed));
        }
        // A nil draft too: over a month with incidents it needs its
        // explanation before an approver is asked to submit it.
        if !submission::assess(conn, firm_id, period, &draft)?.ready() {
            return Ok(Err(Refusal::Problems));
        }
        let amending = row.current_version > 0;
        if checked.reason_in_draft && !amendments::draft_problems(&draft, amending).is_empty() {
            return Ok(Err(Refusal::Problems));
        }
        diesel::update(returns::table.find(row.id))
            .set((
                returns::ready_sha256.eq(&hash),
                returns::ready_by.eq(actor.user_id),
                returns::ready_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::MarkedReady,
                object_type: "return",
                object_id: &row.id.to_string(),
                detail: &format!("firm {firm_id} period {period} sha256 {hash}"),
            },
        )?;
        let preparers = four_eyes::preparers(conn, row.id)?;
        let approvers: Vec<_> = notify::firm_users(conn, firm_id, &[Role::Approver])?
            .into_iter()
            .filter(|u| Some(u.id) != actor.user_id && !preparers.iter().any(|(id, _)| *id == u.id))
            .collect();
        let firm = notify::firm_name(conn, firm_id)?;
        let by = four_eyes::name_of(conn, actor.user_id)?.unwrap_or_default();
        let key = period.to_string();
        let link = links.approve_page(&key);
        notify::send_each(conn, &approvers, now, |to, lang| {
            workflow_messages::ready_for_approval(to, lang, &firm, &key, &by, &link)
        })?;
        Ok(Ok(()))
    })
}

/// The latest recorded hash of each of these returns' drafts.
fn latest_hashes(conn: &mut DbConn, return_ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = draft_changes::table
        .filter(draft_changes::return_id.eq_any(return_ids))
        .order(draft_changes::id.asc())
        .select((draft_changes::return_id, draft_changes::content_sha256))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The ready mark of one firm-month, if one was given.
pub fn ready_mark(conn: &mut DbConn, firm_id: i64, period: Period) -> AppResult<Option<ReadyMark>> {
    let found: Option<MarkRow> = returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select(MARK_COLUMNS)
        .first(conn)
        .optional()?;
    let Some((id, Some(sha), by, Some(at))) = found else {
        return Ok(None);
    };
    let current = four_eyes::current_sha256(conn, id)? == sha;
    mark(conn, by, at, current)
}

/// [`ready_mark`] of return `return_id` whose draft's hash is known to be
/// `draft_sha256` (just written or just read), so it is not hashed again.
pub fn ready_mark_of(
    conn: &mut DbConn,
    return_id: i64,
    draft_sha256: &str,
) -> AppResult<Option<ReadyMark>> {
    let found: Option<MarkRow> = returns::table
        .find(return_id)
        .select(MARK_COLUMNS)
        .first(conn)
        .optional()?;
    let Some((_, Some(sha), by, Some(at))) = found else {
        return Ok(None);
    };
    mark(conn, by, at, sha == draft_sha256)
}

/// A return's id and its ready mark's columns: hash, by whom, when.
type MarkRow = (i64, Option<String>, Option<i64>, Option<NaiveDateTime>);
const MARK_COLUMNS: (
    returns::id,
    returns::ready_sha256,
    returns::ready_by,
    returns::ready_at,
) = (
    returns::id,
    returns::ready_sha256,
    returns::ready_by,
    returns::ready_at,
);

fn mark(
    conn: &mut DbConn,
    by: Option<i64>,
    at: NaiveDateTime,
    current: bool,
) -> AppResult<Option<ReadyMark>> {
    Ok(Some(ReadyMark {
        by: four_eyes::name_of(conn, by)?.unwrap_or_default(),
        at,
        current,
    }))
}

/// For the firm's list: each period with a ready mark, and whether the
/// draft is still the one marked (one query for the marks, one for the
/// drafts' latest recorded hashes).
pub fn ready_marks(conn: &mut DbConn, firm_id: i64) -> QueryResult<HashMap<String, bool>> {
    let marked: Vec<(i64, String, Option<String>)> = returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::ready_sha256.is_not_null())
        .select((returns::id, returns::period, returns::ready_sha256))
        .load(conn)?;
    let ids: Vec<i64> = marked.iter().map(|(id, _, _)| *id).collect();
    let latest = latest_hashes(conn, &ids)?;
    Ok(marked
        .into_iter()
        .map(|(id, period, sha)| {
            let current = sha.is_some() && latest.get(&id) == sha.as_ref();
            (period, current)
        })
        .collect())
}
