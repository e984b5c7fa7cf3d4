//! Test harness: the real app on port 0 with its own database (a fresh
//! SQLite file, or a fresh PostgreSQL database), and browsers that keep
//! their own cookies and speak the portal's language.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use incident_portal::clock::Clock;
use incident_portal::config::Config;
use incident_portal::db::{Backend, DbPool, DbUrl};
use incident_portal::server;
use incident_portal::services::{accounts, totp};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use scraper::{Html, Selector};

pub const PASSWORD: &str = "correct horse battery staple";

/// Generates one test per backend from `async fn name(app: TestApp)`.
/// PostgreSQL tests are ignored, visibly, when TEST_DATABASE_URL was not set
/// at build time; they fail, never pass, if it is set but unreachable.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn(
                        incident_portal::db::Backend::Sqlite,
                    ).await;
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn(
                        incident_portal::db::Backend::Postgres,
                    ).await;
                    super::$name(app).await;
                }
            )*
        }
    };
}

/// A database of the test's own, removed when the test ends.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A fresh database URL for `backend`.
pub fn fresh_database(backend: Backend) -> (DbUrl, TestDb) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = DbUrl::Sqlite(dir.path().join("portal.db"));
            (url, TestDb::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL must be set to run the PostgreSQL tests (it was at build time)",
            );
            let name = format!("portal_test_{}", uuid_like());
            let mut conn = diesel::PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("cannot reach TEST_DATABASE_URL: {e}"));
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let base = admin_url.split('?').next().unwrap_or(&admin_url);
            let query = admin_url
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            let (root, _) = base.rsplit_once('/').expect("database URL has a path");
            let url = DbUrl::Postgres(format!("{root}/{name}{query}"));
            (url, TestDb::Postgres { admin_url, name })
        }
    }
}

fn uuid_like() -> String {
    incident_portal::services::tokens::new_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect::<String>()
        .to_lowercase()
}

pub struct TestApp {
    pub address: String,
    pub pool: DbPool,
    pub clock: Clock,
    pub backend: Backend,
    pub db_url: DbUrl,
    /// Each enrolled user's TOTP key, by email.
    pub secrets: std::sync::Mutex<HashMap<String, String>>,
    /// The key file sealing TOTP secrets (in a folder of the test's own);
    /// another server on this database must use it too.
    pub key_file: std::path::PathBuf,
    _keys: tempfile::TempDir,
    _db: TestDb,
}

impl TestApp {
    /// `DATABASE_URL` for running the binary against this test's database.
    pub fn database_url(&self) -> String {
        match &self.db_url {
            DbUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DbUrl::Postgres(url) => url.clone(),
        }
    }

    /// Starts the portal with the clock standing at 2025-05-20 10:00 UTC.
    pub async fn spawn(backend: Backend) -> TestApp {
        let at = NaiveDate::from_ymd_opt(2025, 5, 20)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        TestApp::spawn_at(backend, Clock::fixed(at)).await
    }

    pub async fn spawn_at(backend: Backend, clock: Clock) -> TestApp {
        TestApp::spawn_limited(backend, clock, Default::default()).await
    }

