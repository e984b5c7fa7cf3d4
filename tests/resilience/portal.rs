//! The real `incident-portal serve` as a child process on a fixed loopback
//! port, so it can be killed with SIGKILL and started again where the
//! filers expect it. Its stdout and stderr go to one log file across
//! restarts.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: `PORTAL_RESILIENCE_BIN` (scripts/resilience
/// points it at the release build), else the one cargo built with the tests.
pub fn binary() -> PathBuf {
    match std::env::var("PORTAL_RESILIENCE_BIN") {
        Ok(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_incident-portal")),
    }
}

/// A free port for a portal that may be restarted on it
/// (`smtp::loopback_listener`: below the ephemeral range).
pub fn free_port() -> u16 {
    crate::smtp::loopback_listener()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Portal {
    child: Option<Child>,
    pub base: String,
    env: Vec<(String, String)>,
    pub log: PathBuf,
    pub starts: u32,
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Portal {
    /// Starts `serve` with `env` (DATABASE_URL and the rest) on a free
    /// port and waits until `/readyz` answers.
    pub async fn start(env: &[(&str, String)], log: &Path) -> Portal {
        let port = free_port();
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        env.push(("PORTAL_BIND".into(), format!("127.0.0.1:{port}")));
        let mut portal = Portal {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            env,
            log: log.to_owned(),
            starts: 0,
        };
        portal.restart().await;
        portal
    }

    /// Starts the process again on the same port (after `kill`).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the portal is still running");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(binary())
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        self.child = Some(child);
        self.starts += 1;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "the portal exited at start ({status}):\n{}",
                    self.log_text()
                );
            }
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status() == reqwest::StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the portal was not ready within 60 s:\n{}",
                self.log_text()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `incident-portal verify-audit` against `database_url`: its output, and
/// whether it passed.
pub fn verify_audit(database_url: &str) -> (bool, String) {
    let out = Command::new(binary())
        .arg("verify-audit")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
