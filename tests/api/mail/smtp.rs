//! Delivery through a real SMTP server (the test's own, in this process:
//! tests/support/smtp_server.rs) that stops mid-way and comes back on the
//! same port, or refuses mail for a while: messages wait, nothing is lost,
//! nothing is sent twice. Also the default `.eml` file transport.

#[allow(dead_code, reason = "shared by three test crates, each uses a part")]
#[path = "../../support/smtp_server.rs"]
mod smtp_server;

use std::path::PathBuf;

use base64::Engine;
use chrono::Duration;
use incident_portal::config::MailConfig;
use incident_portal::mail::transport::{Mailer, SentEmail};
use incident_portal::mail::worker::deliver_due;

use self::smtp_server::{Mode, SmtpServer, header};
use super::{counts, email, enqueue};
use crate::helpers::TestApp;
use crate::on_both_backends;

const FROM: &str = "Incident Portal <no-reply@fsa.example>";

/// Every message received as (subject, envelope recipient, raw text).
fn received(server: &SmtpServer) -> Vec<(String, String, String)> {
    let mut all: Vec<(String, String, String)> = server
        .messages()
        .into_iter()
        .map(|m| {
            let subject = m.header("Subject").unwrap_or_default();
            (subject, m.rcpt_to.join(","), m.data)
        })
        .collect();
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
    let dir = tempfile::tempdir().unwrap();
    let mut server = SmtpServer::start();
    let config = MailConfig::resolve(Some(&server.url()), FROM, dir.path()).unwrap();
    let mailer = Mailer::from_config(&config).unwrap();

    enqueue(&app, &email("first@firm.example", "first"));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    let got = received(&server);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("first", "first@firm.example")
    );
    assert_eq!(server.messages()[0].mail_from, "no-reply@fsa.example");
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
    server.stop();
    enqueue(&app, &email("second@firm.example", "second"));
    enqueue(&app, &email("third@firm.example", "三番目の通知"));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.claimed, report.sent, report.failed), (2, 0, 2));
    assert_eq!(counts(&app), (2, 1), "nothing lost");

    // Back on the same port: the messages wait for their backoff, then go.
    server.resume();
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!(report.claimed, 0, "still backing off");
    app.clock.advance(Duration::seconds(30));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (2, 0));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!(report.claimed, 0);
    assert_eq!(counts(&app), (0, 3));

    let mut got: Vec<(String, String)> = received(&server)
        .into_iter()
        .map(|(subject, rcpt, _)| (decode_subject(&subject), rcpt))
        .collect();
    got.sort();
    let mut expected = vec![
        ("first".to_owned(), "first@firm.example".to_owned()),
        ("second".to_owned(), "second@firm.example".to_owned()),
        ("三番目の通知".to_owned(), "third@firm.example".to_owned()),
    ];
    expected.sort();
    assert_eq!(got, expected, "every message exactly once");
}

/// A server that answers with a temporary refusal (451) is a failed send:
/// the message is kept and goes out once the server accepts again.
async fn smtp_refusal_is_retried(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start();
    let config = MailConfig::resolve(Some(&server.url()), FROM, dir.path()).unwrap();
    let mailer = Mailer::from_config(&config).unwrap();

    server.set_mode(Mode::Refuse(451));
    enqueue(&app, &email("refused@firm.example", "refused"));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    assert_eq!(counts(&app), (1, 0), "kept for a retry");
    assert!(server.messages().is_empty());

    server.set_mode(Mode::Accept);
    app.clock.advance(Duration::seconds(30));
    let report = deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    assert_eq!(counts(&app), (0, 1));
    let got = received(&server);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("refused", "refused@firm.example")
    );
}

on_both_backends!(smtp_server_stops_and_comes_back, smtp_refusal_is_retried);

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
