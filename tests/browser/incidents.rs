//! An incident from the first call to the last report, in headless
//! Chromium, by the labels and buttons a person reads: late on a Friday
//! night a firm's reporter sends the initial notification from a phone
//! (360 px), first forgetting a required field; on Monday the reporter
//! saves the intermediate report for approval and the firm's approver, in
//! a browser of their own, reads the whole draft and sends it; the final
//! report goes the same way. Each act is one person's own browser (a fresh
//! profile), signed in afresh, since days pass between them. Once in
//! Japanese at 360 px throughout, once in English at desk width (the
//! initial notification still at 360 px); every page visited is in the
//! journey's language, axe-core clean and no wider than the window.
//! Screenshots go to target/screenshots/incidents-{ja,en}/.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use incident_portal::clock::Clock;
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::db::schema::incidents;
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

use crate::api_clients::fits;
use crate::helpers::{PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    save_screenshot, screenshot_dir, sign_out, text, type_into, wait_for,
};

/// One person's act in the browser, sign-in to sign-out.
const ACT_LIMIT: Duration = Duration::from_secs(60);
const PHONE: u32 = 360;
const DESK: u32 = 1280;

const REPORTER: &str = "sato@kanto.example";
const APPROVER: &str = "ito@kanto.example";
const ANALYST: &str = "mori@fsa.example";
const FIRM: &str = "Kanto Securities";

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn incident_journey_in_japanese_at_phone_width() {
    run(Lang::Ja, PHONE).await;
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn incident_journey_in_english_at_desk_width() {
    run(Lang::En, DESK).await;
}

/// A moment given as Tokyo wall-clock time, in UTC as the portal keeps it.
fn tokyo(day: (i32, u32, u32), hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(day.0, day.1, day.2)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("a valid time")
        - chrono::Duration::hours(9)
}

async fn run(lang: Lang, width: u32) {
    require_browser();
    // An hour before the reporter acts: time for the setup's sign-ins,
    // each of which moves the clock on by a TOTP step.
    let app = TestApp::spawn_at(Backend::Sqlite, Clock::fixed(tokyo((2026, 5, 1), 22, 30))).await;
    let mut admin = app.setup_admin().await;
    let firm = app
        .add_firm(&mut admin, FIRM, "関東財務局長（金商）第612号")
        .await;
    for (email, role, firm) in [
        (REPORTER, "reporter", Some(firm)),
        (APPROVER, "approver", Some(firm)),
        (ANALYST, "analyst", None),
    ] {
        app.add_user(&mut admin, email, role, firm).await;
        app.first_sign_in(email).await;
    }
    let code = lang.code();
    let shots = screenshot_dir(&format!("incidents-{code}"));
    let _ = std::fs::remove_dir_all(&shots);
    let journey = Journey {
        base: localhost_portal(&app, MailConfig::Memory(Default::default()), false),
        axe: Arc::new(crate::axe::source()),
        t: Tr::new(lang),
        accept: match lang {
            Lang::Ja => "ja",
            Lang::En => "en-US,en",
        },
        width,
        shots,
    };
    let driver = Chromedriver::start().await;
    let run = Run {
        app: &app,
        driver: &driver,
        journey,
    };

    // 1. Friday 23:30 in Tokyo: the initial notification, from a phone.
    run.act(REPORTER, tokyo((2026, 5, 1), 23, 30), PHONE, initial)
        .await;
    let id = run.incident_id();

    // 2. Monday: the intermediate report, by four eyes.
    let width = run.journey.width;
    let save = move |c, j| save_stage(c, j, id, Stage::Intermediate);
    run.act(REPORTER, tokyo((2026, 5, 4), 9, 30), width, save)
        .await;
    let send = move |c, j| send_draft(c, j, id, Stage::Intermediate);
    run.act(APPROVER, tokyo((2026, 5, 4), 10, 0), width, send)
        .await;
    // Two weeks later, the final report the same way.
    let save = move |c, j| save_stage(c, j, id, Stage::Final);
    run.act(REPORTER, tokyo((2026, 5, 20), 10, 0), width, save)
        .await;
    let send = move |c, j| send_draft(c, j, id, Stage::Final);
    run.act(APPROVER, tokyo((2026, 5, 20), 11, 0), width, send)
        .await;

    // 3. The regulator's analyst assesses it and asks for more; the
    // firm's approver answers; the analyst accepts it.
    let assess = move |c, j| analyst_assesses(c, j, id);
    run.act(ANALYST, tokyo((2026, 5, 20), 14, 0), width, assess)
        .await;
    let answer = move |c, j| approver_answers(c, j, id);
    run.act(APPROVER, tokyo((2026, 5, 20), 15, 0), width, answer)
        .await;
    let accept = move |c, j| analyst_accepts(c, j, id);
    run.act(ANALYST, tokyo((2026, 5, 20), 16, 0), width, accept)
        .await;
    drop(driver);
}

/// What every act needs: the portal, axe-core, the journey's language and
/// width, and where screenshots go.
#[derive(Clone)]
struct Journey {
    base: String,
    axe: Arc<String>,
    t: Tr,
    accept: &'static str,
    width: u32,
    shots: PathBuf,
}

impl Journey {
    /// Checks the page shown: in the journey's language, axe-core clean and
    /// no wider than the window.
    async fn look(&self, client: &Client, what: &str) -> Result<(), BoxError> {
        let lang = client
            .execute("return document.documentElement.lang;", vec![])
            .await?;
        if lang.as_str() != Some(self.t.code()) {
            return Err(format!("{what} is in {lang}, not {}", self.t.code()).into());
        }
        fits(client, &self.axe, what).await
    }

    /// Keeps a screenshot with the element `css` scrolled to the top.
    async fn keep_at(&self, client: &Client, css: &str, name: &str) -> Result<(), BoxError> {
        let shown = client.find(Locator::Css(css)).await?;
        client
            .execute(
                "arguments[0].scrollIntoView({block: 'start'});",
                vec![serde_json::to_value(&shown)?],
            )
            .await?;
        self.keep(client, name).await
    }

    async fn keep(&self, client: &Client, name: &str) -> Result<(), BoxError> {
        let png = client.screenshot().await?;
        save_screenshot(&self.shots, &format!("{name}.png"), &png);
        Ok(())
    }

    fn lang(&self) -> &'static str {
        self.t.code()
    }
}

