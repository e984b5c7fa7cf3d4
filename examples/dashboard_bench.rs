//! Benchmark of the regulator dashboard, the public statistics pages and
//! the internal trade export against the targets in PERFORMANCE.md, on
//! SQLite and on PostgreSQL in one run. Not part of the tests.
//!
//! Run: `cargo run --release --example dashboard_bench [-- --sqlite-only]
//! [--secs N] [--rounds N] [--export-runs N] [--flood-secs N]
//! [--flood-rate N] [--release-day-secs N]` (defaults: 5-second wrk runs,
//! 3 rounds, 3 export runs, 60-second floods sent at 410 sign-in attempts/s
//! so that at least 400/s are counted (0: as fast as the answers come), 30-second release-day runs; about 30
//! minutes for both backends). Needs
//! `wrk` (installed with apt-get when missing and allowed), `taskset`,
//! `curl`, `sqlite3`, and for PostgreSQL `psql` and a server at
//! postgres://postgres@127.0.0.1:5432 where it creates and drops a
//! database `bench_<pid>_<time>` (unreachable: it fails, unless
//! `--sqlite-only`). Exit status 2 when a target is missed.
//!
//! Per backend it:
//! 1. writes 300 firms × 120 months of returns (versions, details, sent-back
//!    refilings, 1,000,000 trade-detail rows consistent with the figures)
//!    with multi-row INSERTs in one transaction, brings the period summary
//!    up to date through `services::summary::apply`, and checks it against
//!    a recomputation from the versions;
//! 2. starts the portal in its own process pinned to core 0 (the benchmark
//!    itself, with every client it runs, keeps to core 1) and signs an
//!    analyst in through the sign-in pages (password, then TOTP code);
//!    releases a publication with the `publish` service;
//! 3. runs wrk (32 connections, core 1) in alternating rounds: a static
//!    page, the dashboard (signed in), the statistics list, a release page;
//!    then the dashboard alone and again during a sign-in flood (each run
//!    as long as the flood) from rotating addresses, counting how the flood was answered (hashed, throttled,
//!    shed with 503), timing a real user's sign-ins meanwhile (one every
//!    5 s), and reading the server's RSS before and after; with no flood,
//!    the dashboard while that user signs in back to back (context: what
//!    the hashes alone cost one core); and release day: a static page,
//!    the release page, its CSV and the CSV with `If-None-Match`, each from
//!    1,000 connections at once (one per loopback address) for 30 s;
//! 4. downloads `/review/exports/trades.csv` (1M rows) with curl, against
//!    `sqlite3 -csv` / `psql \copy` of the same rows, reading the server's
//!    peak RSS growth (VmHWM, reset before each export);
//! 5. adds 2,700 firms of imported history (10× the returns: 3,000 firms ×
//!    120 months; summary increments in one UPDATE, checked against the
//!    recomputation again) and measures the dashboard again, between two
//!    static runs: its mean latency at 32 connections is compared with
//!    the 1× rounds' in static pages' time (× the static page's rate
//!    beside it), as the machine's speed drifts between the two.
//!
//! Then it prints one table: metric, SQLite, PostgreSQL, target, pass.

use std::process::ExitCode;

use incident_portal::db::Backend;

#[path = "bench_support/export.rs"]
mod export;

#[path = "dashboard_bench/data.rs"]
mod data;
#[path = "dashboard_bench/database.rs"]
mod database;
#[path = "dashboard_bench/flood.rs"]
mod flood;
#[path = "dashboard_bench/load.rs"]
mod load;
#[path = "dashboard_bench/measure.rs"]
mod measure;
#[path = "dashboard_bench/queries.rs"]
mod queries;
#[path = "dashboard_bench/release_day.rs"]
mod release_day;
#[path = "dashboard_bench/server.rs"]
mod server;
#[path = "dashboard_bench/summary_fill.rs"]
mod summary_fill;
#[path = "dashboard_bench/verify.rs"]
mod verify;

use export::Failure;
use measure::{Measured, Options};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, url] = args.as_slice()
        && flag == "--serve"
    {
        return match server::serve(url) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dashboard_bench server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let [flag, rest @ ..] = args.as_slice()
        && flag == "--release-day"
    {
        return match release_day::client(rest) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dashboard_bench release day: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let [flag, base, secs, rate] = args.as_slice()
        && flag == "--flood"
    {
        return match flood::flood(base, secs, rate) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dashboard_bench flood: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("dashboard_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn flag_value(args: &[String], name: &str, default: usize) -> Result<usize, Failure> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or_else(|| format!("{name} needs a number"))?
            .parse()?),
        None => Ok(default),
    }
}

/// Runs every backend asked for and prints the table; true when every
/// target was met.
fn run(args: &[String]) -> Result<bool, Failure> {
    let sqlite_only = args.iter().any(|a| a == "--sqlite-only");
    let opts = Options {
        secs: u32::try_from(flag_value(args, "--secs", 5)?)?,
        flood_secs: u32::try_from(flag_value(args, "--flood-secs", 60)?)?,
        flood_rate: u32::try_from(flag_value(args, "--flood-rate", 410)?)?,
        release_day_secs: u32::try_from(flag_value(args, "--release-day-secs", 30)?)?,
        rounds: flag_value(args, "--rounds", 3)?.max(1),
        export_runs: flag_value(args, "--export-runs", 3)?.max(1),
    };
    load::ensure_wrk()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return Err("needs two cores: the server on core 0, wrk on core 1".into());
    }
    server::pin_self()?;
    let mut backends = vec![Backend::Sqlite];
    if !sqlite_only {
        backends.push(Backend::Postgres);
    }
    let mut results = Vec::new();
    for backend in backends {
        println!("{}:", backend.name());
        results.push((backend, measure::run(backend, &opts)?));
    }
    Ok(print_table(&results))
}

