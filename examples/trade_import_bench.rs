//! Benchmark of the trade-detail CSV import (PERFORMANCE.md: 100k rows,
//! time ÷ `sqlite3 .import` of the same file ≤ 1.5). Not part of the tests.
//! Exit status 2 when the target is missed.
//!
//! Run: `cargo run --release --example trade_import_bench [rows] [runs]`
//! (defaults: 100000 rows, 5 runs; needs the `sqlite3` command).
//!
//! It writes a deterministic CSV (100,000 rows by default), imports it
//! through `services::trades::upload` into a fresh SQLite database per run
//! (WAL, synchronous=FULL, as the portal runs), times
//! `sqlite3 <db> ".import --csv --skip 1 <file> trades_import"` of the same
//! file into an equivalent table of a fresh database (same pragmas), and
//! prints both times, their ratio and this process's peak RSS.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::prelude::*;
use incident_portal::db::models::NewFirm;
use incident_portal::db::schema::firms;
use incident_portal::db::{self, DbUrl};
use incident_portal::domain::period::Period;
use incident_portal::services::{Actor, trades};

type Failure = Box<dyn std::error::Error>;

const MARKETS: [&str; 4] = ["domestic", "china_hk", "us", "other"];
const IMPORT_TABLE: &str = "CREATE TABLE trades_import (trade_date TEXT NOT NULL, side TEXT NOT NULL, \
     security_code TEXT NOT NULL, market TEXT NOT NULL, quantity BIGINT NOT NULL, \
     amount_jpy BIGINT NOT NULL, account_ref TEXT NOT NULL);";

/// A small linear congruential generator: the same file on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn write_csv(path: &Path, rows: u64) -> Result<u64, Failure> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut rng = Lcg(20250401);
    writeln!(
        out,
        "trade_date,side,security_code,market,quantity,amount_jpy,account_ref"
    )?;
    for _ in 0..rows {
        let day = 1 + rng.next(30);
        let side = if rng.next(2) == 0 { "sell" } else { "buy" };
        let market = MARKETS[usize::try_from(rng.next(4))?];
        let code = if market == "china_hk" {
            format!("{:05}.HK", rng.next(10_000))
        } else {
            format!("{}", 1000 + rng.next(9000))
        };
        let quantity = 1 + rng.next(10_000);
        let amount = 1000 + rng.next(10_000_000);
        let account = rng.next(1_000_000);
        writeln!(
            out,
            "2025-04-{day:02},{side},{code},{market},{quantity},{amount},ACC-{account:06}"
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// A migrated database with one firm; returns the pool and the firm's id.
fn fresh_portal(path: &Path) -> Result<(db::DbPool, i64), Failure> {
    let pool = db::connect_pool(&DbUrl::Sqlite(path.to_owned()), 2)?;
    let mut conn = pool.get()?;
    db::migrate::run_pending(&mut conn).map_err(|e| e.to_string())?;
    let created_at = NaiveDate::from_ymd_opt(2025, 5, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or("date")?;
    let firm_id: i64 = diesel::insert_into(firms::table)
        .values(&NewFirm {
            name: "Bench Securities",
            registration_no: "関東財務局長（金商）第1号",
            lei: None,
            active: true,
            created_at,
            first_period: "2025-05",
        })
        .returning(firms::id)
        .get_result(&mut conn)?;
    drop(conn);
    Ok((pool, firm_id))
}

fn time_portal(dir: &Path, csv: &Path, run: usize, rows: u64) -> Result<Duration, Failure> {
    let (pool, firm_id) = fresh_portal(&dir.join(format!("portal-{run}.db")))?;
    let mut conn = pool.get()?;
    let period = Period::parse("2025-04").map_err(|e| e.to_string())?;
    let now = NaiveDate::from_ymd_opt(2025, 5, 10)
        .and_then(|d| d.and_hms_opt(1, 0, 0))
        .ok_or("date")?;
    let actor = Actor::system("bench");
    let started = Instant::now();
    let file = File::open(csv)?;
    let outcome = trades::upload(&mut conn, &actor, firm_id, period, "bench.csv", file, now)
        .map_err(|e| e.to_string())?;
    let took = started.elapsed();
    match outcome {
        Ok(summary) if u64::try_from(summary.totals.rows)? == rows => Ok(took),
        Ok(summary) => Err(format!("imported {} rows", summary.totals.rows).into()),
        Err(errors) => Err(format!("file refused: {:?}", errors.problems.first()).into()),
    }
}

fn sqlite3(db: &Path, args: &[&str]) -> Result<(), Failure> {
    let output = Command::new("sqlite3").arg(db).args(args).output()?;
    if output.status.success() && output.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "sqlite3 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into())
    }
}

fn time_sqlite3(dir: &Path, csv: &Path, run: usize) -> Result<Duration, Failure> {
    let db = dir.join(format!("import-{run}.db"));
    sqlite3(
        &db,
        &[
            "PRAGMA journal_mode=WAL;",
            "PRAGMA synchronous=FULL;",
            IMPORT_TABLE,
        ],
    )?;
    let import = format!(
        ".import --csv --skip 1 {} trades_import",
        csv.to_string_lossy()
    );
    let started = Instant::now();
    sqlite3(&db, &["PRAGMA synchronous=FULL;", &import])?;
    Ok(started.elapsed())
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The target: the portal's import ÷ `sqlite3 .import`.
const TARGET: f64 = 1.5;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("trade_import_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark; true when the target is met.
fn run() -> Result<bool, Failure> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(5), |a| a.parse::<usize>())?.max(1);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("trade-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("trades.csv");
    let bytes = write_csv(&csv, rows)?;
    println!(
        "file: {rows} rows, {:.1} MB ({})",
        bytes as f64 / 1e6,
        csv.display()
    );
    let rss_before = peak_rss_kib();
    let (mut portal, mut import) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Alternate A and B so drift hits both alike.
        portal.push(time_portal(&dir, &csv, run, rows)?);
        import.push(time_sqlite3(&dir, &csv, run)?);
        println!(
            "run {}: portal upload {:.0} ms, sqlite3 .import {:.0} ms",
            run + 1,
            ms(portal[run]),
            ms(import[run])
        );
    }
    portal.sort();
    import.sort();
    let (p, i) = (portal[runs / 2], import[runs / 2]);
    let ratio = p.as_secs_f64() / i.as_secs_f64();
    let met = ratio <= TARGET;
    println!(
        "median of {runs}: portal {:.0} ms, sqlite3 .import {:.0} ms, ratio {ratio:.2} (target ≤ {TARGET}: {})",
        ms(p),
        ms(i),
        if met { "met" } else { "MISSED" }
    );
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        println!(
            "peak RSS: {:.1} MiB (growth during imports {:.1} MiB)",
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(met)
}
