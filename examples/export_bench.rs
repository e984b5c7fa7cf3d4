//! Benchmark of the internal trade-detail CSV export (PERFORMANCE.md: 1M
//! rows, time ÷ `sqlite3 -csv` of the same rows ≤ 1.5, peak memory growth
//! ≤ 32 MB). Not part of the tests.
//!
//! Run: `cargo run --release --example export_bench [rows] [runs]`
//! (defaults: 1000000 rows, 3 runs; needs the `sqlite3` command).
//!
//! It fills a fresh SQLite portal database with one firm, one version and
//! `rows` deterministic trade-detail rows, then times
//! `services::exports::produce` (the keyset-paged producer the streamed
//! response is fed from, writing to a sink that only counts bytes) against
//! `sqlite3 -csv` of the same join written to /dev/null, alternating the
//! two, and prints both medians, their ratio and this process's peak RSS
//! growth during the exports.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use incident_portal::db::{self, DbUrl};
use incident_portal::services::exports::{self, Kind, Range};

// Shared with `dashboard_bench`, which uses all of it.
#[allow(dead_code)]
#[path = "bench_support/export.rs"]
mod export;

use export::{Failure, ms, peak_rss_kib, sqlite3};

const SETUP: &str = "
INSERT INTO firms (id, name, registration_no, lei, active, created_at)
VALUES (1, 'Bench Securities', '関東財務局長（金商）第1号', NULL, 1, '2025-05-01 00:00:00');
INSERT INTO returns (id, firm_id, period, state, current_version, created_at, updated_at)
VALUES (1, 1, '2025-04', 'submitted', 1, '2025-05-10 01:00:00', '2025-05-10 01:00:00');
INSERT INTO return_versions (id, return_id, firm_id, period, version_no, receipt_no, source,
  status, is_nil, unauthorized_accesses, affected_accounts, fraudulent_trades,
  sale_amount_jpy, purchase_amount_jpy, remediation, submitted_at, due_date, on_time)
VALUES (1, 1, 1, '2025-04', 1, 'R-BENCH-1', 'web', 'submitted', 0, 1, 1, 1, 1, 1, '',
  '2025-05-10 01:00:00', '2025-05-15', 1);
";

fn fill(path: &Path, rows: u64) -> Result<db::DbPool, Failure> {
    let pool = db::connect_pool(&DbUrl::Sqlite(path.to_owned()), 2)?;
    let mut conn = pool.get()?;
    db::migrate::run_pending(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    // Deterministic rows, written by the sqlite3 shell in one transaction.
    let insert = format!(
        "BEGIN; {SETUP}
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO trade_details (version_id, row_no, trade_date, side, security_code,
           market, quantity, amount_jpy, account_ref)
         SELECT 1, i, date('2025-04-01', '+' || (i % 30) || ' days'),
           CASE i % 2 WHEN 0 THEN 'sell' ELSE 'buy' END,
           printf('%04d', 1000 + i % 9000),
           CASE i % 4 WHEN 0 THEN 'domestic' WHEN 1 THEN 'china_hk' WHEN 2 THEN 'us' ELSE 'other' END,
           100 * (1 + i % 50), 10000 + (i * 7919) % 5000000, printf('acct-%08x', i * 2654435761 % 4294967296)
         FROM n; COMMIT;"
    );
    sqlite3(path, &insert, false, None)?;
    Ok(pool)
}

fn time_portal(pool: &db::DbPool, rows: u64) -> Result<(Duration, u64), Failure> {
    let range = Range {
        from: Some("2025-01".into()),
        to: Some("2025-12".into()),
    };
    let (mut bytes, mut lines, mut failed) = (0_u64, 0_u64, None);
    let started = Instant::now();
    exports::produce(pool, Kind::Trades, &range, |chunk| match chunk {
        Ok(chunk) => {
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            true
        }
        Err(e) => {
            failed = Some(e.to_string());
            false
        }
    });
    let took = started.elapsed();
    if let Some(e) = failed {
        return Err(e.into());
    }
    if lines != rows + 1 {
        return Err(format!("exported {lines} lines for {rows} rows").into());
    }
    Ok((took, bytes))
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let dir: PathBuf = std::env::temp_dir().join(format!("export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("portal.db");
    let pool = fill(&path, rows)?;
    let count: i64 = incident_portal::db::schema::trade_details::table
        .count()
        .get_result(&mut pool.get()?)?;
    println!("database: {count} trade rows ({})", path.display());
    let export_sql = export::trade_export_sql("2025-01", "2025-12");
    let rss_before = peak_rss_kib(None);
    let (mut portal, mut shell) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Alternate A and B so drift hits both alike.
        let (took, bytes) = time_portal(&pool, rows)?;
        portal.push(took);
        let started = Instant::now();
        sqlite3(&path, &export_sql, true, None)?;
        shell.push(started.elapsed());
        println!(
            "run {}: portal export {:.0} ms ({:.1} MB), sqlite3 -csv {:.0} ms",
            run + 1,
            ms(took),
            bytes as f64 / 1e6,
            ms(shell[run])
        );
    }
    portal.sort();
    shell.sort();
    let (p, s) = (portal[runs / 2], shell[runs / 2]);
    println!(
        "median of {runs}: portal {:.0} ms, sqlite3 -csv {:.0} ms, ratio {:.2} (target ≤ 1.5)",
        ms(p),
        ms(s),
        p.as_secs_f64() / s.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib(None)) {
        println!(
            "peak RSS: {:.1} MiB (growth during exports {:.1} MiB, target ≤ 32 MB)",
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