/// A target's text and its check.
type Target = (&'static str, fn(f64) -> bool);

struct Row {
    metric: &'static str,
    value: fn(&Measured) -> f64,
    decimals: usize,
    /// (target text, check); None for context rows.
    target: Option<Target>,
}

const ROWS: &[Row] = &[
    Row {
        metric: "dashboard ÷ static, requests/s",
        value: |m| m.dashboard_ratio,
        decimals: 3,
        target: Some(("≥ 0.6", |v| v >= 0.6)),
    },
    Row {
        metric: "dashboard p99 at 32 connections, ms",
        value: |m| m.dashboard_p99_ms,
        decimals: 2,
        target: Some(("≤ 2", |v| v <= 2.0)),
    },
    Row {
        metric: "dashboard p99 during a sign-in flood ÷ idle",
        value: |m| m.flood_p99_ratio,
        decimals: 2,
        target: Some(("≤ 2", |v| v <= 2.0)),
    },
    Row {
        metric: "  dashboard p99 ÷ idle, no flood, sign-ins back to back",
        value: |m| m.sign_ins_p99_ratio,
        decimals: 2,
        target: None,
    },
    Row {
        metric: "sign-in attempts/s during the flood",
        value: |m| m.flood_attempts_per_s,
        decimals: 0,
        target: Some(("≥ 400", |v| v >= 400.0)),
    },
    Row {
        metric: "  of which hashed (401)/s",
        value: |m| m.flood_hashed_per_s,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "  of which shed at once (503)/s",
        value: |m| m.flood_shed_per_s,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "a real sign-in's p99 during the flood, ms",
        value: |m| m.real_sign_in_p99_ms,
        decimals: 1,
        target: Some(("≤ 5000", |v| v <= 5000.0)),
    },
    Row {
        metric: "real sign-ins shed (503) during the floods",
        value: |m| m.real_sign_ins_shed as f64,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "server RSS before the floods, MiB",
        value: |m| m.rss_before_flood_mib,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "server RSS after the floods, MiB",
        value: |m| m.rss_after_flood_mib,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "server RSS growth over the floods, MB",
        value: |m| (m.rss_after_flood_mib - m.rss_before_flood_mib) * 1.048_576,
        decimals: 0,
        target: Some(("≤ 64", |v| v <= 64.0)),
    },
    Row {
        metric: "release day, 1,000 connections: errors and no answers",
        value: |m| m.release_day_errors as f64,
        decimals: 0,
        target: Some(("0", |v| v == 0.0)),
    },
    Row {
        metric: "release day: current copies answered 304, %",
        value: |m| m.release_day_304_percent,
        decimals: 1,
        target: Some(("100", |v| v >= 100.0)),
    },
    Row {
        metric: "release day: static page p99, ms",
        value: |m| m.release_day_static_p99_ms,
        decimals: 1,
        target: None,
    },
    Row {
        metric: "release day: release page p99, ms",
        value: |m| m.release_day_page_p99_ms,
        decimals: 1,
        target: None,
    },
    Row {
        metric: "release day: release CSV p99, ms",
        value: |m| m.release_day_csv_p99_ms,
        decimals: 1,
        target: None,
    },
    Row {
        metric: "release day: CSV with If-None-Match (304) p99, ms",
        value: |m| m.release_day_304_p99_ms,
        decimals: 1,
        target: None,
    },
    Row {
        metric: "release day: static page, requests/s",
        value: |m| m.release_day_static_rps,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "release day: release page, requests/s",
        value: |m| m.release_day_page_rps,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "dashboard latency 10× ÷ 1× data, 32 connections",
        value: |m| m.latency_10x_ratio,
        decimals: 2,
        target: Some(("≤ 1.05", |v| v <= 1.05)),
    },
    Row {
        metric: "dashboard latency 10× ÷ 1× data, 1 connection",
        value: |m| m.dashboard_single_10x_ms / m.dashboard_single_1x_ms,
        decimals: 2,
        target: Some(("≤ 1.05", |v| v <= 1.05)),
    },
    Row {
        metric: "error answers / timeouts, pages at 1×",
        value: |m| m.dashboard_errors as f64,
        decimals: 0,
        target: Some(("0", |v| v == 0.0)),
    },
    Row {
        metric: "dashboard error answers / timeouts, 10×",
        value: |m| m.dashboard_errors_10x as f64,
        decimals: 0,
        target: Some(("0", |v| v == 0.0)),
    },
    Row {
        metric: "statistics list ÷ static",
        value: |m| m.statistics_ratio,
        decimals: 3,
        target: Some(("≥ 0.8", |v| v >= 0.8)),
    },
    Row {
        metric: "statistics release page (12 months) ÷ static",
        value: |m| m.release_ratio,
        decimals: 3,
        target: Some(("≥ 0.8", |v| v >= 0.8)),
    },
    Row {
        metric: "release page (`publish`: 2016-01 to today) ÷ static",
        value: |m| m.release_all_ratio,
        decimals: 3,
        target: Some(("≥ 0.8", |v| v >= 0.8)),
    },
    Row {
        metric: "export 1M rows: time ÷ sqlite3 -csv | psql \\copy",
        value: |m| m.export_ratio,
        decimals: 2,
        target: Some(("≤ 1.0", |v| v <= 1.0)),
    },
    Row {
        metric: "export: server peak memory growth, MB",
        value: |m| m.export_growth_mib * 1.048_576,
        decimals: 1,
        target: Some(("≤ 16", |v| v <= 16.0)),
    },
    Row {
        metric: "static page, requests/s",
        value: |m| m.static_rps,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "dashboard, requests/s",
        value: |m| m.dashboard_rps,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "dashboard mean latency 1×, ms",
        value: |m| m.dashboard_mean_1x_ms,
        decimals: 2,
        target: None,
    },
    Row {
        metric: "dashboard of one month (1/12 of the scan) ÷ static",
        value: |m| m.one_month_ratio,
        decimals: 3,
        target: None,
    },
    Row {
        metric: "dashboard, 1 connection, mean latency 1×, ms",
        value: |m| m.dashboard_single_1x_ms,
        decimals: 2,
        target: None,
    },
    Row {
        metric: "dashboard, 1 connection, mean latency 10×, ms",
        value: |m| m.dashboard_single_10x_ms,
        decimals: 2,
        target: None,
    },
    Row {
        metric: "dashboard at 10×, requests/s",
        value: |m| m.dashboard_rps_10x,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "dashboard mean latency 10×, ms",
        value: |m| m.dashboard_mean_10x_ms,
        decimals: 2,
        target: None,
    },
    Row {
        metric: "distinct firms with trades query alone 1×, ms",
        value: |m| m.distinct_1x_ms,
        decimals: 3,
        target: None,
    },
    Row {
        metric: "distinct firms with trades query alone 10×, ms",
        value: |m| m.distinct_10x_ms,
        decimals: 3,
        target: Some(("≤ 20", |v| v <= 20.0)),
    },
    Row {
        metric: "static page at 10×, requests/s",
        value: |m| m.static_rps_10x,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "export: portal, ms",
        value: |m| m.export_ms,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "export: sqlite3 -csv | psql \\copy, ms",
        value: |m| m.baseline_ms,
        decimals: 0,
        target: None,
    },
    Row {
        metric: "export size, MB",
        value: |m| m.export_mb,
        decimals: 1,
        target: None,
    },
    Row {
        metric: "data 1× (300 firms, 1M trades), s",
        value: |m| m.generate_1x.as_secs_f64(),
        decimals: 1,
        target: None,
    },
    Row {
        metric: "data 10× (+2,700 firms imported), s",
        value: |m| m.generate_10x.as_secs_f64(),
        decimals: 1,
        target: None,
    },
];

fn print_table(results: &[(Backend, Measured)]) -> bool {
    let cell = |backend: Backend, row: &Row| -> String {
        results
            .iter()
            .find(|(b, _)| *b == backend)
            .map_or("skipped".to_owned(), |(_, m)| {
                format!("{:.*}", row.decimals, (row.value)(m))
            })
    };
    println!();
    println!(
        "| {:<56} | {:>10} | {:>10} | {:>7} | {:<4} |",
        "metric", "SQLite", "PostgreSQL", "target", "pass"
    );
    println!(
        "|{:-<58}|{:-<12}|{:-<12}|{:-<9}|{:-<6}|",
        "", "", "", "", ""
    );
    let mut all = true;
    for row in ROWS {
        let (target, verdict) = match row.target {
            Some((text, check)) => {
                let failed: Vec<&str> = results
                    .iter()
                    .filter(|(_, m)| !check((row.value)(m)))
                    .map(|(b, _)| b.name())
                    .collect();
                all &= failed.is_empty();
                let verdict = if failed.is_empty() {
                    "pass".to_owned()
                } else {
                    format!("FAIL ({})", failed.join(", "))
                };
                (text, verdict)
            }
            None => ("", String::new()),
        };
        println!(
            "| {:<56} | {:>10} | {:>10} | {:>7} | {:<4} |",
            row.metric,
            cell(Backend::Sqlite, row),
            cell(Backend::Postgres, row),
            target,
            verdict
        );
    }
    println!(
        "\n10× = 3,000 firms × 120 months (the 300 portal firms plus 2,700 of imported history); \
         ratios are medians of per-round ratios."
    );
    all
}
