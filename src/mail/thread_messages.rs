//! The emails of an incident's thread: a regulator's message to the firm's
//! approvers, and a firm's answer to the staff following the incident.
//! Every sentence comes from the catalogues, in the recipient's language;
//! times in Asia/Tokyo. Only firm-visible messages are ever built here: an
//! internal note has no email.

use askama::Template;
use chrono::NaiveDateTime;

use super::outbox::Email;
use crate::domain::email::EmailAddress;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};

/// What a thread email shows.
struct ThreadMail {
    t: Tr,
    subject: String,
    intro: String,
    body: String,
    action: String,
    link: String,
}

#[derive(Template)]
#[template(path = "emails/thread_message.txt")]
struct ThreadText<'a> {
    v: &'a ThreadMail,
}

#[derive(Template)]
#[template(path = "emails/thread_message.html")]
struct ThreadHtml<'a> {
    v: &'a ThreadMail,
}

/// Who wrote the message an email carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// Regulator staff, to the firm's approvers.
    Regulator,
    /// The firm, to the staff following the incident.
    Firm,
}

/// One message of the thread about incident `incident_id` of `firm`,
/// written by `author` at `sent_at`, with a link to the thread.
#[allow(clippy::too_many_arguments)]
pub fn thread_message(
    to: &EmailAddress,
    lang: Lang,
    sender: Sender,
    firm: &str,
    incident_id: i64,
    author: &str,
    body: &str,
    sent_at: NaiveDateTime,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let id = incident_id.to_string();
    let when = t.when(sent_at);
    let args = [
        ("firm", firm),
        ("id", id.as_str()),
        ("who", author),
        ("when", when.as_str()),
    ];
    let (subject, intro, action) = match sender {
        Sender::Regulator => (
            msg!("incident_thread.email.regulator_subject"),
            msg!("incident_thread.email.regulator_intro"),
            msg!("incident_thread.email.regulator_action"),
        ),
        Sender::Firm => (
            msg!("incident_thread.email.firm_subject"),
            msg!("incident_thread.email.firm_intro"),
            msg!("incident_thread.email.firm_action"),
        ),
    };
    let v = ThreadMail {
        t,
        subject: t.tf(subject, &args),
        intro: t.tf(intro, &args),
        body: body.to_owned(),
        action: t.t(action).to_owned(),
        link: link.to_owned(),
    };
    let render = |r: Result<String, askama::Error>| {
        r.map_err(|e| AppError::Internal(format!("email template: {e}")))
    };
    Ok(Email {
        to: to.clone(),
        text: render(ThreadText { v: &v }.render())?,
        html: render(ThreadHtml { v: &v }.render())?,
        subject: v.subject,
    })
}