/// The test's side: the portal's clock and database, and a chromedriver
/// that opens one fresh browser per act.
struct Run<'a> {
    app: &'a TestApp,
    driver: &'a Chromedriver,
    journey: Journey,
}

impl Run<'_> {
    /// `who` signs in, in a browser of their own, `width` pixels wide, with
    /// the portal's clock at `at` (Tokyo wall-clock as given by [`tokyo`]),
    /// does `work`, and signs out.
    async fn act<F, Fut>(&self, who: &str, at: NaiveDateTime, width: u32, work: F)
    where
        F: FnOnce(Client, Journey) -> Fut,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        // The authenticator's code moves the clock on by one step: the
        // clock stands at `at` once it is read.
        let step = chrono::Duration::seconds(30);
        let now = self.app.clock.now();
        assert!(now + step <= at, "the clock ({now}) is already past {at}");
        self.app.clock.advance(at - step - now);
        let code = self.app.next_code(who);
        assert_eq!(self.app.clock.now(), at);

        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let client = connect(&self.driver.url, profile.path(), self.journey.accept).await;
        let journey = self.journey.clone();
        let failure = format!("incidents-{}-failure.png", journey.lang());
        let (session, who) = (client.clone(), who.to_owned());
        let done = work(client.clone(), journey.clone());
        drive(&client, ACT_LIMIT, &failure, async move {
            sign_in(&session, &journey, &who, &code, width).await?;
            done.await?;
            sign_out(&session).await
        })
        .await;
    }

    /// The one incident the firm reported.
    fn incident_id(&self) -> i64 {
        let mut conn = self.app.pool.get().expect("a connection");
        incidents::table
            .select(incidents::id)
            .first(&mut conn)
            .expect("the incident was recorded")
    }
}

