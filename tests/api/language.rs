//! The language switch: before sign-in `Accept-Language` decides until the
//! visitor picks a language (remembered in a cookie); signed in, the choice
//! is kept in the profile, so pages and emails follow it everywhere.

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, users};
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, Page, TestApp};
use crate::on_both_backends;

fn lang_of(page: &Page) -> String {
    page.html()
        .select(&scraper::Selector::parse("html").unwrap())
        .next()
        .and_then(|h| h.value().attr("lang"))
        .unwrap_or_default()
        .to_owned()
}

fn locale_of(app: &TestApp, email: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::locale)
        .first(&mut conn)
        .unwrap()
}

async fn accept_language_decides_until_the_visitor_picks(app: TestApp) {
    let mut visitor = app.browser();
    visitor.accept_language = Some("ja-JP,ja;q=0.9,en;q=0.5");
    let login = visitor.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(lang_of(&login), "ja");
    assert!(
        login
            .body
            .contains(Tr::new(Lang::Ja).t(msg!("login.title"))),
        "{}",
        login.body
    );
    let switch = login.html();
    let buttons: Vec<_> = switch
        .select(&scraper::Selector::parse("form.lang-switch button[name=lang]").unwrap())
        .map(|b| b.value().attr("value").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        buttons,
        ["ja", "en"],
        "a visible switch with both languages"
    );

    // Before sign-in the switch is a plain GET that sets a cookie.
    let method = switch
        .select(&scraper::Selector::parse("form.lang-switch").unwrap())
        .next()
        .and_then(|f| f.value().attr("method"))
        .map(str::to_owned);
    assert_eq!(method.as_deref(), Some("get"));
    assert_eq!(login.input_value("back").as_deref(), Some("/login"));
    let picked = visitor.get("/language?lang=en&back=%2Flogin").await;
    assert_eq!(picked.status, StatusCode::SEE_OTHER);
    assert_eq!(picked.location(), Some("/login"), "back to the same page");
    let unknown = visitor.get("/language?lang=fr&back=%2Flogin").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let again = visitor.get("/login").await;
    assert_eq!(lang_of(&again), "en", "the pick outranks Accept-Language");
    assert!(
        again
            .body
            .contains(Tr::new(Lang::En).t(msg!("login.title")))
    );

    // Public pages carry the switch too, and are served in each visitor's
    // language (one kept copy per language).
    let statistics = visitor.get("/statistics").await;
    assert_eq!(lang_of(&statistics), "en");
    assert!(statistics.body.contains("class=\"lang-switch\""));
    let mut japanese = app.browser();
    japanese.accept_language = Some("ja");
    for _ in 0..2 {
        assert_eq!(lang_of(&japanese.get("/statistics").await), "ja");
        assert_eq!(lang_of(&visitor.get("/statistics").await), "en");
    }

    // Without its CSRF token the switch is refused.
    let forged = app.browser().post("/language", &[("lang", "ja")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn a_signed_in_pick_is_kept_in_the_profile(app: TestApp) {
    let mut admin = app.setup_admin().await;
    assert_eq!(lang_of(&admin.get("/account").await), "en");
    let account = admin.get("/account").await;
    let picked = admin
        .submit_form(
            &account,
            "/language",
            &[("lang", "ja"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(picked.location(), Some("/"), "never back to another site");
    assert_eq!(locale_of(&app, "admin@fsa.example"), "ja");
    // Signed in, public pages show who is signed in (never the copy kept
    // for anonymous visitors).
    app.browser().get("/statistics").await;
    let statistics = admin.get("/statistics").await;
    assert_eq!(lang_of(&statistics), "ja");
    assert!(statistics.body.contains("action=\"/logout\""));
    assert!(
        !app.browser()
            .get("/statistics")
            .await
            .body
            .contains("action=\"/logout\"")
    );
    let sessions = admin.get("/account/sessions").await;
    assert_eq!(lang_of(&sessions), "ja");
    // Times in the Japanese form: 2025年4月16日 18:05.
    assert!(
        sessions.body.contains("年")
            && sessions.body.contains("月")
            && sessions.body.contains("日 "),
        "{}",
        sessions.body
    );
    assert!(!sessions.body.contains(" JST"));
    {
        let mut conn = app.pool.get().unwrap();
        let changes: Vec<String> = audit_events::table
            .filter(audit_events::action.eq("user.language_changed"))
            .select(audit_events::detail)
            .load(&mut conn)
            .unwrap();
        assert_eq!(changes, ["ja"], "the change is audited once");
    }

    // A new browser asking for English still gets the profile's Japanese
    // once signed in, and emails follow the profile too.
    let mut elsewhere = app.browser();
    elsewhere.accept_language = Some("en");
    app.sign_in_fully(&mut elsewhere, "admin@fsa.example", PASSWORD)
        .await;
    assert_eq!(lang_of(&elsewhere.get("/account").await), "ja");
    let mut anonymous = app.browser();
    let forgot = anonymous.get("/password/forgot").await;
    anonymous
        .submit_form(
            &forgot,
            "/password/forgot",
            &[("email", "admin@fsa.example")],
        )
        .await;
    let (subject, _) = app.last_email_to("admin@fsa.example");
    assert_eq!(
        subject,
        Tr::new(Lang::Ja).t(msg!("email.password_reset.subject"))
    );

    // Staff exports name their columns in the staff member's language.
    let (status, _, bytes) = admin.get_bytes("/review/exports/versions.csv").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    // The first line, a `#` comment, says who exported and how, in Japanese too.
    let (first, rest) = text.split_once("\r\n").unwrap();
    assert!(first.starts_with("\u{feff}# 作成者 "), "{text}");
    assert!(
        rest.starts_with("事業者ID,事業者名,登録番号,発生月,版,受付番号"),
        "{text}"
    );
}

async fn an_invitation_accepted_in_japanese_makes_a_japanese_profile(app: TestApp) {
    let mut admin = app.setup_admin().await;
    app.add_user(&mut admin, "analyst@fsa.example", "analyst", None)
        .await;
    let link = app.link_in_email("analyst@fsa.example", "/invite/");
    let mut invitee = app.browser();
    invitee.accept_language = Some("ja");
    let form = invitee.get(&link).await;
    assert_eq!(lang_of(&form), "ja");
    let done = invitee
        .submit_form(
            &form,
            &link,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(done.location(), Some("/account/enrol"), "{}", done.body);
    assert_eq!(locale_of(&app, "analyst@fsa.example"), "ja");
    assert_eq!(locale_of(&app, "admin@fsa.example"), "en");
}

on_both_backends!(
    accept_language_decides_until_the_visitor_picks,
    a_signed_in_pick_is_kept_in_the_profile,
    an_invitation_accepted_in_japanese_makes_a_japanese_profile,
);
