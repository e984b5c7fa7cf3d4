//! Regulator staff write a return's review threads: a comment on a section
//! of the version awaiting review (firm-visible or internal), the review
//! sent (every drafted firm-visible comment at once, in one email to each
//! of the firm's approvers) and a comment resolved. Each takes the lock of
//! the return that a decision takes (`review::lock_return`), so a comment
//! and an acceptance never pass each other.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::review::{lock_decidable, lock_return};
use super::review_threads::{self, OpenComment};
use super::{Actor, Invalid, notify};
use crate::db::models::User;
use crate::db::schema::{return_versions, review_comments};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::review_comment::{CommentSection, check_text};
use crate::error::{AppError, AppResult};
use crate::mail::review_messages;

/// A comment as the staff's form sends it.
pub struct Draft<'a> {
    /// A `CommentSection` string.
    pub section: &'a str,
    /// `firm` or `internal`.
    pub visibility: &'a str,
    pub body: &'a str,
}

/// Staff comment on the version `version_id`, the latest of its return and
/// awaiting review (else a conflict). A firm-visible comment is drafted
/// until the review is sent; an internal note is never shown to the firm.
/// Mistakes come back by field, nothing stored.
pub fn draft(
    conn: &mut DbConn,
    actor: &Actor,
    author: &User,
    version_id: i64,
    typed: &Draft<'_>,
    now: NaiveDateTime,
) -> AppResult<Result<i64, Invalid>> {
    if author.firm_id.is_some() || !matches!(author.role, Role::Analyst | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let mut invalid = Invalid(Vec::new());
    let section = CommentSection::parse(typed.section).ok();
    if section.is_none() {
        invalid.push("section", msg!("err.choose"));
    }
    let firm_visible = match typed.visibility {
        "firm" => Some(true),
        "internal" => Some(false),
        _ => {
            invalid.push("visibility", msg!("err.choose"));
            None
        }
    };
    let body = check_text(typed.body)
        .map_err(|key| invalid.push("body", key))
        .ok();
    write_tx(conn, |conn| {
        lock_decidable(conn, version_id, now)?;
        let (Some(section), Some(firm_visible), Some(body)) = (section, firm_visible, body) else {
            return Ok(Err(invalid));
        };
        let id: i64 = diesel::insert_into(review_comments::table)
            .values((
                review_comments::version_id.eq(version_id),
                review_comments::section.eq(section),
                review_comments::author_id.eq(author.id),
                review_comments::firm_visible.eq(firm_visible),
                review_comments::body.eq(&body),
                review_comments::created_at.eq(now),
                // An internal note is for staff at once: nothing to send.
                review_comments::sent_at.eq((!firm_visible).then_some(now)),
            ))
            .returning(review_comments::id)
            .get_result(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ReviewCommentDrafted,
                object_type: "version",
                object_id: &version_id.to_string(),
                detail: &format!(
                    "comment={id} section={section} {}",
                    if firm_visible { "visible" } else { "internal" }
                ),
            },
        )?;
        Ok(Ok(id))
    })
}

/// Sends the review of `version_id`: every drafted firm-visible comment,
/// in one email to each active approver of the firm listing them. `shown`
/// names the drafts the sender saw (ids, comma-separated): when they are
/// not exactly the drafts now, nothing is sent (a conflict), so nobody
/// sends what they have not read. Returns how many were sent.
pub fn send(
    conn: &mut DbConn,
    actor: &Actor,
    version_id: i64,
    shown: &str,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let shown: Option<Vec<i64>> = shown
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().ok())
        .collect();
    write_tx(conn, |conn| {
        let (version, _) = lock_decidable(conn, version_id, now)?;
        let drafts: Vec<OpenComment> = review_threads::open_on_return(conn, version.return_id)?
            .into_iter()
            .filter(|c| c.draft)
            .collect();
        if drafts.is_empty() {
            return Err(AppError::Conflict(msg!(
                "review_thread.err.nothing_to_send"
            )));
        }
        let mut ids: Vec<i64> = drafts.iter().map(|c| c.id).collect();
        let mut seen = shown.unwrap_or_default();
        ids.sort_unstable();
        seen.sort_unstable();
        if ids != seen {
            return Err(AppError::Conflict(msg!("review_thread.err.drafts_changed")));
        }
        send_drafts_in(conn, &drafts, now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ReviewSent,
                object_type: "version",
                object_id: &version_id.to_string(),
                detail: &format!(
                    "comments={}",
                    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
                ),
            },
        )?;
        let approvers = notify::firm_users(conn, version.firm_id, &[Role::Approver])?;
        let firm = notify::firm_name(conn, version.firm_id)?;
        let link = links.return_page(&version.period);
        notify::send_each(conn, &approvers, now, |to, lang| {
            review_messages::review_sent(to, lang, &firm, &version, &drafts, &link)
        })?;
        Ok(drafts.len())
    })
}

/// Marks the drafts among `comments` sent at `now` (inside the caller's
/// transaction, the return locked): with the review, or with the return of
/// the version to the firm.
pub(crate) fn send_drafts_in(
    conn: &mut DbConn,
    comments: &[OpenComment],
    now: NaiveDateTime,
) -> AppResult<()> {
    let drafts: Vec<i64> = comments.iter().filter(|c| c.draft).map(|c| c.id).collect();
    diesel::update(
        review_comments::table
            .filter(review_comments::id.eq_any(&drafts))
            .filter(review_comments::sent_at.is_null()),
    )
    .set(review_comments::sent_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Staff resolve the comment `comment_id` of the return of `version_id`
/// (any of its versions). A comment of another return is not found; one
/// resolved already is a conflict. A draft resolved is never sent.
pub fn resolve(
    conn: &mut DbConn,
    actor: &Actor,
    version_id: i64,
    comment_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let (version, _) = lock_return(conn, version_id, now)?;
        let on_return: i64 = review_comments::table
            .inner_join(return_versions::table)
            .filter(review_comments::id.eq(comment_id))
            .filter(return_versions::return_id.eq(version.return_id))
            .count()
            .get_result(conn)?;
        if on_return == 0 {
            return Err(AppError::NotFound);
        }
        let changed = diesel::update(
            review_comments::table
                .find(comment_id)
                .filter(review_comments::resolved_at.is_null()),
        )
        .set((
            review_comments::resolved_at.eq(now),
            review_comments::resolved_by.eq(actor.user_id),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(AppError::Conflict(msg!(
                "review_thread.err.already_resolved"
            )));
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ReviewCommentResolved,
                object_type: "version",
                object_id: &version_id.to_string(),
                detail: &format!("comment={comment_id}"),
            },
        )?;
        Ok(())
    })
}
