//! The emails of the filing workflow: the submission receipt, a return sent
//! back with the regulator's reason, a return ready for approval, the two due-date reminders and the
//! analysts' digest. Every sentence comes from the catalogues, in the
//! recipient's language; times in Asia/Tokyo.

use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use super::outbox::Email;
use crate::db::models::Version;
use crate::domain::amendment::Amendment;
use crate::domain::email::EmailAddress;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};

/// Which reminder a firm gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    /// Some days before the due date.
    Before,
    /// On the business day after the due date.
    Overdue,
}

impl ReminderKind {
    /// As stored in `reminders_sent.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Before => "before",
            ReminderKind::Overdue => "overdue",
        }
    }
}

/// One submission listed in a digest.
#[derive(Clone, Debug)]
pub struct DigestItem {
    pub firm: String,
    pub version: Version,
}

/// What every workflow email shows: an intro, facts one per line, an
/// optional quoted reason, an optional list and an optional link.
pub(super) struct WorkflowView {
    pub(super) t: Tr,
    pub(super) subject: String,
    pub(super) intro: String,
    pub(super) lines: Vec<String>,
    pub(super) quote: Option<String>,
    pub(super) items: Vec<String>,
    pub(super) action: Option<String>,
    pub(super) link: Option<String>,
}

macro_rules! email_templates {
    ($($text:ident $txt:literal $html:ident $htm:literal;)*) => {$(
        #[derive(Template)]
        #[template(path = $txt)]
        struct $text<'a> {
            v: &'a WorkflowView,
        }

        #[derive(Template)]
        #[template(path = $htm)]
        struct $html<'a> {
            v: &'a WorkflowView,
        }
    )*};
}

email_templates! {
    ReceiptText "emails/receipt.txt" ReceiptHtml "emails/receipt.html";
    ReturnedText "emails/returned.txt" ReturnedHtml "emails/returned.html";
    BeforeText "emails/reminder_before.txt" BeforeHtml "emails/reminder_before.html";
    OverdueText "emails/reminder_overdue.txt" OverdueHtml "emails/reminder_overdue.html";
    DigestText "emails/digest.txt" DigestHtml "emails/digest.html";
    ReadyText "emails/ready.txt" ReadyHtml "emails/ready.html";
    ExtensionText "emails/extension.txt" ExtensionHtml "emails/extension.html";
}

pub(super) fn render(template: &impl Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(format!("email template: {e}")))
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn timeliness(t: Tr, v: &Version) -> &'static str {
    if v.on_time {
        t.t(msg!("email.timely.on_time"))
    } else {
        t.t(msg!("email.timely.late"))
    }
}

pub(super) fn view(t: Tr, subject: String, intro: String) -> WorkflowView {
    WorkflowView {
        t,
        subject,
        intro,
        lines: Vec::new(),
        quote: None,
        items: Vec::new(),
        action: None,
        link: None,
    }
}

/// The receipt for a submitted version, to its submitter and the firm's
/// approvers.
pub fn receipt(
    to: &EmailAddress,
    lang: Lang,
    firm: &str,
    v: &Version,
    amendment: Option<&Amendment>,
    submitter: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let period = v.period.as_str();
    let subject = t.tf(msg!("email.receipt.subject"), &[("period", period)]);
    let when = t.when(v.submitted_at);
    let intro = t.tf(
        msg!("email.receipt.intro"),
        &[("firm", firm), ("period", period), ("when", &when)],
    );
    let mut w = view(t, subject, intro);
    let version = v.version_no.to_string();
    w.lines = vec![
        t.tf(msg!("email.receipt.receipt"), &[("receipt", &v.receipt_no)]),
        t.tf(msg!("email.receipt.version"), &[("version", &version)]),
        t.tf(msg!("email.receipt.submitted_by"), &[("who", submitter)]),
        t.tf(
            msg!("email.receipt.due"),
            &[("due", &day(v.due_date)), ("timeliness", timeliness(t, v))],
        ),
    ];
    if v.is_nil {
        w.lines.push(t.t(msg!("email.receipt.nil")).to_owned());
    }
    if let Some(a) = amendment {
        w.lines.push(t.tf(
            msg!("email.receipt.amendment"),
            &[("reason", t.t(a.reason.label_key())), ("text", &a.text)],
        ));
    }
    w.action = Some(t.t(msg!("email.receipt.next")).to_owned());
    Ok(Email {
        to: to.clone(),
        text: render(&ReceiptText { v: &w })?,
        html: render(&ReceiptHtml { v: &w })?,
        subject: w.subject,
    })
}

/// A version returned for amendment, with the regulator's reason.
#[allow(clippy::too_many_arguments)]
pub fn returned(
    to: &EmailAddress,
    lang: Lang,
    firm: &str,
    v: &Version,
    reason: &str,
    comments: &[String],
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let period = v.period.as_str();
    let subject = t.tf(msg!("email.returned.subject"), &[("period", period)]);
    let version = v.version_no.to_string();
    let intro = t.tf(
        msg!("email.returned.intro"),
        &[
            ("firm", firm),
            ("period", period),
            ("version", &version),
            ("receipt", &v.receipt_no),
        ],
    );
    let mut w = view(t, subject, intro);
    w.quote = Some(reason.to_owned()).filter(|r| !r.is_empty());
    if !comments.is_empty() {
        w.lines.push(
            t.t(msg!("review_thread.email.returned_comments"))
                .to_owned(),
        );
        w.items = comments.to_vec();
    }
    w.action = Some(t.t(msg!("email.returned.action")).to_owned());
    w.link = Some(link.to_owned());
    Ok(Email {
        to: to.clone(),
        text: render(&ReturnedText { v: &w })?,
        html: render(&ReturnedHtml { v: &w })?,
        subject: w.subject,
    })
}

