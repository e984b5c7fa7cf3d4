//! An incident from the first call to the last report, in headless
//! Chromium, by the labels and buttons a person reads: late on a Friday
//! night a firm's reporter sends the initial notification from a phone
//! (360 px), first forgetting a required field; on Monday the reporter
//! saves the intermediate report for approval and the firm's approver, in
//! a browser of their own, reads the whole draft and sends it; the final
//! report goes the same way. The regulator's analyst finds it in the
//! register, moves it to assessment, asks the firm for more in the thread
//! and adds an internal note; the firm's approver reads the request (never
//! the note) and answers; the analyst accepts it and links it to a
//! campaign, whose page lists it. Last, the firm's April
//! return lists the incident, and figures below the incident's are met by
//! the warnings that ask for an explanation. Each act is one person's own
//! browser (a fresh profile), signed in afresh, since days pass between
//! them and the clock moves with the story. Three times: in Japanese at
//! 360 px throughout, in English at 390 px throughout, and in English at
//! desk width (the initial notification still at 360 px). Every page
//! visited is in the journey's language (the code page in the language of
//! the person's profile, which the page's switch sets), axe-core clean and
//! no wider than the window (the sign-in page shown after signing out, seen
//! whole as the act began, for its language only); the analyst's campaign
//! page among them.
//! Screenshots go to target/screenshots/incidents-{ja,en,en-phone}/.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use fantoccini::{Client, Locator};
use incident_portal::clock::Clock;
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::db::schema::{incidents, users};
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

use crate::api_clients::fits;
use crate::helpers::{PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    save_screenshot, screenshot_dir, sign_out, type_into, wait_for,
};

#[path = "incidents/by_label.rs"]
pub(crate) mod by_label;
#[path = "incidents/firm.rs"]
mod firm;
#[path = "incidents/follow_up.rs"]
mod follow_up;

use firm::{Stage, initial, save_stage, send_draft};
use follow_up::{analyst_accepts, analyst_assesses, approver_answers, return_lists_incident};

/// One person's act in the browser, sign-in to sign-out.
const ACT_LIMIT: Duration = Duration::from_secs(60);
const PHONE: u32 = 360;
/// A larger phone's width.
const PHONE_LARGE: u32 = 390;
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
    run(Lang::Ja, PHONE, PHONE, "ja").await;
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn incident_journey_in_english_at_desk_width() {
    run(Lang::En, PHONE, DESK, "en").await;
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn incident_journey_in_english_at_phone_width() {
    run(Lang::En, PHONE_LARGE, PHONE_LARGE, "en-phone").await;
}

/// A moment given as Tokyo wall-clock time, in UTC as the portal keeps it.
fn tokyo(day: (i32, u32, u32), hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(day.0, day.1, day.2)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("a valid time")
        - chrono::Duration::hours(9)
}

/// The journey in `lang`: the initial notification sent from a phone
/// `phone` pixels wide, every later act `width` pixels wide; screenshots
/// under target/screenshots/incidents-`shots`/.
async fn run(lang: Lang, phone: u32, width: u32, shots: &str) {
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
    let shots = screenshot_dir(&format!("incidents-{shots}"));
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
    run.act(REPORTER, tokyo((2026, 5, 1), 23, 30), phone, initial)
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

    // 4. April's monthly return lists the incident, and figures below its
    // own ask for an explanation.
    let reconcile = move |c, j| return_lists_incident(c, j, id);
    run.act(REPORTER, tokyo((2026, 5, 20), 17, 0), width, reconcile)
        .await;
    drop(driver);
}

/// What every act needs: the portal, axe-core, the journey's language and
/// width, and where screenshots go.
#[derive(Clone)]
pub(crate) struct Journey {
    pub(crate) base: String,
    pub(crate) axe: Arc<String>,
    pub(crate) t: Tr,
    pub(crate) accept: &'static str,
    pub(crate) width: u32,
    pub(crate) shots: PathBuf,
}

impl Journey {
    /// Checks the page shown: in the journey's language, axe-core clean and
    /// no wider than the window.
    pub(crate) async fn look(&self, client: &Client, what: &str) -> Result<(), BoxError> {
        in_language(client, self.t.code(), what).await?;
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

    pub(crate) async fn keep(&self, client: &Client, name: &str) -> Result<(), BoxError> {
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
        let shots = journey.shots.file_name().and_then(|n| n.to_str());
        let failure = format!("{}-failure.png", shots.unwrap_or("incidents"));
        let profile_lang = profile_lang(self.app, who);
        let (session, who) = (client.clone(), who.to_owned());
        let done = work(client.clone(), journey.clone());
        drive(&client, ACT_LIMIT, &failure, async move {
            sign_in(&session, &journey, &who, &code, &profile_lang, width).await?;
            done.await?;
            sign_out(&session).await?;
            // The sign-in page, which axe-core saw as the act began.
            in_language(&session, journey.lang(), "the page after signing out").await
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

/// The page shown is in the language `code` (its `lang` attribute).
async fn in_language(client: &Client, code: &str, what: &str) -> Result<(), BoxError> {
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await?;
    if lang.as_str() == Some(code) {
        Ok(())
    } else {
        Err(format!("{what} is in {lang}, not {code}").into())
    }
}

/// The language `email`'s profile keeps (the switch in the header sets
/// it): the one the code page is in, before the person switches.
pub(crate) fn profile_lang(app: &TestApp, email: &str) -> String {
    let mut conn = app.pool.get().expect("a connection");
    users::table
        .filter(users::email.eq(email))
        .select(users::locale)
        .first(&mut conn)
        .expect("the user exists")
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

/// Password and authenticator code, checking both pages (the code page in
/// `profile_lang`, the language the person's profile keeps); in Japanese,
/// the header's switch as a person picks it.
pub(crate) async fn sign_in(
    client: &Client,
    j: &Journey,
    email: &str,
    code: &str,
    profile_lang: &str,
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
    in_language(client, profile_lang, "the code page").await?;
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
