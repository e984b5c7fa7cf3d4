//! Review threads in headless Chromium at 360 px, by the labels and buttons
//! a person reads: the analyst comments on two sections of a version (one
//! comment for the firm, one internal note) and sends the review, in
//! English; the firm's approver reads the firm's comment (never the note)
//! beside its section and answers, in Japanese; the firm amends the return
//! and its approver must say why (refused beside the field until a reason
//! is chosen and described), in Japanese; the analyst reads the reason on
//! the comparison, finds the acceptance of the amendment refused while the
//! comment is still open, resolves it and accepts.
//! Each act in a browser of its own; every page axe-core clean and no
//! wider than the window. Screenshots go to target/screenshots/review-threads/.

use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

use crate::helpers::{Firm, TestApp, figures};
use crate::incidents::{Journey, profile_lang, sign_in};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    screenshot_dir, sign_out, submit, text, type_into, wait_for,
};

const PHONE: u32 = 360;
const ACT_LIMIT: Duration = Duration::from_secs(60);
const ANALYST: &str = "analyst@fsa.example";
const APPROVER: &str = "approver@kanto.example";
const VISIBLE: &str = "Sale amount: please explain the 900 yen against the trade file.";
const INTERNAL: &str = "Internal: similar to the spike at two other brokers.";
const ANSWER: &str = "取引明細の1行が漏れていました。再提出します。";
const WHY: &str = "取引明細の漏れを訂正し、売却金額を950円にしました。";

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn review_thread_from_comment_to_acceptance_at_phone_width() {
    require_browser();
    let app = TestApp::spawn(incident_portal::db::Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let mut firm: Firm = app.firm_with_users(&mut admin, "Kanto").await;
    app.analyst(&mut admin).await;
    crate::helpers::file(
        &mut firm,
        "2025-04",
        &figures("10", "8", "3", "900", "800", "MFA"),
    )
    .await;
    let version = version_id(&app);
    let shots = screenshot_dir("review-threads");
    let _ = std::fs::remove_dir_all(&shots);
    let journey = |lang: Lang| Journey {
        base: localhost_portal(&app, MailConfig::Memory(Default::default()), false),
        axe: Arc::new(crate::axe::source()),
        t: Tr::new(lang),
        accept: match lang {
            Lang::Ja => "ja",
            Lang::En => "en-US,en",
        },
        width: PHONE,
        shots: shots.clone(),
    };
    let (en, ja) = (journey(Lang::En), journey(Lang::Ja));
    let driver = Chromedriver::start().await;

    act(&app, &driver, &en, ANALYST, move |c, j| {
        comment_and_send(c, j, version)
    })
    .await;
    let comment = comment_id(&app);
    act(&app, &driver, &ja, APPROVER, move |c, j| {
        answer(c, j, comment)
    })
    .await;
    // The reporter corrects the sale amount; the approver submits it.
    crate::helpers::prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("10", "8", "3", "950", "800", "MFA"),
    )
    .await;
    act(&app, &driver, &ja, APPROVER, amend).await;
    let amended = latest_version_id(&app);
    assert_ne!(amended, version, "the amendment is a version of its own");
    act(&app, &driver, &en, ANALYST, move |c, j| {
        resolve_and_accept(c, j, version, amended, comment)
    })
    .await;
    drop(driver);
    let mut conn = app.pool.get().unwrap();
    use diesel::prelude::*;
    use incident_portal::db::schema::return_versions;
    let status: String = return_versions::table
        .find(amended)
        .select(return_versions::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "accepted");
}

fn latest_version_id(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use incident_portal::db::schema::return_versions;
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .select(return_versions::id)
        .order(return_versions::id.desc())
        .first(&mut conn)
        .unwrap()
}

fn version_id(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use incident_portal::db::schema::return_versions;
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .select(return_versions::id)
        .first(&mut conn)
        .unwrap()
}

fn comment_id(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use incident_portal::db::schema::review_comments;
    let mut conn = app.pool.get().unwrap();
    review_comments::table
        .filter(review_comments::firm_visible.eq(true))
        .select(review_comments::id)
        .first(&mut conn)
        .unwrap()
}

/// `who` signs in, in a fresh browser, does `work` and signs out.
async fn act<F, Fut>(app: &TestApp, driver: &Chromedriver, j: &Journey, who: &str, work: F)
where
    F: FnOnce(Client, Journey) -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let code = app.next_code(who);
    let lang = profile_lang(app, who);
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let client = connect(&driver.url, profile.path(), j.accept).await;
    let (session, journey, who) = (client.clone(), j.clone(), who.to_owned());
    let done = work(client.clone(), j.clone());
    drive(
        &client,
        ACT_LIMIT,
        "review-threads-failure.png",
        async move {
            sign_in(&session, &journey, &who, &code, &lang, PHONE).await?;
            done.await?;
            sign_out(&session).await
        },
    )
    .await;
}

