//! A return's review threads on a page: the staff's panel on a version
//! (every comment, drafts and internal notes, the forms to comment, send
//! the review and resolve) and the firm's comments beside each section of
//! its return, each with the form to answer it. One partial draws a
//! comment on both sides (`templates/_review_comment.html`).

use super::incident_thread::{ThreadItem, items};
use super::paths;
use super::view::Chrome;
use crate::domain::period::Period;
use crate::domain::return_sections::ReturnSection;
use crate::domain::review_comment::CommentSection;
use crate::i18n::Key;
use crate::services::Invalid;
use crate::services::review_threads::Comment;

/// One comment with its answers, as the partial draws it.
pub struct CommentItem {
    pub id: i64,
    pub section: String,
    pub author: String,
    pub version_no: i32,
    /// When it was sent (written, for a draft), in Tokyo time.
    pub when: String,
    pub status: String,
    pub status_class: &'static str,
    pub internal: bool,
    pub body: String,
    pub answers: Vec<ThreadItem>,
    /// Who resolved it, and when.
    pub resolved: Option<String>,
    /// Staff: where the resolve button posts (open comments only).
    pub resolve: Option<String>,
    /// The firm: its answer form (unresolved comments only).
    pub answer: Option<AnswerBox>,
}

/// The firm's answer form under a comment.
pub struct AnswerBox {
    pub action: String,
    /// The answer as typed (kept when it comes back).
    pub body: String,
    pub error: Option<String>,
}

/// A firm's answer that came back: to which comment, as typed, and why.
pub struct AnswerTyped {
    pub comment_id: i64,
    pub body: String,
    pub error: Key,
}

fn status(comment: &Comment) -> (Key, &'static str) {
    if !comment.firm_visible {
        (msg!("review_thread.status.internal"), "tag-not-started")
    } else if comment.resolved.is_some() {
        (msg!("review_thread.status.resolved"), "tag-completed")
    } else if comment.sent_at.is_none() {
        (msg!("review_thread.status.draft"), "tag-not-started")
    } else if comment.answered_at.is_some() {
        (msg!("review_thread.status.answered"), "tag-in-progress")
    } else {
        (msg!("review_thread.status.open"), "tag-problems")
    }
}

fn item(c: &Chrome, comment: Comment) -> CommentItem {
    let (key, class) = status(&comment);
    CommentItem {
        id: comment.id,
        section: c.t.t(comment.section.title_key()).to_owned(),
        version_no: comment.version_no,
        when: c.when(&comment.sent_at.unwrap_or(comment.created_at)),
        status: c.t.t(key).to_owned(),
        status_class: class,
        internal: !comment.firm_visible,
        resolved: comment.resolved.as_ref().map(|(who, at)| {
            c.t.tf(
                msg!("review_thread.resolved_by"),
                &[("who", who.as_str()), ("when", &c.when(at))],
            )
        }),
        resolve: None,
        answer: None,
        answers: items(c, comment.answers),
        author: comment.author,
        body: comment.body,
    }
}

/// The comments of one section (or of the return as a whole).
pub struct SectionGroup {
    pub slug: &'static str,
    pub title: String,
    pub comments: Vec<CommentItem>,
}

/// `items` grouped by section, the return as a whole first, then the task
/// list's order; sections without comments left out.
fn groups(c: &Chrome, items: Vec<(CommentSection, CommentItem)>) -> Vec<SectionGroup> {
    let mut groups: Vec<SectionGroup> = CommentSection::ALL
        .iter()
        .map(|&s| SectionGroup {
            slug: s.as_str(),
            title: c.t.t(s.title_key()).to_owned(),
            comments: Vec::new(),
        })
        .collect();
    for (section, item) in items {
        if let Some(g) = groups.iter_mut().find(|g| g.slug == section.as_str()) {
            g.comments.push(item);
        }
    }
    groups.retain(|g| !g.comments.is_empty());
    groups
}

/// The comment form of the staff's panel as sent (kept when it comes back).
#[derive(Default)]
pub struct CommentTyped {
    pub section: String,
    pub visibility: String,
    pub body: String,
    pub invalid: Option<Invalid>,
}

