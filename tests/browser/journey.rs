//! The whole filing day in headless Chromium, once in Japanese and once in
//! English, each person in a browser of their own (their own profile, so
//! their own cookies and passkey), the sessions open side by side and the
//! steps interleaving: the setup link, invitations read from a real SMTP sink,
//! passkeys on Chromium's virtual authenticator, a return filed with a
//! trade-detail CSV, sent back and amended, accepted, published, and the
//! statistics CSV downloaded by an anonymous visitor. Every page is
//! checked in the journey's language, with axe-core (WCAG 2.0/2.1/2.2 A
//! and AA, serious and critical) and for reflow at phone width, and
//! photographed at desktop (1280×900) and phone (390×844) size under
//! target/screenshots/journey-{ja,en}/.

use incident_portal::msg;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::i18n::{Lang, Tr};
use incident_portal::services::{Actor, import};

use crate::helpers::{PASSWORD, TestApp};
use crate::mailbox::Mailbox;
use crate::support::{
    BoxError, Chromedriver, VirtualAuthenticator, click, connect, drive, localhost_portal,
    require_browser, save_screenshot, screenshot_dir, submit, text, type_into, wait_for,
};

/// One journey, start to finish (two run side by side with the other
/// browser tests on a two-core machine).
const JOURNEY_LIMIT: Duration = Duration::from_secs(480);
pub const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn journey_in_japanese() {
    run(Lang::Ja).await;
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium, chromedriver, axe-core)"
)]
async fn journey_in_english() {
    run(Lang::En).await;
}

async fn run(lang: Lang) {
    require_browser();
    let axe = crate::axe::source();
    let shots = screenshot_dir(&format!("journey-{}", lang.code()));
    let _ = std::fs::remove_dir_all(&shots);
    eprintln!("journey screenshots: {}", shots.display());

    let mailbox = Mailbox::start().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed_other_firms(&app);
    let data = tempfile::tempdir().expect("temp dir for the portal's data");
    let mail = MailConfig::resolve(
        Some(&mailbox.url()),
        "Incident Portal <no-reply@fsa.example>",
        data.path(),
    )
    .expect("mail settings for the sink");
    let base = localhost_portal(&app, mail, true);
    let token = app.setup_token();

    // One chromedriver serves every person's session.
    let driver = Chromedriver::start().await;
    let accept = match lang {
        Lang::Ja => "ja",
        Lang::En => "en-US,en",
    };
    let profile = tempfile::tempdir().expect("temp dir for the admin's Chromium profile");
    let client = connect(&driver.url, profile.path(), accept).await;
    let journey = Journey {
        client: client.clone(),
        who: ADMIN_SESSION,
        sessions: vec![Session {
            who: ADMIN_SESSION,
            client: client.clone(),
            _profile: profile,
        }],
        driver_url: driver.url.clone(),
        accept,
        base,
        t: Tr::new(lang),
        axe,
        shots,
        step: 0,
        problems: Vec::new(),
        mailbox,
        files: data.path().to_owned(),
    };
    let failure = format!("journey-{}-failure.png", lang.code());
    let shot = failure.clone();
    drive(&client, JOURNEY_LIMIT, &failure, async move {
        journey.walk(&token, &shot).await
    })
    .await;
    drop(driver);
}

/// Three other firms' accepted April returns, imported as history: with
/// the browser's firm, four contribute, so the disclosure threshold (three)
/// lets the April cells show.
fn seed_other_firms(app: &TestApp) {
    let csv = "firm_registration_no,firm_name,period,submitted_at,unauthorized_accesses,\
               affected_accounts,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\n\
               関東財務局長（金商）第901号,Hokuriku Securities,2025-04,2025-05-09T00:00:00Z,10,10,3,280000,240000\n\
               関東財務局長（金商）第902号,Tokai Securities,2025-04,2025-05-09T00:00:00Z,11,11,4,310000,260000\n\
               関東財務局長（金商）第903号,Kinki Securities,2025-04,2025-05-09T00:00:00Z,13,13,2,290000,255000\n";
    let mut conn = app.pool.get().expect("a connection");
    import::import(
        &mut conn,
        &Actor::system("test"),
        csv.as_bytes(),
        app.clock.now(),
    )
    .expect("three firms imported");
}

