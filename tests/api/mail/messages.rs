//! The emails themselves, in English and Japanese: subject and text checked
//! against snapshots with the volatile parts (links, times) replaced after
//! checking their shape; HTML checked to say the same, escaped, with the link.

use chrono::NaiveDateTime;
use incident_portal::domain::email::EmailAddress;
use incident_portal::i18n::Lang;
use incident_portal::mail::messages::{self, FactorChange};
use incident_portal::mail::outbox::Email;

const LINK: &str = "https://portal.example/invite/k3Y?x=1&y=2";
const FOOTER_EN: &str = "The portal never asks for your password or sign-in codes by email, and never sends attachments.\nThis message was sent automatically by the Incident Reporting Portal. Replies are not read.";
const FOOTER_JA: &str = "本ポータルがメールでパスワードや認証コードをお尋ねすることはありません。また、ファイルを添付することもありません。\nこのメールは不正アクセス・不正取引 報告ポータルから自動送信されています。ご返信いただいても対応できません。";

fn at() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Replaces every Japanese `YYYY年M月D日 hh:mm` with `{time}`.
fn normalise_japanese_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('年') {
        let year_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit())
            .last()
            .map(|(i, _)| i);
        let tail = &rest[at + '年'.len_utf8()..];
        let shape: Vec<char> = tail.chars().take(14).collect();
        let taken: String = shape.iter().collect();
        let time_end = taken
            .find('日')
            .filter(|_| year_start.is_some())
            .and_then(|d| {
                let after = &taken[d + '日'.len_utf8()..];
                let hhmm: Vec<char> = after.chars().take(6).collect();
                (hhmm.len() == 6
                    && hhmm[0] == ' '
                    && hhmm[3] == ':'
                    && [1, 2, 4, 5].iter().all(|&i| hhmm[i].is_ascii_digit()))
                .then(|| d + '日'.len_utf8() + 6)
            });
        match (year_start, time_end) {
            (Some(start), Some(end)) => {
                out.push_str(&rest[..start]);
                out.push_str("{time}");
                rest = &tail[end..];
            }
            _ => {
                out.push_str(&rest[..at + '年'.len_utf8()]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Replaces every `YYYY-MM-DD hh:mm JST` (and its Japanese form) with
/// `{time}` and the link with `{link}`.
fn normalise(text: &str) -> String {
    let text = &normalise_japanese_times(text);
    let shape = "0000-00-00 00:00 JST";
    let mut out = text.replace(LINK, "{link}");
    while let Some(start) = (0..out.len()).find(|&i| {
        out.get(i..i + shape.len()).is_some_and(|w| {
            w.chars()
                .zip(shape.chars())
                .all(|(c, s)| if s == '0' { c.is_ascii_digit() } else { c == s })
        })
    }) {
        out.replace_range(start..start + shape.len(), "{time}");
    }
    out
}

/// The text before the footer, normalised; checks the footer and the HTML.
fn check(email: &Email, lang: Lang, subject: &str) -> String {
    assert_eq!(email.to.as_str(), "hanako@firm.example");
    assert_eq!(email.subject, subject);
    let footer = if lang == Lang::En {
        FOOTER_EN
    } else {
        FOOTER_JA
    };
    let body = email
        .text
        .strip_suffix(&format!("\n\n--\n{footer}"))
        .unwrap_or_else(|| panic!("footer missing:\n{}", email.text));
    let tokyo = if lang == Lang::En {
        "2025-05-20 19:00 JST"
    } else {
        "2025年5月20日 19:00"
    };
    assert!(body.contains(tokyo), "10:00 UTC shown in Tokyo time");
    let html = &email.html;
    assert!(html.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{}\">", lang.code())));
    assert!(html.contains(&format!("<title>{}</title>", html_escape(subject))));
    for line in body.lines().chain(footer.lines()).filter(|l| !l.is_empty()) {
        assert!(
            html.contains(&html_escape(line)),
            "HTML lacks {line:?}:\n{html}"
        );
    }
    if body.contains(LINK) {
        assert_eq!(
            html.matches(&format!("<a href=\"{}\">", html_escape(LINK)))
                .count(),
            1
        );
    }
    assert!(!html.contains("<script") && !html.contains("style="));
    normalise(body)
}

fn to() -> EmailAddress {
    EmailAddress::parse("Hanako@Firm.example").unwrap()
}

#[test]
fn invitation_in_both_languages() {
    let en = messages::invitation(
        &to(),
        Lang::En,
        LINK,
        "Taro <Admin>",
        Some("Kabu & Co"),
        at(),
    );
    assert_eq!(
        check(
            &en.unwrap(),
            Lang::En,
            "Incident Reporting Portal: you are invited"
        ),
        "Taro <Admin> has invited you to report for Kabu & Co on the Incident Reporting Portal.\n\n\
         Open this link to choose your password and set up your sign-in:\n{link}\n\n\
         The link works once and expires at {time}.\n\
         Before you enter anything, check that the address in your browser starts with https://portal.example\n\n\
         If you did not expect this invitation, ignore this email: no account is activated without the link."
    );
    let html = messages::invitation(&to(), Lang::En, LINK, "Taro <Admin>", None, at())
        .unwrap()
        .html;
    assert!(html.contains("Taro &#60;Admin&#62; has invited you to the Incident Reporting Portal as a member of the regulator&#39;s staff."));
    let ja = messages::invitation(&to(), Lang::Ja, LINK, "佐藤 太郎", Some("かぶ証券"), at());
    assert_eq!(
        check(
            &ja.unwrap(),
            Lang::Ja,
            "【不正アクセス・不正取引 報告ポータル】ご招待のお知らせ"
        ),
        "佐藤 太郎 さんから、不正アクセス・不正取引 報告ポータルで かぶ証券 の報告を担当するよう招待されました。\n\n\
         次のリンクを開き、パスワードとログイン方法を設定してください。\n{link}\n\n\
         このリンクは一度だけ使用でき、{time} に有効期限が切れます。\n\
         入力の前に、ブラウザのアドレスが https://portal.example で始まっていることを確認してください。\n\n\
         心当たりのない場合は、このメールを破棄してください。リンクを開かない限り、アカウントは有効になりません。"
    );
    let staff = messages::invitation(&to(), Lang::Ja, LINK, "佐藤 太郎", None, at()).unwrap();
    assert!(staff.text.starts_with(
        "佐藤 太郎 さんから、当局職員として不正アクセス・不正取引 報告ポータルに招待されました。"
    ));
}

#[test]
fn password_reset_in_both_languages() {
    let en = messages::password_reset(&to(), Lang::En, LINK, at()).unwrap();
    assert_eq!(
        check(
            &en,
            Lang::En,
            "Incident Reporting Portal: choose a new password"
        ),
        "A new password was requested for your account.\n\n\
         Open this link to choose a new password:\n{link}\n\n\
         The link works once and expires at {time}.\n\
         Before you enter anything, check that the address in your browser starts with https://portal.example\n\n\
         If you did not ask for this, ignore this email: your password stays as it is."
    );
    let ja = messages::password_reset(&to(), Lang::Ja, LINK, at()).unwrap();
    assert_eq!(
        check(
            &ja,
            Lang::Ja,
            "【不正アクセス・不正取引 報告ポータル】パスワード再設定のご案内"
        ),
        "ご利用のアカウントについて、パスワードの再設定が申請されました。\n\n\
         次のリンクを開き、新しいパスワードを設定してください。\n{link}\n\n\
         このリンクは一度だけ使用でき、{time} に有効期限が切れます。\n\
         入力の前に、ブラウザのアドレスが https://portal.example で始まっていることを確認してください。\n\n\
         申請に心当たりのない場合は、このメールを破棄してください。パスワードは変更されません。"
    );
}

#[test]
fn security_notices_in_both_languages() {
    let not_you_en = "If this was not you, tell your administrator at once: someone else may have access to your account.";
    let not_you_ja = "お心当たりのない場合は、直ちに管理者に連絡してください。第三者がアカウントを使用しているおそれがあります。";
    let cases = [
        (
            messages::account_locked(&to(), Lang::En, at()),
            Lang::En,
            "Incident Reporting Portal: sign-in temporarily blocked",
            "After repeated failed sign-in attempts, signing in to your account is blocked until {time}.\n\n\
             If these attempts were not yours, someone may be trying to sign in as you: tell your administrator, and never enter your password on a page you reached from an email.".to_owned(),
        ),
        (
            messages::account_locked(&to(), Lang::Ja, at()),
            Lang::Ja,
            "【不正アクセス・不正取引 報告ポータル】ログインを一時的に停止しました",
            "ログインの失敗が続いたため、{time} までご利用のアカウントへのログインを停止しています。\n\n\
             ご自身による操作でない場合、第三者がログインを試みているおそれがあります。管理者に連絡してください。また、メールのリンクから開いたページでは決してパスワードを入力しないでください。".to_owned(),
        ),
        (
            messages::password_changed(&to(), Lang::En, at()),
            Lang::En,
            "Incident Reporting Portal: your password was changed",
            format!("The password of your account was changed at {{time}}.\n\n{not_you_en}"),
        ),
        (
            messages::password_changed(&to(), Lang::Ja, at()),
            Lang::Ja,
            "【不正アクセス・不正取引 報告ポータル】パスワード変更のお知らせ",
            format!("{{time}} に、ご利用のアカウントのパスワードが変更されました。\n\n{not_you_ja}"),
        ),
        (
            messages::factor_changed(&to(), Lang::En, FactorChange::PasskeyAdded, at()),
            Lang::En,
            "Incident Reporting Portal: your sign-in methods changed",
            format!("The sign-in methods of your account changed at {{time}}: a passkey was added.\n\n{not_you_en}"),
        ),
        (
            messages::factor_changed(&to(), Lang::Ja, FactorChange::TotpDisabled, at()),
            Lang::Ja,
            "【不正アクセス・不正取引 報告ポータル】ログイン方法変更のお知らせ",
            format!("{{time}} に、ご利用のアカウントのログイン方法が変更されました（認証アプリの削除）。\n\n{not_you_ja}"),
        ),
    ];
    for (email, lang, subject, expected) in cases {
        assert_eq!(check(&email.unwrap(), lang, subject), expected);
    }
}

#[test]
fn every_factor_change_has_words_in_both_languages() {
    use FactorChange::*;
    for what in [
        PasskeyAdded,
        PasskeyRemoved,
        TotpEnabled,
        TotpDisabled,
        RecoveryCodesRegenerated,
    ] {
        for lang in [Lang::En, Lang::Ja] {
            let email = messages::factor_changed(&to(), lang, what, at()).unwrap();
            assert!(
                !email.text.contains("email."),
                "untranslated key in {what:?} {lang:?}"
            );
        }
    }
}