/// What `templates/review/_comments.html` needs (the field `comments` of
/// the staff's version page).
pub struct StaffPanel {
    pub groups: Vec<SectionGroup>,
    /// Firm-visible comments not resolved (they stop an acceptance).
    pub open: usize,
    /// "N comments visible to the firm are open".
    pub open_line: String,
    pub drafts: usize,
    /// The send button's text, with the count of drafts.
    pub send_label: String,
    /// The drafts shown, as the send form names them.
    pub draft_ids: String,
    pub send_action: String,
    /// The version awaits review: comments can be written.
    pub can_comment: bool,
    pub add_action: String,
    pub sections: Vec<(&'static str, String)>,
    pub typed: CommentTyped,
    pub section_error: Option<String>,
    pub visibility_error: Option<String>,
    pub body_error: Option<String>,
}

impl StaffPanel {
    /// The return's `comments` on the page of version `version_id`.
    pub fn new(
        c: &Chrome,
        comments: Vec<Comment>,
        version_id: i64,
        can_comment: bool,
        typed: CommentTyped,
    ) -> Self {
        let open = comments.iter().filter(|m| m.is_open()).count();
        let drafts: Vec<i64> = comments
            .iter()
            .filter(|m| m.is_draft())
            .map(|m| m.id)
            .collect();
        let listed = comments
            .into_iter()
            .map(|m| {
                let section = m.section;
                let resolvable = m.resolved.is_none();
                let mut it = item(c, m);
                if resolvable {
                    it.resolve = Some(paths::review_comment_resolve(version_id, it.id));
                }
                (section, it)
            })
            .collect();
        let error = |field: &str| {
            typed
                .invalid
                .as_ref()
                .and_then(|i| i.for_field(field))
                .map(|k| c.t.t(k).to_owned())
        };
        StaffPanel {
            groups: groups(c, listed),
            open,
            open_line: c.t.tf(
                msg!("review_thread.open_count"),
                &[("n", &open.to_string())],
            ),
            drafts: drafts.len(),
            send_label: c.t.tf(
                msg!("review_thread.send"),
                &[("n", &drafts.len().to_string())],
            ),
            draft_ids: drafts
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            send_action: paths::review_comments_send(version_id),
            can_comment,
            add_action: paths::review_comments(version_id),
            sections: CommentSection::ALL
                .iter()
                .map(|&s| (s.as_str(), c.t.t(s.title_key()).to_owned()))
                .collect(),
            section_error: error("section"),
            visibility_error: error("visibility"),
            body_error: error("body"),
            typed,
        }
    }

    pub fn is_section(&self, value: &str) -> bool {
        self.typed.section == value
    }

    pub fn is_visibility(&self, value: &str) -> bool {
        self.typed.visibility == value
    }
}

/// The firm's comments on its return for `period`: those of the return as
/// a whole, then those of each section of the task list; each unresolved
/// one with its answer form (`typed` refilling the one that came back).
pub struct FirmComments {
    pub general: Vec<CommentItem>,
    pub by_section: Vec<(ReturnSection, Vec<CommentItem>)>,
    pub open: usize,
}

impl FirmComments {
    pub fn new(
        c: &Chrome,
        comments: Vec<Comment>,
        period: Period,
        typed: Option<&AnswerTyped>,
    ) -> Self {
        let open = comments.iter().filter(|m| m.is_open()).count();
        let mut general = Vec::new();
        let mut by_section: Vec<(ReturnSection, Vec<CommentItem>)> = ReturnSection::ALL
            .iter()
            .map(|&s| (s, Vec::new()))
            .collect();
        for m in comments {
            let section = m.section.return_section();
            let mine = typed.filter(|t| t.comment_id == m.id);
            // A comment resolved meanwhile keeps the form that came back,
            // with its message and the text as typed.
            let answerable = m.resolved.is_none() || mine.is_some();
            let mut it = item(c, m);
            if answerable {
                it.answer = Some(AnswerBox {
                    action: paths::return_comment_answer(period, it.id),
                    body: mine.map(|t| t.body.clone()).unwrap_or_default(),
                    error: mine.map(|t| c.t.t(t.error).to_owned()),
                });
            }
            match by_section.iter_mut().find(|(s, _)| Some(*s) == section) {
                Some((_, list)) => list.push(it),
                None => general.push(it),
            }
        }
        FirmComments {
            general,
            by_section,
            open,
        }
    }

    /// The comments beside the task-list section `slug`.
    pub fn of(&self, slug: &str) -> &[CommentItem] {
        self.by_section
            .iter()
            .find(|(s, _)| s.slug() == slug)
            .map_or(&[], |(_, list)| list.as_slice())
    }
}
