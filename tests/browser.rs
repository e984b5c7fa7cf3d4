//! End-to-end runs in a real browser: an approver signs in, saves a draft
//! return and submits it, and the receipt page shows what was filed; and
//! the first admin enrols a passkey (Chromium's virtual authenticator) and
//! signs in with it, after the password and on its own.
//!
//! Headless Chromium is driven over WebDriver (chromedriver + fantoccini).
//! The test is ignored unless the crate was built with
//! PORTAL_BROWSER_TESTS=1; then it needs /usr/bin/chromium and
//! /usr/bin/chromedriver and fails, never passes, without them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
mod helpers;

use std::error::Error;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::TestApp;
use incident_portal::config::{Config, MailConfig};
use incident_portal::db::Backend;
use incident_portal::server;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for the next page after a click.
const PAGE_WAIT: Duration = Duration::from_secs(10);
/// The whole browser session, start to finish.
const SESSION_LIMIT: Duration = Duration::from_secs(120);

type BoxError = Box<dyn Error + Send + Sync>;

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
    // approver, has set helpers::PASSWORD (a single-user firm is exempt
    // from four eyes) and saved the rest of the complete return as a draft.
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
    let client = connect(&driver.url, profile.path()).await;
    let session = client.clone();
    let address = app.address.clone();
    drive(&client, async move {
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
    let base = localhost_portal(&app);
    let token = app.setup_token();

    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let driver = Chromedriver::start().await;
    let client = connect(&driver.url, profile.path()).await;
    let session = client.clone();
    drive(&client, async move {
        use_passkeys(&session, &base, &token).await
    })
    .await;
    drop(driver);
}

fn require_browser() {
    for binary in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: the browser test was enabled (PORTAL_BROWSER_TESTS=1) but \
             needs it; install with `apt-get install -y chromium chromium-driver`"
        );
    }
}

