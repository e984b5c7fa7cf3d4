//! Outages: the SMTP server down for a while (mail waits in the outbox and
//! goes out afterwards, none lost, none twice) and PostgreSQL restarted
//! under load (requests meanwhile get a 503 page, never a 500; the portal
//! recovers by itself and loses nothing).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use incident_portal::clock::Clock;
use incident_portal::db::{DbPool, DbUrl};
use incident_portal::mail::outbox;

use crate::accounts::{enqueue_mail, firms_with_approvers, migrated_pool};
use crate::checks::verify;
use crate::crash::{keep_filing, sign_in_all, url_string};
use crate::filer::{Filed, Stats};
use crate::portal::{Portal, verify_audit};
use crate::postgres::Cluster;
use crate::report::{Row, note, pick, quantile};
use crate::smtp::Sink;

fn pending(pool: &DbPool) -> i64 {
    let mut conn = pool.get().unwrap();
    outbox::pending_count(&mut conn).unwrap()
}

fn failing(pool: &DbPool) -> i64 {
    let mut conn = pool.get().unwrap();
    outbox::failing_count(&mut conn).unwrap()
}

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        actix_web::rt::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn smtp_outage() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::Sqlite(dir.path().join("portal.db"));
    let pool = migrated_pool(&url);
    let mut sink = Sink::start(dir.path()).await;
    let env = [
        ("DATABASE_URL", url_string(&url)),
        ("PORTAL_DATA_DIR", dir.path().display().to_string()),
        ("PORTAL_SMTP_URL", sink.url()),
        (
            "PORTAL_MAIL_FROM",
            "Incident Portal <no-reply@fsa.example>".to_owned(),
        ),
        ("RUST_LOG", "info".to_owned()),
    ];
    let portal = Portal::start(&env, &dir.path().join("portal.log")).await;
    let before = pick(20, 100);
    enqueue_mail(&pool, "before", before, Clock::system().now());
    wait_until(
        "mail sent while the sink is up",
        Duration::from_secs(30),
        || pending(&pool) == 0,
    )
    .await;

    sink.stop();
    let during = pick(30, 300);
    enqueue_mail(&pool, "during", during, Clock::system().now());
    wait_until(
        "the worker meets the outage",
        Duration::from_secs(30),
        || failing(&pool) > 0,
    )
    .await;
    let outage = Duration::from_secs(pick(3, 20));
    actix_web::rt::time::sleep(outage).await;
    assert!(pending(&pool) > 0, "mail waits while the sink is down");
    sink.resume().await;
    // The first retry comes 30 s after a failure, the next 60 s later.
    wait_until(
        "mail sent after the sink came back",
        Duration::from_secs(pick(120, 240)),
        || pending(&pool) == 0,
    )
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = sink.received();
    let total = before + during;
    assert_eq!(received.duplicates(), 0, "a message arrived twice");
    assert_eq!(received.count.len(), total, "every message arrived");
    assert!(
        portal.log_text().contains("will retry"),
        "the server logged the failed sends"
    );
    Row {
        scenario: "smtp down (mail)",
        backend: "sqlite",
        cycles: 1,
        issued: total,
        found: received.count.len(),
        lost: total.saturating_sub(received.count.len()),
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        status_503: 0,
        duplicates: received.duplicates(),
    }
    .publish();
    note(&format!(
        "smtp outage of {outage:?}: {during} messages queued meanwhile went out after it, each once"
    ));
}

pub async fn postgres_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start();
    let url = DbUrl::Postgres(cluster.create_database("portal_outage"));
    let pool = migrated_pool(&url);
    let accounts = firms_with_approvers(&pool, "Outage", pick(20, 50));
    let env = [
        ("DATABASE_URL", url_string(&url)),
        ("PORTAL_DATA_DIR", dir.path().display().to_string()),
        ("PORTAL_WORKERS", "2".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let portal = Portal::start(&env, &dir.path().join("portal.log")).await;
    let filers = sign_in_all(&portal.base, accounts).await;
    let stop = Rc::new(Cell::new(false));
    let deadline = Instant::now() + Duration::from_secs(pick(120, 300));
    let tasks: Vec<_> = filers
        .into_iter()
        .map(|f| {
            let think = Duration::from_millis(50 + (f.account.firm_id as u64 * 13) % 100);
            actix_web::rt::spawn(keep_filing(f, stop.clone(), deadline, think))
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    cluster.down();
    let outage = Duration::from_secs(pick(6, 20));
    let down_at = Instant::now();
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let ready = probe
        .get(format!("{}/readyz", portal.base))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(ready.as_u16(), 503, "/readyz while the database is down");
    actix_web::rt::time::sleep(outage.saturating_sub(down_at.elapsed())).await;
    cluster.up();
    let up_at = Instant::now();
    // The portal comes back by itself: /readyz, then filing goes on.
    let mut recovered = None;
    while up_at.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = probe.get(format!("{}/readyz", portal.base)).send().await
            && r.status() == reqwest::StatusCode::OK
        {
            recovered = Some(up_at.elapsed());
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = recovered.expect("the portal answers /readyz again within 30 s");
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    stop.set(true);
    let mut filed: Vec<Filed> = Vec::new();
    let mut stats = Stats::default();
    for task in tasks {
        let (_, f, s) = task.await.unwrap();
        filed.extend(f);
        stats.merge(s);
    }
    assert_eq!(
        stats.unexpected,
        0,
        "every answer during the outage was a 503 or a success: {}",
        stats.first_unexpected.as_deref().unwrap_or_default()
    );
    assert!(stats.status_503 > 0, "the outage was met with 503 pages");
    let verdict = verify(&pool, &filed);
    verdict.assert_sound("PostgreSQL restart");
    let (audit_ok, audit_out) = verify_audit(&url_string(&url));
    assert!(audit_ok, "verify-audit: {audit_out}");
    Row {
        scenario: "postgres restart",
        backend: "postgres",
        cycles: 1,
        issued: filed.len(),
        found: verdict.found,
        lost: verdict.lost.len(),
        p50_ms: quantile(&stats.latencies, 0.5),
        p99_ms: quantile(&stats.latencies, 0.99),
        status_503: stats.status_503,
        duplicates: verdict.duplicates,
    }
    .publish();
    note(&format!(
        "postgres down {outage:?}: {} answers were 503, none 500; ready again {recovered:?} after the restart",
        stats.status_503
    ));
    drop(portal);
    drop(pool);
    drop(cluster);
}
