//! An observer from a partner authority, in headless Chromium at 360 px,
//! each person in a browser of their own: the admin (in English) invites a
//! police liaison as an observer and scopes them to one firm and two
//! months; the observer (in Japanese) accepts the invitation with a
//! passkey, reads the live figures and one version, sees no contact
//! details and gets "not found" for a firm outside the scope; the admin
//! then finds each page the observer read listed. Every page is axe-core
//! clean and no wider than the window. Screenshots go to
//! target/screenshots/observers/ (the version page also to docs/screenshots).

use std::time::Duration;

use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

use crate::api_clients::fits;
use crate::helpers::{PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, VirtualAuthenticator, click, connect, drive, localhost_portal, press,
    require_browser, save_screenshot, screenshot_dir, sign_out, submit, type_into, wait_for,
};

#[allow(dead_code)]
#[path = "../api/observers/support.rs"]
mod observer_support;

use crate::incidents::by_label::{fill, follow, says};
use crate::widths::sign_in;
use observer_support::{CONTACT, file};

const ACT_LIMIT: Duration = Duration::from_secs(90);
const WIDTH: u32 = 360;
const ADMIN: &str = "admin@fsa.example";
const OBSERVER: &str = "liaison@npa.example";
const OBSERVER_NAME: &str = "NPA Liaison";

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn an_observer_reads_their_scope_and_the_admin_sees_each_view() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    file(&app, &mut alpha, "2025-03", "31").await;
    let inside = file(&app, &mut alpha, "2025-04", "42").await;
    let outside = file(&app, &mut bravo, "2025-04", "57").await;
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let axe = crate::axe::source();
    let shots = screenshot_dir("observers");
    let _ = std::fs::remove_dir_all(&shots);
    let driver = Chromedriver::start().await;
    let open = |lang: &'static str| {
        let url = driver.url.clone();
        async move {
            let profile = tempfile::tempdir().expect("a profile folder");
            let client = connect(&url, profile.path(), lang).await;
            narrow(&client).await.expect("a 360 px window");
            (client, profile)
        }
    };

    // 1. The admin invites the observer and sets their scope.
    let (client, _profile) = open("en-US,en").await;
    let code = app.next_code(ADMIN);
    let work = admin_scopes(
        client.clone(),
        base.clone(),
        axe.clone(),
        code,
        shots.clone(),
    );
    drive(&client, ACT_LIMIT, "observers-admin-failure.png", work).await;

    // 2. The observer accepts, with a passkey, and reads.
    let (client, _profile) = open("ja").await;
    let link = app.link_in_email(OBSERVER, "/invite/");
    let reads = Reads {
        base: base.clone(),
        axe: axe.clone(),
        link,
        inside,
        outside,
        shots: shots.clone(),
    };
    drive(
        &client,
        ACT_LIMIT,
        "observers-observer-failure.png",
        observer_reads(client.clone(), reads),
    )
    .await;

    // 3. The admin finds each page the observer read.
    let (client, _profile) = open("en-US,en").await;
    let code = app.next_code(ADMIN);
    let work = admin_reads_views(client.clone(), base, axe, code, inside, shots);
    drive(&client, ACT_LIMIT, "observers-views-failure.png", work).await;
    drop(driver);
}

/// Sizes the window so that the page is 360 CSS pixels wide.
async fn narrow(client: &Client) -> Result<(), BoxError> {
    client.set_window_size(WIDTH, 900).await?;
    let inner = client.execute("return window.innerWidth;", vec![]).await?;
    let off = i64::from(WIDTH) - inner.as_i64().unwrap_or(0);
    if off != 0 {
        let corrected = u32::try_from(i64::from(WIDTH) + off).unwrap_or(WIDTH);
        client.set_window_size(corrected, 900).await?;
    }
    Ok(())
}

/// Checks the page (axe-core, no sideways scroll) and keeps a screenshot.
async fn look(
    client: &Client,
    axe: &str,
    shots: &std::path::Path,
    name: &str,
) -> Result<(), BoxError> {
    fits(client, axe, name).await?;
    save_screenshot(shots, &format!("{name}.png"), &client.screenshot().await?);
    Ok(())
}

async fn admin_scopes(
    client: Client,
    base: String,
    axe: String,
    code: String,
    shots: std::path::PathBuf,
) -> Result<(), BoxError> {
    let t = Tr::new(Lang::En);
    sign_in(&client, &base, ADMIN, &code).await?;
    client.goto(&format!("{base}/admin/users")).await?;
    wait_for(&client, "#role").await?;
    fill(&client, t.t(msg!("field.email")), OBSERVER).await?;
    fill(&client, t.t(msg!("field.display_name")), OBSERVER_NAME).await?;
    fill(&client, t.t(msg!("field.role")), t.t(msg!("role.observer"))).await?;
    press(&client, t.t(msg!("users.submit")), "#users-list-caption").await?;
    follow(&client, t.t(msg!("nav.observers")), "#observers").await?;
    look(&client, &axe, &shots, "1-admin-observers").await?;
    follow(&client, OBSERVER_NAME, "#expires_on").await?;
    let alpha = "//label[normalize-space()=\"Alpha Securities\"]";
    client.find(Locator::XPath(alpha)).await?.click().await?;
    fill(&client, t.t(msg!("observer.field.from")), "2025-03").await?;
    fill(&client, t.t(msg!("observer.field.to")), "2025-04").await?;
    // A date input takes its value as the browser's locale spells it:
    // set the ISO date a date picker would.
    client
        .execute(
            "document.getElementById('expires_on').value = arguments[0];",
            vec![serde_json::json!("2025-12-31")],
        )
        .await?;
    look(&client, &axe, &shots, "2-admin-scope").await?;
    press(&client, t.t(msg!("observer.scope_save")), "#observers").await?;
    says(&client, "#observers", "Alpha Securities").await?;
    says(&client, "#observers", "2025-03").await?;
    sign_out(&client).await
}

