//! Browser plumbing shared by every Chromium test: a chromedriver of the
//! test's own, a headless Chromium session in a chosen language, the
//! portal served at http://localhost (WebAuthn wants a host name), the
//! virtual authenticator, bounded waits and screenshots.

use std::error::Error;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use incident_portal::config::{Config, MailConfig};
use incident_portal::server;
use serde_json::json;

use crate::helpers::TestApp;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for the next page after a click.
pub const PAGE_WAIT: Duration = Duration::from_secs(10);

pub type BoxError = Box<dyn Error + Send + Sync>;

/// Fails the test (never skips it) when the browser is not installed.
pub fn require_browser() {
    for binary in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: the browser test was enabled (PORTAL_BROWSER_TESTS=1) but \
             needs it; install with `apt-get install -y chromium chromium-driver`"
        );
    }
}

/// Runs `work` in the browser within `limit`, keeps a screenshot (named
/// `failure_shot` under target/screenshots) if it fails, always ends the
/// browser session, then reports.
pub async fn drive<F>(client: &Client, limit: Duration, failure_shot: &str, work: F)
where
    F: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let started = Instant::now();
    let mut handle = tokio::spawn(work);
    let outcome = tokio::time::timeout(limit, &mut handle).await;
    if outcome.is_err() {
        handle.abort();
    }
    let failed = !matches!(outcome, Ok(Ok(Ok(()))));
    if failed {
        // What the browser showed when it went wrong, for whoever reads the log.
        if let Ok(Ok(png)) = tokio::time::timeout(PAGE_WAIT, client.screenshot()).await {
            save_screenshot(&screenshot_dir(""), failure_shot, &png);
        }
    }
    // Always end the session, so that no Chromium is left behind.
    let closed = tokio::time::timeout(PAGE_WAIT, client.clone().close()).await;
    eprintln!("browser session took {:.1?}", started.elapsed());

    match outcome {
        Err(_) => panic!("the browser session did not finish within {limit:?}"),
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

/// Chromium's virtual authenticator (WebDriver's WebAuthn extension): a
/// platform authenticator with discoverable credentials that verifies the
/// user without asking.
#[derive(Debug)]
pub struct VirtualAuthenticator;

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
/// With `mail_worker`, the outbox worker delivers through `mail`.
pub fn localhost_portal(app: &TestApp, mail: MailConfig, mail_worker: bool) -> String {
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
        mail,
        mail_worker,
        security: incident_portal::config::Security {
            key_file: Some(app.key_file.clone()),
            ..Default::default()
        },
        limits: Default::default(),
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

pub async fn click(client: &Client, css: &str) -> Result<(), BoxError> {
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Clicks `css`, waits (boundedly) until the next document has replaced
/// this one, then for `next` on it: never an element of the old page.
pub async fn submit(client: &Client, css: &str, next: &str) -> Result<Element, BoxError> {
    submit_at(client, Locator::Css(css), css, next).await
}

/// Presses the button whose visible text is `label`, as a person finds
/// it, and waits for `next` on the page that follows.
pub async fn press(client: &Client, label: &str, next: &str) -> Result<Element, BoxError> {
    let xpath = format!("//button[normalize-space()=\"{label}\"]");
    submit_at(client, Locator::XPath(&xpath), label, next).await
}

async fn submit_at(
    client: &Client,
    at: Locator<'_>,
    css: &str,
    next: &str,
) -> Result<Element, BoxError> {
    let old = client.find(Locator::Css("html")).await?;
    client.find(at).await?.click().await?;
    let deadline = Instant::now() + PAGE_WAIT;
    // The old page's root answers until the browser has moved on.
    while old.tag_name().await.is_ok() {
        if Instant::now() > deadline {
            let url = client.current_url().await?;
            return Err(format!("clicking {css} left {url} in place for {PAGE_WAIT:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    wait_for(client, next).await
}

/// Signs out from the page header; the sign-in page follows.
pub async fn sign_out(client: &Client) -> Result<(), BoxError> {
    click(client, "header .account form button").await?;
    wait_for(client, "#passkey-login").await?;
    Ok(())
}

/// Replaces the value of the input or textarea with this id.
pub async fn type_into(client: &Client, id: &str, value: &str) -> Result<(), BoxError> {
    let field = client.find(Locator::Id(id)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// The trimmed text of the first element matching `css`.
pub async fn text(client: &Client, css: &str) -> Result<String, BoxError> {
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
pub async fn wait_for(client: &Client, css: &str) -> Result<Element, BoxError> {
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

/// target/screenshots/`sub` (the folder itself when `sub` is empty).
pub fn screenshot_dir(sub: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    if sub.is_empty() { dir } else { dir.join(sub) }
}

pub fn save_screenshot(dir: &Path, name: &str, png: &[u8]) {
    let path = dir.join(name);
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, png)) {
        Ok(()) => eprintln!("screenshot: {}", path.display()),
        Err(e) => eprintln!("could not save {}: {e}", path.display()),
    }
}

/// Opens a headless Chromium session with a fresh profile, asking for
/// pages in `lang` (an Accept-Language value such as `en-US,en` or `ja`).
pub async fn connect(webdriver: &str, profile: &Path, lang: &str) -> Client {
    let primary = lang.split(',').next().unwrap_or(lang);
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
                format!("--lang={primary}"),
                format!("--accept-lang={lang}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": lang },
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
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    pub async fn start() -> Chromedriver {
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
