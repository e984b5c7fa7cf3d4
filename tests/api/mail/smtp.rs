//! Delivery through a real SMTP server (aiosmtpd, run by the test as a child
//! process) that stops mid-way and comes back on the same port: messages
//! wait, nothing is lost, nothing is sent twice. Also the default `.eml` file
//! transport.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use base64::Engine;
use chrono::Duration;
use incident_portal::config::MailConfig;
use incident_portal::mail::transport::{Mailer, SentEmail};
use incident_portal::mail::worker::deliver_due;

use super::{counts, email, enqueue};
use crate::helpers::TestApp;
use crate::on_both_backends;

const FROM: &str = "Incident Portal <no-reply@fsa.example>";

/// A running `python3 -m aiosmtpd` writing what it receives to a maildir;
/// killed when dropped.
struct Sink {
    child: Child,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    /// Starts the server and waits until it accepts connections. Fails the
    /// test (never skips it) when python3 or aiosmtpd is missing.
    async fn start(port: u16, maildir: &Path, log: &Path) -> Sink {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 for the SMTP test: {e}"));
        let mut sink = Sink { child };
        let deadline = Instant::now() + StdDuration::from_secs(15);
        loop {
            if let Some(status) = sink.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(log).unwrap_or_default();
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
            actix_web::rt::time::sleep(StdDuration::from_millis(100)).await;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One header of a raw message (unfolded), if present.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.replace("\r\n", "\n");
    let head = head
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace("\n ", " ");
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::to_owned))
}

/// Every message in the maildir as (subject, envelope recipient, raw text).
fn received(maildir: &Path) -> Vec<(String, String, String)> {
    let mut all = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let raw = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let subject = header(&raw, "Subject").unwrap_or_default();
            let rcpt = header(&raw, "X-RcptTo").unwrap_or_default();
            all.push((subject, rcpt, raw));
        }
    }
    all.sort();
    all
}

/// `=?utf-8?b?…?=` words decoded, other text as is.
fn decode_subject(subject: &str) -> String {
    subject
        .split(' ')
        .map(|word| {
            match word
                .strip_prefix("=?utf-8?b?")
                .and_then(|w| w.strip_suffix("?="))
            {
                Some(b64) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap();
                    String::from_utf8(bytes).unwrap()
                }
                None => word.to_owned(),
            }
        })
        .collect()
}

async fn smtp_server_stops_and_comes_back(app: TestApp) {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let log = dir.path().join("aiosmtpd.log");
    let url = format!("smtp://127.0.0.1:{port}");
    let config = MailConfig::resolve(Some(&url), FROM, dir.path()).unwrap();
    let mailer = Mailer::from_config(&config).unwrap();

    let sink = Sink::start(port, &maildir, &log).await;
    enqueue(&app, &email("first@firm.example", "first"));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    let got = received(&maildir);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("first", "first@firm.example")
    );
    let raw = &got[0].2;
    assert_eq!(
        header(raw, "From").as_deref(),
        Some("\"Incident Portal\" <no-reply@fsa.example>")
    );
    assert!(
        header(raw, "Message-ID")
            .unwrap()
            .ends_with("@fsa.example>")
    );
    assert!(
        header(raw, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );

    // The server goes away: new messages fail, are kept, and wait.
    drop(sink);
    enqueue(&app, &email("second@firm.example", "second"));
    enqueue(&app, &email("third@firm.example", "三番目の通知"));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.claimed, report.sent, report.failed), (2, 0, 2));
    assert_eq!(counts(&app), (2, 1), "nothing lost");

    // Back on the same port: the messages wait for their backoff, then go.
    let sink = Sink::start(port, &maildir, &log).await;
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!(report.claimed, 0, "still backing off");
    app.clock.advance(Duration::seconds(30));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (2, 0));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!(report.claimed, 0);
    assert_eq!(counts(&app), (0, 3));

    let got: Vec<(String, String)> = received(&maildir)
        .into_iter()
        .map(|(subject, rcpt, _)| (decode_subject(&subject), rcpt))
        .collect();
    let mut expected = vec![
        ("first".to_owned(), "first@firm.example".to_owned()),
        ("second".to_owned(), "second@firm.example".to_owned()),
        ("三番目の通知".to_owned(), "third@firm.example".to_owned()),
    ];
    expected.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, expected, "every message exactly once");
    drop(sink);
}

on_both_backends!(smtp_server_stops_and_comes_back);

/// Without PORTAL_SMTP_URL, messages become .eml files under the data folder.
#[actix_web::test]
async fn file_transport_writes_eml_files() {
    let data = tempfile::tempdir().unwrap();
    let mailer =
        Mailer::from_config(&MailConfig::resolve(None, FROM, data.path()).unwrap()).unwrap();
    let dir: PathBuf = data.path().join("mail");
    let email = SentEmail {
        to: "g@firm.example".into(),
        subject: "Saved\r\nX-Injected: yes".into(),
        text: "plain body".into(),
        html: "<p>html body</p>".into(),
    };
    let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    mailer.send(&email, "7.123", at).await.unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        header(&raw, "Subject").as_deref(),
        Some("Saved X-Injected: yes")
    );
    assert_eq!(header(&raw, "X-Injected"), None);
    assert_eq!(header(&raw, "To").as_deref(), Some("g@firm.example"));
    assert_eq!(
        header(&raw, "Date").as_deref(),
        Some("Tue, 20 May 2025 10:00:00 +0000")
    );
    assert_eq!(
        header(&raw, "Message-ID").as_deref(),
        Some("<outbox.7.123@fsa.example>")
    );
    assert!(raw.contains("plain body") && raw.contains("<p>html body</p>"));
}