/// Runs `work` in the browser within SESSION_LIMIT, keeps a screenshot if
/// it fails, always ends the browser session, then reports.
async fn drive<F>(client: &Client, work: F)
where
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let started = Instant::now();
    let mut handle = tokio::spawn(work);
    let outcome = tokio::time::timeout(SESSION_LIMIT, &mut handle).await;
    if outcome.is_err() {
        handle.abort();
    }
    let failed = !matches!(outcome, Ok(Ok(Ok(()))));
    if failed {
        // What the browser showed when it went wrong, for whoever reads the log.
        if let Ok(Ok(png)) = tokio::time::timeout(PAGE_WAIT, client.screenshot()).await {
            save_screenshot("failure.png", &png);
        }
    }
    // Always end the session, so that no Chromium is left behind.
    let closed = tokio::time::timeout(PAGE_WAIT, client.clone().close()).await;
    eprintln!("browser session took {:.1?}", started.elapsed());

    match outcome {
        Err(_) => panic!("the browser session did not finish within {SESSION_LIMIT:?}"),
        Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Ok(Err(join)) => panic!("the browser session was cancelled: {join}"),
        Ok(Ok(Err(e))) => panic!("browser: {e}"),
        Ok(Ok(Ok(()))) => {}
    }
    match closed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("closing the browser session: {e}"),
        Err(_) => panic!("closing the browser session took longer than {PAGE_WAIT:?}"),
    }
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
    wait_for(client, r#"button[formaction$="/draft"]"#).await?;
    save_screenshot("return-form.png", &client.screenshot().await?);

    for (id, label, _) in FIELDS {
        let shown = text(client, &format!(r#"label[for="{id}"]"#)).await?;
        assert_eq!(shown, label, "label of #{id}");
    }
    for (id, _, value) in FIELDS {
        type_into(client, id, value).await?;
    }

    // Save a draft: the same form comes back with a notice.
    client
        .find(Locator::Css(r#"button[formaction$="/draft"]"#))
        .await?
        .click()
        .await?;
    let notice = wait_for(client, "p.notice[role=status]")
        .await?
        .text()
        .await?;
    assert_eq!(notice.trim(), "Draft saved.");
    for (id, _, value) in FIELDS {
        let kept = client.find(Locator::Id(id)).await?.prop("value").await?;
        assert_eq!(kept.as_deref(), Some(value), "#{id} after saving the draft");
    }

    // Submit: POST, 303, then the frozen version with its receipt.
    client
        .find(Locator::Css(r#"button[formaction$="/submit"]"#))
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
    assert_eq!(text(client, "table.figures td.prose").await?, FIELDS[5].2);

    save_screenshot("receipt.png", &client.screenshot().await?);
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
    save_screenshot("passkeys.png", &client.screenshot().await?);
    Ok(())
}

const ADMIN: &str = "admin@fsa.example";

/// Chromium's virtual authenticator (WebDriver's WebAuthn extension): a
/// platform authenticator with discoverable credentials that verifies the
/// user without asking.
#[derive(Debug)]
struct VirtualAuthenticator;

impl WebDriverCompatibleCommand for VirtualAuthenticator {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/webauthn/authenticator",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The portal again, on the test's database and clock, at
/// http://localhost:PORT: WebAuthn takes a host name, never an IP address.
fn localhost_portal(app: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("local address").port();
    let base = format!("http://localhost:{port}");
    let config = Config {
        database_url: app.db_url.clone(),
        bind: format!("127.0.0.1:{port}"),
        public_url: base.clone(),
        data_dir: std::env::temp_dir(),
        pool_size: 4,
        workers: 1,
        mail: MailConfig::Memory(Default::default()),
        mail_worker: false,
    };
    let server = server::start(
        Arc::new(config),
        app.pool.clone(),
        app.clock.clone(),
        listener,
    );
    actix_web::rt::spawn(server.expect("server"));
    base
}

async fn click(client: &Client, css: &str) -> Result<(), BoxError> {
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Signs out from the page header; the sign-in page follows.
async fn sign_out(client: &Client) -> Result<(), BoxError> {
    click(client, "header .account form button").await?;
    wait_for(client, "#passkey-login").await?;
    Ok(())
}

/// Replaces the value of the input or textarea with this id.
async fn type_into(client: &Client, id: &str, value: &str) -> Result<(), BoxError> {
    let field = client.find(Locator::Id(id)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// The trimmed text of the first element matching `css`.
async fn text(client: &Client, css: &str) -> Result<String, BoxError> {
    Ok(client
        .find(Locator::Css(css))
        .await?
        .text()
        .await?
        .trim()
        .to_owned())
}

/// Waits, boundedly, for an element of the page a click leads to. On
/// timeout, says where the browser is and what it shows.
async fn wait_for(client: &Client, css: &str) -> Result<fantoccini::elements::Element, BoxError> {
    match client
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => Ok(element),
        Err(e) => {
            let url = client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let body = match client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let body: String = body.chars().take(2000).collect();
            Err(
                format!("no {css} within {PAGE_WAIT:?} ({e}) at {url}; the page says:\n{body}")
                    .into(),
            )
        }
    }
}

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

fn save_screenshot(name: &str, png: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let path = dir.join(name);
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, png)) {
        Ok(()) => eprintln!("screenshot: {}", path.display()),
        Err(e) => eprintln!("could not save {}: {e}", path.display()),
    }
}

/// Opens a headless Chromium session with a fresh profile.
async fn connect(webdriver: &str, profile: &Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "timeouts": { "pageLoad": 30_000, "script": 10_000 },
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,1000",
                "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": "en-US,en" },
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal")
    };
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot start Chromium through chromedriver at {webdriver}: {e}")
        })
}

/// A chromedriver of this test's own, killed (with whatever it started) when
/// dropped, also when the test panics.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            listener.local_addr().expect("local address").port()
        };
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(CHROMEDRIVER).arg(format!("--port={port}")),
            0,
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_until_ready().await;
        driver
    }

    /// Polls /status a bounded number of times.
    async fn wait_until_ready(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        let status = format!("{}/status", self.url);
        for _ in 0..100 {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("{CHROMEDRIVER} exited at start: {exit}");
            }
            if let Ok(response) = http.get(&status).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{CHROMEDRIVER} did not answer {status} within about 10 s");
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // chromedriver leads its own process group; a Chromium left running by
        // a session that could not be closed is in it too.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
