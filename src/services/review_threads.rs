//! A return's review threads, read: the regulator's comments on its
//! versions, section by section, each with the firm's answers. Staff read
//! every comment (drafts and internal notes included); a firm reads only
//! the firm-visible comments already sent. The comments of every version
//! of a return stay the return's thread: an amendment keeps the open ones
//! in view (and in the way of an acceptance) until staff resolve them.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::incident_thread::ThreadLine;
use crate::db::DbConn;
use crate::db::schema::{return_versions, review_answers, review_comments, users};
use crate::domain::period::Period;
use crate::domain::review_comment::CommentSection;

#[derive(Queryable, Selectable)]
#[diesel(table_name = review_comments)]
struct CommentRow {
    id: i64,
    section: CommentSection,
    firm_visible: bool,
    body: String,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    answered_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    resolved_by: Option<i64>,
}

/// One comment with its answers, as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    /// The version it was written on.
    pub version_no: i32,
    pub section: CommentSection,
    pub author: String,
    pub firm_visible: bool,
    pub body: String,
    pub created_at: NaiveDateTime,
    /// `None` while drafted (a firm-visible comment not sent yet).
    pub sent_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    /// Who resolved it, and when.
    pub resolved: Option<(String, NaiveDateTime)>,
    /// The firm's answers, oldest first.
    pub answers: Vec<ThreadLine>,
}

impl Comment {
    /// Firm-visible and not resolved: in the way of an acceptance.
    pub fn is_open(&self) -> bool {
        self.firm_visible && self.resolved.is_none()
    }

    /// Firm-visible, not sent yet and not resolved: goes with the review.
    pub fn is_draft(&self) -> bool {
        self.is_open() && self.sent_at.is_none()
    }
}

/// Every comment on the return `return_id`, oldest first (staff only).
pub fn for_staff(conn: &mut DbConn, return_id: i64) -> QueryResult<Vec<Comment>> {
    load(conn, Scope::Staff(return_id))
}

/// The sent firm-visible comments on the firm's return for `period`,
/// oldest first.
pub fn for_firm(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<Vec<Comment>> {
    load(conn, Scope::Firm(firm_id, period))
}

/// Whose comments are read.
enum Scope {
    /// All of a return's (by id).
    Staff(i64),
    /// The sent firm-visible ones of a firm's return for a period.
    Firm(i64, Period),
}

/// A comment the return's thread holds: its section and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenComment {
    pub id: i64,
    pub section: CommentSection,
    pub body: String,
    /// Not sent yet.
    pub draft: bool,
}

/// The firm-visible comments not resolved on any version of the return
/// `return_id` (drafts included), oldest first. Call inside the caller's
/// transaction after locking the return, so nothing changes them before it
/// ends.
pub(crate) fn open_on_return(conn: &mut DbConn, return_id: i64) -> QueryResult<Vec<OpenComment>> {
    let rows: Vec<(i64, CommentSection, String, Option<NaiveDateTime>)> = review_comments::table
        .inner_join(return_versions::table)
        .filter(return_versions::return_id.eq(return_id))
        .filter(review_comments::firm_visible.eq(true))
        .filter(review_comments::resolved_at.is_null())
        .order(review_comments::id.asc())
        .select((
            review_comments::id,
            review_comments::section,
            review_comments::body,
            review_comments::sent_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, section, body, sent_at)| OpenComment {
            id,
            section,
            body,
            draft: sent_at.is_none(),
        })
        .collect())
}

fn load(conn: &mut DbConn, scope: Scope) -> QueryResult<Vec<Comment>> {
    let mut query = review_comments::table
        .inner_join(return_versions::table)
        .inner_join(users::table.on(review_comments::author_id.eq(users::id)))
        .into_boxed();
    query = match scope {
        Scope::Staff(return_id) => query.filter(return_versions::return_id.eq(return_id)),
        Scope::Firm(firm_id, period) => query
            .filter(return_versions::firm_id.eq(firm_id))
            .filter(return_versions::period.eq(period.to_string()))
            .filter(review_comments::firm_visible.eq(true))
            .filter(review_comments::sent_at.is_not_null()),
    };
    let rows: Vec<(CommentRow, i32, String)> = query
        .order(review_comments::id.asc())
        .select((
            CommentRow::as_select(),
            return_versions::version_no,
            users::display_name,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(c, _, _)| c.id).collect();
    let resolvers: BTreeMap<i64, String> = users::table
        .filter(users::id.eq_any(rows.iter().filter_map(|(c, _, _)| c.resolved_by)))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut answers = answers_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(c, version_no, author)| Comment {
            id: c.id,
            version_no,
            section: c.section,
            author,
            firm_visible: c.firm_visible,
            body: c.body,
            created_at: c.created_at,
            sent_at: c.sent_at,
            answered_at: c.answered_at,
            resolved: c.resolved_at.map(|at| {
                let who = c.resolved_by.and_then(|id| resolvers.get(&id).cloned());
                (who.unwrap_or_default(), at)
            }),
            answers: answers.remove(&c.id).unwrap_or_default(),
        })
        .collect())
}

/// The answers to the comments `ids`, by comment, oldest first.
fn answers_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<BTreeMap<i64, Vec<ThreadLine>>> {
    let rows: Vec<(i64, i64, String, String, NaiveDateTime)> = review_answers::table
        .inner_join(users::table)
        .filter(review_answers::comment_id.eq_any(ids))
        .order(review_answers::id.asc())
        .select((
            review_answers::id,
            review_answers::comment_id,
            users::display_name,
            review_answers::body,
            review_answers::sent_at,
        ))
        .load(conn)?;
    let mut by_comment: BTreeMap<i64, Vec<ThreadLine>> = BTreeMap::new();
    for (id, comment_id, author, body, sent_at) in rows {
        by_comment.entry(comment_id).or_default().push(ThreadLine {
            id,
            author,
            from_regulator: false,
            firm_visible: true,
            body,
            sent_at,
        });
    }
    Ok(by_comment)
}
