//! Concurrency on SQLite: one filer alone, then 50 at once, each with a
//! person's pause between filings. No request may fail ("database is
//! locked" or anything else, in the answers or the server log), nothing
//! filed may be lost, and filing latency is reported (p99 at 50 over p99
//! at 1; `scripts/filing-crunch` judges it against the target).

use std::time::{Duration, Instant};

use incident_portal::db::DbUrl;

use crate::accounts::{firms_with_approvers, migrated_pool};
use crate::checks::verify;
use crate::crash::{FILERS, sign_in_all, url_string};
use crate::filer::{Filed, Filer, Stats};
use crate::portal::{Portal, verify_audit};
use crate::report::{Row, note, pick, quantile};

/// Files `count` returns with a pause of 200–800 ms before each.
async fn file_some(mut filer: Filer, count: usize, deadline: Instant) -> (Vec<Filed>, Stats) {
    let mut stats = Stats::default();
    let mut filed = Vec::new();
    let mut pause = 200 + (filer.account.firm_id as u64 * 37) % 600;
    for _ in 0..count {
        actix_web::rt::time::sleep(Duration::from_millis(pause)).await;
        pause = 200 + (pause * 7 + 131) % 600;
        match filer.file_next(&mut stats, deadline).await {
            Some(f) => filed.push(f),
            None => break,
        }
    }
    (filed, stats)
}

async fn phase(filers: Vec<Filer>, each: usize) -> (Vec<Filed>, Stats) {
    let deadline = Instant::now() + Duration::from_secs(pick(90, 600));
    let tasks: Vec<_> = filers
        .into_iter()
        .map(|f| actix_web::rt::spawn(file_some(f, each, deadline)))
        .collect();
    let mut filed = Vec::new();
    let mut stats = Stats::default();
    for task in tasks {
        let (f, s) = task.await.unwrap();
        filed.extend(f);
        stats.merge(s);
    }
    (filed, stats)
}

pub async fn one_and_fifty_filers() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::Sqlite(dir.path().join("portal.db"));
    let pool = migrated_pool(&url);
    let accounts = firms_with_approvers(&pool, "Load", FILERS);
    let env = [
        ("DATABASE_URL", url_string(&url)),
        ("PORTAL_DATA_DIR", dir.path().display().to_string()),
        ("PORTAL_WORKERS", "2".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let log = dir.path().join("portal.log");
    let portal = Portal::start(&env, &log).await;
    let mut filers = sign_in_all(&portal.base, accounts).await;

    let alone = filers.pop().unwrap();
    let (filed_1, stats_1) = phase(vec![alone], pick(20, 100)).await;
    let (filed_50, stats_50) = phase(filers, pick(3, 20)).await;

    for (n, stats) in [(1, &stats_1), (FILERS, &stats_50)] {
        assert_eq!(
            (stats.unexpected, stats.status_503, stats.no_answer),
            (0, 0, 0),
            "{n} filers: {}",
            stats.first_unexpected.as_deref().unwrap_or_default()
        );
    }
    let log_text = portal.log_text().to_lowercase();
    assert!(
        !log_text.contains("database is locked"),
        "the server logged 'database is locked'"
    );
    assert!(
        !log_text.contains("request failed"),
        "the server logged a failed request"
    );
    let all: Vec<Filed> = filed_1.iter().chain(&filed_50).cloned().collect();
    assert_eq!(all.len(), pick(20, 100) + (FILERS - 1) * pick(3, 20));
    let verdict = verify(&pool, &all);
    verdict.assert_sound("50 filers on SQLite");
    let (audit_ok, audit_out) = verify_audit(&url_string(&url));
    assert!(audit_ok, "verify-audit: {audit_out}");
    // Reported, not asserted: how far the log ran since it last started
    // again from its beginning. The server copies it back every 200 ms
    // (`db::checkpoint`), but it starts again only in a moment with no
    // reader on an older snapshot, which a loaded machine may not give
    // (38–763 frames in runs alone, 5,655 with a benchmark beside it;
    // 8,502 in a short run with the task off).
    let log = incident_portal::db::checkpoint::passive(&mut pool.get().unwrap())
        .unwrap()
        .unwrap();
    note(&format!("WAL frames after the filings: {log:?}"));

    let p99_1 = quantile(&stats_1.latencies, 0.99);
    let p99_50 = quantile(&stats_50.latencies, 0.99);
    for (scenario, filed, stats) in [
        ("1 filer", &filed_1, &stats_1),
        ("50 filers", &filed_50, &stats_50),
    ] {
        Row {
            scenario,
            backend: "sqlite",
            cycles: 1,
            issued: filed.len(),
            found: verify(&pool, filed).found,
            lost: verify(&pool, filed).lost.len(),
            p50_ms: quantile(&stats.latencies, 0.5),
            p99_ms: quantile(&stats.latencies, 0.99),
            status_503: stats.status_503,
            duplicates: verdict.duplicates,
        }
        .publish();
    }
    // Reported, not asserted: `scripts/filing-crunch` runs this three
    // times on a quiet machine and judges the ratio (PERFORMANCE.md).
    let ratio = p99_50 / p99_1;
    note(&format!(
        "filing p99 at 50 filers / at 1 filer on SQLite: {p99_50:.1} / {p99_1:.1} ms = {ratio:.2} (target <= 2)"
    ));
}