/// Who the first browser session (opened before the journey starts) is.
pub const ADMIN_SESSION: &str = "admin";

/// One person's own browser: a chromedriver session on a fresh profile.
struct Session {
    who: &'static str,
    client: Client,
    _profile: tempfile::TempDir,
}

/// The people's browser sessions and what the journey keeps along the way.
pub struct Journey {
    /// The browser of the person acting now.
    pub client: Client,
    /// Who that is (it names the screenshots).
    who: &'static str,
    /// Every browser still open, by person.
    sessions: Vec<Session>,
    driver_url: String,
    accept: &'static str,
    pub base: String,
    pub t: Tr,
    axe: String,
    shots: PathBuf,
    step: u32,
    /// Serious or critical accessibility violations, page by page, all
    /// reported together at the end.
    problems: Vec<String>,
    /// The SMTP sink, stopped when the journey ends.
    pub mailbox: Mailbox,
    /// A folder for files the browser uploads.
    pub files: PathBuf,
}

impl Journey {
    /// Turns to `who`'s own browser, opening it (a fresh profile, its own
    /// virtual authenticator, desktop size) the first time. Every other
    /// browser stays as its person left it.
    pub async fn as_person(&mut self, who: &'static str) -> Result<(), BoxError> {
        if let Some(session) = self.sessions.iter().find(|s| s.who == who) {
            self.client = session.client.clone();
            self.who = who;
            return Ok(());
        }
        let profile = tempfile::tempdir()?;
        let client = connect(&self.driver_url, profile.path(), self.accept).await;
        self.sessions.push(Session {
            who,
            client: client.clone(),
            _profile: profile,
        });
        self.client = client;
        self.who = who;
        self.add_authenticator().await?;
        self.viewport(DESKTOP).await
    }

    /// Ends `who`'s browser session (memory is short: two cores, two
    /// journeys side by side). The admin's is ended by the driver.
    pub async fn close_person(&mut self, who: &'static str) -> Result<(), BoxError> {
        if who == ADMIN_SESSION {
            return Ok(());
        }
        if let Some(at) = self.sessions.iter().position(|s| s.who == who) {
            let session = self.sessions.remove(at);
            session.client.close().await?;
        }
        Ok(())
    }

    /// Ends every browser but the admin's.
    pub async fn close_all(&mut self) -> Result<(), BoxError> {
        let people: Vec<&'static str> = self.sessions.iter().map(|s| s.who).collect();
        for who in people {
            self.close_person(who).await?;
        }
        Ok(())
    }

    /// Keeps what the acting person's browser shows, named `failure`.
    pub async fn failure_shot(&self, failure: &str) {
        if let Ok(Ok(png)) =
            tokio::time::timeout(crate::support::PAGE_WAIT, self.client.screenshot()).await
        {
            save_screenshot(
                &screenshot_dir(""),
                &format!("{}-{failure}", self.who),
                &png,
            );
        }
    }

    pub fn ja(&self) -> bool {
        self.t.lang == Lang::Ja
    }

