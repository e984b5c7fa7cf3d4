//! Every page at phone width: a seeded portal (a firm with a submitted
//! return, an analyst, a released publication) is visited page by page,
//! public, firm and staff, at 320 and 390 CSS pixels, in Japanese and in
//! English (signed in, each person switches to the pass's language, which
//! their profile keeps); the test fails if any page scrolls sideways
//! (`scrollWidth > innerWidth`), wide tables included: they must scroll
//! inside their own region. The pages no journey reaches (the incident
//! deadline settings) are also checked with axe-core at each width.

use fantoccini::Client;
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::services::publication_release;
use incident_portal::services::publications::{self, DraftInput};
use incident_portal::services::{Actor, publish};

use crate::helpers::{self, PASSWORD, TestApp};
use crate::support::{
    BoxError, Chromedriver, click, connect, drive, localhost_portal, press, require_browser,
    save_screenshot, screenshot_dir, sign_out, submit, text, type_into, wait_for,
};
use incident_portal::i18n::{Lang, Tr};
use incident_portal::msg;

/// The widths every page is measured at.
const WIDTHS: [u32; 2] = [320, 390];
/// The pages also checked with axe-core, at each width: those no browser
/// journey visits.
const AXE_CHECKED: [&str; 1] = ["/admin/incident-deadlines"];
const ADMIN: &str = "admin@fsa.example";
const PERIOD: &str = "2025-04";
/// A month with a draft that has problems.
const DRAFTED: &str = "2025-05";

