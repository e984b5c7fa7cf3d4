//! Load from `wrk` (32 connections, one thread, pinned to the client core),
//! and what its `--latency` report says.

use std::process::Command;

use crate::export::Failure;
use crate::server::CLIENT_CORE;

pub const CONNECTIONS: u32 = 32;

/// One wrk run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub requests_per_s: f64,
    pub mean_ms: f64,
    pub p99_ms: f64,
    /// Answers other than 2xx/3xx, plus socket errors and timeouts.
    pub errors: u64,
}

/// Makes sure `wrk` is there: installs the Debian package when it is
/// missing (as root), or fails saying how to get it.
pub fn ensure_wrk() -> Result<(), Failure> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk is missing: apt-get install -y wrk");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .status()
        .is_ok_and(|s| s.success());
    if installed && Command::new("wrk").arg("--version").output().is_ok() {
        Ok(())
    } else {
        Err("wrk is not installed and `apt-get install -y wrk` failed: install it first".into())
    }
}

/// `wrk -t1 -c<connections> -d<secs>s --latency` against `url`, with
/// `cookie` sent on every request; error answers are counted, not fatal.
/// A browser's `Accept-Encoding`.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

pub fn wrk(url: &str, cookie: Option<&str>, secs: u32, connections: u32) -> Result<Run, Failure> {
    let mut command = Command::new("taskset");
    command
        .arg("-c")
        .arg(CLIENT_CORE.to_string())
        .arg("wrk")
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg("--timeout")
        .arg("10s")
        // What every browser sends: the pages kept compressed are answered
        // compressed (`web::gzip`), as a browser gets them; the static
        // page is sent as it is.
        .arg("-H")
        .arg(format!("Accept-Encoding: {ACCEPT_ENCODING}"));
    if let Some(cookie) = cookie {
        command.arg("-H").arg(format!("Cookie: {cookie}"));
    }
    let output = command.arg(url).output()?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed on {url}: {report}{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    parse(&report).map_err(|e| format!("{url}: {e}\n{report}").into())
}

fn parse(report: &str) -> Result<Run, String> {
    let numbers = |line: &str| -> u64 {
        line.split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse::<u64>().ok())
            .sum()
    };
    let errors = report
        .lines()
        .filter(|l| l.contains("Non-2xx or 3xx") || l.contains("Socket errors"))
        .map(|l| numbers(l.split_once(':').map_or("", |(_, rest)| rest)))
        .sum();
    let field = |prefix: &str| -> Option<&str> {
        report
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
    };
    let requests_per_s = field("Requests/sec:")
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or("no Requests/sec")?;
    let answered = report
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    // No answer at all leaves wrk's latency fields empty or zero: unknown,
    // never a pass.
    let latency = |name: &str| {
        field(name)
            .and_then(duration_ms)
            .filter(|_| answered > 0)
            .unwrap_or(f64::NAN)
    };
    let (mean_ms, p99_ms) = (latency("Latency"), latency("99%"));
    Ok(Run {
        requests_per_s,
        mean_ms,
        p99_ms,
        errors,
    })
}

/// wrk's durations: `512.00us`, `1.23ms`, `2.01s`, `1.50m`.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(value * factor)
}

/// The median of `values` (the upper one of an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The static page's rate beside a run: the mean of the static runs just
/// before and just after it (the machine's rate drifts within a minute).
pub fn static_beside(before: &Run, after: &Run) -> f64 {
    (before.requests_per_s + after.requests_per_s) / 2.0
}

/// CPU time (user + system, clock ticks) used so far by process `pid`.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is the
    // first, utime the 12th, stime the 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits (up to two minutes) until process `pid` has stopped using CPU,
/// so requests left over from an overloaded run do not weigh on the next.
pub fn wait_idle(pid: u32) {
    let mut before = cpu_ticks(pid);
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = cpu_ticks(pid);
        match (before, now) {
            (Some(a), Some(b)) if b.saturating_sub(a) <= 1 => return,
            (_, None) => return,
            _ => before = now,
        }
    }
}