    pub async fn goto(&self, path: &str) -> Result<(), BoxError> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// One step of the journey on the page now shown: the page is in the
    /// journey's language (its `lang`, the footer, and the heading `h1_key`
    /// when given); axe-core's and the reflow check's findings are kept for
    /// the end; screenshots are kept at phone and desktop size.
    pub async fn step(&mut self, name: &str, h1_key: Option<&str>) -> Result<(), BoxError> {
        self.step += 1;
        let label = format!("{:02}-{}-{name}", self.step, self.who);
        let lang = self
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await?;
        assert_eq!(
            lang.as_str(),
            Some(self.t.code()),
            "{label}: <html lang> is not the journey's language"
        );
        let footer = text(&self.client, "footer.site p").await?;
        assert_eq!(footer, self.t.t(msg!("footer.text")), "{label}: footer");
        if let Some(key) = h1_key {
            let h1 = text(&self.client, "main h1").await?;
            let expected = self.t.named(key);
            assert!(
                h1.contains(expected),
                "{label}: heading {h1:?} lacks {expected:?}"
            );
            if self.ja() {
                assert!(
                    h1.chars().any(is_japanese),
                    "{label}: heading {h1:?} is not Japanese"
                );
            }
        }
        let path = self.client.current_url().await?.path().to_owned();
        for (size, form) in [(PHONE, "phone"), (DESKTOP, "desktop")] {
            self.viewport(size).await?;
            let page = format!("{label} {path} ({form})");
            let found = crate::axe::check(&self.client, &self.axe, &page).await?;
            self.problems.extend(found);
            if form == "phone" {
                self.problems.extend(self.reflow(&page).await?);
            }
            let png = self.client.screenshot().await?;
            save_screenshot(&self.shots, &format!("{label}-{form}.png"), &png);
        }
        Ok(())
    }