    /// `spawn_at` with load limits of the test's own.
    pub async fn spawn_limited(
        backend: Backend,
        clock: Clock,
        limits: incident_portal::config::Limits,
    ) -> TestApp {
        let (url, db) = fresh_database(backend);
        let keys = tempfile::tempdir().expect("temp dir for the key");
        let key_file = keys.path().join("secret.key");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let config = Config {
            database_url: url.clone(),
            bind: format!("127.0.0.1:{port}"),
            public_url: format!("http://127.0.0.1:{port}"),
            data_dir: std::env::temp_dir(),
            pool_size: 4,
            workers: 1,
            mail: incident_portal::config::MailConfig::Memory(Default::default()),
            mail_worker: false,
            security: incident_portal::config::Security {
                key_file: Some(key_file.clone()),
                ..Default::default()
            },
            limits,
        };
        let pool = server::prepare_database(&config).expect("database ready");
        // Tests sign staff in with TOTP; the default policy (passkeys only for
        // staff) has tests of its own.
        {
            use diesel::prelude::*;
            use incident_portal::db::schema::settings;
            let mut conn = pool.get().unwrap();
            diesel::insert_into(settings::table)
                .values((
                    settings::key.eq("totp_staff"),
                    settings::value.eq("allowed"),
                ))
                .execute(&mut conn)
                .unwrap();
        }
        let server =
            server::start(Arc::new(config), pool.clone(), clock.clone(), listener).expect("server");
        actix_web::rt::spawn(server);
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            pool,
            clock,
            backend,
            db_url: url,
            secrets: Default::default(),
            key_file,
            _keys: keys,
            _db: db,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Starts another instance of the portal on this test's database, key
    /// file and clock, with its background work (mail, reminders, the
    /// release scheduler) running when `background`; its address.
    pub fn another_instance(&self, background: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let config = Config {
            database_url: self.db_url.clone(),
            bind: format!("127.0.0.1:{port}"),
            public_url: format!("http://127.0.0.1:{port}"),
            data_dir: std::env::temp_dir(),
            pool_size: 2,
            workers: 1,
            mail: incident_portal::config::MailConfig::Memory(Default::default()),
            mail_worker: background,
            security: incident_portal::config::Security {
                key_file: Some(self.key_file.clone()),
                ..Default::default()
            },
            limits: Default::default(),
        };
        let pool = server::prepare_database(&config).expect("database ready");
        let server = server::start(Arc::new(config), pool, self.clock.clone(), listener)
            .expect("another instance");
        actix_web::rt::spawn(server);
        format!("http://127.0.0.1:{port}")
    }

    /// Through the one-time setup link, as the first admin would.
    pub async fn setup_admin(&self) -> Browser {
        let token = self.setup_token();
        let mut admin = self.browser();
        let page = admin.get(&format!("/setup/{token}")).await;
        assert_eq!(page.status, StatusCode::OK, "setup link opens");
        let page = admin
            .submit_form(
                &page,
                &format!("/setup/{token}"),
                &[
                    ("email", "admin@fsa.example"),
                    ("display_name", "First Admin"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "setup completes: {}",
            page.body
        );
        assert_eq!(
            page.location(),
            Some("/account/enrol"),
            "a second factor comes next"
        );
        self.enrol_totp(&mut admin, "admin@fsa.example").await;
        admin
    }

    /// Sets up an authenticator app on the enrolment page, as a user would
    /// with the key shown there; remembers the key for later sign-ins.
    pub async fn enrol_totp(&self, browser: &mut Browser, email: &str) -> Vec<String> {
        let page = browser.get("/account/enrol").await;
        assert_eq!(page.status, StatusCode::OK, "enrolment page: {}", page.body);
        let secret = page
            .html()
            .select(&Selector::parse("#totp-secret").unwrap())
            .next()
            .and_then(|e| e.value().attr("data-secret").map(str::to_owned))
            .unwrap_or_else(|| panic!("no TOTP key offered:\n{}", page.body));
        let code = totp::code_at(&secret, self.clock.now()).unwrap();
        let done = browser
            .submit_form(&page, "/account/enrol/totp", &[("code", &code)])
            .await;
        assert_eq!(done.status, StatusCode::OK, "TOTP confirmed: {}", done.body);
        let codes = done.texts(".recovery-code");
        assert_eq!(codes.len(), 10, "ten recovery codes shown once");
        self.secrets
            .lock()
            .unwrap()
            .insert(email.to_owned(), secret);
        codes
    }

    /// The next TOTP code for a user (a code is accepted once, so the
    /// clock moves to the next 30-second step first).
    pub fn next_code(&self, email: &str) -> String {
        let secret = self
            .secrets
            .lock()
            .unwrap()
            .get(email)
            .cloned()
            .expect("user enrolled TOTP");
        self.clock.advance(chrono::Duration::seconds(30));
        totp::code_at(&secret, self.clock.now()).unwrap()
    }

    /// Password, then the authenticator code: a full sign-in.
    pub async fn sign_in_fully(&self, browser: &mut Browser, email: &str, password: &str) {
        let page = browser.sign_in(email, password).await;
        assert_eq!(
            page.location(),
            Some("/login/verify"),
            "password accepted: {}",
            page.body
        );
        let form = browser.get("/login/verify").await;
        let code = self.next_code(email);
        let done = browser
            .submit_form(&form, "/login/verify/totp", &[("code", &code)])
            .await;
        assert_eq!(
            done.location(),
            Some("/"),
            "second factor accepted: {}",
            done.body
        );
    }

    pub fn setup_token(&self) -> String {
        let mut conn = self.pool.get().unwrap();
        accounts::issue_setup_token(&mut conn, self.clock.now())
            .unwrap()
            .expect("no users yet, so a setup token")
    }

    /// Admin adds a firm; returns its id.
    pub async fn add_firm(&self, admin: &mut Browser, name: &str, registration_no: &str) -> i64 {
        let form = admin.get("/admin/firms").await;
        let page = admin
            .submit_form(
                &form,
                "/admin/firms",
                &[
                    ("name", name),
                    ("registration_no", registration_no),
                    ("lei", ""),
                    // The suite's firms report from before its months.
                    ("first_period", "2024-01"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "firm created: {}",
            page.body
        );
        let mut conn = self.pool.get().unwrap();
        accounts::list_firms(&mut conn)
            .unwrap()
            .into_iter()
            .find(|f| f.name == name)
            .expect("firm listed")
            .id
    }

    /// Admin invites a user (the invitation email waits in the outbox).
    pub async fn add_user(
        &self,
        admin: &mut Browser,
        email: &str,
        role: &str,
        firm_id: Option<i64>,
    ) {
        self.invite(admin, "/admin/users", email, role, firm_id)
            .await;
    }

    /// Invites a user from `page` (/admin/users or /firm/users).
    pub async fn invite(
        &self,
        inviter: &mut Browser,
        page: &str,
        email: &str,
        role: &str,
        firm_id: Option<i64>,
    ) {
        let form = inviter.get(page).await;
        assert_eq!(form.status, StatusCode::OK, "{page}: {}", form.body);
        let firm = firm_id.map(|id| id.to_string()).unwrap_or_default();
        let done = inviter
            .submit_form(
                &form,
                page,
                &[
                    ("email", email),
                    ("display_name", email.split('@').next().unwrap()),
                    ("role", role),
                    ("firm_id", &firm),
                ],
            )
            .await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "user invited: {}",
            done.body
        );
    }

    /// The newest email to `to` in the outbox: (subject, text body).
    pub fn last_email_to(&self, to: &str) -> (String, String) {
        use diesel::prelude::*;
        use incident_portal::db::schema::email_outbox;
        let mut conn = self.pool.get().unwrap();
        email_outbox::table
            .filter(email_outbox::to_addr.eq(to))
            .order(email_outbox::id.desc())
            .select((email_outbox::subject, email_outbox::body_text))
            .first(&mut conn)
            .unwrap_or_else(|_| panic!("no email to {to}"))
    }

    /// The path of the link (`/invite/…`, `/password/reset/…`) in the
    /// newest email to `to`.
    pub fn link_in_email(&self, to: &str, prefix: &str) -> String {
        let (_, body) = self.last_email_to(to);
        let start = body
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix} link in:\n{body}"));
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
            .collect()
    }

    /// The invitee follows the emailed link, chooses a password and enrols
    /// an authenticator app: fully signed in.
    pub async fn first_sign_in(&self, email: &str) -> Browser {
        let link = self.link_in_email(email, "/invite/");
        let mut browser = self.browser();
        let form = browser.get(&link).await;
        assert_eq!(
            form.status,
            StatusCode::OK,
            "invitation opens: {}",
            form.body
        );
        let done = browser
            .submit_form(
                &form,
                &link,
                &[("password", PASSWORD), ("password_confirm", PASSWORD)],
            )
            .await;
        assert_eq!(
            done.location(),
            Some("/account/enrol"),
            "password chosen: {}",
            done.body
        );
        self.enrol_totp(&mut browser, email).await;
        browser
    }

    /// A firm with an approver and a reporter, both signed in.
    pub async fn firm_with_users(&self, admin: &mut Browser, tag: &str) -> Firm {
        let name = format!("{tag} Securities");
        let id = self
            .add_firm(
                admin,
                &name,
                &format!(
                    "関東財務局長（金商）第{}号",
                    100 + tag.len() * 7 + tag.as_bytes()[0] as usize
                ),
            )
            .await;
        let approver_email = format!("approver@{}.example", tag.to_lowercase());
        let reporter_email = format!("reporter@{}.example", tag.to_lowercase());
        self.add_user(admin, &approver_email, "approver", Some(id))
            .await;
        self.add_user(admin, &reporter_email, "reporter", Some(id))
            .await;
        let approver = self.first_sign_in(&approver_email).await;
        let reporter = self.first_sign_in(&reporter_email).await;
        Firm {
            id,
            name,
            approver,
            reporter,
        }
    }

    /// An analyst, signed in.
    pub async fn analyst(&self, admin: &mut Browser) -> Browser {
        self.add_user(admin, "analyst@fsa.example", "analyst", None)
            .await;
        self.first_sign_in("analyst@fsa.example").await
    }

    /// The admin sets the export right (`none`, `export` or
    /// `export_contacts`) of the staff user `email` on the users page.
    pub async fn grant_export(&self, admin: &mut Browser, email: &str, right: &str) -> Page {
        use diesel::prelude::*;
        use incident_portal::db::schema::users;
        let id: i64 = {
            let mut conn = self.pool.get().unwrap();
            users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first(&mut conn)
                .unwrap()
        };
        let page = admin.get("/admin/users").await;
        let done = admin
            .submit_form(
                &page,
                &format!("/users/{id}/export-right"),
                &[("right", right)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        done
    }
}

pub struct Firm {
    pub id: i64,
    pub name: String,
    pub approver: Browser,
    pub reporter: Browser,
}

/// One HTTP response, read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Text of every element matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches {selector} in:\n{}", self.body))
    }

    /// The `value` of the input named `name`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let selector = Selector::parse(&format!("[name=\"{name}\"]")).unwrap();
        self.html().select(&selector).next().map(|e| {
            e.value()
                .attr("value")
                .map(str::to_owned)
                .unwrap_or_else(|| e.text().collect())
        })
    }

    /// The message shown beside field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        self.texts(&format!("#{name}-error")).into_iter().next()
    }
}

/// A browser: its own cookie jar, no automatic redirects.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// Sent as `Accept-Language` when set.
    pub accept_language: Option<&'static str>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        // A kept connection is dropped well before the server's keep-alive
        // ends it, so a test that pauses (running the scheduler over
        // simulated weeks) never sends on a connection being closed.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(incident_portal::server::KEEP_ALIVE / 2)
            .build()
            .unwrap();
        Browser {
            base: base.to_owned(),
            client,
            cookies: HashMap::new(),
            accept_language: None,
        }
    }

    /// The `Cookie` header this browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, val) = pair.split_once('=').unwrap();
            let removed = value.to_ascii_lowercase().contains("max-age=0") || val.is_empty();
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), val.to_owned());
            }
        }
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    /// Status, content type and the raw bytes of a GET (the page reader
    /// would drop a BOM); cookies sent, not updated.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, response.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ACCEPT_LANGUAGE, self.accept_language.unwrap_or("en"))
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ACCEPT_LANGUAGE, self.accept_language.unwrap_or("en"))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// PUTs `fields` with the session's cookies (as a script in the
    /// signed-in browser could).
    pub async fn put(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .put(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ACCEPT_LANGUAGE, self.accept_language.unwrap_or("en"))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// POSTs `fields` plus the hidden inputs on `page` (its CSRF token,
    /// submission key, return path), as a browser submitting that form would.
    pub async fn submit_form(&mut self, page: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(String, String)> = Vec::new();
        let hidden = Selector::parse("input[type=hidden]").unwrap();
        for input in page.html().select(&hidden) {
            let (Some(name), Some(value)) =
                (input.value().attr("name"), input.value().attr("value"))
            else {
                continue;
            };
            if !fields.iter().any(|(k, _)| *k == name) && !all.iter().any(|(k, _)| k == name) {
                all.push((name.to_owned(), value.to_owned()));
            }
        }
        all.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let borrowed: Vec<(&str, &str)> =
            all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post(path, &borrowed).await
    }

    /// Picks the page language with the switch in the page header (kept in
    /// the profile when signed in, in a cookie otherwise).
    pub async fn choose_language(&mut self, lang: &str) {
        let mut page = self.get("/account").await;
        if page.status != StatusCode::OK {
            page = self.get("/login").await;
        }
        let done = self
            .submit_form(&page, "/language", &[("lang", lang)])
            .await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "language: {}",
            done.body
        );
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        self.submit_form(&form, "/login", &[("email", email), ("password", password)])
            .await
    }
}