/// A return marked ready for approval, to the firm's approvers who did
/// not prepare it.
pub fn ready_for_approval(
    to: &EmailAddress,
    lang: Lang,
    firm: &str,
    period: &str,
    by: &str,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let subject = t.tf(msg!("email.ready.subject"), &[("period", period)]);
    let intro = t.tf(
        msg!("email.ready.intro"),
        &[("firm", firm), ("period", period), ("who", by)],
    );
    let mut w = view(t, subject, intro);
    w.lines = vec![t.t(msg!("email.ready.four_eyes")).to_owned()];
    w.action = Some(t.t(msg!("email.ready.action")).to_owned());
    w.link = Some(link.to_owned());
    Ok(Email {
        to: to.clone(),
        text: render(&ReadyText { v: &w })?,
        html: render(&ReadyHtml { v: &w })?,
        subject: w.subject,
    })
}

/// A reminder that a firm's return is due soon, or overdue.
pub fn reminder(
    to: &EmailAddress,
    lang: Lang,
    kind: ReminderKind,
    firm: &str,
    period: &str,
    due: NaiveDate,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let due = day(due);
    let args = [("firm", firm), ("period", period), ("due", due.as_str())];
    let (subject_key, intro_key) = match kind {
        ReminderKind::Before => (
            msg!("email.reminder_before.subject"),
            msg!("email.reminder_before.intro"),
        ),
        ReminderKind::Overdue => (
            msg!("email.reminder_overdue.subject"),
            msg!("email.reminder_overdue.intro"),
        ),
    };
    let mut w = view(t, t.tf(subject_key, &args), t.tf(intro_key, &args));
    w.lines = vec![t.t(msg!("email.reminder.nil")).to_owned()];
    w.action = Some(t.t(msg!("email.reminder.action")).to_owned());
    w.link = Some(link.to_owned());
    let (text, html) = match kind {
        ReminderKind::Before => (
            render(&BeforeText { v: &w })?,
            render(&BeforeHtml { v: &w })?,
        ),
        ReminderKind::Overdue => (
            render(&OverdueText { v: &w })?,
            render(&OverdueHtml { v: &w })?,
        ),
    };
    Ok(Email {
        to: to.clone(),
        subject: w.subject,
        text,
        html,
    })
}

/// The analysts' digest of new submissions, oldest first.
pub fn digest(
    to: &EmailAddress,
    lang: Lang,
    items: &[DigestItem],
    now: NaiveDateTime,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let count = items.len().to_string();
    let subject = t.tn(
        msg!("email.digest.subject"),
        u64::try_from(items.len()).unwrap_or(u64::MAX),
        &[("n", &count)],
    );
    let intro = t.tf(msg!("email.digest.intro"), &[("when", &t.when(now))]);
    let mut w = view(t, subject, intro);
    w.items = items
        .iter()
        .map(|i| {
            let v = &i.version;
            let version = v.version_no.to_string();
            let mut line = t.tf(
                msg!("email.digest.item"),
                &[
                    ("firm", &i.firm),
                    ("period", &v.period),
                    ("version", &version),
                    ("receipt", &v.receipt_no),
                    ("when", &t.when(v.submitted_at)),
                    ("timeliness", timeliness(t, v)),
                ],
            );
            if v.is_nil {
                line.push_str(t.t(msg!("email.digest.nil_mark")));
            }
            line
        })
        .collect();
    w.action = Some(t.t(msg!("email.digest.action")).to_owned());
    w.link = Some(link.to_owned());
    Ok(Email {
        to: to.clone(),
        text: render(&DigestText { v: &w })?,
        html: render(&DigestHtml { v: &w })?,
        subject: w.subject,
    })
}

/// What the regulator decided about a request for an extension.
pub struct ExtensionDecision<'a> {
    pub firm: &'a str,
    pub period: &'a str,
    pub reference: &'a str,
    pub granted: bool,
    /// The due date in force after the decision.
    pub due: NaiveDate,
    /// The regulator's reason (may be empty when granted).
    pub reason: &'a str,
}

/// The decision on a request for an extension, to the firm's approvers.
pub fn extension_decided(
    to: &EmailAddress,
    lang: Lang,
    d: ExtensionDecision<'_>,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let due = day(d.due);
    let args = [
        ("firm", d.firm),
        ("period", d.period),
        ("reference", d.reference),
        ("due", due.as_str()),
    ];
    let (subject_key, intro_key) = if d.granted {
        (
            msg!("email.extension.granted_subject"),
            msg!("email.extension.granted_intro"),
        )
    } else {
        (
            msg!("email.extension.refused_subject"),
            msg!("email.extension.refused_intro"),
        )
    };
    let mut w = view(t, t.tf(subject_key, &args), t.tf(intro_key, &args));
    w.quote = (!d.reason.is_empty()).then(|| d.reason.to_owned());
    w.action = Some(t.t(msg!("email.extension.action")).to_owned());
    w.link = Some(link.to_owned());
    Ok(Email {
        to: to.clone(),
        text: render(&ExtensionText { v: &w })?,
        html: render(&ExtensionHtml { v: &w })?,
        subject: w.subject,
    })
}