/// Sizes the window so that the page itself is `width` CSS pixels wide
/// (the window's borders corrected once).
async fn viewport(client: &Client, width: u32) -> Result<(), BoxError> {
    let height = 900;
    client.set_window_size(width, height).await?;
    let inner = client
        .execute("return window.innerWidth;", vec![])
        .await?
        .as_i64()
        .unwrap_or(0);
    let off = i64::from(width) - inner;
    if off != 0 {
        let corrected = u32::try_from(i64::from(width) + off).unwrap_or(width);
        client.set_window_size(corrected, height).await?;
    }
    Ok(())
}

/// Password and authenticator code, checking both pages; in Japanese, the
/// header's switch as a person picks it.
async fn sign_in(
    client: &Client,
    j: &Journey,
    email: &str,
    code: &str,
    width: u32,
) -> Result<(), BoxError> {
    viewport(client, width).await?;
    client.goto(&format!("{}/login", j.base)).await?;
    wait_for(client, "#email").await?;
    j.look(client, "the sign-in page").await?;
    type_into(client, "email", email).await?;
    type_into(client, "password", PASSWORD).await?;
    click(client, "form.narrow button[type=submit]").await?;
    wait_for(client, "#code").await?;
    // In the language of the user's profile, until they switch below.
    fits(client, &j.axe, "the code page").await?;
    type_into(client, "code", code).await?;
    click(
        client,
        r#"form[action="/login/verify/totp"] button[type=submit]"#,
    )
    .await?;
    wait_for(client, "header .account .who").await?;
    if j.t.code() == "ja" {
        press(client, j.t.t(msg!("lang.ja")), "header .account .who").await?;
    }
    j.look(client, "the home page").await
}

/// The control a visible label is tied to.
async fn control(client: &Client, label: &str) -> Result<Element, BoxError> {
    let xpath = format!("//label[normalize-space()=\"{label}\"]");
    let tied = client
        .find(Locator::XPath(&xpath))
        .await
        .map_err(|e| format!("no label {label:?}: {e}"))?;
    let id = tied
        .attr("for")
        .await?
        .ok_or_else(|| format!("the label {label:?} is tied to nothing"))?;
    Ok(client.find(Locator::Id(&id)).await?)
}

/// Types `value` into the field labelled `label`, or picks the choice
/// `value` from its list.
async fn fill(client: &Client, label: &str, value: &str) -> Result<(), BoxError> {
    let field = control(client, label).await?;
    if field.tag_name().await? == "select" {
        field.select_by_label(value).await?;
    } else {
        field.clear().await?;
        field.send_keys(value).await?;
    }
    Ok(())
}

/// What the field labelled `label` holds (a list: the choice shown).
async fn shown(client: &Client, label: &str) -> Result<String, BoxError> {
    let field = control(client, label).await?;
    if field.tag_name().await? == "select" {
        let picked = field.find(Locator::Css("option:checked")).await?;
        return Ok(picked.text().await?.trim().to_owned());
    }
    Ok(field.prop("value").await?.unwrap_or_default())
}

fn question(legend: &str) -> String {
    format!("//fieldset[legend[normalize-space()=\"{legend}\"]]")
}

/// Answers the yes-or-no question `legend` by the answer's label.
async fn answer(client: &Client, legend: &str, choice: &str) -> Result<(), BoxError> {
    let xpath = format!(
        "{}//label[normalize-space()=\"{choice}\"]",
        question(legend)
    );
    client.find(Locator::XPath(&xpath)).await?.click().await?;
    Ok(())
}

/// The answer ticked for the question `legend`, if any.
async fn answered(client: &Client, legend: &str) -> Result<Option<String>, BoxError> {
    let xpath = format!("{}//label[input[@type='radio']]", question(legend));
    for choice in client.find_all(Locator::XPath(&xpath)).await? {
        let input = choice.find(Locator::Css("input")).await?;
        if input.prop("checked").await?.as_deref() == Some("true") {
            return Ok(Some(choice.text().await?.trim().to_owned()));
        }
    }
    Ok(None)
}