/// A complete return as typed: the five FSA figures, affected accounts and
/// remediation, plus details consistent with them (all purchases domestic,
/// no vectors counted, nothing compensated yet, every measure done, a
/// contact, the attestation).
pub fn figures<'a>(
    accesses: &'a str,
    accounts: &'a str,
    trades: &'a str,
    sale: &'a str,
    purchase: &'a str,
    remediation: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut fields = vec![
        ("unauthorized_accesses", accesses),
        ("affected_accounts", accounts),
        ("fraudulent_trades", trades),
        ("sale_amount", sale),
        ("purchase_amount", purchase),
        ("remediation", remediation),
        ("purchase_domestic", purchase),
        ("purchase_china_hk", "0"),
        ("purchase_us", "0"),
        ("purchase_other", "0"),
    ];
    for name in incident_portal::domain::details::VECTORS
        .into_iter()
        .chain(incident_portal::domain::details::DETECTION)
    {
        fields.push((name, "0"));
    }
    for name in incident_portal::domain::details::CHECK_STATUS {
        fields.push((name, "done"));
    }
    fields.extend([
        ("customer_losses", "0"),
        ("compensation_paid", "0"),
        ("accounts_compensated", "0"),
        ("compensation_policy", "considering"),
        ("contact_name", "Hanako Sato"),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@firm.example"),
        ("attestation", "yes"),
    ]);
    fields
}

