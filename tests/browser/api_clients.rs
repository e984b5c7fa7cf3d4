//! A firm's API client in the browser, by the labels and buttons a person
//! sees: approver A registers it (a name and the public key pasted), sees
//! it waiting and no way to confirm it alone; approver B, in a browser of
//! their own, opens it from the list and confirms it. In English at desk
//! width (the README's screenshot) and in Japanese at 360 px, where the
//! pages must not scroll sideways; axe-core finds nothing serious on the
//! list, the refused form, the waiting client or the confirmed one.

use diesel::prelude::*;
use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::db::schema::api_clients;

use crate::api_support::TestKey;
use crate::helpers::{PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    save_screenshot, screenshot_dir, sign_out, text, type_into, wait_for,
};

/// What one language's journey reads and presses.
pub(crate) struct Words {
    pub(crate) accept: &'static str,
    width: u32,
    nav: &'static str,
    name_label: &'static str,
    key_label: &'static str,
    register: &'static str,
    pending: &'static str,
    confirm: &'static str,
    active: &'static str,
}

pub(crate) static ENGLISH: Words = Words {
    accept: "en-US,en",
    width: 1280,
    nav: "API clients",
    name_label: "Client name",
    key_label: "Public key (JWK)",
    register: "Register client",
    pending: "Awaiting confirmation",
    confirm: "Confirm client",
    active: "Active",
};

pub(crate) static JAPANESE: Words = Words {
    accept: "ja",
    width: 360,
    nav: "APIクライアント",
    name_label: "クライアント名",
    key_label: "公開鍵（JWK）",
    register: "クライアントを登録",
    pending: "確認待ち",
    confirm: "クライアントを確認",
    active: "有効",
};

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium and chromedriver)"
)]
async fn two_approvers_register_and_confirm_an_api_client() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let axe = std::sync::Arc::new(crate::axe::source());
    for (tag, words) in [("Kanto", &ENGLISH), ("Kansai", &JAPANESE)] {
        let firm = app
            .add_firm(
                &mut admin,
                &format!("{tag} Securities"),
                &format!("関東財務局長（金商）第{}号", tag.len()),
            )
            .await;
        let (a, b) = (
            format!("a@{}.example", tag.to_lowercase()),
            format!("b@{}.example", tag.to_lowercase()),
        );
        for email in [&a, &b] {
            app.add_user(&mut admin, email, "approver", Some(firm))
                .await;
            app.first_sign_in(email).await;
        }
        let name = format!("{tag} back office");
        let key = TestKey::es256().public_jwk().to_string();
        for (who, registers) in [(&a, true), (&b, false)] {
            let code = app.next_code(who);
            let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
            let driver = Chromedriver::start().await;
            let client = connect(&driver.url, profile.path(), words.accept).await;
            let session = client.clone();
            let (base, who, name, key) = (base.clone(), who.clone(), name.clone(), key.clone());
            let axe = axe.clone();
            drive(
                &client,
                std::time::Duration::from_secs(120),
                "api-clients-failure.png",
                async move {
                    sign_in(&session, &base, &who, &code, words).await?;
                    if registers {
                        register(&session, &axe, &name, &key, words).await
                    } else {
                        confirm(&session, &axe, &name, words).await
                    }
                },
            )
            .await;
            drop(driver);
        }
        let mut conn = app.pool.get().unwrap();
        let (status, confirmed_by): (String, Option<i64>) = api_clients::table
            .filter(api_clients::name.eq(&name))
            .select((api_clients::status, api_clients::confirmed_by))
            .first::<(
                incident_portal::domain::api_client::ClientStatus,
                Option<i64>,
            )>(&mut conn)
            .map(|(s, by)| (s.to_string(), by))
            .unwrap();
        assert_eq!(status, "active", "{tag}");
        let b_id = incident_portal::services::accounts::find_user_by_email(&mut conn, &b)
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            confirmed_by,
            Some(b_id),
            "{tag}: confirmed by the second approver"
        );
    }
}

