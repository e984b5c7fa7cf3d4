//! A sign-in flood, as a botnet would send it: many clients, each from its
//! own address (loopback has all of 127.0.0.0/8), each trying a wrong
//! password for a made-up account, so every attempt costs the portal a
//! password hash and no address or account throttle stops it. It runs in a
//! process of its own on the client core (this example started again with
//! `--flood <base> <secs>`) and prints how many attempts it made.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::export::Failure;
use crate::server::{Browser, CLIENT_CORE, csrf};

/// Attempts in flight at once.
const CLIENTS: u32 = 64;
/// Attempts from one address before the client moves to the next (the
/// portal makes an address wait after 30).
const PER_ADDRESS: u32 = 20;

/// Child mode: flood `base` for `secs` seconds, then print `ATTEMPTS <n>`.
pub fn flood(base: &str, secs: &str) -> Result<(), Failure> {
    let secs: u64 = secs.parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let attempts = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    rt.block_on(async {
        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            let (base, attempts) = (base.to_owned(), attempts.clone());
            clients.push(tokio::spawn(async move {
                attacker(&base, client, until, &attempts)
                    .await
                    .map_err(|e| e.to_string())
            }));
        }
        for client in clients {
            client.await??;
        }
        Ok::<(), Failure>(())
    })?;
    println!("ATTEMPTS {}", attempts.load(Ordering::Relaxed));
    Ok(())
}

/// One attacker: a fresh address every `PER_ADDRESS` attempts.
async fn attacker(
    base: &str,
    client: u32,
    until: Instant,
    attempts: &AtomicU64,
) -> Result<(), Failure> {
    let mut round: u32 = 0;
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
            attempts.fetch_add(1, Ordering::Relaxed);
            if let Ok(next) = csrf(&page) {
                token = next;
            }
        }
        round += 1;
    }
    Ok(())
}

/// The flood process, pinned to the client core.
pub struct Flood(Child);

impl Flood {
    pub fn start(base: &str, secs: u32) -> Result<Flood, Failure> {
        let child = Command::new("taskset")
            .arg("-c")
            .arg(CLIENT_CORE.to_string())
            .arg(std::env::current_exe()?)
            .args(["--flood", base, &secs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Flood(child))
    }

    /// Waits for the flood to end: the attempts it made.
    pub fn finish(self) -> Result<u64, Failure> {
        let output = self.0.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("ATTEMPTS "))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("the flood ended without a count: {text:?}").into())
    }
}