/// Follows the link whose visible text is `name` and waits for `next`.
async fn follow(client: &Client, name: &str, next: &str) -> Result<(), BoxError> {
    client
        .find(Locator::LinkText(name))
        .await
        .map_err(|e| format!("no link {name:?}: {e}"))?
        .click()
        .await?;
    wait_for(client, next).await?;
    Ok(())
}

/// The text of the first element matching `css` contains `part`.
async fn says(client: &Client, css: &str, part: &str) -> Result<(), BoxError> {
    let said = text(client, css).await?;
    if said.contains(part) {
        Ok(())
    } else {
        Err(format!("{css} says {said:?}, not {part:?}").into())
    }
}

/// The cells of the due-times row of `stage` (due, first sent, met).
async fn due_row(client: &Client, stage: &str) -> Result<Vec<String>, BoxError> {
    let xpath = format!("//table[@id='dues']//tr[th[normalize-space()=\"{stage}\"]]/td");
    let mut cells = Vec::new();
    for cell in client.find_all(Locator::XPath(&xpath)).await? {
        cells.push(cell.text().await?.trim().to_owned());
    }
    Ok(cells)
}

/// The values of the fields a report's form is filled with, by field name.
fn typed(j: &Journey, field: &str) -> String {
    let ja = j.lang() == "ja";
    let t = |en: &str, ja_text: &str| if ja { ja_text } else { en }.to_owned();
    match field {
        "aware_at" => "2026-05-01 22:10".into(),
        "classified_at" => "2026-05-01 22:40".into(),
        "occurred_on" => "2026-04-28".into(),
        "kind" => j.t.t(msg!("incident.kind.fraudulent_trading")).into(),
        "vector" => j.t.t(msg!("incident.vector.phishing")).into(),
        "accounts" => "120".into(),
        "trades" => "35".into(),
        "amount_jpy" => "48,000,000".into(),
        "actions" => t(
            "Froze the 120 accounts and forced their passwords to be reset.",
            "該当する120口座を凍結し、パスワードを強制的に再設定させました。",
        ),
        _ => String::new(),
    }
}

fn label(j: &Journey, field: &str) -> &'static str {
    let key = match field {
        "aware_at" => msg!("incident.field.aware_at"),
        "classified_at" => msg!("incident.field.classified_at"),
        "occurred_on" => msg!("incident.field.occurred_on"),
        "kind" => msg!("incident.field.kind"),
        "vector" => msg!("incident.field.vector"),
        "accounts" => msg!("incident.field.accounts"),
        "trades" => msg!("incident.field.trades"),
        "amount_jpy" => msg!("incident.field.amount_jpy"),
        "ongoing" => msg!("incident.field.ongoing"),
        "actions" => msg!("incident.field.actions"),
        "customers_told" => msg!("incident.field.customers_told"),
        "police_told" => msg!("incident.field.police_told"),
        "containment" => msg!("incident.field.containment"),
        "cause" => msg!("incident.field.cause"),
        "root_cause" => msg!("incident.field.root_cause"),
        "losses_jpy" => msg!("incident.field.losses_jpy"),
        "compensation_jpy" => msg!("incident.field.compensation_jpy"),
        "remediation" => msg!("incident.field.remediation"),
        _ => msg!("incident.field.remediation_by"),
    };
    j.t.t(key)
}

/// The fields of the initial notification typed or picked, in page order.
const INITIAL_TYPED: [&str; 9] = [
    "aware_at",
    "classified_at",
    "occurred_on",
    "kind",
    "vector",
    "accounts",
    "trades",
    "amount_jpy",
    "actions",
];

