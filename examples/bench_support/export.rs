//! Shared by the export benchmarks (`export_bench`, `dashboard_bench`): the
//! trade-detail export's join as plain SQL, the database shells that run it
//! as the yardstick (`sqlite3 -csv`, `psql \copy`), peak-memory readings
//! and small timing helpers.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub type Failure = Box<dyn std::error::Error>;

/// The rows `/review/exports/trades.csv?from=…&to=…` writes, in the same
/// order, as one SELECT both shells accept (no trailing semicolon, one
/// line, so `psql \copy` takes it too).
pub fn trade_export_sql(from: &str, to: &str) -> String {
    format!(
        "SELECT v.firm_id, f.name, f.registration_no, v.period, v.receipt_no, v.version_no, \
         t.row_no, t.trade_date, t.side, t.security_code, t.market, t.quantity, t.amount_jpy, \
         t.account_ref FROM trade_details t JOIN return_versions v ON v.id = t.version_id \
         JOIN firms f ON f.id = v.firm_id WHERE v.period BETWEEN '{from}' AND '{to}' ORDER BY t.id"
    )
}

/// Runs `sqlite3 [-csv] <db> <sql>`, optionally pinned with `taskset -c
/// <core>`; CSV output goes to /dev/null. Fails on any error output.
pub fn sqlite3(db: &Path, sql: &str, csv: bool, core: Option<u32>) -> Result<(), Failure> {
    let mut command = pinned("sqlite3", core);
    if csv {
        command.arg("-csv");
    }
    let output = command
        .arg(db)
        .arg(sql)
        .stdout(if csv { Stdio::null() } else { Stdio::piped() })
        .output()
        .map_err(|e| format!("sqlite3: {e} (install the sqlite3 package)"))?;
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

/// Runs `psql <url> -c "\copy (<sql>) TO STDOUT CSV"` with the CSV going to
/// /dev/null, optionally pinned with `taskset -c <core>`.
pub fn psql_copy(url: &str, sql: &str, core: Option<u32>) -> Result<(), Failure> {
    let output = pinned("psql", core)
        .arg(url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("\\copy ({sql}) TO STDOUT CSV"))
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("psql: {e} (install the postgresql-client package)"))?;
    if output.status.success() && output.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!("psql failed: {}", String::from_utf8_lossy(&output.stderr)).into())
    }
}

fn pinned(program: &str, core: Option<u32>) -> Command {
    match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(core.to_string()).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A `/proc/<pid>/status` field in KiB (`VmHWM`, `VmRSS`); `pid` None is
/// this process.
pub fn proc_status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident memory so far, in KiB.
pub fn peak_rss_kib(pid: Option<u32>) -> Option<u64> {
    proc_status_kib(pid, "VmHWM")
}

/// Resets the peak (`VmHWM`) to the current RSS, so the next reading is the
/// peak of what follows (Linux `clear_refs` value 5). False when refused.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median (the upper one of an even count); zero when empty.
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
