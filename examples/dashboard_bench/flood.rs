//! A sign-in flood, as a botnet would send it: many clients, each from its
//! own address (loopback has all of 127.0.0.0/8), each trying a wrong
//! password for a made-up account, so no address or account throttle stops
//! it and each attempt the portal takes on costs a password hash. It runs
//! in a process of its own on the client core (this example started again
//! with `--flood <base> <secs>`) and prints how many attempts it made and
//! how they were answered: hashed (401), throttled (429) or shed by the
//! bounded hashing queue (503). Meanwhile a real user signs in again and
//! again ([`real_sign_ins`]) and the server's RSS is read ([`rss_mib`]).

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::export::Failure;
use crate::server::{Browser, CLIENT_CORE, Staff, csrf};

/// How the flood's attempts were answered.
#[derive(Default)]
pub struct Outcomes {
    pub attempts: AtomicU64,
    /// 401: the password was hashed and refused.
    pub hashed: AtomicU64,
    /// 429: refused by a throttle before any hash.
    pub throttled: AtomicU64,
    /// 503: shed by the full hashing queue before any hash.
    pub shed: AtomicU64,
}

/// The counts the flood process printed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counted {
    pub attempts: u64,
    pub hashed: u64,
    pub throttled: u64,
    pub shed: u64,
}

/// Clients at once. Many: a client whose attempt took a place in the
/// hashing queue waits until its hash is done (seconds, while the pages
/// keep the CPU busy), and the others keep the rate.
const CLIENTS: u32 = 512;
/// Attempts from one address before the client moves to the next (the
/// portal makes an address wait after 30).
const PER_ADDRESS: u32 = 20;

/// Child mode: flood `base` for `secs` seconds at `rate` attempts per
/// second in all (0: as fast as the answers come), then print
/// `ATTEMPTS <n>`.
pub fn flood(base: &str, secs: &str, rate: &str) -> Result<(), Failure> {
    let secs: u64 = secs.parse()?;
    let rate: u32 = rate.parse()?;
    // Each client's share of the rate: one attempt per `every`.
    let every = (rate > 0).then(|| Duration::from_secs_f64(f64::from(CLIENTS) / f64::from(rate)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let attempts = Arc::new(Outcomes::default());
    let until = Instant::now() + Duration::from_secs(secs);
    rt.block_on(async {
        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            let (base, attempts) = (base.to_owned(), attempts.clone());
            clients.push(tokio::spawn(async move {
                attacker(&base, client, until, every, &attempts)
                    .await
                    .map_err(|e| e.to_string())
            }));
        }
        for client in clients {
            client.await??;
        }
        Ok::<(), Failure>(())
    })?;
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "ATTEMPTS {} HASHED {} THROTTLED {} SHED {}",
        n(&attempts.attempts),
        n(&attempts.hashed),
        n(&attempts.throttled),
        n(&attempts.shed)
    );
    Ok(())
}