/// The preparer's half of four eyes: `preparer` saves `fields` as the draft
/// of `period`, for an approver to submit unchanged.
pub async fn prepare(preparer: &mut Browser, period: &str, fields: &[(&str, &str)]) {
    let form = preparer.get(&format!("/returns/{period}")).await;
    let saved = preparer
        .submit_form(&form, &format!("/returns/{period}/draft"), fields)
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "draft saved: {}",
        saved.body
    );
}

/// Every section page of the return for `period`, read as one page (what
/// the preparer sees across the task list's sections): each field with its
/// value and the message beside it.
pub async fn sections(browser: &mut Browser, period: &str) -> Page {
    use incident_portal::domain::return_sections::ReturnSection;
    let mut body = String::new();
    let mut last = None;
    for section in ReturnSection::ALL {
        if section == ReturnSection::Trades {
            continue;
        }
        let page = browser
            .get(&format!("/returns/{period}/sections/{}", section.slug()))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        body.push_str(&page.body);
        last = Some(page);
    }
    let last = last.expect("sections");
    Page {
        status: last.status,
        headers: last.headers,
        body,
    }
}

/// The page of the return's section that holds `field`.
pub async fn section_of(browser: &mut Browser, period: &str, field: &str) -> Page {
    let section = incident_portal::domain::return_sections::ReturnSection::of_field(field)
        .unwrap_or_else(|| panic!("{field} is on no section"));
    let page = browser
        .get(&format!("/returns/{period}/sections/{}", section.slug()))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page
}