struct Reads {
    base: String,
    axe: String,
    link: String,
    inside: i64,
    outside: i64,
    shots: std::path::PathBuf,
}

/// No contact detail typed in a return is anywhere in the page's source.
async fn no_contact(client: &Client, what: &str) -> Result<(), BoxError> {
    let source = client.source().await?;
    match CONTACT.iter().find(|c| source.contains(*c)) {
        Some(found) => Err(format!("{what} shows the contact {found:?}").into()),
        None => Ok(()),
    }
}

async fn observer_reads(client: Client, r: Reads) -> Result<(), BoxError> {
    let t = Tr::new(Lang::Ja);
    client.issue_cmd(VirtualAuthenticator).await?;
    client.goto(&format!("{}{}", r.base, r.link)).await?;
    wait_for(&client, "#password_confirm").await?;
    type_into(&client, "password", PASSWORD).await?;
    type_into(&client, "password_confirm", PASSWORD).await?;
    click(&client, "form.narrow button[type=submit]").await?;
    // Passkeys only: no authenticator app is offered to an observer.
    wait_for(&client, "#passkey-enrol .passkey-controls:not([hidden])").await?;
    if client.find(Locator::Css("#totp-secret")).await.is_ok() {
        return Err("an observer was offered an authenticator app".into());
    }
    type_into(&client, "passkey-name", "Chromium").await?;
    click(&client, "#passkey-enrol .passkey-start").await?;
    wait_for(&client, ".recovery-code").await?;
    submit(&client, "main p:last-of-type a", "#scope-standing").await?;
    look(&client, &r.axe, &r.shots, "3-observer-home").await?;
    says(&client, "#scope-standing", "2025-03").await?;
    no_contact(&client, "the observer's home").await?;
    follow(&client, t.t(msg!("observer.dashboard_link")), "#fsa-table").await?;
    look(&client, &r.axe, &r.shots, "4-observer-dashboard").await?;
    no_contact(&client, "the live figures").await?;
    if client.find(Locator::Css("#exports")).await.is_ok() {
        return Err("the observer is offered exports".into());
    }
    follow(
        &client,
        t.t(msg!("observer.back_home")),
        "#observer-versions",
    )
    .await?;
    let april = "//tr[td[normalize-space()='2025-04']]//a";
    client.find(Locator::XPath(april)).await?.click().await?;
    wait_for(&client, "table.figures").await?;
    look(&client, &r.axe, &r.shots, "5-observer-version").await?;
    let docs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    save_screenshot(
        &docs,
        "observer-version-ja-phone.png",
        &client.screenshot().await?,
    );
    says(&client, "main h1", "Alpha Securities").await?;
    says(&client, "table.figures", "42").await?;
    no_contact(&client, "the version").await?;
    let here = client.current_url().await?;
    if !here.path().ends_with(&format!("/{}", r.inside)) {
        return Err(format!("the April version is {here}").into());
    }
    client
        .goto(&format!("{}/observer/versions/{}", r.base, r.outside))
        .await?;
    wait_for(&client, "main h1").await?;
    says(&client, "main p", t.t(msg!("error.not_found"))).await?;
    look(&client, &r.axe, &r.shots, "6-observer-outside").await?;
    client.goto(&format!("{}/observer", r.base)).await?;
    wait_for(&client, "#scope-standing").await?;
    sign_out(&client).await
}

async fn admin_reads_views(
    client: Client,
    base: String,
    axe: String,
    code: String,
    inside: i64,
    shots: std::path::PathBuf,
) -> Result<(), BoxError> {
    let t = Tr::new(Lang::En);
    sign_in(&client, &base, ADMIN, &code).await?;
    client.goto(&format!("{base}/admin/observers")).await?;
    wait_for(&client, "#observers").await?;
    follow(
        &client,
        t.t(msg!("observer.views_title")),
        "#observer-views",
    )
    .await?;
    fill(
        &client,
        t.t(msg!("observer.views_filter")),
        &format!("{OBSERVER_NAME} <{OBSERVER}>"),
    )
    .await?;
    press(&client, t.t(msg!("observer.views_show")), "#observer-views").await?;
    look(&client, &axe, &shots, "7-admin-views").await?;
    let version = t.tf(
        msg!("observer.view.version"),
        &[("id", &inside.to_string())],
    );
    says(&client, "#observer-views", &version).await?;
    says(
        &client,
        "#observer-views",
        t.t(msg!("observer.view.dashboard")),
    )
    .await?;
    says(&client, "#observer-views", OBSERVER).await?;
    sign_out(&client).await
}
