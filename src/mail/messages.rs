//! The emails the portal sends: each builder returns subject, text and HTML
//! in the recipient's language, every sentence from the message catalogues,
//! times in Asia/Tokyo. Templates: `templates/emails/<name>.{txt,html}`.

use crate::i18n::Key;
use askama::Template;
use chrono::NaiveDateTime;

use super::outbox::Email;
use crate::domain::email::EmailAddress;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};

/// A change to how an account signs in, for [`factor_changed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorChange {
    PasskeyAdded,
    PasskeyRemoved,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodesRegenerated,
}

impl FactorChange {
    /// The catalogue key describing the change.
    pub fn key(self) -> Key {
        match self {
            FactorChange::PasskeyAdded => msg!("email.factor.passkey_added"),
            FactorChange::PasskeyRemoved => msg!("email.factor.passkey_removed"),
            FactorChange::TotpEnabled => msg!("email.factor.totp_enabled"),
            FactorChange::TotpDisabled => msg!("email.factor.totp_disabled"),
            FactorChange::RecoveryCodesRegenerated => msg!("email.factor.recovery_codes"),
        }
    }
}

/// What an email with a one-time link shows.
struct LinkView {
    t: Tr,
    subject: String,
    intro: String,
    link: String,
    expires: String,
    check: String,
}

/// What a security notice (no link) shows.
struct NoticeView {
    t: Tr,
    subject: String,
    intro: String,
    advice: &'static str,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
struct InvitationText<'a> {
    v: &'a LinkView,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    v: &'a LinkView,
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct ResetText<'a> {
    v: &'a LinkView,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct ResetHtml<'a> {
    v: &'a LinkView,
}

#[derive(Template)]
#[template(path = "emails/notice.txt")]
struct NoticeText<'a> {
    v: &'a NoticeView,
}

#[derive(Template)]
#[template(path = "emails/notice.html")]
struct NoticeHtml<'a> {
    v: &'a NoticeView,
}

fn render(template: &impl Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(format!("email template: {e}")))
}

/// `https://portal.example` of `https://portal.example/setup/abc`.
fn origin(link: &str) -> &str {
    let host_start = link.find("://").map_or(0, |i| i + 3);
    match link[host_start..].find(['/', '?', '#']) {
        Some(end) => &link[..host_start + end],
        None => link,
    }
}

fn link_view(
    t: Tr,
    subject_key: Key,
    intro: String,
    link: &str,
    expires_at: NaiveDateTime,
) -> LinkView {
    LinkView {
        t,
        subject: t.t(subject_key).to_owned(),
        intro,
        link: link.to_owned(),
        expires: t.tf(msg!("email.link.expires"), &[("when", &t.when(expires_at))]),
        check: t.tf(msg!("email.link.check"), &[("origin", origin(link))]),
    }
}

/// An invitation to a new account. `firm_name` is `None` for regulator staff.
pub fn invitation(
    to: &EmailAddress,
    lang: Lang,
    link: &str,
    inviter_name: &str,
    firm_name: Option<&str>,
    expires_at: NaiveDateTime,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let intro = match firm_name {
        Some(firm) => t.tf(
            msg!("email.invitation.intro_firm"),
            &[("inviter", inviter_name), ("firm", firm)],
        ),
        None => t.tf(
            msg!("email.invitation.intro_staff"),
            &[("inviter", inviter_name)],
        ),
    };
    let v = link_view(t, msg!("email.invitation.subject"), intro, link, expires_at);
    Ok(Email {
        to: to.clone(),
        text: render(&InvitationText { v: &v })?,
        html: render(&InvitationHtml { v: &v })?,
        subject: v.subject,
    })
}

/// A link to choose a new password.
pub fn password_reset(
    to: &EmailAddress,
    lang: Lang,
    link: &str,
    expires_at: NaiveDateTime,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let intro = t.t(msg!("email.password_reset.intro")).to_owned();
    let v = link_view(
        t,
        msg!("email.password_reset.subject"),
        intro,
        link,
        expires_at,
    );
    Ok(Email {
        to: to.clone(),
        text: render(&ResetText { v: &v })?,
        html: render(&ResetHtml { v: &v })?,
        subject: v.subject,
    })
}

fn notice(to: &EmailAddress, t: Tr, kind: &str, intro: String) -> AppResult<Email> {
    let (subject_key, advice_key) = match kind {
        "locked" => (
            msg!("email.account_locked.subject"),
            msg!("email.account_locked.advice"),
        ),
        "password" => (
            msg!("email.password_changed.subject"),
            msg!("email.security.not_you"),
        ),
        _ => (
            msg!("email.factor_changed.subject"),
            msg!("email.security.not_you"),
        ),
    };
    let v = NoticeView {
        t,
        subject: t.t(subject_key).to_owned(),
        intro,
        advice: t.t(advice_key),
    };
    Ok(Email {
        to: to.clone(),
        text: render(&NoticeText { v: &v })?,
        html: render(&NoticeHtml { v: &v })?,
        subject: v.subject,
    })
}

/// Sign-in is blocked until `until` after repeated failures.
pub fn account_locked(to: &EmailAddress, lang: Lang, until: NaiveDateTime) -> AppResult<Email> {
    let t = Tr::new(lang);
    let intro = t.tf(
        msg!("email.account_locked.intro"),
        &[("until", &t.when(until))],
    );
    notice(to, t, "locked", intro)
}

/// The account's password was changed at `when`.
pub fn password_changed(to: &EmailAddress, lang: Lang, when: NaiveDateTime) -> AppResult<Email> {
    let t = Tr::new(lang);
    let intro = t.tf(
        msg!("email.password_changed.intro"),
        &[("when", &t.when(when))],
    );
    notice(to, t, "password", intro)
}

/// A sign-in factor was added or removed at `when`.
pub fn factor_changed(
    to: &EmailAddress,
    lang: Lang,
    what: FactorChange,
    when: NaiveDateTime,
) -> AppResult<Email> {
    let t = Tr::new(lang);
    let intro = t.tf(
        msg!("email.factor_changed.intro"),
        &[("when", &t.when(when)), ("what", t.t(what.key()))],
    );
    notice(to, t, "factor", intro)
}
