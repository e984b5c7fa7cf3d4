//! The test's SMTP sink: the test's own SMTP server
//! (tests/support/smtp_server.rs) receiving what the portal's outbox worker
//! delivers, and a reader that waits (boundedly) for a message to an
//! address and decodes its text part.

#[allow(dead_code, reason = "shared by three test crates, each uses a part")]
#[path = "../support/smtp_server.rs"]
mod smtp_server;

use std::time::{Duration, Instant};

use base64::Engine;

use self::smtp_server::SmtpServer;
use crate::support::BoxError;

/// How long a message may take: the worker polls every 2 s.
const MAIL_WAIT: Duration = Duration::from_secs(20);

/// A running SMTP server, stopped when dropped.
pub struct Mailbox {
    server: SmtpServer,
}

impl Mailbox {
    /// Starts the sink on a free port, accepting once this returns.
    pub async fn start() -> Mailbox {
        Mailbox {
            server: SmtpServer::start(),
        }
    }

    /// `smtp://127.0.0.1:PORT` (plain: a loopback sink).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The link starting with `prefix` (e.g. `/invite/`) in the newest
    /// message to `to`, waiting for one to arrive.
    pub async fn link_to(&self, to: &str, prefix: &str) -> Result<String, BoxError> {
        let deadline = Instant::now() + MAIL_WAIT;
        loop {
            let newest = self
                .server
                .messages()
                .into_iter()
                .rev()
                .filter(|m| m.rcpt_to.iter().any(|r| r == to))
                .find_map(|m| {
                    let text = text_part(&m.data);
                    let start = text.find(prefix)?;
                    Some(
                        text[start..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
                            .collect::<String>(),
                    )
                });
            if let Some(link) = newest {
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