/// One attacker: a fresh address every `PER_ADDRESS` attempts.
async fn attacker(
    base: &str,
    client: u32,
    until: Instant,
    every: Option<Duration>,
    attempts: &Outcomes,
) -> Result<(), Failure> {
    let mut round: u32 = 0;
    // The clients start spread over one period, not all at once; one that
    // fell behind (a slow answer) catches up.
    let mut pace = every.map(|every| {
        let offset = every.mul_f64(f64::from(client) / f64::from(CLIENTS));
        let mut pace = tokio::time::interval_at(tokio::time::Instant::now() + offset, every);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        pace
    });
    while Instant::now() < until {
        // 127.1.0.0 upwards: a distinct address per client and round.
        let n = round * CLIENTS + client;
        let [_, _, b, c] = n.to_be_bytes();
        let address = IpAddr::V4(Ipv4Addr::new(127, 1, b, c));
        let mut browser = Browser::from_address(base, address)?;
        let mut token = csrf(&browser.get("/login").await?)?;
        for attempt in 0..PER_ADDRESS {
            if Instant::now() >= until {
                break;
            }
            if let Some(pace) = pace.as_mut() {
                pace.tick().await;
            }
            let email = format!("flood-{n}-{attempt}@attack.example");
            let page = browser
                .post(
                    "/login",
                    &[
                        ("csrf", &token),
                        ("email", &email),
                        ("password", "not the password at all"),
                    ],
                )
                .await?;
            attempts.attempts.fetch_add(1, Ordering::Relaxed);
            let outcome = match page.status.as_u16() {
                401 => Some(&attempts.hashed),
                429 => Some(&attempts.throttled),
                503 => Some(&attempts.shed),
                _ => None,
            };
            if let Some(counter) = outcome {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(next) = csrf(&page) {
                token = next;
            }
        }
        round += 1;
    }
    Ok(())
}

/// The flood process, pinned to the client core at nice 10. It shares
/// that core with `wrk`, which measures the dashboard: at the same weight,
/// its 512 clients delay `wrk`'s own reading of the answers, and that
/// delay would count as the server's. `wrk` leaves the core idle while it
/// waits for answers, so the flood still reaches its rate (the table
/// reports the rate reached).
pub struct Flood(Child);

impl Flood {
    pub fn start(base: &str, secs: u32, rate: u32) -> Result<Flood, Failure> {
        let child = Command::new("nice")
            .args(["-n", "10", "taskset", "-c"])
            .arg(CLIENT_CORE.to_string())
            .arg(std::env::current_exe()?)
            .args(["--flood", base, &secs.to_string(), &rate.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Flood(child))
    }

    /// Waits for the flood to end: the attempts it made, by answer.
    pub fn finish(self) -> Result<Counted, Failure> {
        let output = self.0.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("ATTEMPTS "))
            .ok_or_else(|| format!("the flood ended without a count: {text:?}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let field = |name: &str| -> u64 {
            words
                .iter()
                .position(|w| *w == name)
                .and_then(|i| words.get(i + 1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        Ok(Counted {
            attempts: field("ATTEMPTS"),
            hashed: field("HASHED"),
            throttled: field("THROTTLED"),
            shed: field("SHED"),
        })
    }
}

/// How long the real user waits after each sign-in before the next: the
/// pace of people arriving at work, not a script. Each sign-in's hash is
/// about 17 ms of CPU on the server's one core, given in pieces of up to a
/// scheduler tick (4 ms here), which no page request can cut short; back
/// to back (every 100 ms), the sign-ins alone took the dashboard's p99
/// from 0.68 to 4.1 ms with no flood at all, and one a second to 2.4 ms.
/// The flood's cost to the dashboard is what the ratio measures.
pub const REAL_USER_PACE: Duration = Duration::from_secs(5);

/// The pace of a script signing in one sign-in after another (the context
/// row beside the flood's: what sign-ins alone cost the dashboard).
pub const BACK_TO_BACK: Duration = Duration::from_millis(100);

/// A real user's sign-ins (password step), one every `pace` (after the
/// one before has answered) for `secs` seconds, from 127.0.0.1, each from
/// a fresh browser that keeps only the device cookie of the sign-in before
/// (as a browser does; the first comes from a sign-in before the flood):
/// the time of each that went through, in ms, and how many were shed
/// (503).
pub fn real_sign_ins(
    base: &str,
    staff: &Staff,
    secs: u32,
    device: Option<String>,
    pace: Duration,
) -> std::thread::JoinHandle<Result<(Vec<f64>, u64), String>> {
    let (base, email, password) = (base.to_owned(), staff.email.clone(), staff.password.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let until = Instant::now() + Duration::from_secs(u64::from(secs));
            let (mut times, mut shed) = (Vec::new(), 0);
            let mut device = device;
            while Instant::now() < until {
                let mut browser = Browser::new(&base).map_err(|e| e.to_string())?;
                if let Some(value) = &device {
                    browser.hold(DEVICE_COOKIE, value);
                }
                let form = browser.get("/login").await.map_err(|e| e.to_string())?;
                let token = csrf(&form).map_err(|e| e.to_string())?;
                let started = Instant::now();
                let fields = [
                    ("csrf", token.as_str()),
                    ("email", email.as_str()),
                    ("password", password.as_str()),
                ];
                let page = browser
                    .post("/login", &fields)
                    .await
                    .map_err(|e| e.to_string())?;
                match page.status.as_u16() {
                    303 => {
                        times.push(started.elapsed().as_secs_f64() * 1000.0);
                        device = browser.cookie(DEVICE_COOKIE).or(device);
                    }
                    503 => shed += 1,
                    other => return Err(format!("a real sign-in answered {other}")),
                }
                tokio::time::sleep(pace).await;
            }
            Ok((times, shed))
        })
    })
}

/// The portal's device cookie (see `web::auth::device`).
pub const DEVICE_COOKIE: &str = "__Host-device";

/// The device cookie a sign-in (password step) of `staff` leaves, with no
/// flood running.
pub fn device_cookie(base: &str, staff: &Staff) -> Result<Option<String>, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut browser = Browser::new(base)?;
        let form = browser.get("/login").await?;
        let token = csrf(&form)?;
        let fields = [
            ("csrf", token.as_str()),
            ("email", staff.email.as_str()),
            ("password", staff.password.as_str()),
        ];
        browser.post("/login", &fields).await?;
        Ok(browser.cookie(DEVICE_COOKIE))
    })
}

/// The 99th percentile of `values` (0 when empty).
pub fn p99(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (sorted.len() * 99).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(0.0)
}

/// The resident memory of process `pid`, MiB (0 when unknown).
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