/// What the seeded portal holds, for the paths to visit.
struct Seeded {
    approver: String,
    publication: i64,
    /// A publication not yet released.
    draft: i64,
    firm: i64,
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn no_page_scrolls_sideways_at_phone_width() {
    require_browser();
    let axe = std::sync::Arc::new(crate::axe::source());
    let app = TestApp::spawn(Backend::Sqlite).await;
    let seeded = seed(&app).await;
    let base = localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let mut failures = Vec::new();
    for accept in ["ja", "en-US,en"] {
        let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
        let driver = Chromedriver::start().await;
        let client = connect(&driver.url, profile.path(), accept).await;
        let session = client.clone();
        let (found, done) = tokio::sync::oneshot::channel();
        let app_for_codes = CodeSource::new(&app, &seeded.approver);
        let (base, paths) = (base.clone(), Paths::of(&seeded));
        let lang = accept.to_owned();
        let axe = axe.clone();
        drive(
            &client,
            std::time::Duration::from_secs(300),
            "widths-failure.png",
            async move {
                let wide = visit_all(&session, &base, &lang, &paths, app_for_codes, &axe).await?;
                let _ = found.send(wide);
                Ok(())
            },
        )
        .await;
        failures.extend(done.await.unwrap_or_default());
        drop(driver);
    }
    assert!(
        failures.is_empty(),
        "{} pages scroll sideways or fail axe-core:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The TOTP codes the two sign-ins need, taken before the browser runs (a
/// code is good for one 30-second step of the test clock, which stands
/// still meanwhile).
struct CodeSource {
    approver: String,
    admin: String,
}

impl CodeSource {
    fn new(app: &TestApp, approver: &str) -> Self {
        CodeSource {
            approver: app.next_code(approver),
            admin: app.next_code(ADMIN),
        }
    }
}

/// The pages to visit, by who can see them.
struct Paths {
    public: Vec<String>,
    firm: Vec<String>,
    staff: Vec<String>,
    approver: String,
}

impl Paths {
    fn of(s: &Seeded) -> Self {
        let p = s.publication;
        Paths {
            public: vec![
                "/login".into(),
                "/password/forgot".into(),
                "/statistics".into(),
                format!("/statistics/{p}"),
                "/statistics/revisions".into(),
                format!("/statistics/revisions?month={PERIOD}"),
                "/invite/used-or-unknown-link".into(),
                "/api/v1/reference".into(),
            ],
            firm: vec![
                "/returns".into(),
                format!("/returns/{PERIOD}"),
                format!("/returns/{PERIOD}/sections/figures"),
                format!("/returns/{PERIOD}/sections/markets"),
                format!("/returns/{PERIOD}/sections/vectors"),
                format!("/returns/{PERIOD}/sections/losses"),
                format!("/returns/{PERIOD}/sections/remediation"),
                format!("/returns/{PERIOD}/sections/narrative"),
                format!("/returns/{PERIOD}/check"),
                format!("/returns/{DRAFTED}"),
                format!("/returns/{DRAFTED}/sections/figures"),
                format!("/returns/{DRAFTED}/sections/losses"),
                format!("/returns/{DRAFTED}/check"),
                format!("/returns/{PERIOD}/approve"),
                format!("/returns/{PERIOD}/versions/1"),
                format!("/returns/{PERIOD}/trades"),
                "/firm/users".into(),
                "/firm/api-clients".into(),
                "/account".into(),
                "/account/passkeys".into(),
                "/account/sessions".into(),
                "/account/password".into(),
            ],
            staff: vec![
                "/dashboard".into(),
                "/review".into(),
                "/review/board".into(),
                "/review/completeness".into(),
                "/review/versions/1".into(),
                format!("/review/firms/{}", s.firm),
                "/admin/firms".into(),
                "/admin/users".into(),
                "/admin/api-clients".into(),
                "/admin/policy".into(),
                "/admin/calendar".into(),
                "/admin/incident-deadlines".into(),
                "/admin/publications".into(),
                format!("/admin/publications/{p}"),
                format!("/admin/publications/{}/release", s.draft),
                "/admin/audit".into(),
            ],
            approver: s.approver.clone(),
        }
    }
}

/// A firm whose April return is submitted, an analyst, and a released
/// publication over the import of three more firms.
async fn seed(app: &TestApp) -> Seeded {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Narrow").await;
    let typed = helpers::figures(
        "1,422",
        "1,300",
        "685",
        "12,000,000,000",
        "10,500,000,000",
        "Forced password resets for every affected account, and a long sentence \
         that has to wrap on a phone instead of pushing the page sideways.",
    );
    helpers::file(&mut firm, PERIOD, &typed).await;
    // May's draft has a hard error and an unexplained warning, so its
    // section and check pages show their messages at phone width too.
    let broken = helpers::figures(
        "3",
        "5",
        "7",
        "1,000",
        "900",
        "A remediation narrative long enough to wrap on the narrowest phone.",
    );
    helpers::prepare(&mut firm.reporter, DRAFTED, &broken).await;
    let _ = app.analyst(&mut admin).await;
    let mut conn = app.pool.get().expect("a connection");
    let csv = "firm_registration_no,firm_name,period,submitted_at,unauthorized_accesses,\
               affected_accounts,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\n\
               関東財務局長（金商）第901号,Hokuriku Securities,2025-04,2025-05-09T00:00:00Z,10,10,3,280000,240000\n\
               関東財務局長（金商）第902号,Tokai Securities,2025-04,2025-05-09T00:00:00Z,11,11,4,310000,260000\n\
               関東財務局長（金商）第903号,Kinki Securities,2025-04,2025-05-09T00:00:00Z,13,13,2,290000,255000\n";
    incident_portal::services::import::import(
        &mut conn,
        &Actor::system("test"),
        csv.as_bytes(),
        app.clock.now(),
    )
    .expect("three firms imported");
    let now = app.clock.now();
    let input = DraftInput {
        title: "Unauthorized access and fraudulent trading (April 2025)",
        title_ja: "不正アクセス・不正取引の状況（2025年4月）",
        cutoff: publish::parse_cutoff("2025-05-20 18:00").expect("a cut-off"),
        from: "2025-01",
        to: PERIOD,
        footnotes: "",
        footnotes_ja: "",
        p_percent: 10,
    };
    let publication = publications::draft(&mut conn, &Actor::system("test"), &input, now)
        .expect("drafted")
        .expect("a valid draft");
    let shown = publication_release::to_confirm(&mut conn, publication).expect("a draft");
    publication_release::release(
        &mut conn,
        &Actor::system("test"),
        publication,
        &shown.sha256,
        now,
    )
    .expect("released");
    // A later release of the same months, after a firm's correction, for
    // the revision history to show a change.
    let correction = "firm_registration_no,firm_name,period,submitted_at,unauthorized_accesses,\
               affected_accounts,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\n\
               関東財務局長（金商）第902号,Tokai Securities,2025-04,2025-05-20T09:30:00Z,19,19,4,310000,260000\n";
    incident_portal::services::import::import(
        &mut conn,
        &Actor::system("test"),
        correction.as_bytes(),
        app.clock.now(),
    )
    .expect("a correction imported");
    let corrected = DraftInput {
        title: "Unauthorized access and fraudulent trading (April 2025), revised",
        title_ja: "不正アクセス・不正取引の状況（2025年4月・改訂）",
        cutoff: publish::parse_cutoff("2025-05-20 18:45").expect("a cut-off"),
        ..input
    };
    let revised = publications::draft(&mut conn, &Actor::system("test"), &corrected, now)
        .expect("drafted")
        .expect("a valid draft");
    let shown = publication_release::to_confirm(&mut conn, revised).expect("a draft");
    publication_release::release(
        &mut conn,
        &Actor::system("test"),
        revised,
        &shown.sha256,
        now,
    )
    .expect("released");
    // A draft, for the check-your-answers page before a release.
    let input = DraftInput {
        title: "Unauthorized access and fraudulent trading (April 2025), corrected",
        title_ja: "不正アクセス・不正取引の状況（2025年4月・訂正）",
        ..input
    };
    let draft = publications::draft(&mut conn, &Actor::system("test"), &input, now)
        .expect("drafted")
        .expect("a valid draft");
    Seeded {
        approver: format!("approver@{}.example", "narrow"),
        publication,
        draft,
        firm: firm.id,
    }
}

/// Visits every page at every width, signed out, as the firm's approver
/// and as the admin; returns the pages that scroll sideways, and the
/// axe-core violations of those in [`AXE_CHECKED`].
async fn visit_all(
    client: &Client,
    base: &str,
    lang: &str,
    paths: &Paths,
    codes: CodeSource,
    axe: &str,
) -> Result<Vec<String>, BoxError> {
    let mut wide = Vec::new();
    for path in &paths.public {
        wide.extend(measure(client, base, lang, path, axe).await?);
    }
    shoot(
        client,
        base,
        lang,
        "/statistics/revisions",
        "revisions",
        None,
    )
    .await?;
    sign_in(client, base, &paths.approver, &codes.approver).await?;
    switch_to(client, lang).await?;
    for path in &paths.firm {
        wide.extend(measure(client, base, lang, path, axe).await?);
    }
    sign_out(client).await?;
    sign_in(client, base, ADMIN, &codes.admin).await?;
    switch_to(client, lang).await?;
    for path in &paths.staff {
        wide.extend(measure(client, base, lang, path, axe).await?);
    }
    if let Some(release) = paths.staff.iter().find(|p| p.ends_with("/release")) {
        shoot(client, base, lang, release, "release-audit", Some("audit")).await?;
        schedule_and_cancel(client, base, lang, release).await?;
    }
    sign_out(client).await?;
    Ok(wide)
}

/// The admin schedules the draft from its release page by the visible
/// labels: a time that has passed comes back beside the field (and at the
/// top) with what was typed; a time to come schedules it; then the admin
/// cancels it, and the draft is a draft again.
async fn schedule_and_cancel(
    client: &Client,
    base: &str,
    lang: &str,
    release: &str,
) -> Result<(), BoxError> {
    let (code, t) = if lang.starts_with("ja") {
        ("ja", Tr::new(Lang::Ja))
    } else {
        ("en", Tr::new(Lang::En))
    };
    viewport(client, 1280).await?;
    client.goto(&format!("{base}{release}")).await?;
    wait_for(client, "#schedule-release").await?;
    // The admin reads the page in this run's language (the switch in the
    // header, which the admin's account keeps).
    let switch = format!("header button[name=lang][value={code}]");
    submit(client, &switch, "#schedule-release").await?;
    let schedule = t.t(msg!("publication.schedule_submit"));
    type_into(client, "at", "2020-01-01 09:00").await?;
    press(client, schedule, "#at-error").await?;
    let beside = text(client, "#at-error").await?;
    if beside != t.t(msg!("publication.schedule_past")) {
        return Err(format!("a past time said {beside:?}").into());
    }
    wait_for(client, "#error-summary").await?;
    let kept = client
        .find(fantoccini::Locator::Id("at"))
        .await?
        .prop("value")
        .await?;
    if kept.as_deref() != Some("2020-01-01 09:00") {
        return Err(format!("the time typed came back as {kept:?}").into());
    }
    // The portal's clock stands at 2025-05-20; a week later is to come.
    type_into(client, "at", "2025-05-27 09:00").await?;
    press(client, schedule, "#scheduled").await?;
    let scheduled = text(client, "#scheduled").await?;
    if !scheduled.contains("2025") {
        return Err(format!("the schedule said {scheduled:?}").into());
    }
    viewport(client, 390).await?;
    let png = client.screenshot().await?;
    let dir = screenshot_dir(&format!("widths-{}", &lang[..2]));
    save_screenshot(&dir, "scheduled-phone.png", &png);
    press(
        client,
        t.t(msg!("publication.unschedule_submit")),
        "#publication-notice",
    )
    .await?;
    let notice = text(client, "#publication-notice").await?;
    if notice != t.t(msg!("publication.unscheduled")) {
        return Err(format!("cancelling said {notice:?}").into());
    }
    Ok(())
}

/// Picks this pass's language (`lang`, an Accept-Language value) with the
/// switch in the page header: signed in, the pages follow the person's
/// profile, which the switch sets, not the browser's language.
async fn switch_to(client: &Client, lang: &str) -> Result<(), BoxError> {
    let switch = format!("header button[name=lang][value={}]", &lang[..2]);
    submit(client, &switch, "header .account .who").await?;
    Ok(())
}

/// Password, then the authenticator code.
pub(crate) async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    code: &str,
) -> Result<(), BoxError> {
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
    Ok(())
}

/// Opens `path` at each width; names it (with the widest element's right
/// edge) when the page is wider than the window, and, for a page in
/// [`AXE_CHECKED`], each serious or critical axe-core violation.
async fn measure(
    client: &Client,
    base: &str,
    lang: &str,
    path: &str,
    axe: &str,
) -> Result<Vec<String>, BoxError> {
    let mut wide = Vec::new();
    for width in WIDTHS {
        viewport(client, width).await?;
        client.goto(&format!("{base}{path}")).await?;
        wait_for(client, "main").await?;
        let script = r#"
            const root = document.documentElement;
            if (root.scrollWidth <= window.innerWidth) { return null; }
            let worst = null;
            for (const el of document.querySelectorAll('body *')) {
              const right = el.getBoundingClientRect().right;
              if (right > window.innerWidth + 1 && (worst === null || right > worst[1])) {
                worst = [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  (typeof el.className === 'string' && el.className.trim()
                    ? '.' + el.className.trim().split(/\s+/).join('.') : ''), Math.round(right)];
              }
            }
            return root.scrollWidth + 'px wide in ' + window.innerWidth + 'px' +
              (worst ? '; widest: ' + worst[0] + ' to ' + worst[1] + 'px' : '');
        "#;
        let answer = client.execute(script, vec![]).await?;
        if let Some(what) = answer.as_str() {
            wide.push(format!("{path} at {width}px ({lang}): {what}"));
        }
        if AXE_CHECKED.contains(&path) {
            let shown = client
                .execute("return document.documentElement.lang;", vec![])
                .await?;
            let page = format!("{path} at {width}px (in {shown})");
            if shown.as_str() != Some(&lang[..2]) {
                wide.push(format!("{page}: not in {}", &lang[..2]));
            }
            wide.extend(crate::axe::check(client, axe, &page).await?);
        }
    }
    Ok(wide)
}

/// Photographs `path` (scrolled to the element `at`, if given) at desktop
/// and phone width under target/screenshots/widths-{lang}/ (the README
/// shows some of them).
async fn shoot(
    client: &Client,
    base: &str,
    lang: &str,
    path: &str,
    name: &str,
    at: Option<&str>,
) -> Result<(), BoxError> {
    let dir = screenshot_dir(&format!("widths-{}", &lang[..2]));
    for (width, label) in [(1280, "desktop"), (390, "phone")] {
        viewport(client, width).await?;
        client.goto(&format!("{base}{path}")).await?;
        wait_for(client, "main").await?;
        if let Some(id) = at {
            let scroll = format!("document.getElementById('{id}').scrollIntoView();");
            client.execute(&scroll, vec![]).await?;
        }
        let png = client.screenshot().await?;
        save_screenshot(&dir, &format!("{name}-{label}.png"), &png);
    }
    Ok(())
}

/// Sizes the window so that the page gets `width` CSS pixels, correcting
/// once for window borders or a minimum window width.
async fn viewport(client: &Client, width: u32) -> Result<(), BoxError> {
    let height = 800;
    client.set_window_size(width, height).await?;
    let inner = client
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await?;
    let got = |i: usize| {
        inner
            .get(i)
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    let (dw, dh) = (i64::from(width) - got(0), i64::from(height) - got(1));
    if (dw, dh) != (0, 0) {
        let fix = |size: u32, d: i64| u32::try_from(i64::from(size) + d).unwrap_or(size);
        client
            .set_window_size(fix(width, dw), fix(height, dh))
            .await?;
    }
    Ok(())
}
