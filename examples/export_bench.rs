//! Benchmark of the internal trade-detail CSV export (PERFORMANCE.md: 1M
//! rows, time ÷ `sqlite3 -csv` of the same rows ≤ 1.0, peak memory growth
//! ≤ 16 MB), the export service alone, in this process; `dashboard_bench`
//! measures the same through the portal's HTTP route and judges it. Not
//! part of the tests.
//!
//! Run: `cargo run --release --example export_bench [--postgres] [rows] [runs]`
//! (defaults: 1000000 rows, 3 runs; needs the `sqlite3` command, or with
//! `--postgres` the `psql` command and a PostgreSQL server at
//! `EXPORT_BENCH_PG` (default postgres://postgres@127.0.0.1:5432) that lets
//! the user create databases).
//!
//! It fills a fresh SQLite portal database with one firm, one version and
//! `rows` deterministic trade-detail rows, then times
//! `services::exports::produce` (the keyset-paged producer the streamed
//! response is fed from, writing to a sink that only counts bytes) against
//! `sqlite3 -csv` of the same join written to /dev/null, alternating the
//! two, and prints both medians, their ratio and this process's peak RSS
//! growth during the exports.
//!
//! With `--postgres` it does the same in a scratch PostgreSQL database
//! `export_bench_<pid>` (dropped afterwards), against `psql \copy` of the
//! join to /dev/null. Either way it also prints a digest of one untimed
//! export's bytes, so two builds of the producer can be compared.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use incident_portal::db::{self, DbUrl};
use incident_portal::services::exports::{self, Kind, Range};

// Shared with `dashboard_bench`, which uses all of it.
#[allow(dead_code)]
#[path = "bench_support/export.rs"]
mod export;

use export::{Failure, ms, peak_rss_kib, psql_copy, sqlite3};

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

const PG_SETUP: &str = "
INSERT INTO firms (id, name, registration_no, lei, active, created_at)
VALUES (1, 'Bench Securities', '関東財務局長（金商）第1号', NULL, TRUE, '2025-05-01 00:00:00');
INSERT INTO returns (id, firm_id, period, state, current_version, created_at, updated_at)
VALUES (1, 1, '2025-04', 'submitted', 1, '2025-05-10 01:00:00', '2025-05-10 01:00:00');
INSERT INTO return_versions (id, return_id, firm_id, period, version_no, receipt_no, source,
  status, is_nil, unauthorized_accesses, affected_accounts, fraudulent_trades,
  sale_amount_jpy, purchase_amount_jpy, remediation, submitted_at, due_date, on_time)
VALUES (1, 1, 1, '2025-04', 1, 'R-BENCH-1', 'web', 'submitted', FALSE, 1, 1, 1, 1, 1, '',
  '2025-05-10 01:00:00', '2025-05-15', TRUE);
";

/// A scratch PostgreSQL database, dropped when this goes out of scope.
struct ScratchPg {
    admin: String,
    name: String,
    url: String,
}

impl ScratchPg {
    fn create() -> Result<ScratchPg, Failure> {
        let server = std::env::var("EXPORT_BENCH_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("export_bench_{}", std::process::id());
        let admin = format!("{server}/postgres");
        let mut conn = diesel::PgConnection::establish(&admin)?;
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            &format!("CREATE DATABASE {name}"),
        )?;
        let url = format!("{server}/{name}");
        Ok(ScratchPg { admin, name, url })
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin) {
            let _ = diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            );
        }
    }
}

