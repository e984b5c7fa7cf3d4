//! The emails of incident deadlines: the reminder before a stage is due
//! and the notice once it is overdue (to the firm's approvers and the
//! regulator's staff, each with their own link), and the word to the staff
//! that a stage's first version arrived. Every sentence comes from the
//! catalogues, in the recipient's language; times in Asia/Tokyo.

use askama::Template;
use chrono::NaiveDateTime;

use super::outbox::Email;
use crate::domain::email::EmailAddress;
use crate::domain::incident::{IncidentKind, IncidentStage};
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Lang, Tr};

/// Which notice of a stage, as `incident_notices.kind` stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// The stage's first version arrived (told to the staff).
    Sent,
    /// The stage is due soon (the rule's reminder lead).
    Before,
    /// The stage's due time passed with no version.
    Passed,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Sent => "sent",
            NoticeKind::Before => "before",
            NoticeKind::Passed => "passed",
        }
    }
}

/// Who reads a reminder: the firm (its incident page) or the regulator's
/// staff (the register's page of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Firm,
    Staff,
}

/// What every notice of a stage names.
#[derive(Clone, Copy, Debug)]
pub struct StageFacts<'a> {
    pub incident_id: i64,
    pub firm: &'a str,
    pub kind: IncidentKind,
    pub stage: IncidentStage,
    /// The stage's due time, as frozen on the incident.
    pub due: NaiveDateTime,
}

/// The stage's name inside a sentence ("intermediate report").
pub fn stage_key(stage: IncidentStage) -> Key {
    match stage {
        IncidentStage::Initial => msg!("incident_notice.stage.initial"),
        IncidentStage::Intermediate => msg!("incident_notice.stage.intermediate"),
        IncidentStage::Final => msg!("incident_notice.stage.final"),
    }
}

/// The kind of incident in words.
pub fn kind_key(kind: IncidentKind) -> Key {
    match kind {
        IncidentKind::UnauthorizedAccess => msg!("incident_notice.kind.unauthorized_access"),
        IncidentKind::FraudulentTrading => msg!("incident_notice.kind.fraudulent_trading"),
        IncidentKind::SystemBreach => msg!("incident_notice.kind.system_breach"),
        IncidentKind::Other => msg!("incident_notice.kind.other"),
    }
}

/// The fields `emails/_workflow.*` prints.
struct NoticeView {
    t: Tr,
    subject: String,
    intro: String,
    lines: Vec<String>,
    quote: Option<String>,
    items: Vec<String>,
    action: Option<String>,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "emails/incident_notice.txt")]
struct NoticeText<'a> {
    v: &'a NoticeView,
}

#[derive(Template)]
#[template(path = "emails/incident_notice.html")]
struct NoticeHtml<'a> {
    v: &'a NoticeView,
}

fn email(to: &EmailAddress, v: NoticeView) -> AppResult<Email> {
    let text = NoticeText { v: &v }
        .render()
        .map_err(|e| AppError::Internal(format!("email template: {e}")))?;
    let html = NoticeHtml { v: &v }
        .render()
        .map_err(|e| AppError::Internal(format!("email template: {e}")))?;
    Ok(Email {
        to: to.clone(),
        subject: v.subject,
        text,
        html,
    })
}

/// The placeholders every notice fills.
fn args<'a>(t: Tr, f: &StageFacts<'a>, id: &'a str, due: &'a str) -> [(&'static str, &'a str); 5] {
    [
        ("id", id),
        ("firm", f.firm),
        ("kind", t.t(kind_key(f.kind))),
        ("stage", t.t(stage_key(f.stage))),
        ("due", due),
    ]
}

/// The reminder before a stage is due (`NoticeKind::Before`) or the
/// notice once it is overdue (`NoticeKind::Passed`).
pub fn reminder(
    to: &EmailAddress,
    lang: Lang,
    kind: NoticeKind,
    facts: &StageFacts<'_>,
    audience: Audience,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let (id, due) = (facts.incident_id.to_string(), t.when(facts.due));
    let args = args(t, facts, &id, &due);
    let (subject, intro) = match kind {
        NoticeKind::Passed => (
            msg!("incident_notice.passed.subject"),
            msg!("incident_notice.passed.intro"),
        ),
        NoticeKind::Before | NoticeKind::Sent => (
            msg!("incident_notice.before.subject"),
            msg!("incident_notice.before.intro"),
        ),
    };
    let (line, action) = match audience {
        Audience::Firm => (
            msg!("incident_notice.firm_line"),
            msg!("incident_notice.firm_action"),
        ),
        Audience::Staff => (
            msg!("incident_notice.staff_line"),
            msg!("incident_notice.staff_action"),
        ),
    };
    email(
        to,
        NoticeView {
            t,
            subject: t.tf(subject, &args),
            intro: t.tf(intro, &args),
            lines: vec![t.tf(line, &args)],
            quote: None,
            items: Vec::new(),
            action: Some(t.t(action).to_owned()),
            link: Some(link.to_owned()),
        },
    )
}