/// The reporter, on a phone at 23:30 on Friday: opens Incidents from the
/// navigation, reports an incident, forgets "Actions taken" and sees the
/// message beside it with the rest kept, then sends; the incident's page
/// says it was sent, on time, by one person, and when the intermediate
/// report is due.
async fn initial(client: Client, j: Journey) -> Result<(), BoxError> {
    let t = j.t;
    follow(&client, t.t(msg!("nav.firm_incidents")), "#report-incident").await?;
    j.look(&client, "the incidents list").await?;
    follow(&client, t.t(msg!("incidents.report")), "main form").await?;
    j.look(&client, "the initial notification").await?;

    for field in INITIAL_TYPED {
        if field != "actions" {
            fill(&client, label(&j, field), &typed(&j, field)).await?;
        }
    }
    let (yes, no) = (t.t(msg!("incident.yes")), t.t(msg!("incident.no")));
    answer(&client, label(&j, "ongoing"), yes).await?;
    answer(&client, label(&j, "customers_told"), no).await?;
    answer(&client, label(&j, "police_told"), no).await?;
    let initial = t.t(msg!("incident.stage.initial"));
    let send = t.tf(msg!("incident.submit.send"), &[("stage", initial)]);
    press(&client, &send, "#actions-error").await?;

    // The message beside the field left empty, nothing typed lost.
    let beside = format!(
        "//label[normalize-space()=\"{}\"]/following-sibling::p[@class='error']",
        label(&j, "actions")
    );
    let message = client.find(Locator::XPath(&beside)).await?.text().await?;
    assert_eq!(
        message.trim(),
        t.t(msg!("err.required")),
        "beside the field"
    );
    for field in INITIAL_TYPED {
        let kept = shown(&client, label(&j, field)).await?;
        let expected = if field == "actions" {
            String::new()
        } else {
            typed(&j, field)
        };
        assert_eq!(kept, expected, "{field} after the refusal");
    }
    for (field, choice) in [
        ("ongoing", yes),
        ("customers_told", no),
        ("police_told", no),
    ] {
        let kept = answered(&client, label(&j, field)).await?;
        assert_eq!(kept.as_deref(), Some(choice), "{field} after the refusal");
    }
    j.look(&client, "the refused initial notification").await?;
    j.keep(&client, "initial-form-phone").await?;
    j.keep_at(&client, ".field.invalid", "initial-form-phone-field")
        .await?;

    fill(&client, label(&j, "actions"), &typed(&j, "actions")).await?;
    press(&client, &send, "#flash").await?;
    let sent = t.tf(msg!("incident.flash.sent"), &[("stage", initial)]);
    assert_eq!(text(&client, "#flash").await?, sent);
    // Sent at 23:30 by the reporter alone; due four hours after 22:40.
    says(
        &client,
        "#version-1",
        &t.tf(msg!("incident.sent_by_one"), &[("who", "sato")]),
    )
    .await?;
    let due_initial = t.when(tokyo((2026, 5, 2), 2, 40));
    says(
        &client,
        "#version-1",
        &t.tf(msg!("incident.version_on_time"), &[("due", &due_initial)]),
    )
    .await?;
    says(&client, "#version-1", &t.when(tokyo((2026, 5, 1), 23, 30))).await?;
    let row = due_row(&client, initial).await?;
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.on_time")))
    );
    // The intermediate report: 72 hours after the initial was sent.
    let intermediate = t.t(msg!("incident.stage.intermediate"));
    let row = due_row(&client, intermediate).await?;
    assert_eq!(
        row.first(),
        Some(&t.when(tokyo((2026, 5, 4), 23, 30))),
        "the intermediate report's due time"
    );
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.awaited")))
    );
    j.look(&client, "the incident's page").await?;
    j.keep(&client, "incident-sent-phone").await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Intermediate,
    Final,
}