/// The period summary must equal a recomputation from the latest version of
/// every firm-month (what the dashboard would show without the summary),
/// purchases by market and attack vectors included (zero for a version
/// without details); and each firm's months with fraudulent trades (what
/// the distinct-firms total reads) must be those of its latest versions.
pub fn assert_summary_matches_versions(app: &TestApp) {
    use diesel::prelude::*;
    use incident_portal::db::models::{SummaryRow, Version, VersionDetails};
    use incident_portal::db::schema::{
        firm_trade_months, period_summary, return_versions, returns, version_details,
    };
    let mut conn = app.pool.get().unwrap();
    let latest: Vec<(Version, Option<VersionDetails>)> = returns::table
        .inner_join(
            return_versions::table.on(return_versions::return_id
                .eq(returns::id)
                .and(return_versions::version_no.eq(returns::current_version))),
        )
        .left_join(version_details::table.on(version_details::version_id.eq(return_versions::id)))
        .select((Version::as_select(), Option::<VersionDetails>::as_select()))
        .load(&mut conn)
        .unwrap();
    let mut expected: std::collections::BTreeMap<String, [i64; 18]> = Default::default();
    let mut trade_months = std::collections::BTreeSet::new();
    for (v, d) in latest {
        if v.fraudulent_trades > 0 {
            trade_months.insert((v.firm_id, v.period.clone()));
        }
        let e = expected.entry(v.period.clone()).or_default();
        e[0] += i64::from(v.fraudulent_trades > 0);
        e[1] += 1;
        e[2] += v.unauthorized_accesses;
        e[3] += v.affected_accounts;
        e[4] += v.fraudulent_trades;
        e[5] += v.sale_amount_jpy;
        e[6] += v.purchase_amount_jpy;
        e[7] += i64::from(v.status.as_str() == "submitted");
        if let Some(d) = d {
            let parts = [
                d.purchase_domestic_jpy,
                d.purchase_china_hk_jpy,
                d.purchase_us_jpy,
                d.purchase_other_jpy,
                d.vector_phishing,
                d.vector_credential_stuffing,
                d.vector_malware,
                d.vector_sim_swap,
                d.vector_insider,
                d.vector_unknown,
            ];
            for (sum, part) in e[8..].iter_mut().zip(parts) {
                *sum += part;
            }
        }
    }
    let actual: std::collections::BTreeMap<String, [i64; 18]> = period_summary::table
        .select(SummaryRow::as_select())
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.period,
                [
                    r.firms_with_fraudulent_trades,
                    r.firms_reporting,
                    r.unauthorized_accesses,
                    r.affected_accounts,
                    r.fraudulent_trades,
                    r.sale_amount_jpy,
                    r.purchase_amount_jpy,
                    r.awaiting_review,
                    r.purchase_domestic_jpy,
                    r.purchase_china_hk_jpy,
                    r.purchase_us_jpy,
                    r.purchase_other_jpy,
                    r.vector_phishing,
                    r.vector_credential_stuffing,
                    r.vector_malware,
                    r.vector_sim_swap,
                    r.vector_insider,
                    r.vector_unknown,
                ],
            )
        })
        .collect();
    assert_eq!(actual, expected, "period_summary drifted from the versions");
    let kept: std::collections::BTreeSet<(i64, String)> = firm_trade_months::table
        .select((firm_trade_months::firm_id, firm_trade_months::period))
        .load::<(i64, String)>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        kept, trade_months,
        "firm_trade_months drifted from the versions"
    );
}

