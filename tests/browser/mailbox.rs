//! The test's SMTP sink: a real `python3 -m aiosmtpd` writing what the
//! portal's outbox worker delivers to a maildir, and a reader that waits
//! (boundedly) for a message to an address and decodes its text part.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::support::BoxError;

/// How long a message may take: the worker polls every 2 s.
const MAIL_WAIT: Duration = Duration::from_secs(20);

/// A running aiosmtpd, killed when dropped.
pub struct Mailbox {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mailbox {
    /// Starts the sink on a free port and waits until it accepts
    /// connections. Fails (never skips) when python3 or aiosmtpd is missing.
    pub async fn start() -> Mailbox {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir for the maildir");
        let maildir = dir.path().join("maildir");
        let log = dir.path().join("aiosmtpd.log");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("aiosmtpd log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 for the SMTP sink: {e}"));
        let mut sink = Mailbox {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = sink.child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "aiosmtpd exited ({status}); install it with \
                     `python3 -m pip install aiosmtpd`:\n{log}"
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd not listening on {port} after 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `smtp://127.0.0.1:PORT` (plain: a loopback sink).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The link starting with `prefix` (e.g. `/invite/`) in the newest
    /// message to `to`, waiting for one to arrive.
    pub async fn link_to(&self, to: &str, prefix: &str) -> Result<String, BoxError> {
        let deadline = Instant::now() + MAIL_WAIT;
        loop {
            let mut found: Vec<(std::time::SystemTime, String)> = Vec::new();
            for raw in self.messages()? {
                if header(&raw.1, "X-RcptTo").as_deref() == Some(to) {
                    let text = text_part(&raw.1);
                    if let Some(start) = text.find(prefix) {
                        let link: String = text[start..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
                            .collect();
                        found.push((raw.0, link));
                    }
                }
            }
            found.sort();
            if let Some((_, link)) = found.pop() {
                return Ok(link);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no message to {to} with a {prefix} link within {MAIL_WAIT:?}"
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every message so far, with the time its file was written.
    fn messages(&self) -> Result<Vec<(std::time::SystemTime, String)>, BoxError> {
        let mut all = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for entry in entries {
                let path = entry?.path();
                all.push((modified(&path), std::fs::read_to_string(&path)?));
            }
        }
        Ok(all)
    }
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}

/// One header of a raw message (unfolded), if present.
fn header(raw: &str, name: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    let head = raw
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace("\n ", " ");
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::to_owned))
}

/// The decoded `text/plain` part (base64, quoted-printable or as is).
fn text_part(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    for part in raw.split("\n--") {
        let Some((head, body)) = part.split_once("\n\n") else {
            continue;
        };
        let head = head.to_ascii_lowercase();
        if !head.contains("content-type: text/plain") {
            continue;
        }
        if head.contains("content-transfer-encoding: base64") {
            let compact: String = body
                .chars()
                .take_while(|c| *c != '-')
                .filter(|c| !c.is_whitespace())
                .collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default();
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        if head.contains("content-transfer-encoding: quoted-printable") {
            return quoted_printable(body);
        }
        return body.to_owned();
    }
    raw
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = joined
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