async fn comment_and_send(client: Client, j: Journey, version: i64) -> Result<(), BoxError> {
    let t = j.t;
    client
        .goto(&format!("{}/review/versions/{version}", j.base))
        .await?;
    wait_for(&client, "#comments").await?;
    j.look(&client, "the version page").await?;
    for (section, visibility, body) in [
        ("figures", "visibility-firm", VISIBLE),
        ("markets", "visibility-internal", INTERNAL),
    ] {
        client
            .find(Locator::Id("section"))
            .await?
            .select_by_value(section)
            .await?;
        click(&client, &format!("#{visibility}")).await?;
        type_into(&client, "body", body).await?;
        press(&client, t.t(msg!("review_thread.add")), "#comments").await?;
    }
    let send = t.tf(msg!("review_thread.send"), &[("n", "1")]);
    press(&client, &send, "#comments").await?;
    let shown = text(&client, "#comments").await?;
    if !shown.contains(t.t(msg!("review_thread.status.open"))) || !shown.contains(INTERNAL) {
        return Err(format!("after sending: {shown}").into());
    }
    j.look(&client, "the version page after sending").await?;
    j.keep(&client, "1-analyst-sent").await
}

async fn answer(client: Client, j: Journey, comment: i64) -> Result<(), BoxError> {
    let t = j.t;
    client.goto(&format!("{}/returns/2025-04", j.base)).await?;
    wait_for(&client, "#tasks").await?;
    j.look(&client, "the return page").await?;
    let beside = text(&client, "li[data-section=figures]").await?;
    let page = text(&client, "main").await?;
    if !beside.contains(VISIBLE) || page.contains(INTERNAL) {
        return Err(format!("the firm reads: {page}").into());
    }
    type_into(&client, &format!("answer-body-{comment}"), ANSWER).await?;
    press(&client, t.t(msg!("review_thread.send_answer")), "#tasks").await?;
    let thread = text(&client, &format!("#comment-{comment}")).await?;
    if !thread.contains(ANSWER) || !thread.contains(t.t(msg!("review_thread.status.answered"))) {
        return Err(format!("after answering: {thread}").into());
    }
    j.look(&client, "the return page after answering").await?;
    j.keep(&client, "2-approver-answered").await
}

/// The approver submits the amendment: refused until they say why, with
/// what they ticked kept; then the receipt shows the reason.
async fn amend(client: Client, j: Journey) -> Result<(), BoxError> {
    let t = j.t;
    client
        .goto(&format!("{}/returns/2025-04/approve", j.base))
        .await?;
    wait_for(&client, "#amendment").await?;
    j.look(&client, "the amendment's approval").await?;
    click(&client, "#attestation").await?;
    press(
        &client,
        t.t(msg!("return.submit_amendment")),
        "#amendment_reason-error",
    )
    .await?;
    let error = text(&client, "#amendment_reason-error").await?;
    if !error.contains(t.t(msg!("err.amendment.reason_required"))) {
        return Err(format!("beside the reason: {error}").into());
    }
    let kept = client
        .find(Locator::Id("attestation"))
        .await?
        .prop("checked")
        .await?;
    if kept.as_deref() != Some("true") {
        return Err("the attestation ticked was lost".into());
    }
    j.look(&client, "the amendment refused without a reason")
        .await?;
    j.keep(&client, "3-amendment-needs-a-reason").await?;
    client
        .find(Locator::Id("amendment_reason"))
        .await?
        .select_by_value("correction")
        .await?;
    type_into(&client, "amendment_reason_text", WHY).await?;
    press(
        &client,
        t.t(msg!("return.submit_amendment")),
        "#amendment-reason",
    )
    .await?;
    let shown = text(&client, "#amendment-reason").await?;
    if !shown.contains(t.t(msg!("amendment.reason.correction"))) || !shown.contains(WHY) {
        return Err(format!("the receipt's reason: {shown}").into());
    }
    j.look(&client, "the amendment's receipt").await?;
    j.keep(&client, "4-amendment-receipt").await
}

async fn resolve_and_accept(
    client: Client,
    j: Journey,
    version: i64,
    amended: i64,
    comment: i64,
) -> Result<(), BoxError> {
    let t = j.t;
    client
        .goto(&format!(
            "{}/review/compare?a={version}&b={amended}",
            j.base
        ))
        .await?;
    let compared = text(&client, "main").await?;
    if !compared.contains(WHY) || !compared.contains(t.t(msg!("amendment.reason.correction"))) {
        return Err(format!("the comparison: {compared}").into());
    }
    j.look(&client, "the comparison with the reason").await?;
    client
        .goto(&format!("{}/review/versions/{amended}", j.base))
        .await?;
    wait_for(&client, "#comments").await?;
    press(&client, t.t(msg!("review.accept")), "#refusal").await?;
    j.look(&client, "the refused acceptance").await?;
    j.keep(&client, "5-accept-refused").await?;
    submit(
        &client,
        &format!("#comment-{comment} form button"),
        "#comments",
    )
    .await?;
    let thread = text(&client, &format!("#comment-{comment}")).await?;
    if !thread.contains(t.t(msg!("review_thread.status.resolved"))) || !thread.contains(ANSWER) {
        return Err(format!("after resolving: {thread}").into());
    }
    press(&client, t.t(msg!("review.accept")), "[role=status]").await?;
    j.look(&client, "the accepted version").await?;
    j.keep(&client, "6-accepted").await
}