/// Four eyes: the firm's reporter prepares `period`, its approver submits.
pub async fn file(firm: &mut Firm, period: &str, typed: &[(&'static str, &str)]) {
    prepare(&mut firm.reporter, period, typed).await;
    let page = approve(&mut firm.approver, period).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

/// The approver's act: opens the review page of `period` and submits what
/// was prepared, confirming the attestation (and, for an amendment, giving
/// a reason: the form ignores it on a first version).
pub async fn approve(approver: &mut Browser, period: &str) -> Page {
    let review = approver.get(&format!("/returns/{period}/approve")).await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    approver
        .submit_form(
            &review,
            &format!("/returns/{period}/submit"),
            &[
                ("attestation", "yes"),
                ("amendment_reason", "correction"),
                ("amendment_reason_text", "Figures corrected."),
            ],
        )
        .await
}

/// A nil return by four eyes: the reporter marks `period` nil (confirming
/// whatever that discards), the approver submits it.
pub async fn file_nil(firm: &mut Firm, period: &str) {
    let form = firm.reporter.get(&format!("/returns/{period}")).await;
    let marked = firm
        .reporter
        .submit_form(
            &form,
            &format!("/returns/{period}/nil"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);
    let page = approve(&mut firm.approver, period).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

/// Cells of the dashboard row whose header is `label`: one per month, then
/// the total.
pub fn table_row(page: &Page, label: &str) -> Vec<String> {
    let html = page.html();
    let tr = Selector::parse("#fsa-table tbody tr").unwrap();
    let th = Selector::parse("th").unwrap();
    let td = Selector::parse("td").unwrap();
    html.select(&tr)
        .find(|r| {
            r.select(&th)
                .next()
                .is_some_and(|h| h.text().collect::<String>() == label)
        })
        .unwrap_or_else(|| panic!("row {label} in {}", page.body))
        .select(&td)
        .map(|c| c.text().collect::<String>())
        .collect()
}
