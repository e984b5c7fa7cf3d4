//! A deadline extension in the browser, at 360 px, by the labels and
//! buttons a person reads: the firm's approver, in Japanese, opens May's
//! return from the list, follows its deadline link and asks for 30 June;
//! the regulator's analyst, in English, finds the request from the board
//! and grants 27 June instead; the approver's list of returns then shows
//! the new date with the extension. Each person in a browser of their own;
//! every page axe-core clean and no wider than the window.

use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

use crate::api_clients::{fits, signed_in};
use crate::helpers::TestApp;
use crate::support::{
    BoxError, Chromedriver, connect, drive, localhost_portal, press, require_browser, text,
    type_into, wait_for,
};

const WIDTH: u32 = 360;
const APPROVER: &str = "ito@kanto.example";
const ANALYST: &str = "mori@fsa.example";

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn an_approver_asks_for_an_extension_and_an_analyst_grants_it() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let firm = app
        .add_firm(
            &mut admin,
            "Kanto Securities",
            "関東財務局長（金商）第612号",
        )
        .await;
    for (email, role, firm) in [
        (APPROVER, "approver", Some(firm)),
        (ANALYST, "analyst", None),
    ] {
        app.add_user(&mut admin, email, role, firm).await;
        app.first_sign_in(email).await;
    }
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let axe = std::sync::Arc::new(crate::axe::source());
    let driver = Chromedriver::start().await;
    for (who, lang) in [
        (APPROVER, Lang::Ja),
        (ANALYST, Lang::En),
        (APPROVER, Lang::Ja),
    ] {
        let code = app.next_code(who);
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let client = connect(&driver.url, profile.path(), lang.code()).await;
        let (session, base, axe) = (client.clone(), base.clone(), axe.clone());
        let done = asked_already(&app);
        drive(
            &client,
            std::time::Duration::from_secs(120),
            "extensions-failure.png",
            async move {
                signed_in(&session, &base, who, &code, WIDTH, lang == Lang::Ja).await?;
                let t = Tr::new(lang);
                match (who, done) {
                    (APPROVER, false) => ask(&session, &axe, t).await,
                    (APPROVER, true) => sees_new_date(&session, &axe, t).await,
                    _ => grant(&session, &axe, t).await,
                }
            },
        )
        .await;
    }
    drop(driver);
}

/// Whether the firm has asked already (the approver's second visit).
fn asked_already(app: &TestApp) -> bool {
    use diesel::prelude::*;
    use incident_portal::db::schema::extensions;
    let mut conn = app.pool.get().expect("a connection");
    extensions::table
        .count()
        .get_result::<i64>(&mut conn)
        .expect("requests counted")
        > 0
}

/// Follows the link whose visible text starts with `link` (a count may
/// follow it), and waits for `next`.
async fn follow(client: &Client, link: &str, next: &str) -> Result<(), BoxError> {
    let xpath = format!("//a[starts-with(normalize-space(.), \"{link}\")]");
    client.find(Locator::XPath(&xpath)).await?.click().await?;
    wait_for(client, next).await?;
    Ok(())
}

/// The approver opens May's return from the list and asks for 30 June.
async fn ask(client: &Client, axe: &str, t: Tr) -> Result<(), BoxError> {
    follow(
        client,
        t.t(msg!("nav.returns")),
        "tr[data-period=\"2025-05\"]",
    )
    .await?;
    fits(client, axe, "the list of returns").await?;
    follow(client, "2025-05", "#extension-link").await?;
    follow(client, t.t(msg!("ext.link")), "#extension-form").await?;
    fits(client, axe, "the deadline page").await?;
    let label = text(client, "label[for=\"new_due_date\"]").await?;
    assert_eq!(label, t.t(msg!("ext.field.date")));
    type_into(client, "new_due_date", "2025-06-30").await?;
    type_into(
        client,
        "reason",
        "基幹システムの移行作業のため、集計が期限に間に合いません。",
    )
    .await?;
    press(client, t.t(msg!("ext.ask_button")), "#ext-open").await?;
    fits(client, axe, "the deadline page with the request").await?;
    let status = text(client, "#extensions td.ext-status").await?;
    assert_eq!(status, t.t(msg!("ext.status.pending")));
    Ok(())
}

/// The analyst finds the request from the board and grants 27 June.
async fn grant(client: &Client, axe: &str, t: Tr) -> Result<(), BoxError> {
    follow(client, t.t(msg!("nav.board")), ".pending-extensions").await?;
    follow(client, t.t(msg!("ext.board_pending")), "#ext-pending").await?;
    fits(client, axe, "the extension requests").await?;
    let reference = text(client, "#ext-pending tbody th").await?;
    follow(client, &reference, "#decision-form").await?;
    fits(client, axe, "the request").await?;
    type_into(client, "new_due_date", "2025-06-27").await?;
    type_into(client, "reason", "Granted to the end of the week only.").await?;
    press(client, t.t(msg!("ext.grant")), "#extension-request").await?;
    fits(client, axe, "the granted request").await?;
    let status = text(client, "#extension-request dd.ext-status").await?;
    assert!(
        status.starts_with(t.t(msg!("ext.status.granted"))),
        "{status}"
    );
    Ok(())
}

/// The approver's list shows May due on 27 June, extended.
async fn sees_new_date(client: &Client, axe: &str, t: Tr) -> Result<(), BoxError> {
    follow(
        client,
        t.t(msg!("nav.returns")),
        "tr[data-period=\"2025-05\"]",
    )
    .await?;
    fits(client, axe, "the list of returns, extended").await?;
    let due = text(client, "tr[data-period=\"2025-05\"] td.due").await?;
    assert!(due.starts_with("2025年6月27日"), "{due}");
    assert!(due.contains("延長済み"), "{due}");
    Ok(())
}