fn fill_pg(url: &str, rows: u64) -> Result<db::DbPool, Failure> {
    let pool = db::connect_pool(&DbUrl::Postgres(url.to_owned()), 2)?;
    let mut conn = pool.get()?;
    db::migrate::run_pending(&mut conn).map_err(|e| e.to_string())?;
    // The same deterministic rows as the SQLite fill.
    let insert = format!(
        "BEGIN; {PG_SETUP}
         INSERT INTO trade_details (version_id, row_no, trade_date, side, security_code,
           market, quantity, amount_jpy, account_ref)
         SELECT 1, i, DATE '2025-04-01' + (i % 30)::int,
           CASE i % 2 WHEN 0 THEN 'sell' ELSE 'buy' END,
           lpad((1000 + i % 9000)::text, 4, '0'),
           CASE i % 4 WHEN 0 THEN 'domestic' WHEN 1 THEN 'china_hk' WHEN 2 THEN 'us' ELSE 'other' END,
           100 * (1 + i % 50), 10000 + (i * 7919) % 5000000,
           'acct-' || lpad(to_hex((i * 2654435761) % 4294967296), 8, '0')
         FROM generate_series(1::bigint, {rows}::bigint) AS n(i); COMMIT;
         SELECT setval(pg_get_serial_sequence('trade_details', 'id'), (SELECT MAX(id) FROM trade_details));"
    );
    diesel::connection::SimpleConnection::batch_execute(&mut *conn, &insert)?;
    // On its own: VACUUM refuses to run inside a multi-statement batch.
    diesel::connection::SimpleConnection::batch_execute(&mut *conn, "VACUUM ANALYZE")?;
    Ok(pool)
}

/// A digest of one (untimed) export's bytes.
fn digest(pool: &db::DbPool) -> Result<(u64, u64), Failure> {
    let range = Range {
        from: Some("2025-01".into()),
        to: Some("2025-12".into()),
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let (mut bytes, mut failed) = (0_u64, None);
    exports::produce(pool, Kind::Trades, &range, |chunk| match chunk {
        Ok(chunk) => {
            bytes += chunk.len() as u64;
            hasher.write(&chunk);
            true
        }
        Err(e) => {
            failed = Some(e.to_string());
            false
        }
    });
    match failed {
        Some(e) => Err(e.into()),
        None => Ok((hasher.finish(), bytes)),
    }
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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    args.retain(|a| a != "--postgres");
    let mut args = args.into_iter();
    let rows: u64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?.max(1);
    let export_sql = export::trade_export_sql("2025-01", "2025-12");
    if postgres {
        let scratch = ScratchPg::create()?;
        let pool = fill_pg(&scratch.url, rows)?;
        let url = scratch.url.clone();
        return compare(&pool, rows, runs, "psql \\copy", || {
            psql_copy(&url, &export_sql, None)
        });
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("portal.db");
    let pool = fill(&path, rows)?;
    println!("database: {}", path.display());
    compare(&pool, rows, runs, "sqlite3 -csv", || {
        sqlite3(&path, &export_sql, true, None)
    })?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Times the producer against `shell` (the database's own CSV export),
/// alternating the two, and prints the medians, their ratio and the peak
/// RSS growth.
fn compare(
    pool: &db::DbPool,
    rows: u64,
    runs: usize,
    shell_name: &str,
    mut shell_run: impl FnMut() -> Result<(), Failure>,
) -> Result<(), Failure> {
    let count: i64 = incident_portal::db::schema::trade_details::table
        .count()
        .get_result(&mut pool.get()?)?;
    println!("database: {count} trade rows");
    let rss_before = peak_rss_kib(None);
    let (mut portal, mut shell) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Alternate A and B so drift hits both alike.
        let (took, bytes) = time_portal(pool, rows)?;
        portal.push(took);
        let started = Instant::now();
        shell_run()?;
        shell.push(started.elapsed());
        println!(
            "run {}: portal export {:.0} ms ({:.1} MB), {shell_name} {:.0} ms",
            run + 1,
            ms(took),
            bytes as f64 / 1e6,
            ms(shell[run])
        );
    }
    let rss_after = peak_rss_kib(None);
    portal.sort();
    shell.sort();
    let (p, s) = (portal[runs / 2], shell[runs / 2]);
    println!(
        "median of {runs}: portal {:.0} ms, {shell_name} {:.0} ms, ratio {:.2} (target ≤ 1.0)",
        ms(p),
        ms(s),
        p.as_secs_f64() / s.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        println!(
            "peak RSS: {:.1} MiB (growth during exports {:.1} MiB, target ≤ 16 MB)",
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
    let (hash, bytes) = digest(pool)?;
    println!("output digest: {hash:016x} ({bytes} bytes)");
    Ok(())
}
