//! Benchmark of the filing API's draft `PUT` against the browser form's
//! whole-draft save, on SQLite and PostgreSQL in one run (PERFORMANCE.md:
//! the API's p99 at most twice the form's, for 1 and for 50 clients). Not
//! part of the tests.
//!
//! Run: `cargo run --release --example filing_api_bench [-- --sqlite-only]
//! [--secs N]` (default 5 seconds a phase; about a minute). Needs
//! `taskset`, and for PostgreSQL a server at postgres://postgres@127.0.0.1:5432
//! where it creates and drops a database `bench_<pid>_<time>`. Exit status
//! 2 when a target is missed.
//!
//! Per backend it writes 50 firms (each with a preparer signed in through
//! the pages, with password and authenticator code, and an active API
//! client with an ES256 key and a token), starts the portal in its own
//! process on core 0 and, from core 1, for 1 and then 50 concurrent
//! callers, saves whole drafts as fast as answers come for N seconds:
//! first through the form (`POST /returns/{period}/draft`, the session's
//! CSRF token), then through the API (`PUT /api/v1/returns/{period}/draft`,
//! a new `Idempotency-Key` each). Each caller writes its own firm's month.
//! It prints requests/s and p50/p99 of each, and the ratio of the p99s.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::db::models::NewUser;
use incident_portal::db::schema::{firms, users};
use incident_portal::db::{Backend, DbPool, write_tx};
use incident_portal::domain::Role;
use incident_portal::services::{accounts, password, totp};

// Shared with the dashboard benchmark, which uses the rest of them.
#[allow(dead_code)]
#[path = "bench_support/export.rs"]
mod export;

#[allow(dead_code)]
#[path = "dashboard_bench/database.rs"]
mod database;
#[allow(dead_code)]
#[path = "dashboard_bench/server.rs"]
mod server;

// The test suite's API client (key pair, assertion, token), shared.
#[path = "../tests/support/api_client.rs"]
mod api_support;

use export::Failure;
use server::{Browser, CLIENT_CORE, Staff};

/// Concurrent callers of the second phase.
const MANY: usize = 50;
/// The month every caller drafts (a past one, so always reportable).
const PERIOD: &str = "2025-04";

