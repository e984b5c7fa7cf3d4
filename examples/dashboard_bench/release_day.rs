//! Release day: the moment a statistics release is announced, the press and
//! the public open the same page and CSV at once. A client process of its
//! own (this example started again with `--release-day`, pinned to the
//! client core) opens one keep-alive connection from each of `connections`
//! loopback addresses (127.2.0.1 upwards: as many people, so the portal's
//! per-address connection limit is met as it would be) and asks for one
//! path again and again for `secs` seconds, with `If-None-Match` when given
//! an entity tag (a reader whose copy is current). It prints how many
//! requests were answered, how (200, 304, anything else or no answer) and
//! the 99th percentile of their times.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::export::Failure;
use crate::flood::p99;
use crate::server::CLIENT_CORE;

/// Connections opened at once (one per address).
pub const CONNECTIONS: u32 = 1_000;
/// A request not answered in this time counts as an error.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What one release-day run measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct DayRun {
    pub requests_per_s: f64,
    pub p99_ms: f64,
    /// Answers other than 200 and 304, and requests with no answer.
    pub errors: u64,
    pub not_modified: u64,
    pub answered: u64,
}

/// One answer: its time and what it was.
enum Answer {
    Ok(f64),
    NotModified(f64),
    Error,
}

async fn ask(client: &reqwest::Client, url: &str, etag: Option<&str>) -> Answer {
    let started = Instant::now();
    let mut request = client.get(url);
    if let Some(etag) = etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    let Ok(response) = request.send().await else {
        return Answer::Error;
    };
    let status = response.status().as_u16();
    if response.bytes().await.is_err() {
        return Answer::Error;
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match status {
        200 => Answer::Ok(ms),
        304 => Answer::NotModified(ms),
        _ => Answer::Error,
    }
}

/// One reader: a connection from its own address, asking until `until`.
async fn reader(
    url: String,
    etag: Option<String>,
    n: u32,
    until: Instant,
) -> Result<(Vec<f64>, u64, u64), String> {
    let [_, _, b, c] = (n + 1).to_be_bytes();
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 2, b, c)))
        .pool_max_idle_per_host(1)
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let (mut times, mut not_modified, mut errors) = (Vec::new(), 0, 0);
    while Instant::now() < until {
        match ask(&client, &url, etag.as_deref()).await {
            Answer::Ok(ms) => times.push(ms),
            Answer::NotModified(ms) => {
                times.push(ms);
                not_modified += 1;
            }
            Answer::Error => {
                errors += 1;
                // No hot loop against a refusing server.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    Ok((times, not_modified, errors))
}

/// Child mode: `--release-day <url> <secs> <connections> [etag]`; prints
/// `DAY <answered> <not modified> <errors> <p99 ms> <seconds>`.
pub fn client(args: &[String]) -> Result<(), Failure> {
    let [url, secs, connections, rest @ ..] = args else {
        return Err("--release-day <url> <secs> <connections> [etag]".into());
    };
    let secs: u64 = secs.parse()?;
    let connections: u32 = connections.parse()?;
    let etag = rest.first().cloned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let (times, not_modified, errors) = rt.block_on(async {
        let readers: Vec<_> = (0..connections)
            .map(|n| tokio::spawn(reader(url.clone(), etag.clone(), n, until)))
            .collect();
        let (mut times, mut not_modified, mut errors) = (Vec::new(), 0, 0);
        for reader in readers {
            let (t, m, e) = reader.await??;
            times.extend(t);
            not_modified += m;
            errors += e;
        }
        Ok::<_, Failure>((times, not_modified, errors))
    })?;
    println!(
        "DAY {} {not_modified} {errors} {:.3} {:.3}",
        times.len(),
        p99(&times),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the client process against `url` and reads what it printed.
pub fn run(url: &str, secs: u32, etag: Option<&str>) -> Result<DayRun, Failure> {
    let mut command = Command::new("taskset");
    command
        .arg("-c")
        .arg(CLIENT_CORE.to_string())
        .arg(std::env::current_exe()?)
        .args(["--release-day", url, &secs.to_string()])
        .arg(CONNECTIONS.to_string());
    if let Some(etag) = etag {
        command.arg(etag);
    }
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let words: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("DAY "))
        .ok_or_else(|| format!("the release-day client ended without a count: {text:?}"))?
        .split_whitespace()
        .collect();
    let [answered, not_modified, errors, p99_ms, seconds] = words.as_slice() else {
        return Err(format!("unreadable release-day count: {text:?}").into());
    };
    let answered: u64 = answered.parse()?;
    let seconds: f64 = seconds.parse()?;
    Ok(DayRun {
        requests_per_s: answered as f64 / seconds,
        p99_ms: p99_ms.parse()?,
        errors: errors.parse()?,
        not_modified: not_modified.parse()?,
        answered,
    })
}
