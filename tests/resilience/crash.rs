//! Crash safety: the release binary is killed with SIGKILL at a random
//! moment while 50 filers file returns, then started again; every receipt
//! any filer was shown must be in the database with exactly the figures
//! typed, nothing half-written, the summary consistent, SQLite's integrity
//! check clean and the audit chain intact.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use incident_portal::db::DbUrl;

use crate::accounts::{firms_with_approvers, migrated_pool};
use crate::checks::verify;
use crate::filer::{Filed, Filer, Stats};
use crate::portal::{Portal, verify_audit};
use crate::postgres::Cluster;
use crate::report::{Rng, Row, pick, quantile};

pub const FILERS: usize = 50;

/// Files until told to stop, finishing the submission in hand (through a
/// restart) first.
pub async fn keep_filing(
    mut filer: Filer,
    stop: Rc<Cell<bool>>,
    deadline: Instant,
    think: Duration,
) -> (Filer, Vec<Filed>, Stats) {
    let mut stats = Stats::default();
    let mut filed = Vec::new();
    while !stop.get() && Instant::now() < deadline {
        match filer.file_next(&mut stats, deadline).await {
            Some(f) => filed.push(f),
            None if stats.unexpected > 0 => break,
            None => {}
        }
        if !think.is_zero() {
            actix_web::rt::time::sleep(think).await;
        }
    }
    (filer, filed, stats)
}

/// Signs every filer in, one after another (they share one address, whose
/// sign-ins the portal throttles and sheds as it would an office's);
/// panics with the first refusal.
pub async fn sign_in_all(base: &str, accounts: Vec<crate::accounts::Account>) -> Vec<Filer> {
    let mut filers = Vec::new();
    for account in accounts {
        let mut filer = Filer::new(base, account);
        if let Err(e) = filer.sign_in().await {
            panic!("{} could not sign in: {e}", filer.account.email);
        }
        filers.push(filer);
    }
    filers
}

pub fn url_string(url: &DbUrl) -> String {
    match url {
        DbUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DbUrl::Postgres(url) => url.clone(),
    }
}

pub async fn crash_cycles(backend: &'static str) {
    let cycles = pick(2, 20);
    let dir = tempfile::tempdir().unwrap();
    let cluster = (backend == "postgres").then(Cluster::start);
    let url = match &cluster {
        Some(c) => DbUrl::Postgres(c.create_database("portal_crash")),
        None => DbUrl::Sqlite(dir.path().join("portal.db")),
    };
    let url_text = url_string(&url);
    let pool = migrated_pool(&url);
    let accounts = firms_with_approvers(&pool, "Crash", FILERS);
    let env = [
        ("DATABASE_URL", url_text.clone()),
        ("PORTAL_DATA_DIR", dir.path().display().to_string()),
        ("PORTAL_WORKERS", "2".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let log = dir.path().join("portal.log");
    let mut portal = Portal::start(&env, &log).await;
    let mut filers = sign_in_all(&portal.base, accounts).await;
    let mut rng = Rng::seeded(&format!("crash on {backend}"));
    let mut all_filed: Vec<Filed> = Vec::new();
    let mut stats = Stats::default();
    let run_deadline = Instant::now() + Duration::from_secs(pick(120, 900));
    for cycle in 1..=cycles {
        let stop = Rc::new(Cell::new(false));
        let deadline = Instant::now() + Duration::from_secs(60);
        let tasks: Vec<_> = filers
            .drain(..)
            .map(|filer| {
                let think = Duration::from_millis(rng.below(200));
                actix_web::rt::spawn(keep_filing(filer, stop.clone(), deadline, think))
            })
            .collect();
        // The kill lands at a random moment of steady filing.
        let before_kill = Duration::from_millis(1000 + rng.below(2500));
        actix_web::rt::time::sleep(before_kill).await;
        portal.kill();
        actix_web::rt::time::sleep(Duration::from_millis(rng.below(500))).await;
        portal.restart().await;
        stop.set(true);
        let mut this_cycle = 0;
        for task in tasks {
            let (filer, filed, s) = task.await.unwrap();
            this_cycle += filed.len();
            all_filed.extend(filed);
            stats.merge(s);
            filers.push(filer);
        }
        assert_eq!(
            stats.unexpected,
            0,
            "cycle {cycle}: {}",
            stats.first_unexpected.as_deref().unwrap_or_default()
        );
        assert!(this_cycle > 0, "cycle {cycle}: nothing was filed");
        let verdict = verify(&pool, &all_filed);
        verdict.assert_sound(&format!("{backend}, after kill {cycle}"));
        let (audit_ok, audit_out) = verify_audit(&url_text);
        assert!(
            audit_ok,
            "{backend}, after kill {cycle}: verify-audit: {audit_out}"
        );
        println!(
            "{backend} cycle {cycle}: killed after {before_kill:?}, {this_cycle} filed, {} found in all, {} unacknowledged",
            verdict.found, verdict.unacknowledged
        );
        assert!(
            Instant::now() < run_deadline,
            "{backend}: the run took too long"
        );
    }
    portal.kill();
    let verdict = verify(&pool, &all_filed);
    verdict.assert_sound(backend);
    assert_eq!(verdict.found, all_filed.len());
    Row {
        scenario: "kill -9 + restart",
        backend,
        cycles,
        issued: all_filed.len(),
        found: verdict.found,
        lost: verdict.lost.len(),
        p50_ms: quantile(&stats.latencies, 0.5),
        p99_ms: quantile(&stats.latencies, 0.99),
        status_503: stats.status_503,
        duplicates: verdict.duplicates,
    }
    .publish();
    drop(cluster);
}