impl Stage {
    fn name(self, t: &Tr) -> &'static str {
        t.t(match self {
            Stage::Intermediate => msg!("incident.stage.intermediate"),
            Stage::Final => msg!("incident.stage.final"),
        })
    }

    /// The figures this stage corrects to (accounts, trades, amount), as
    /// typed and as shown.
    fn figures(self) -> [(&'static str, &'static str, &'static str); 3] {
        match self {
            Stage::Intermediate => [
                ("accounts", "148", "148"),
                ("trades", "41", "41"),
                ("amount_jpy", "61,500,000", "61,500,000"),
            ],
            Stage::Final => [
                ("accounts", "152", "152"),
                ("trades", "44", "44"),
                ("amount_jpy", "63,250,000", "63,250,000"),
            ],
        }
    }

    /// The prose this stage adds: (field, English, Japanese).
    fn prose(self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut lines = vec![
            (
                "containment",
                "Sign-in from the phishing site's addresses blocked; passkeys made mandatory.",
                "フィッシングサイトの接続元からのログインを遮断し、パスキーを必須にしました。",
            ),
            (
                "cause",
                "Customers gave their passwords to a site imitating ours.",
                "当社を装ったサイトに顧客がパスワードを入力しました。",
            ),
        ];
        if self == Stage::Final {
            lines.extend([
                (
                    "root_cause",
                    "Sign-in by password alone was still allowed for older accounts.",
                    "古い口座ではパスワードのみのログインが認められていました。",
                ),
                (
                    "remediation",
                    "Passkeys for every account by 30 June; takedown service contracted.",
                    "6月30日までに全口座でパスキーを必須化し、テイクダウンサービスを契約します。",
                ),
            ]);
        }
        lines
    }
}

fn words(j: &Journey, en: &'static str, ja: &'static str) -> &'static str {
    if j.lang() == "ja" { ja } else { en }
}

/// Opens incident `id` from the navigation and the firm's list.
async fn open_incident(client: &Client, j: &Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    follow(client, t.t(msg!("nav.firm_incidents")), "#incidents").await?;
    j.look(client, "the incidents list").await?;
    let kind = t.t(msg!("incident.kind.fraudulent_trading"));
    follow(client, &format!("#{id} {kind}"), "#incident-facts").await?;
    j.look(client, "the incident's page").await
}

/// The reporter prepares `stage`: the form opens with what was last sent,
/// the figures are corrected and the stage saved for approval; the page
/// says another approver must send it.
async fn save_stage(client: Client, j: Journey, id: i64, stage: Stage) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    let name = stage.name(&t);
    let prepare = t.tf(msg!("incident.next.prepare"), &[("stage", name)]);
    follow(&client, &prepare, "main form").await?;
    j.look(&client, "the stage's form").await?;

    // Prefilled from the version before.
    let before = match stage {
        Stage::Intermediate => [("accounts", "120"), ("trades", "35")],
        Stage::Final => [("accounts", "148"), ("trades", "41")],
    };
    for (field, value) in before {
        assert_eq!(shown(&client, label(&j, field)).await?, value, "{field}");
    }
    assert_eq!(
        shown(&client, label(&j, "actions")).await?,
        typed(&j, "actions")
    );
    assert_eq!(shown(&client, label(&j, "kind")).await?, typed(&j, "kind"));

    for (field, value, _) in stage.figures() {
        fill(&client, label(&j, field), value).await?;
    }
    for (field, en, ja) in stage.prose() {
        fill(&client, label(&j, field), words(&j, en, ja)).await?;
    }
    answer(&client, label(&j, "ongoing"), t.t(msg!("incident.no"))).await?;
    if stage == Stage::Final {
        fill(&client, label(&j, "losses_jpy"), "0").await?;
        fill(&client, label(&j, "compensation_jpy"), "63,250,000").await?;
        fill(&client, label(&j, "remediation_by"), "2026-06-30").await?;
        answer(&client, label(&j, "police_told"), t.t(msg!("incident.yes"))).await?;
    }
    let save = t.tf(msg!("incident.submit.save"), &[("stage", name)]);
    press(&client, &save, "#flash").await?;
    let saved = t.tf(msg!("incident.flash.saved"), &[("stage", name)]);
    assert_eq!(text(&client, "#flash").await?, saved);
    // A reporter cannot send it; the draft waits, whole, for an approver.
    assert_eq!(
        text(&client, "#cannot-send").await?,
        t.t(msg!("incident.draft.only_approvers"))
    );
    let heading = t.tf(msg!("incident.draft.heading"), &[("stage", name)]);
    assert_eq!(text(&client, "#draft-heading").await?, heading);
    j.look(&client, "the incident with its draft").await?;
    let shot = match stage {
        Stage::Intermediate => "intermediate-saved",
        Stage::Final => "final-saved",
    };
    j.keep(&client, shot).await
}

