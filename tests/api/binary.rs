//! The binary as a newcomer runs it: `serve` on an empty database prints a
//! setup link that works; `seed-demo` fills an empty portal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{Browser, fresh_database};
use incident_portal::db::{Backend, DbUrl};

fn url_of(db: &DbUrl) -> String {
    match db {
        DbUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DbUrl::Postgres(url) => url.clone(),
    }
}

/// Kills the server when the test ends, pass or fail.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve_prints_a_working_setup_link(backend: Backend) {
    let (db, _guard) = fresh_database(backend);
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .arg("serve")
        .env("DATABASE_URL", url_of(&db))
        .env("PORTAL_BIND", "127.0.0.1:0")
        .env("PORTAL_WORKERS", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut link = None;
    let mut request_logged = false;
    let mut browser: Option<Browser> = None;
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(found) = line
            .trim()
            .strip_prefix("http://")
            .filter(|l| l.contains("/setup/"))
        {
            let found = format!("http://{found}");
            let (base, path) = found.split_at(found.find("/setup/").unwrap());
            let mut b = Browser::new(base);
            let page = b.get(path).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "the printed link opens the setup form"
            );
            assert!(page.body.contains("Set up the first administrator"));
            link = Some(found.clone());
            browser = Some(b);
        }
        // One log line per request, with its request id, and never the
        // secret in the link.
        if let Some(link) = &link {
            let token = link.rsplit('/').next().unwrap();
            assert!(
                !line.contains(token) || line.starts_with("  http"),
                "token logged: {line}"
            );
        }
        if link.is_some() && line.contains("/setup/{token}") && line.contains("request_id") {
            request_logged = true;
            break;
        }
    }
    assert!(link.is_some(), "serve printed a setup link");
    assert!(browser.is_some());
    assert!(request_logged, "the request was logged with a request id");
}

#[actix_web::test]
async fn serve_prints_a_working_setup_link_on_sqlite() {
    serve_prints_a_working_setup_link(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
async fn serve_prints_a_working_setup_link_on_postgres() {
    serve_prints_a_working_setup_link(Backend::Postgres).await;
}

#[test]
fn seed_demo_fills_an_empty_portal_once() {
    let (db, _guard) = fresh_database(Backend::Sqlite);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_incident-portal"))
            .arg("seed-demo")
            .env("DATABASE_URL", url_of(&db))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(out.contains("admin@regulator.example"));
    assert_eq!(out.lines().filter(|l| l.contains("@firm")).count(), 6);
    let second = run();
    assert!(!second.status.success(), "refuses a portal that has data");
    assert!(String::from_utf8_lossy(&second.stderr).contains("empty portal"));
}
