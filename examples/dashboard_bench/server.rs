//! The portal under test, in a process of its own pinned to core 0 (this
//! example started again with `--serve <url>`), and a staff user signed in
//! to it the way a person would: password, then an authenticator code.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::config::{Config, MailConfig};
use incident_portal::db::models::NewUser;
use incident_portal::db::schema::{settings, users};
use incident_portal::db::{DbConn, DbUrl, write_tx};
use incident_portal::server;
use incident_portal::services::{password, second_factor, tokens, totp};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::export::Failure;

/// The core the server runs on; wrk and the HTTP clients use the other.
pub const SERVER_CORE: u32 = 0;
pub const CLIENT_CORE: u32 = 1;

/// The load side (this process, every thread it starts and every child
/// that does not pin itself elsewhere) runs on `CLIENT_CORE`, the server on
/// the other: a client's own work (a real user's sign-ins, reading an
/// export) must not take the server's core.
pub fn pin_self() -> Result<(), Failure> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &CLIENT_CORE.to_string()])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e} (needs util-linux)"))?;
    if !status.success() {
        return Err("taskset could not pin the benchmark".into());
    }
    Ok(())
}

/// Child mode: serve `url` on a free loopback port, print `PORT <n>`, run
/// until killed. No log subscriber: request lines would cost both pages
/// alike and only add noise.
pub fn serve(url: &str) -> Result<(), Failure> {
    let database_url = DbUrl::parse(url)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    // One worker per core this process may use (one, under taskset).
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = Config {
        database_url,
        bind: format!("127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        data_dir: std::env::temp_dir(),
        pool_size: 8,
        workers,
        mail: MailConfig::Memory(Default::default()),
        mail_worker: false,
        security: Default::default(),
        // The filing API bench saves as fast as answers come: its callers
        // are not to meet the per-client budget.
        limits: incident_portal::config::Limits {
            api_requests_per_minute: u32::MAX,
            ..Default::default()
        },
    };
    let pool = server::prepare_database(&config)?;
    let mut out = std::io::stdout();
    writeln!(out, "PORT {port}")?;
    out.flush()?;
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        server::start(Arc::new(config), pool, Clock::system(), listener)?.await
    })?;
    Ok(())
}

/// The running server process; killed when dropped.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
}

impl Server {
    /// Starts this example again in server mode, pinned to `SERVER_CORE`.
    pub fn spawn(url: &str) -> Result<Server, Failure> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new("taskset")
            .arg("-c")
            .arg(SERVER_CORE.to_string())
            .arg(exe)
            .arg("--serve")
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("taskset: {e} (needs util-linux)"))?;
        let pid = child.id();
        let stdout = child.stdout.take().ok_or("no stdout from the server")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line.trim().strip_prefix("PORT ").map(str::to_owned);
        let mut server = Server {
            child,
            pid,
            base: String::new(),
        };
        match port {
            Some(port) => {
                server.base = format!("http://127.0.0.1:{port}");
                Ok(server)
            }
            None => Err(format!("the server did not start: {line:?}").into()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A staff user's sign-in secrets.
pub struct Staff {
    pub email: String,
    pub password: String,
    pub totp_secret: String,
}

/// An analyst with a password and an authenticator app, as `seed-demo`
/// creates one; staff may use authenticator apps (the setting tests use).
pub fn create_analyst(conn: &mut DbConn, now: NaiveDateTime) -> Result<Staff, Failure> {
    let staff = Staff {
        email: "analyst@bench.example".to_owned(),
        password: tokens::new_token().chars().take(24).collect(),
        totp_secret: totp::new_secret(),
    };
    let hash = password::hash(&staff.password)?;
    write_tx(conn, |conn| -> QueryResult<()> {
        diesel::insert_into(users::table)
            .values(NewUser {
                email: &staff.email,
                display_name: "Bench Analyst",
                role: incident_portal::domain::Role::Analyst,
                firm_id: None,
                password_hash: Some(&hash),
                must_change_password: false,
                active: true,
                locale: "en",
                created_at: now,
                updated_at: now,
                password_changed_at: Some(now),
            })
            .execute(conn)?;
        diesel::update(users::table.filter(users::email.eq(&staff.email)))
            .set((
                users::totp_secret.eq(&staff.totp_secret),
                users::totp_enabled_at.eq(now),
                // Exporting is a right an admin grants; the export runs
                // need it.
                users::export_right.eq(incident_portal::domain::amendment::ExportRight::Export),
            ))
            .execute(conn)?;
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(second_factor::TOTP_STAFF),
                settings::value.eq("allowed"),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(staff)
}

/// A cookie-keeping HTTP client that does not follow redirects.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    /// A cookie this browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Holds `value` as the cookie `name` (as a browser that kept it would).
    pub fn hold(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    pub fn new(base: &str) -> Result<Browser, Failure> {
        Browser::with(base, None)
    }

    /// A browser whose connections come from `address` (a loopback one).
    pub fn from_address(base: &str, address: IpAddr) -> Result<Browser, Failure> {
        Browser::with(base, Some(address))
    }

    fn with(base: &str, address: Option<IpAddr>) -> Result<Browser, Failure> {
        Ok(Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(address)
                .build()?,
            cookies: Vec::new(),
        })
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            let Some((name, val)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            let removed = value.to_ascii_lowercase().contains("max-age=0") || val.is_empty();
            if !removed {
                self.cookies.push((name.to_owned(), val.to_owned()));
            }
        }
    }

    async fn read(&mut self, response: reqwest::Response) -> Result<Page, Failure> {
        let status = response.status();
        self.keep(response.headers());
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Page {
            status,
            location,
            body: response.text().await?,
        })
    }

    pub async fn get(&mut self, path: &str) -> Result<Page, Failure> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await?;
        self.read(response).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Page, Failure> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await?;
        self.read(response).await
    }
}

/// The value of the first hidden `csrf` input on a page.
pub fn csrf(page: &Page) -> Result<String, Failure> {
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).ok_or("no CSRF token on the form")? + marker.len();
    let end = page.body[start..]
        .find('"')
        .ok_or("unterminated CSRF token")?;
    Ok(page.body[start..start + end].to_owned())
}

/// Password, then the authenticator code: a full sign-in.
pub async fn sign_in(base: &str, staff: &Staff) -> Result<Browser, Failure> {
    let mut browser = Browser::new(base)?;
    let form = browser.get("/login").await?;
    let token = csrf(&form)?;
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("email", &staff.email),
                ("password", &staff.password),
            ],
        )
        .await?;
    if page.location.as_deref() != Some("/login/verify") {
        return Err(format!("password refused ({}): {}", page.status, page.body).into());
    }
    let form = browser.get("/login/verify").await?;
    let token = csrf(&form)?;
    let code = totp::code_at(&staff.totp_secret, Clock::system().now())?;
    let done = browser
        .post("/login/verify/totp", &[("csrf", &token), ("code", &code)])
        .await?;
    if done.location.as_deref() != Some("/") {
        return Err(format!("second factor refused ({}): {}", done.status, done.body).into());
    }
    Ok(browser)
}