/// The approver reads the whole draft on the incident's page and sends it:
/// a new version, sent by the approver and prepared by the reporter.
async fn send_draft(client: Client, j: Journey, id: i64, stage: Stage) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    let name = stage.name(&t);
    says(
        &client,
        "#draft-heading",
        &t.tf(msg!("incident.draft.heading"), &[("stage", name)]),
    )
    .await?;
    // The whole draft: every figure and every line of prose typed.
    let draft = text(&client, "#draft").await?;
    for (_, _, value) in stage.figures() {
        assert!(draft.contains(value), "the draft shows {value}: {draft}");
    }
    for (_, en, ja) in stage.prose() {
        let line = words(&j, en, ja);
        assert!(draft.contains(line), "the draft shows {line:?}");
    }
    if client.find(Locator::Id("cannot-send")).await.is_ok() {
        return Err("the approver is told they cannot send".into());
    }
    let send = t.tf(msg!("incident.submit.send"), &[("stage", name)]);
    press(&client, &send, "#flash").await?;
    assert_eq!(
        text(&client, "#flash").await?,
        t.t(msg!("incident.flash.approved"))
    );
    if client.find(Locator::Id("draft")).await.is_ok() {
        return Err("the draft is still waiting after it was sent".into());
    }
    let (no, heading) = match stage {
        Stage::Intermediate => (2, "#version-2"),
        Stage::Final => (3, "#version-3"),
    };
    says(
        &client,
        &format!("{heading}-heading"),
        &t.tf(
            msg!("incident.version_heading"),
            &[("no", &no.to_string()), ("stage", name)],
        ),
    )
    .await?;
    says(
        &client,
        heading,
        &t.tf(
            msg!("incident.sent_four_eyes"),
            &[("who", "ito"), ("preparers", "sato")],
        ),
    )
    .await?;
    let row = due_row(&client, name).await?;
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.on_time")))
    );
    if stage == Stage::Final {
        says(
            &client,
            "#incident-facts",
            t.t(msg!("incident.status.final")),
        )
        .await?;
    }
    j.look(&client, "the incident after sending").await?;
    let shot = match stage {
        Stage::Intermediate => "intermediate-sent",
        Stage::Final => "incident-page",
    };
    j.keep(&client, shot).await
}

/// What the analyst asks the firm, in the thread.
fn request(j: &Journey) -> &'static str {
    words(
        j,
        "Please send the list of the phishing site's addresses you blocked, and when.",
        "遮断したフィッシングサイトの接続元アドレスの一覧と、遮断した日時を送ってください。",
    )
}

/// What the analyst notes for the regulator's staff only.
fn note(j: &Journey) -> &'static str {
    words(
        j,
        "Same kit as the campaign against two other brokers last week.",
        "先週ほかの証券会社2社を狙った攻撃と同じ手口です。",
    )
}

/// The firm's answer in the thread.
fn reply(j: &Journey) -> &'static str {
    words(
        j,
        "The list is attached to our final report's remediation; blocked on 2 May at 09:00.",
        "一覧は最終報告の再発防止策に記載しました。5月2日9時に遮断しています。",
    )
}

/// Opens the register from the navigation and the incident from it: the
/// firm chosen in the filter, then its row's link.
async fn open_in_register(client: &Client, j: &Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    follow(
        client,
        t.t(msg!("nav.incident_register")),
        "#incident-register",
    )
    .await?;
    fill(client, t.t(msg!("col.firm")), FIRM).await?;
    press(
        client,
        t.t(msg!("incident_review.filter.apply")),
        "#incident-register",
    )
    .await?;
    j.look(client, "the incident register").await?;
    j.keep_at(client, "#incident-register", "register").await?;
    let row =
        format!("//table[@id='incident-register']//tr[td[normalize-space()=\"{FIRM}\"]]/th/a");
    let link = client.find(Locator::XPath(&row)).await?;
    assert_eq!(
        link.text().await?.trim(),
        format!("#{id}"),
        "the firm's row"
    );
    link.click().await?;
    wait_for(client, ".incident-triage").await?;
    j.look(client, "the incident for the regulator").await
}