/// To the staff: a stage's first version arrived (`sent_at`, version
/// `version_no`, on time or late as frozen on it).
pub fn arrived(
    to: &EmailAddress,
    lang: Lang,
    facts: &StageFacts<'_>,
    sent_at: NaiveDateTime,
    version_no: i32,
    on_time: bool,
    link: &str,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let (id, due) = (facts.incident_id.to_string(), t.when(facts.due));
    let (when, version) = (t.when(sent_at), version_no.to_string());
    let timeliness = if on_time {
        t.t(msg!("email.timely.on_time"))
    } else {
        t.t(msg!("email.timely.late"))
    };
    let mut args = args(t, facts, &id, &due).to_vec();
    args.extend([
        ("when", when.as_str()),
        ("version", version.as_str()),
        ("timeliness", timeliness),
    ]);
    email(
        to,
        NoticeView {
            t,
            subject: t.tf(msg!("incident_notice.sent.subject"), &args),
            intro: t.tf(msg!("incident_notice.sent.intro"), &args),
            lines: vec![
                t.tf(msg!("incident_notice.sent.version"), &args),
                t.tf(msg!("incident_notice.sent.due"), &args),
            ],
            quote: None,
            items: Vec::new(),
            action: Some(t.t(msg!("incident_notice.staff_action")).to_owned()),
            link: Some(link.to_owned()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::parse_tokyo_time;

    fn at(s: &str) -> NaiveDateTime {
        parse_tokyo_time(s).unwrap()
    }

    fn facts(firm: &str) -> StageFacts<'_> {
        StageFacts {
            incident_id: 7,
            firm,
            kind: IncidentKind::FraudulentTrading,
            stage: IncidentStage::Intermediate,
            due: at("2026-05-04T23:30"),
        }
    }

    fn to() -> EmailAddress {
        EmailAddress::parse("hanako@firm.example").unwrap()
    }

    #[test]
    fn every_notice_reads_whole_in_both_languages() {
        let firm = "<Alpha> Securities {id}";
        for lang in [Lang::En, Lang::Ja] {
            let mut emails = Vec::new();
            for kind in [NoticeKind::Before, NoticeKind::Passed] {
                for audience in [Audience::Firm, Audience::Staff] {
                    emails.push(
                        reminder(&to(), lang, kind, &facts(firm), audience, "https://p/x").unwrap(),
                    );
                }
            }
            emails.push(
                arrived(
                    &to(),
                    lang,
                    &facts(firm),
                    at("2026-05-05T08:00"),
                    2,
                    false,
                    "https://p/y",
                )
                .unwrap(),
            );
            for email in &emails {
                // No placeholder left unfilled; a firm's name is printed as
                // it is, never read as one.
                assert!(email.text.contains(firm), "{}", email.text);
                assert!(
                    !email.text.replace(firm, "").contains('{'),
                    "{}",
                    email.text
                );
                assert!(email.html.contains("&#60;Alpha&#62;"), "{}", email.html);
                assert!(!email.html.contains("<Alpha>"));
            }
            let due = match lang {
                Lang::En => "2026-05-04 23:30 JST",
                Lang::Ja => "2026年5月4日 23:30",
            };
            assert!(emails.iter().all(|e| e.text.contains(due)), "{lang:?}");
        }
        let ja = reminder(
            &to(),
            Lang::Ja,
            NoticeKind::Passed,
            &facts("Alpha"),
            Audience::Firm,
            "https://p/x",
        )
        .unwrap();
        assert_eq!(
            ja.subject,
            "【不正アクセス・不正取引 報告ポータル】インシデント #7 の中間報告が期限を過ぎています"
        );
        assert!(ja.text.starts_with(
            "Alpha のインシデント #7（不正取引）の中間報告は 2026年5月4日 23:30 が期限でしたが、送信されていません。"
        ));
    }
}
