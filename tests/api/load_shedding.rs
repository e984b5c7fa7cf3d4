//! Load shedding at sign-in and for slow clients: a full hashing queue
//! answers 503 with `Retry-After` at once; a request body that does not
//! arrive in time gets 408 while others are served; one address keeps only
//! so many connections.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::config::Limits;
use incident_portal::db::Backend;
use incident_portal::db::schema::audit_events;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

async fn spawn(backend: Backend, limits: Limits) -> TestApp {
    let at = NaiveDate::from_ymd_opt(2025, 5, 20)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    TestApp::spawn_limited(backend, Clock::fixed(at), limits).await
}

fn failed_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.like("auth.sign_in%"))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn a_full_hashing_queue_answers_503_at_once(backend: Backend) {
    let limits = Limits {
        hashing_queue: 1,
        hashing_per_address: 100,
        ..Limits::default()
    };
    let app = spawn(backend, limits).await;
    let mut ready = Vec::new();
    for i in 0..30 {
        let mut browser = app.browser();
        let form = browser.get("/login").await;
        ready.push((i, browser, form));
    }
    let attempts = ready.into_iter().map(|(i, mut browser, form)| async move {
        let email = format!("user{i}@fsa.example");
        browser
            .submit_form(
                &form,
                "/login",
                &[("email", &email), ("password", "wrong password here")],
            )
            .await
    });
    let pages = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status.as_u16()).collect();
    let busy: Vec<_> = pages
        .iter()
        .filter(|p| p.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "some were shed: {statuses:?}");
    for page in &busy {
        assert_eq!(page.header("retry-after"), Some("2"));
        assert!(page.body.contains("very busy"), "{}", page.body);
        assert!(
            page.body.contains("name=\"email\""),
            "the login page, styled"
        );
    }
    let evaluated = pages
        .iter()
        .filter(|p| p.status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(evaluated + busy.len(), 30, "{statuses:?}");
    assert_eq!(
        failed_rows(&app),
        i64::try_from(evaluated).unwrap(),
        "no audit row for a refusal"
    );
}

/// A browser that signed in before keeps a device cookie; while strangers
/// fill every open place of the hashing queue, its sign-ins take the kept
/// place and go through (what a cookie vouches for is tested beside
/// `web::auth::device`).
async fn a_known_device_signs_in_during_a_flood(backend: Backend) {
    let limits = Limits {
        hashing_queue: 2,
        hashing_per_address: 100,
        ..Limits::default()
    };
    let app = spawn(backend, limits).await;
    let _admin = app.setup_admin().await;
    let mut earlier = app.browser();
    let page = earlier.sign_in("admin@fsa.example", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let device = earlier
        .cookies
        .get("__Host-device")
        .cloned()
        .expect("a device cookie after the password step");
    assert!(
        device.starts_with("sealed:v1:"),
        "sealed, not the email: {device}"
    );
    for round in 0..3 {
        let mut strangers = Vec::new();
        for i in 0..24 {
            let mut browser = app.browser();
            let form = browser.get("/login").await;
            strangers.push((i, browser, form));
        }
        let mut known = app.browser();
        known
            .cookies
            .insert("__Host-device".to_owned(), device.clone());
        let known_form = known.get("/login").await;
        let flood = strangers
            .into_iter()
            .map(|(i, mut browser, form)| async move {
                let email = format!("stranger{round}-{i}@fsa.example");
                browser
                    .submit_form(
                        &form,
                        "/login",
                        &[("email", &email), ("password", "wrong password here")],
                    )
                    .await
                    .status
            });
        let real = async {
            known
                .submit_form(
                    &known_form,
                    "/login",
                    &[("email", "admin@fsa.example"), ("password", PASSWORD)],
                )
                .await
                .status
        };
        let (statuses, real) =
            futures_util::future::join(futures_util::future::join_all(flood), real).await;
        assert_eq!(
            real,
            StatusCode::SEE_OTHER,
            "round {round}: the known device signs in"
        );
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::SERVICE_UNAVAILABLE),
            "{statuses:?}"
        );
    }
}

/// Sends a request head announcing a 1000-byte body, then one byte every
/// 200 ms; what the server answers (the status line), and after how long.
fn dribble(address: &str) -> (String, Duration) {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(20) {
        if stream.write_all(b"a").is_err() {
            // Closed by the server; read what it said.
        }
        let mut buf = [0u8; 1024];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&answer);
    (
        text.lines().next().unwrap_or_default().to_owned(),
        started.elapsed(),
    )
}

async fn a_slow_body_gets_408_while_others_are_served(backend: Backend) {
    let limits = Limits {
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let app = spawn(backend, limits).await;
    let address = app.address.clone();
    let slow = actix_web::rt::task::spawn_blocking(move || dribble(&address));
    // Served meanwhile.
    let mut other = app.browser();
    assert_eq!(other.get("/login").await.status, StatusCode::OK);
    let (status_line, took) = slow.await.unwrap();
    assert!(
        status_line.starts_with("HTTP/1.1 408"),
        "{status_line:?} after {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(other.get("/login").await.status, StatusCode::OK);
}

async fn one_address_keeps_only_so_many_connections(backend: Backend) {
    let limits = Limits {
        connections_per_address: 2,
        ..Limits::default()
    };
    let app = spawn(backend, limits).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let answer = actix_web::rt::task::spawn_blocking(move || {
        let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&host).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(200));
        let mut third = TcpStream::connect(&host).unwrap();
        third
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        third
            .write_all(format!("GET /login HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        let mut buf = [0u8; 256];
        let n = third.read(&mut buf).unwrap_or(0);
        drop(held);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
}

macro_rules! with_limits {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(incident_portal::db::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
                async fn $name() {
                    super::$name(incident_portal::db::Backend::Postgres).await;
                }
            )*
        }
    };
}

with_limits!(
    a_full_hashing_queue_answers_503_at_once,
    a_known_device_signs_in_during_a_flood,
    a_slow_body_gets_408_while_others_are_served,
    one_address_keeps_only_so_many_connections,
);
