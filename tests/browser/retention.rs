//! Retention in the browser, at 360 px, by the labels and buttons a person
//! reads: the admin opens the retention page from the menu, first types
//! nonsense (refused beside the field, kept), sets one year in English,
//! switches to Japanese and sets it again by the Japanese label, then
//! places a legal hold on a firm from the firms list. axe-core finds
//! nothing serious on any page, and none scrolls sideways.

use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::services::{legal_holds, retention};

use crate::api_clients::fits;
use crate::helpers::{PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    save_screenshot, screenshot_dir, type_into, wait_for,
};

const PHONE: u32 = 360;
const FIRM: &str = "Kanto Securities";

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn an_admin_keeps_data_one_year_and_holds_a_firm_at_phone_width() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let firm = app
        .add_firm(&mut admin, FIRM, "関東財務局長（金商）第612号")
        .await;
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let axe = crate::axe::source();
    let code = app.next_code("admin@fsa.example");
    let driver = Chromedriver::start().await;
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let client = connect(&driver.url, profile.path(), "en-US,en").await;
    let session = client.clone();
    drive(
        &client,
        std::time::Duration::from_secs(120),
        "retention-failure.png",
        async move {
            sign_in(&session, &base, &code).await?;
            set_one_year(&session, &axe).await?;
            hold(&session, &axe).await
        },
    )
    .await;
    drop(driver);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(retention::years(&mut conn).unwrap().get(), 1);
    let held = legal_holds::in_force(&mut conn, firm).unwrap().unwrap();
    assert_eq!(held.reason, "裁判所の命令");
}

async fn sign_in(client: &Client, base: &str, code: &str) -> Result<(), BoxError> {
    client.set_window_size(PHONE, 900).await?;
    client.goto(&format!("{base}/login")).await?;
    type_into(client, "email", "admin@fsa.example").await?;
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
    Ok(())
}

/// Types `value` into the field whose visible label is `label`.
async fn fill(client: &Client, label: &str, value: &str) -> Result<(), BoxError> {
    let xpath = format!("//label[normalize-space()=\"{label}\"]");
    let tied = client.find(Locator::XPath(&xpath)).await?;
    let id = tied.attr("for").await?.ok_or("a label tied to nothing")?;
    type_into(client, &id, value).await
}

async fn keep(client: &Client, name: &str) -> Result<(), BoxError> {
    let png = client.screenshot().await?;
    save_screenshot(&screenshot_dir("retention"), &format!("{name}.png"), &png);
    Ok(())
}

async fn set_one_year(client: &Client, axe: &str) -> Result<(), BoxError> {
    client
        .find(Locator::LinkText("Retention"))
        .await?
        .click()
        .await?;
    wait_for(client, "#retention_years").await?;
    fits(client, axe, "the retention page").await?;
    fill(client, "Years kept after the month", "0").await?;
    press(client, "Save the retention", "#retention_years-error").await?;
    let kept = client
        .find(Locator::Id("retention_years"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some("0"), "what was typed is kept");
    fits(client, axe, "the refused setting").await?;
    fill(client, "Years kept after the month", "1").await?;
    press(client, "Save the retention", "p.notice").await?;
    keep(client, "retention-en").await?;
    press(client, "日本語", "header .account .who").await?;
    fill(client, "対象月の後の保存年数", "1").await?;
    press(client, "保存期間を保存", "p.notice").await?;
    fits(client, axe, "the saved setting in Japanese").await?;
    keep(client, "retention-ja").await
}

async fn hold(client: &Client, axe: &str) -> Result<(), BoxError> {
    client
        .find(Locator::LinkText("報告事業者"))
        .await?
        .click()
        .await?;
    wait_for(client, "td.legal-hold a").await?;
    click(client, "td.legal-hold a").await?;
    wait_for(client, "#reason").await?;
    fits(client, axe, "the legal hold page").await?;
    fill(client, "リーガルホールドの理由", "裁判所の命令").await?;
    press(client, "リーガルホールドをかける", "p.notice").await?;
    fits(client, axe, "the firm on hold").await?;
    keep(client, "legal-hold-ja").await
}