    /// Sizes the window so that the page itself (the viewport) is
    /// `width` × `height` CSS pixels: sets the window, measures what the
    /// page got, and corrects once by the difference (window borders, or a
    /// minimum window width that a phone-sized viewport lies under).
    pub async fn viewport(&self, (width, height): (u32, u32)) -> Result<(), BoxError> {
        self.client.set_window_size(width, height).await?;
        let inner = self
            .client
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
            self.client
                .set_window_size(fix(width, dw), fix(height, dh))
                .await?;
        }
        Ok(())
    }

    /// WCAG 1.4.10 (reflow), which axe cannot judge: at phone width
    /// nothing may push the page sideways, data tables excepted (the
    /// criterion exempts content that needs two dimensions). Names the
    /// innermost elements that stick out.
    async fn reflow(&self, page: &str) -> Result<Option<String>, BoxError> {
        let script = r#"
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) { return null; }
            const out = (el) => el.getBoundingClientRect().right > width + 1;
            const exempt = (el) => el.closest('table, .scroll') !== null ||
              Array.from(el.querySelectorAll('table')).some(out);
            const found = [];
            for (const el of document.querySelectorAll('body *')) {
              if (!out(el) || exempt(el) || Array.from(el.children).some(out)) { continue; }
              const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (typeof el.className === 'string' && el.className.trim()
                  ? '.' + el.className.trim().split(/\s+/).join('.') : '');
              found.push(name + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)');
            }
            return found.length === 0 ? null
              : 'the page scrolls sideways at ' + width + 'px: ' + found.slice(0, 8).join(', ');
        "#;
        let answer = self.client.execute(script, vec![]).await?;
        Ok(answer
            .as_str()
            .map(|what| format!("{page}: reflow (WCAG 1.4.10) — {what}")))
    }

    /// Fails the journey listing every serious or critical violation.
    pub fn assert_accessible(&self) {
        assert!(
            self.problems.is_empty(),
            "{} serious or critical WCAG 2.x A/AA violations (axe-core, and reflow at phone width):\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }

    /// Follows the invitation mailed to `email`, chooses the password and
    /// enrols a passkey; ends signed in, past the recovery codes.
    pub async fn accept_invitation(&mut self, email: &str, shoot: bool) -> Result<(), BoxError> {
        let link = self.mailbox.link_to(email, "/invite/").await?;
        self.goto(&link).await?;
        wait_for(&self.client, "#password_confirm").await?;
        if shoot {
            self.step("invitation", Some("invite.title")).await?;
        }
        type_into(&self.client, "password", PASSWORD).await?;
        type_into(&self.client, "password_confirm", PASSWORD).await?;
        click(&self.client, "form.narrow button[type=submit]").await?;
        self.enrol_passkey(email, shoot).await
    }

    /// On the enrolment page: a passkey on the virtual authenticator, then
    /// on past the recovery codes.
    pub async fn enrol_passkey(&mut self, name: &str, shoot: bool) -> Result<(), BoxError> {
        wait_for(
            &self.client,
            "#passkey-enrol .passkey-controls:not([hidden])",
        )
        .await?;
        if shoot {
            self.step("enrol", Some("enrol.title")).await?;
        }
        type_into(&self.client, "passkey-name", &format!("Chromium {name}")).await?;
        click(&self.client, "#passkey-enrol .passkey-start").await?;
        wait_for(&self.client, ".recovery-code").await?;
        let codes = self.client.find_all(Locator::Css(".recovery-code")).await?;
        assert_eq!(codes.len(), 10, "recovery codes shown once");
        if shoot {
            self.step("recovery-codes", Some("recovery.title")).await?;
        }
        submit(
            &self.client,
            "main p:last-of-type a",
            "header .account .who",
        )
        .await?;
        Ok(())
    }

    /// Password, then the passkey.
    pub async fn sign_in(&mut self, email: &str, shoot: bool) -> Result<(), BoxError> {
        if !self
            .client
            .current_url()
            .await?
            .path()
            .starts_with("/login")
        {
            self.goto("/login").await?;
        }
        wait_for(&self.client, "#passkey-login").await?;
        if shoot {
            self.step("sign-in", Some("login.title")).await?;
        }
        type_into(&self.client, "email", email).await?;
        type_into(&self.client, "password", PASSWORD).await?;
        click(&self.client, "form.narrow button[type=submit]").await?;
        wait_for(
            &self.client,
            "#passkey-verify .passkey-controls:not([hidden])",
        )
        .await?;
        if shoot {
            self.step("sign-in-passkey", Some("verify.title")).await?;
        }
        click(&self.client, "#passkey-verify .passkey-start").await?;
        wait_for(&self.client, "header .account .who").await?;
        Ok(())
    }

    pub async fn sign_out(&self) -> Result<(), BoxError> {
        crate::support::sign_out(&self.client).await
    }

    /// Fetches `path` from the page, as the browser downloads it: the raw
    /// bytes.
    pub async fn fetch_bytes(&self, path: &str) -> Result<Vec<u8>, BoxError> {
        let script = r#"
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], { credentials: 'same-origin' })
              .then((r) => r.ok ? r.arrayBuffer() : Promise.reject(r.status))
              .then((b) => done(Array.from(new Uint8Array(b))))
              .catch((e) => done('download failed: ' + e));
        "#;
        let answer = self
            .client
            .execute_async(script, vec![serde_json::json!(path)])
            .await?;
        let bytes = answer
            .as_array()
            .ok_or_else(|| format!("{path}: {answer}"))?
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or("not bytes")?;
        Ok(bytes)
    }

    /// Clicks the header's language switch; the same page comes back in
    /// `lang`, which the journey then expects.
    pub async fn switch_language(&mut self, lang: Lang) -> Result<(), BoxError> {
        let code = lang.code();
        click(
            &self.client,
            &format!(r#"form.lang-switch button[value="{code}"]"#),
        )
        .await?;
        wait_for(&self.client, &format!(r#"html[lang="{code}"] footer.site"#)).await?;
        self.t = Tr::new(lang);
        Ok(())
    }

    /// The page shown is in `lang`.
    pub async fn assert_lang(&self, lang: Lang, what: &str) -> Result<(), BoxError> {
        let shown = self
            .client
            .execute("return document.documentElement.lang;", vec![])
            .await?;
        assert_eq!(shown.as_str(), Some(lang.code()), "{what}: <html lang>");
        let footer = text(&self.client, "footer.site p").await?;
        assert_eq!(
            footer,
            Tr::new(lang).t(msg!("footer.text")),
            "{what}: footer"
        );
        Ok(())
    }

    /// Enables the browser's virtual authenticator.
    pub async fn add_authenticator(&self) -> Result<(), BoxError> {
        self.client.issue_cmd(VirtualAuthenticator).await?;
        Ok(())
    }
}

fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}