/// Moves the triage to `to` (its label on the page), with `request` when
/// asking for more information, and checks it moved.
async fn triage(
    client: &Client,
    j: &Journey,
    to: &'static str,
    request: Option<&str>,
) -> Result<(), BoxError> {
    let t = j.t;
    answer(client, t.t(msg!("incident_review.triage_to")), to).await?;
    if let Some(request) = request {
        fill(client, t.t(msg!("incident_review.request")), request).await?;
    }
    press(
        client,
        t.t(msg!("incident_review.triage_submit")),
        ".incident-triage",
    )
    .await?;
    says(client, "main", t.t(msg!("incident_review.done.triaged"))).await?;
    assert_eq!(text(client, ".incident-triage").await?, to, "the triage");
    j.look(client, "the incident after its triage moved").await
}

/// The analyst finds the incident in the register, moves it to
/// assessment, asks the firm for more information (in the thread, where
/// the firm reads it) and notes something for the staff alone.
async fn analyst_assesses(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_in_register(&client, &j, id).await?;
    assert_eq!(
        text(&client, ".incident-triage").await?,
        t.t(msg!("incident_review.triage.received"))
    );
    // The final report in full, as the firm sent it.
    says(
        &client,
        "#incident-report",
        words(&j, Stage::Final.prose()[2].1, Stage::Final.prose()[2].2),
    )
    .await?;

    let assessing = t.t(msg!("incident_review.triage.assessing"));
    triage(&client, &j, assessing, None).await?;
    let more = t.t(msg!("incident_review.triage.more_information"));
    triage(&client, &j, more, Some(request(&j))).await?;
    says(&client, "#thread", request(&j)).await?;

    fill(&client, t.t(msg!("incident_thread.body_staff")), note(&j)).await?;
    answer(
        &client,
        t.t(msg!("incident_thread.visibility")),
        t.t(msg!("incident_thread.internal_note")),
    )
    .await?;
    press(&client, t.t(msg!("incident_thread.send")), "#thread").await?;
    let internal = format!(
        "//li[contains(@class, 'internal')][.//*[contains(normalize-space(), \"{}\")]]",
        note(&j)
    );
    let marked = client.find(Locator::XPath(&internal)).await?.text().await?;
    assert!(
        marked.contains(t.t(msg!("incident_thread.internal_tag"))),
        "the note is marked internal: {marked}"
    );
    j.look(&client, "the incident with its thread").await?;
    j.keep_at(&client, "#thread", "review-thread").await?;
    j.keep_at(&client, "main h1", "review-incident").await
}

/// The firm's approver reads the request on the incident's page (never
/// the internal note) and answers it in the thread.
async fn approver_answers(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    says(
        &client,
        "#incident-facts",
        t.t(msg!("incident.triage.more_information")),
    )
    .await?;
    says(&client, "#thread", request(&j)).await?;
    let source = client.source().await?;
    assert!(
        !source.contains(note(&j)),
        "the firm's page shows the internal note"
    );
    fill(&client, t.t(msg!("incident_thread.body")), reply(&j)).await?;
    press(&client, t.t(msg!("incident_thread.send")), "#thread").await?;
    says(&client, "#thread", reply(&j)).await?;
    if client.source().await?.contains(note(&j)) {
        return Err("the internal note shows after the firm's answer".into());
    }
    j.look(&client, "the incident with the firm's answer")
        .await?;
    j.keep_at(&client, "#thread", "incident-thread").await
}

/// The analyst reads the answer and accepts the incident.
async fn analyst_accepts(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_in_register(&client, &j, id).await?;
    says(&client, "#thread", reply(&j)).await?;
    says(&client, "#thread", note(&j)).await?;
    let accepted = t.t(msg!("incident_review.triage.accepted"));
    triage(&client, &j, accepted, None).await
}
