//! End-to-end runs in a real browser: an approver signs in, saves two
//! sections of a draft return and submits it, and the receipt page shows what was filed; the
//! first admin enrols a passkey (Chromium's virtual authenticator) and
//! signs in with it, after the password and on its own; and the whole
//! filing day from the setup link to the published statistics, in Japanese
//! and in English, each person in their own browser session, with
//! axe-core accessibility checks (journey.rs); and an incident from the
//! initial notification to the final report, each stage by its own people
//! (incidents.rs).
//!
//! Headless Chromium is driven over WebDriver (chromedriver + fantoccini);
//! the shared plumbing is in browser/support.rs. The tests are ignored
//! unless the crate was built with PORTAL_BROWSER_TESTS=1; then they need
//! /usr/bin/chromium, /usr/bin/chromedriver and axe-core
//! (`npm ci --prefix tests/browser/axe`), and fail, never pass, without
//! them. Mail goes to the test's own SMTP server (tests/support).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "browser/api_clients.rs"]
mod api_clients;
#[path = "browser/api_draft.rs"]
mod api_draft;
#[path = "support/api_client.rs"]
mod api_support;
#[path = "browser/axe.rs"]
mod axe;
#[path = "browser/extensions.rs"]
mod extensions;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "browser/incidents.rs"]
mod incidents;
#[path = "browser/journey.rs"]
mod journey;
#[path = "browser/journey_flow.rs"]
mod journey_flow;
#[path = "browser/mailbox.rs"]
mod mailbox;
#[path = "browser/observers.rs"]
mod observers;
#[path = "browser/retention.rs"]
mod retention;
#[path = "browser/review_threads.rs"]
mod review_threads;
#[path = "browser/support.rs"]
mod support;
#[path = "browser/widths.rs"]
mod widths;

use std::time::Duration;

use fantoccini::{Client, Locator};
use helpers::TestApp;
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use support::{
    BoxError, Chromedriver, VirtualAuthenticator, click, connect, drive, localhost_portal,
    require_browser, save_screenshot, screenshot_dir, sign_out, text, type_into, wait_for,
};

/// The whole browser session, start to finish.
const SESSION_LIMIT: Duration = Duration::from_secs(120);

/// The six fields of a return: input id, label shown, value typed.
const FIELDS: [(&str, &str, &str); 6] = [
    ("unauthorized_accesses", "Unauthorized accesses", "1,422"),
    ("affected_accounts", "Affected accounts", "1,300"),
    ("fraudulent_trades", "Fraudulent trades", "685"),
    ("sale_amount", "Sale amount (JPY)", "12,000,000,000"),
    ("purchase_amount", "Purchase amount (JPY)", "10,500,000,000"),
    (
        "remediation",
        "Remediation",
        "Forced password resets for all affected accounts; FIDO2 sign-in made mandatory.",
    ),
];

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium and chromedriver)"
)]
async fn firm_files_and_submits_in_chromium() {
    require_browser();
    // Prepared over HTTP: an admin, and a firm whose only user, its
    // approver, has set helpers::PASSWORD (the regulator exempted the
    // single-user firm from four eyes) and saved the rest of the complete
    // return as a draft.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let firm_id = app
        .add_firm(
            &mut admin,
            "Kanto Securities",
            "関東財務局長（金商）第777号",
        )
        .await;
    let approver_email = "approver@kanto.example".to_owned();
    app.add_user(&mut admin, &approver_email, "approver", Some(firm_id))
        .await;
    let firms = admin.get("/admin/firms").await;
    let exempted = admin
        .submit_form(
            &firms,
            &format!("/admin/firms/{firm_id}/exemption"),
            &[("exempt", "yes")],
        )
        .await;
    assert_eq!(exempted.location(), Some("/admin/firms"));
    let mut over_http = app.first_sign_in(&approver_email).await;
    let details = helpers::figures("0", "0", "0", "0", "10,500,000,000", "");
    let details: Vec<(&str, &str)> = details
        .into_iter()
        .filter(|(k, _)| !FIELDS.iter().any(|(f, _, _)| f == k))
        .collect();
    helpers::prepare(&mut over_http, "2025-04", &details).await;
    let code = app.next_code(&approver_email);

    // Declared before the driver so that it is removed after Chromium ends.
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let driver = Chromedriver::start().await;
    let client = connect(&driver.url, profile.path(), "en-US,en").await;
    let session = client.clone();
    let address = app.address.clone();
    drive(&client, SESSION_LIMIT, "failure.png", async move {
        file_return(&session, &address, &approver_email, &code).await
    })
    .await;
    drop(driver);
}

