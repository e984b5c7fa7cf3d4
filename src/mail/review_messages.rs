//! The emails of a return's review threads: the review sent to the firm's
//! approvers (one email listing every comment sent with it) and a firm's
//! answer to the staff who commented. Only firm-visible comments are ever
//! listed: an internal note has no email. The workflow emails' layout
//! (`emails/_workflow.*`), in the recipient's language; times in Tokyo.

use askama::Template;
use chrono::NaiveDateTime;

use super::outbox::Email;
use super::workflow_messages::{WorkflowView, render, view};
use crate::db::models::Version;
use crate::domain::email::EmailAddress;
use crate::domain::review_comment::CommentSection;
use crate::error::AppResult;
use crate::i18n::{Lang, Tr};
use crate::services::review_threads::OpenComment;

#[derive(Template)]
#[template(path = "emails/review_comments.txt")]
struct CommentsText<'a> {
    v: &'a WorkflowView,
}

#[derive(Template)]
#[template(path = "emails/review_comments.html")]
struct CommentsHtml<'a> {
    v: &'a WorkflowView,
}

fn email(to: &EmailAddress, w: WorkflowView) -> AppResult<Email> {
    Ok(Email {
        to: to.clone(),
        text: render(&CommentsText { v: &w })?,
        html: render(&CommentsHtml { v: &w })?,
        subject: w.subject,
    })
}

/// Each comment as a list item: its section, then its text.
pub fn comment_items(lang: Lang, comments: &[OpenComment]) -> Vec<String> {
    let t = Tr::new(lang);
    comments
        .iter()
        .map(|c| format!("{}: {}", t.t(c.section.title_key()), c.body))
        .collect()
}

/// The review of `v` sent to an approver of `firm`: the comments sent
/// with it, and a link to the return.
pub fn review_sent(
    to: &EmailAddress,
    lang: Lang,
    firm: &str,
    v: &Version,
    comments: &[OpenComment],
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let version = v.version_no.to_string();
    let count = comments.len().to_string();
    let args = [
        ("firm", firm),
        ("period", v.period.as_str()),
        ("version", version.as_str()),
        ("n", count.as_str()),
    ];
    let mut w = view(
        t,
        t.tf(msg!("review_thread.email.sent_subject"), &args),
        t.tf(msg!("review_thread.email.sent_intro"), &args),
    );
    w.items = comment_items(lang, comments);
    w.action = Some(t.t(msg!("review_thread.email.sent_action")).to_owned());
    w.link = Some(link.to_owned());
    email(to, w)
}

/// A firm's answer to a comment, as the staff's email tells it.
pub struct Answered<'a> {
    pub firm: &'a str,
    pub period: &'a str,
    pub section: CommentSection,
    /// The comment answered.
    pub comment: &'a str,
    pub author: &'a str,
    pub answer: &'a str,
    pub sent_at: NaiveDateTime,
    /// The staff's page of the return's latest version.
    pub link: &'a str,
}

/// A firm's answer, to one of the staff following the return.
pub fn answered(to: &EmailAddress, lang: Lang, a: &Answered<'_>) -> AppResult<Email> {
    let t = Tr::new(lang);
    let when = t.when(a.sent_at);
    let args = [
        ("firm", a.firm),
        ("period", a.period),
        ("section", t.t(a.section.title_key())),
        ("who", a.author),
        ("when", when.as_str()),
    ];
    let mut w = view(
        t,
        t.tf(msg!("review_thread.email.answer_subject"), &args),
        t.tf(msg!("review_thread.email.answer_intro"), &args),
    );
    w.lines.push(format!(
        "{} {}",
        t.t(msg!("review_thread.email.your_comment")),
        a.comment
    ));
    w.lines.push(format!(
        "{} {}",
        t.t(msg!("review_thread.email.their_answer")),
        a.answer
    ));
    w.action = Some(t.t(msg!("review_thread.email.answer_action")).to_owned());
    w.link = Some(a.link.to_owned());
    email(to, w)
}