/// One firm's preparer and API client.
struct Firm {
    id: i64,
    preparer: Staff,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, url] = args.as_slice()
        && flag == "--serve"
    {
        return match server::serve(url) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("filing_api_bench server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("filing_api_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn secs_of(args: &[String]) -> Result<u64, Failure> {
    match args.iter().position(|a| a == "--secs") {
        Some(i) => Ok(args.get(i + 1).ok_or("--secs needs a number")?.parse()?),
        None => Ok(5),
    }
}

fn run(args: &[String]) -> Result<bool, Failure> {
    let secs = secs_of(args)?;
    let sqlite_only = args.iter().any(|a| a == "--sqlite-only");
    server::pin_self()?;
    let mut backends = vec![Backend::Sqlite];
    if !sqlite_only {
        backends.push(Backend::Postgres);
    }
    let mut all_met = true;
    let mut table = Vec::new();
    for backend in backends {
        let rows = actix_web::rt::System::new().block_on(measure(backend, secs))?;
        for row in rows {
            all_met &= row.met;
            table.push((format!("{backend:?}"), row));
        }
    }
    println!();
    println!(
        "{:<10} {:>7} {:>14} {:>9} {:>9} {:>14} {:>9} {:>9} {:>10} {:>5}",
        "backend",
        "callers",
        "form req/s",
        "p50 ms",
        "p99 ms",
        "API req/s",
        "p50 ms",
        "p99 ms",
        "p99 ratio",
        "pass"
    );
    for (backend, r) in &table {
        println!(
            "{:<10} {:>7} {:>14.0} {:>9.2} {:>9.2} {:>14.0} {:>9.2} {:>9.2} {:>10.2} {:>5}",
            backend,
            r.callers,
            r.form.per_sec,
            r.form.p50,
            r.form.p99,
            r.api.per_sec,
            r.api.p50,
            r.api.p99,
            r.ratio,
            if r.met { "yes" } else { "NO" }
        );
    }
    println!("target: the API's draft PUT p99 ≤ 2 × the form's draft save p99, same run");
    Ok(all_met)
}

/// Requests/s and latency quantiles of one phase.
#[derive(Clone, Copy, Default)]
struct Phase {
    per_sec: f64,
    p50: f64,
    p99: f64,
}

struct Row {
    callers: usize,
    form: Phase,
    api: Phase,
    ratio: f64,
    met: bool,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn phase_of(mut latencies: Vec<f64>, elapsed: Duration) -> Phase {
    latencies.sort_by(f64::total_cmp);
    Phase {
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: quantile(&latencies, 0.5),
        p99: quantile(&latencies, 0.99),
    }
}

async fn measure(backend: Backend, secs: u64) -> Result<Vec<Row>, Failure> {
    let database = database::Database::create(backend)?;
    let pool = database.pool()?;
    let now = Clock::system().now();
    let firms = seed(&pool, now)?;
    let clients: Vec<(String, api_support::TestKey)> = firms
        .iter()
        .map(|f| api_support::seed_firm_client(&pool, now, f.id, api_support::TestKey::es256()))
        .collect();
    let portal = server::Server::spawn(&database.url())?;
    println!(
        "{backend:?}: server pid {} on core 0, callers on core {CLIENT_CORE}",
        portal.pid
    );
    let mut forms = Vec::new();
    for (i, firm) in firms.iter().enumerate() {
        let mut browser = sign_in_from(&portal.base, &firm.preparer, address(2, i)).await?;
        let page = browser.get(&format!("/returns/{PERIOD}")).await?;
        let csrf = server::csrf(&page)?;
        forms.push((browser, csrf));
    }
    let mut tokens = Vec::new();
    for (client_id, key) in &clients {
        let token =
            api_support::get_token(&portal.base, Clock::system().now(), client_id, key, None).await;
        tokens.push(token);
    }
    let fields = draft_fields();
    let document = draft_document();
    let mut rows = Vec::new();
    for callers in [1, MANY] {
        let form = form_phase(&mut forms[..callers], &fields, secs).await?;
        let api = api_phase(&portal.base, &tokens[..callers], &document, secs).await?;
        let ratio = api.p99 / form.p99;
        rows.push(Row {
            callers,
            form,
            api,
            ratio,
            met: ratio <= 2.0,
        });
    }
    drop(portal);
    Ok(rows)
}

/// Saves the whole draft through the form until `secs` pass, on every
/// browser at once.
async fn form_phase(
    browsers: &mut [(Browser, String)],
    fields: &[(String, String)],
    secs: u64,
) -> Result<Phase, Failure> {
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let path = format!("/returns/{PERIOD}/draft");
    let runs = browsers.iter_mut().map(|(browser, csrf)| {
        let path = path.clone();
        async move {
            let mut latencies = Vec::new();
            let mut posted: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            posted.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            while Instant::now() < until {
                let sent = Instant::now();
                let page = browser.post(&path, &posted).await?;
                if page.status != reqwest::StatusCode::SEE_OTHER {
                    return Err(Failure::from(format!("form save: {}", page.status)));
                }
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, Failure>(latencies)
        }
    });
    let mut latencies = Vec::new();
    for done in futures_util::future::join_all(runs).await {
        latencies.extend(done?);
    }
    Ok(phase_of(latencies, start.elapsed()))
}

/// PUTs the draft document through the API until `secs` pass, with every
/// token at once.
async fn api_phase(
    base: &str,
    tokens: &[String],
    document: &str,
    secs: u64,
) -> Result<Phase, Failure> {
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let url = format!("{base}/api/v1/returns/{PERIOD}/draft");
    let runs = tokens.iter().enumerate().map(|(i, token)| {
        let url = url.clone();
        async move {
            let client = reqwest::Client::builder()
                .local_address(address(1, i))
                .build()?;
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < until {
                n += 1;
                let sent = Instant::now();
                let answer = client
                    .put(&url)
                    .bearer_auth(token)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", format!("bench-{i}-{n}"))
                    .body(document.to_owned())
                    .send()
                    .await?;
                let status = answer.status();
                let body = answer.bytes().await?;
                if status != reqwest::StatusCode::OK {
                    let body = String::from_utf8_lossy(&body);
                    return Err(Failure::from(format!(
                        "API draft PUT #{n}: {status} {body}"
                    )));
                }
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, Failure>(latencies)
        }
    });
    let mut latencies = Vec::new();
    for done in futures_util::future::join_all(runs).await {
        latencies.extend(done?);
    }
    Ok(phase_of(latencies, start.elapsed()))
}

/// Each firm's caller from a loopback address of its own, as each firm's
/// system would come from its own (the portal caps connections per
/// address).
fn address(group: u8, i: usize) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(
        127,
        0,
        group,
        u8::try_from(i + 1).unwrap_or(255),
    ))
}

/// `server::sign_in`, from `address`.
async fn sign_in_from(
    base: &str,
    who: &Staff,
    address: std::net::IpAddr,
) -> Result<Browser, Failure> {
    let mut browser = Browser::from_address(base, address)?;
    let form = browser.get("/login").await?;
    let token = server::csrf(&form)?;
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", &token),
                ("email", &who.email),
                ("password", &who.password),
            ],
        )
        .await?;
    if page.location.as_deref() != Some("/login/verify") {
        return Err(format!("password refused ({})", page.status).into());
    }
    let form = browser.get("/login/verify").await?;
    let token = server::csrf(&form)?;
    let code = totp::code_at(&who.totp_secret, Clock::system().now())?;
    let done = browser
        .post("/login/verify/totp", &[("csrf", &token), ("code", &code)])
        .await?;
    if done.location.as_deref() != Some("/") {
        return Err(format!("second factor refused ({})", done.status).into());
    }
    Ok(browser)
}

/// A complete return as the form posts it.
fn draft_fields() -> Vec<(String, String)> {
    use incident_portal::domain::details::{CHECK_STATUS, DETECTION, VECTORS};
    let mut fields: Vec<(String, String)> = [
        ("unauthorized_accesses", "12"),
        ("affected_accounts", "10"),
        ("fraudulent_trades", "3"),
        ("sale_amount", "900"),
        ("purchase_amount", "800"),
        ("remediation", "Passkeys offered to every customer."),
        ("purchase_domestic", "800"),
        ("purchase_china_hk", "0"),
        ("purchase_us", "0"),
        ("purchase_other", "0"),
        ("customer_losses", "0"),
        ("compensation_paid", "0"),
        ("accounts_compensated", "0"),
        ("compensation_policy", "considering"),
        ("contact_name", "Hanako Sato"),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@bench.example"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for name in VECTORS.into_iter().chain(DETECTION) {
        fields.push((name.to_owned(), "0".to_owned()));
    }
    for name in CHECK_STATUS {
        fields.push((name.to_owned(), "done".to_owned()));
    }
    fields
}

/// The same return as the API's draft document.
fn draft_document() -> String {
    let done = serde_json::json!({"status": "done"});
    serde_json::json!({
        "figures": {"unauthorized_accesses": 12, "affected_accounts": 10, "fraudulent_trades": 3,
                    "sale_amount": 900, "purchase_amount": 800},
        "purchase_by_market": {"domestic": 800, "china_hk": 0, "us": 0, "other": 0},
        "vectors": {"phishing": 0, "credential_stuffing": 0, "malware": 0, "sim_swap": 0,
                    "insider": 0, "unknown": 0},
        "detection": {"customer_enquiry": 0, "own_monitoring": 0, "other": 0},
        "losses": {"customer_losses": 0, "compensation_paid": 0, "accounts_compensated": 0,
                   "compensation_policy": "considering"},
        "remediation": {
            "checklist": {"mfa_mandatory": done, "passkeys_offered": done,
                          "login_notifications": done, "trading_restrictions": done,
                          "accounts_frozen": done, "passwords_reset": done,
                          "takedown_requested": done, "police_notified": done,
                          "customers_notified": done},
            "narrative": "Passkeys offered to every customer."
        },
        "contact": {"name": "Hanako Sato", "phone": "+81 3-1234-5678",
                    "email": "compliance@bench.example"}
    })
    .to_string()
}

fn new_user(
    conn: &mut incident_portal::db::DbConn,
    email: &str,
    role: Role,
    firm_id: Option<i64>,
    hash: &str,
    totp_secret: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(NewUser {
            email,
            display_name: email,
            role,
            firm_id,
            password_hash: Some(hash),
            must_change_password: false,
            active: true,
            locale: "en",
            created_at: now,
            updated_at: now,
            password_changed_at: Some(now),
        })
        .execute(conn)?;
    if let Some(secret) = totp_secret {
        diesel::update(users::table.filter(users::email.eq(email)))
            .set((
                users::totp_secret.eq(secret),
                users::totp_enabled_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `MANY` firms, each with a preparer (password and authenticator app) and
/// an approver (who registers the firm's API client), and an admin (who
/// confirms the clients of one-approver firms).
fn seed(pool: &DbPool, now: NaiveDateTime) -> Result<Vec<Firm>, Failure> {
    let secret_password: String = incident_portal::services::tokens::new_token()
        .chars()
        .take(24)
        .collect();
    let hash = password::hash(&secret_password)?;
    let mut conn = pool.get()?;
    let firms = write_tx(&mut conn, |conn| -> QueryResult<Vec<Firm>> {
        new_user(
            conn,
            "admin@bench.example",
            Role::Admin,
            None,
            &hash,
            None,
            now,
        )?;
        let mut made = Vec::new();
        for i in 0..MANY {
            let firm = accounts::insert_firm(
                conn,
                &format!("Bench {i:02} Securities"),
                &format!("関東財務局長（金商）第{}号", 5000 + i),
                None,
                now,
            )?;
            diesel::update(firms::table.find(firm.id))
                .set(firms::first_period.eq("2020-01"))
                .execute(conn)?;
            let preparer = Staff {
                email: format!("preparer{i:02}@bench.example"),
                password: secret_password.clone(),
                totp_secret: totp::new_secret(),
            };
            new_user(
                conn,
                &preparer.email,
                Role::Reporter,
                Some(firm.id),
                &hash,
                Some(&preparer.totp_secret),
                now,
            )?;
            let approver = format!("approver{i:02}@bench.example");
            new_user(
                conn,
                &approver,
                Role::Approver,
                Some(firm.id),
                &hash,
                None,
                now,
            )?;
            made.push(Firm {
                id: firm.id,
                preparer,
            });
        }
        Ok(made)
    })?;
    Ok(firms)
}
