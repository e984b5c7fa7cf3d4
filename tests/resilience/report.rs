//! Run settings (short or full, fixed at build time), one test at a time,
//! a small random source, and the summary table.

use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Full or short: `PORTAL_RESILIENCE_RUN` when the tests run (what
/// scripts/resilience sets, so the mode needs no rebuild), else
/// `PORTAL_RESILIENCE` as it was at build time; short unless `full`.
pub fn full() -> bool {
    match std::env::var("PORTAL_RESILIENCE_RUN") {
        Ok(mode) if !mode.is_empty() => mode == "full",
        _ => option_env!("PORTAL_RESILIENCE") == Some("full"),
    }
}

/// Short or full.
pub fn pick<T>(short: T, full_value: T) -> T {
    if full() { full_value } else { short }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `test` on an actix system of its own, never beside another
/// resilience test: they share two cores and measure latencies.
pub fn serial<F: std::future::Future<Output = ()>>(test: F) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    actix_web::rt::System::new().block_on(test);
}

/// xorshift64*, seeded from the time; the seed is printed so a run can be
/// told apart (not replayed: the kill lands wherever the server is).
pub struct Rng(u64);

impl Rng {
    pub fn seeded(label: &str) -> Rng {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
            | 1;
        println!("{label}: random seed {seed}");
        Rng(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// The `q` quantile (0..=1) of `values`, by nearest rank.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// One line of the summary table.
pub struct Row {
    pub scenario: &'static str,
    pub backend: &'static str,
    pub cycles: usize,
    /// Receipts (or messages) the portal issued.
    pub issued: usize,
    /// Of those, found intact afterwards.
    pub found: usize,
    pub lost: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub status_503: u64,
    pub duplicates: usize,
}

pub const HEADER: &str =
    "scenario            backend   cycles  issued   found  lost   p50 ms   p99 ms   503s  dups";

impl Row {
    pub fn line(&self) -> String {
        let ms = |v: f64| {
            if v.is_nan() {
                "-".to_owned()
            } else {
                format!("{v:.1}")
            }
        };
        format!(
            "{:<19} {:<9} {:>6} {:>7} {:>7} {:>5} {:>8} {:>8} {:>6} {:>5}",
            self.scenario,
            self.backend,
            self.cycles,
            self.issued,
            self.found,
            self.lost,
            ms(self.p50_ms),
            ms(self.p99_ms),
            self.status_503,
            self.duplicates
        )
    }

    /// Printed, and appended to `PORTAL_RESILIENCE_SUMMARY` when set (the
    /// script prints the whole table at the end).
    pub fn publish(&self) {
        println!("{HEADER}\n{}", self.line());
        if let Ok(path) = std::env::var("PORTAL_RESILIENCE_SUMMARY")
            && !path.is_empty()
            && let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            let _ = writeln!(file, "{}", self.line());
        }
    }
}

/// A free-form line for the summary file (ratios, notes).
pub fn note(text: &str) {
    println!("{text}");
    if let Ok(path) = std::env::var("PORTAL_RESILIENCE_SUMMARY")
        && !path.is_empty()
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "  {text}");
    }
}
