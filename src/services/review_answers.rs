//! A firm answers the regulator's comment in its return's review thread
//! (a reporter or an approver): the answer is stored, the comment marked
//! answered and the staff who wrote on the return are emailed, all in one
//! transaction. Only a sent, firm-visible, unresolved comment of the
//! firm's own return for the period can be answered; only staff resolve.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::{Actor, Invalid, notify};
use crate::db::models::User;
use crate::db::schema::{return_versions, review_answers, review_comments};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::period::Period;
use crate::domain::review_comment::{CommentSection, check_text};
use crate::error::{AppError, AppResult};
use crate::mail::review_messages::{self, Answered};

/// The comment answered: its return, section and text.
struct Answerable {
    return_id: i64,
    section: CommentSection,
    body: String,
}

/// The firm's comment `comment_id` on its return for `period`, sent and
/// visible to it; anything else (another firm's, an internal note, a
/// draft, a wrong period) is not found, never told apart.
fn answerable(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    comment_id: i64,
) -> AppResult<Answerable> {
    let (return_id, section, body) = review_comments::table
        .inner_join(return_versions::table)
        .filter(review_comments::id.eq(comment_id))
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period.to_string()))
        .filter(review_comments::firm_visible.eq(true))
        .filter(review_comments::sent_at.is_not_null())
        .select((
            return_versions::return_id,
            review_comments::section,
            review_comments::body,
        ))
        .first::<(i64, CommentSection, String)>(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok(Answerable {
        return_id,
        section,
        body,
    })
}

/// A firm user answers the comment `comment_id` on the firm's return for
/// `period`. A mistake in the text, or a comment resolved meanwhile, comes
/// back beside the field (nothing stored).
#[allow(clippy::too_many_arguments)]
pub fn answer(
    conn: &mut DbConn,
    actor: &Actor,
    author: &User,
    period: Period,
    comment_id: i64,
    body: &str,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    let firm_id = match (author.role, author.firm_id) {
        (Role::Reporter | Role::Approver, Some(firm_id)) => firm_id,
        _ => return Err(AppError::Forbidden),
    };
    // Looked up first all the same: a mistake tells nothing of a comment
    // that is not the firm's.
    answerable(conn, firm_id, period, comment_id)?;
    let body = match check_text(body) {
        Ok(body) => body,
        Err(key) => return Ok(Err(Invalid::one("body", key))),
    };
    write_tx(conn, |conn| {
        let comment = answerable(conn, firm_id, period, comment_id)?;
        let open = diesel::update(
            review_comments::table
                .find(comment_id)
                .filter(review_comments::resolved_at.is_null()),
        )
        .set(review_comments::answered_at.eq(now))
        .execute(conn)?;
        if open != 1 {
            return Ok(Err(Invalid::one(
                "body",
                msg!("review_thread.err.resolved"),
            )));
        }
        let id: i64 = diesel::insert_into(review_answers::table)
            .values((
                review_answers::comment_id.eq(comment_id),
                review_answers::author_id.eq(author.id),
                review_answers::body.eq(&body),
                review_answers::sent_at.eq(now),
            ))
            .returning(review_answers::id)
            .get_result(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ReviewCommentAnswered,
                object_type: "review_comment",
                object_id: &comment_id.to_string(),
                detail: &format!("answer={id} firm={firm_id} {period}"),
            },
        )?;
        let recipients = following_staff(conn, comment.return_id)?;
        let firm = notify::firm_name(conn, firm_id)?;
        let link = staff_link(conn, comment.return_id, links)?;
        let period = period.to_string();
        let what = Answered {
            firm: &firm,
            period: &period,
            section: comment.section,
            comment: &comment.body,
            author: &author.display_name,
            answer: &body,
            sent_at: now,
            link: &link,
        };
        notify::send_each(conn, &recipients, now, |to, lang| {
            review_messages::answered(to, lang, &what)
        })?;
        Ok(Ok(()))
    })
}

/// The staff's page of the latest version of the return.
fn staff_link(conn: &mut DbConn, return_id: i64, links: &MailLinks) -> QueryResult<String> {
    let id: i64 = return_versions::table
        .filter(return_versions::return_id.eq(return_id))
        .order(return_versions::version_no.desc())
        .select(return_versions::id)
        .first(conn)?;
    Ok(links.review_version(id))
}

/// The active staff who commented on the return (else the analysts).
fn following_staff(conn: &mut DbConn, return_id: i64) -> QueryResult<Vec<User>> {
    let writers: Vec<i64> = review_comments::table
        .inner_join(return_versions::table)
        .filter(return_versions::return_id.eq(return_id))
        .select(review_comments::author_id)
        .load(conn)?;
    notify::following_or_analysts(conn, &writers)
}