/// The first admin, through the setup link, enrols a passkey on the
/// enrolment page, then signs in with password and passkey, and with the
/// passkey alone.
#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium and chromedriver)"
)]
async fn passkeys_in_chromium() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let token = app.setup_token();

    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let driver = Chromedriver::start().await;
    let client = connect(&driver.url, profile.path(), "en-US,en").await;
    let session = client.clone();
    drive(&client, SESSION_LIMIT, "failure.png", async move {
        use_passkeys(&session, &base, &token).await
    })
    .await;
    drop(driver);
}

/// What the approver does in the browser.
async fn file_return(client: &Client, base: &str, email: &str, code: &str) -> Result<(), BoxError> {
    // Sign in: password, then the authenticator app's code.
    client.goto(&format!("{base}/login")).await?;
    type_into(client, "email", email).await?;
    type_into(client, "password", helpers::PASSWORD).await?;
    click(client, "form.narrow button[type=submit]").await?;
    wait_for(client, "#code").await?;
    type_into(client, "code", code).await?;
    click(
        client,
        r#"form[action="/login/verify/totp"] button[type=submit]"#,
    )
    .await?;
    wait_for(client, "header .account .who").await?;

    // The returns list, then April 2025.
    client.goto(&format!("{base}/returns")).await?;
    wait_for(client, "main h1").await?;
    match client
        .find(Locator::Css(r#"a[href="/returns/2025-04"]"#))
        .await
    {
        Ok(link) => link.click().await?,
        Err(_) => client.goto(&format!("{base}/returns/2025-04")).await?,
    }
    wait_for(client, "#tasks").await?;
    keep("return-form.png", &client.screenshot().await?);

    // Each section on its own page: the figures, then the remediation.
    for (slug, fields) in [("figures", &FIELDS[..5]), ("remediation", &FIELDS[5..])] {
        let link = format!(r#"#tasks a[href="/returns/2025-04/sections/{slug}"]"#);
        client.find(Locator::Css(&link)).await?.click().await?;
        wait_for(client, "button[name=then][value=later]").await?;
        for (id, label, _) in fields {
            let shown = text(client, &format!(r#"label[for="{id}"]"#)).await?;
            assert_eq!(shown, *label, "label of #{id}");
        }
        for (id, _, value) in fields {
            type_into(client, id, value).await?;
        }
        // "Save and come back later": the task list with a notice.
        client
            .find(Locator::Css("button[name=then][value=later]"))
            .await?
            .click()
            .await?;
        let notice = wait_for(client, "#saved").await?.text().await?;
        assert_eq!(notice.trim(), "Draft saved.");
    }
    for (slug, fields) in [("figures", &FIELDS[..5]), ("remediation", &FIELDS[5..])] {
        client
            .goto(&format!("{base}/returns/2025-04/sections/{slug}"))
            .await?;
        wait_for(client, "button[name=then][value=later]").await?;
        for (id, _, value) in fields {
            let kept = client.find(Locator::Id(id)).await?.prop("value").await?;
            assert_eq!(
                kept.as_deref(),
                Some(*value),
                "#{id} after saving the draft"
            );
        }
    }

    // Review the whole return, confirm the attestation and submit: POST,
    // 303, then the frozen version with its receipt.
    client
        .goto(&format!("{base}/returns/2025-04/approve"))
        .await?;
    wait_for(client, "#attestation").await?.click().await?;
    client
        .find(Locator::Css("#approval button[type=submit]"))
        .await?
        .click()
        .await?;
    let receipt = wait_for(client, ".receipt-no").await?.text().await?;
    assert!(
        is_receipt_no(receipt.trim(), "202504", 1),
        "receipt number {receipt:?} is not R-202504-NNNNN-V01-XXXXXX"
    );
    let submitted_at = text(client, ".submitted-at").await?;
    assert!(
        submitted_at.ends_with("JST"),
        "submitted at {submitted_at:?}"
    );

    let mut numbers = Vec::new();
    for cell in client
        .find_all(Locator::Css("table.figures td.num"))
        .await?
    {
        numbers.push(cell.text().await?.trim().to_owned());
    }
    assert_eq!(
        numbers,
        [
            "1,422",
            "1,300",
            "685",
            "¥12,000,000,000",
            "¥10,500,000,000"
        ],
        "figures on the receipt page"
    );
    let mut prose = Vec::new();
    for cell in client
        .find_all(Locator::Css("table.figures td.prose"))
        .await?
    {
        prose.push(cell.text().await?.trim().to_owned());
    }
    assert!(
        prose.iter().any(|p| p == FIELDS[5].2),
        "the remediation on the receipt page: {prose:?}"
    );

    keep("receipt.png", &client.screenshot().await?);
    Ok(())
}

/// What the first admin does: set up the account, enrol a passkey, sign in
/// twice with it.
async fn use_passkeys(client: &Client, base: &str, token: &str) -> Result<(), BoxError> {
    client.issue_cmd(VirtualAuthenticator).await?;
    client.goto(&format!("{base}/setup/{token}")).await?;
    for (id, value) in [
        ("email", ADMIN),
        ("display_name", "First Admin"),
        ("password", helpers::PASSWORD),
        ("password_confirm", helpers::PASSWORD),
    ] {
        type_into(client, id, value).await?;
    }
    click(client, "form.narrow button[type=submit]").await?;

    // The enrolment page: the script shows the passkey controls.
    wait_for(client, "#passkey-enrol .passkey-controls:not([hidden])").await?;
    type_into(client, "passkey-name", "Chromium").await?;
    click(client, "#passkey-enrol .passkey-start").await?;
    wait_for(client, ".recovery-code").await?;
    let codes = client.find_all(Locator::Css(".recovery-code")).await?;
    assert_eq!(codes.len(), 10, "recovery codes shown once");
    client.goto(&format!("{base}/account/passkeys")).await?;
    assert_eq!(text(client, ".passkey-name").await?, "Chromium");
    sign_out(client).await?;

    // Password, then the passkey.
    type_into(client, "email", ADMIN).await?;
    type_into(client, "password", helpers::PASSWORD).await?;
    click(client, "form.narrow button[type=submit]").await?;
    wait_for(client, "#passkey-verify .passkey-controls:not([hidden])").await?;
    click(client, "#passkey-verify .passkey-start").await?;
    wait_for(client, "header .account .who").await?;
    sign_out(client).await?;

    // The passkey alone, from the sign-in page.
    wait_for(client, "#passkey-login .passkey-controls:not([hidden])").await?;
    click(client, "#passkey-login .passkey-start").await?;
    wait_for(client, "header .account .who").await?;
    client.goto(&format!("{base}/account/passkeys")).await?;
    let cells = client.find_all(Locator::Css("table.passkeys td")).await?;
    let last_used = cells.get(1).ok_or("no last-used cell")?.text().await?;
    assert_ne!(
        last_used.trim(),
        "Not yet",
        "the passkey's last use is shown"
    );
    keep("passkeys.png", &client.screenshot().await?);
    Ok(())
}

const ADMIN: &str = "admin@fsa.example";

/// `R-{period}-{5 digits}-V{version:02}-{6 of 0-9A-Z}`.
fn is_receipt_no(s: &str, period: &str, version: u32) -> bool {
    let prefix = format!("R-{period}-");
    let Some(rest) = s.strip_prefix(&prefix) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let [firm, v, random] = parts.as_slice() else {
        return false;
    };
    firm.len() == 5
        && firm.bytes().all(|b| b.is_ascii_digit())
        && *v == format!("V{version:02}")
        && random.len() == 6
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Keeps a screenshot under target/screenshots.
fn keep(name: &str, png: &[u8]) {
    save_screenshot(&screenshot_dir(""), name, png);
}
