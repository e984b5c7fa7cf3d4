//! A real SMTP sink: `python3 -m aiosmtpd` delivering into a maildir, on a
//! fixed loopback port so it can stop and come back where the portal
//! expects it. Messages are counted by their Message-ID.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sink {
    child: Option<Child>,
    pub port: u16,
    maildir: PathBuf,
    log: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Sink {
    /// Starts the sink on a free port, writing into `dir/maildir`. Fails
    /// (never skips) when python3 or aiosmtpd is missing.
    pub async fn start(dir: &Path) -> Sink {
        let mut sink = Sink {
            child: None,
            port: crate::portal::free_port(),
            maildir: dir.join("maildir"),
            log: dir.join("aiosmtpd.log"),
        };
        sink.resume().await;
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server again on the same port.
    pub async fn resume(&mut self) {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&self.log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 for the SMTP sink: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "aiosmtpd exited ({status}); install it with `python3 -m pip install aiosmtpd`:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd not listening after 15 s"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// How many times each Message-ID arrived, and each message's subject
    /// and envelope recipient by Message-ID.
    pub fn received(&self) -> Received {
        let mut received = Received::default();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let id = header(&raw, "Message-ID").unwrap_or_default();
                *received.count.entry(id.clone()).or_default() += 1;
                received.messages.insert(
                    id,
                    (
                        header(&raw, "Subject").unwrap_or_default(),
                        header(&raw, "X-RcptTo").unwrap_or_default(),
                    ),
                );
            }
        }
        received
    }
}

#[derive(Default)]
pub struct Received {
    pub count: BTreeMap<String, usize>,
    /// Message-ID → (subject, recipient).
    pub messages: BTreeMap<String, (String, String)>,
}

impl Received {
    pub fn total(&self) -> usize {
        self.count.values().sum()
    }

    /// Message-IDs that arrived more than once.
    pub fn duplicates(&self) -> usize {
        self.count.values().filter(|n| **n > 1).count()
    }
}

/// One header (unfolded), matched case-insensitively.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.replace("\r\n", "\n");
    let head = head
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace("\n ", " ")
        .replace("\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.lines().find_map(|line| {
        line.to_ascii_lowercase()
            .starts_with(&prefix)
            .then(|| line[prefix.len()..].trim().to_owned())
    })
}