/// Password and authenticator code, at the journey's width, in its
/// language (the header's switch, as a person picks it).
pub(crate) async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    code: &str,
    words: &Words,
) -> Result<(), BoxError> {
    signed_in(client, base, email, code, words.width, words.accept == "ja").await?;
    client
        .find(Locator::LinkText(words.nav))
        .await?
        .click()
        .await?;
    wait_for(client, "#client_name").await?;
    Ok(())
}

/// Password and authenticator code, `width` pixels wide; in Japanese
/// (`ja`) by the header's switch, as a person picks it.
pub(crate) async fn signed_in(
    client: &Client,
    base: &str,
    email: &str,
    code: &str,
    width: u32,
    ja: bool,
) -> Result<(), BoxError> {
    client.set_window_size(width, 900).await?;
    client.goto(&format!("{base}/login")).await?;
    type_into(client, "email", email).await?;
    type_into(client, "password", PASSWORD).await?;
    click(client, "form.narrow button[type=submit]").await?;
    wait_for(client, "#code").await?;
    type_into(client, "code", code).await?;
    click(
        client,
        r#"form[action="/login/verify/totp"] button[type=submit]"#,
    )
    .await?;
    wait_for(client, "header .account .who").await?;
    if ja {
        press(client, "日本語", "header .account .who").await?;
    }
    Ok(())
}

/// No page may be wider than the window, nor have a serious or critical
/// accessibility problem.
pub(crate) async fn fits(client: &Client, axe: &str, what: &str) -> Result<(), BoxError> {
    let found = crate::axe::check(client, axe, what).await?;
    if !found.is_empty() {
        return Err(found.join("\n").into());
    }
    let wide = client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await?;
    if wide.as_bool() == Some(true) {
        return Err(format!("{what} scrolls sideways").into());
    }
    Ok(())
}

/// Approver A registers the client and finds it waiting for someone else.
async fn register(
    client: &Client,
    axe: &str,
    name: &str,
    key: &str,
    words: &Words,
) -> Result<(), BoxError> {
    assert_eq!(
        text(client, r#"label[for="client_name"]"#).await?,
        words.name_label
    );
    assert_eq!(
        text(client, r#"label[for="public_jwk"]"#).await?,
        words.key_label
    );
    fits(client, axe, "the list").await?;
    // A private key first: refused beside the field, the name kept.
    type_into(client, "client_name", name).await?;
    let mut private: serde_json::Value = serde_json::from_str(key)?;
    private["d"] = serde_json::Value::String("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI".into());
    type_into(client, "public_jwk", &private.to_string()).await?;
    press(client, words.register, "#public_jwk-error").await?;
    let kept = client
        .find(Locator::Id("client_name"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some(name), "the name typed is kept");
    fits(client, axe, "the refused form").await?;
    type_into(client, "public_jwk", key).await?;
    press(client, words.register, "#client-status").await?;
    assert_eq!(text(client, "#client-status").await?, words.pending);
    assert!(client.find(Locator::Id("pending-note")).await.is_ok());
    let confirm = format!("//button[normalize-space()=\"{}\"]", words.confirm);
    assert!(
        client.find(Locator::XPath(&confirm)).await.is_err(),
        "the registrant has no button to confirm"
    );
    fits(client, axe, "the client's page").await?;
    sign_out(client).await
}

/// Approver B opens it from the list and confirms it.
async fn confirm(client: &Client, axe: &str, name: &str, words: &Words) -> Result<(), BoxError> {
    client.find(Locator::LinkText(name)).await?.click().await?;
    wait_for(client, "#client-status").await?;
    assert_eq!(text(client, "#client-status").await?, words.pending);
    press(client, words.confirm, "#client-status").await?;
    assert_eq!(text(client, "#client-status").await?, words.active);
    fits(client, axe, "the confirmed client's page").await?;
    let png = client.screenshot().await?;
    let lang = &words.accept[..2];
    save_screenshot(
        &screenshot_dir("api-clients"),
        &format!("api-clients-{lang}.png"),
        &png,
    );
    if lang == "en" {
        let docs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        save_screenshot(&docs, "api-clients-en.png", &png);
    }
    sign_out(client).await
}
