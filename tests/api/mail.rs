//! Email: the transactional outbox (rollback sends nothing, commit sends
//! once), retries with backoff under a moving clock, expired claims,
//! concurrent passes, the worker a server starts, and (in submodules) a real
//! SMTP server that goes away and the messages themselves.

mod messages;
mod smtp;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Arc;

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::config::{Config, MailConfig, SmtpServer, SmtpTls};
use incident_portal::db::{self, schema::email_outbox};
use incident_portal::domain::email::EmailAddress;
use incident_portal::mail::outbox::{self, Email};
use incident_portal::mail::transport::{Mailer, MemoryMailbox, SentEmail};
use incident_portal::mail::worker::{self, deliver_due};
use incident_portal::server;

use crate::helpers::TestApp;
use crate::on_both_backends;

/// A plain message to `to` with a recognisable subject.
pub fn email(to: &str, subject: &str) -> Email {
    Email {
        to: EmailAddress::parse(to).unwrap(),
        subject: subject.to_owned(),
        text: format!("text of {subject}"),
        html: format!("<p>html of {subject}</p>"),
    }
}

/// Writes `email` in a committed write transaction; returns its outbox id.
pub fn enqueue(app: &TestApp, email: &Email) -> i64 {
    let mut conn = app.pool.get().unwrap();
    db::write_tx(&mut conn, |c| outbox::enqueue(c, email, app.clock.now())).unwrap()
}

pub fn counts(app: &TestApp) -> (i64, i64) {
    let mut conn = app.pool.get().unwrap();
    (
        outbox::pending_count(&mut conn).unwrap(),
        outbox::sent_count(&mut conn).unwrap(),
    )
}

pub fn status(app: &TestApp, id: i64) -> outbox::OutboxStatus {
    outbox::status(&mut app.pool.get().unwrap(), id).unwrap()
}

/// Delivers everything due into a fresh memory mailbox and returns it (for
/// tests of features that send mail).
pub async fn deliver(app: &TestApp) -> Vec<SentEmail> {
    let mailbox = MemoryMailbox::default();
    let mailer = Mailer::Memory(mailbox.clone());
    deliver_due(&app.pool, &mailer, &app.clock).await.unwrap();
    mailbox.take()
}

/// An SMTP mailer pointed at a port nobody listens on: every send fails.
fn unreachable_mailer() -> Mailer {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = MailConfig::resolve(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "Portal <no-reply@fsa.example>",
        &std::env::temp_dir(),
    )
    .unwrap();
    Mailer::from_config(&config).unwrap()
}

async fn rolled_back_enqueue_sends_nothing_committed_sends_once(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let rolled_back: Result<i64, diesel::result::Error> = db::write_tx(&mut conn, |c| {
        outbox::enqueue(c, &email("a@firm.example", "rolled back"), app.clock.now())?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    drop(conn);
    assert_eq!(
        counts(&app),
        (0, 0),
        "the rollback took the message with it"
    );
    assert!(deliver(&app).await.is_empty());

    let id = enqueue(
        &app,
        &email("b@firm.example", "Hello\r\nBcc: evil@attacker.example"),
    );
    assert_eq!(counts(&app), (1, 0));
    let sent = deliver(&app).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "b@firm.example");
    assert_eq!(
        sent[0].subject, "Hello Bcc: evil@attacker.example",
        "no CR/LF"
    );
    assert_eq!(sent[0].text, "text of Hello\r\nBcc: evil@attacker.example");
    assert_eq!(counts(&app), (0, 1));
    assert_eq!(status(&app, id).sent_at, Some(app.clock.now()));
    assert!(deliver(&app).await.is_empty(), "sent once only");
}

async fn failures_retry_with_backoff(app: TestApp) {
    let id = enqueue(&app, &email("c@firm.example", "retry me"));
    let failing = unreachable_mailer();
    let mut waits = Vec::new();
    for attempt in 1..=4 {
        let report = deliver_due(&app.pool, &failing, &app.clock).await.unwrap();
        assert_eq!((report.claimed, report.sent, report.failed), (1, 0, 1));
        let s = status(&app, id);
        assert_eq!(s.attempts, attempt);
        assert_eq!(
            s.claimed_until, None,
            "a failed message is not left claimed"
        );
        let error = s.last_error.unwrap();
        assert!(!error.is_empty() && !error.contains('\n') && error.len() <= 500);
        let wait = s.next_attempt_at - app.clock.now();
        waits.push(wait.num_seconds());
        // Not due a moment before the wait is over.
        app.clock.advance(wait - Duration::seconds(1));
        let early = deliver_due(&app.pool, &failing, &app.clock).await.unwrap();
        assert_eq!(early.claimed, 0, "attempt {attempt}: waits for its backoff");
        app.clock.advance(Duration::seconds(1));
    }
    assert_eq!(waits, [30, 60, 120, 240]);
    assert_eq!(worker::backoff(20).num_seconds(), 3600, "capped at an hour");
    // The server is back: the message goes out once, nothing was lost.
    let sent = deliver(&app).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "retry me");
    let s = status(&app, id);
    assert_eq!((s.attempts, s.sent_at), (4, Some(app.clock.now())));
    assert!(deliver(&app).await.is_empty());
    assert_eq!(counts(&app), (0, 1));
}

async fn an_expired_claim_is_taken_over(app: TestApp) {
    let id = enqueue(
        &app,
        &email("d@firm.example", "claimed by a crashed worker"),
    );
    // Another instance claimed it and died before sending.
    let until = app.clock.now() + worker::LEASE;
    diesel::update(email_outbox::table.find(id))
        .set(email_outbox::claimed_until.eq(Some(until)))
        .execute(&mut app.pool.get().unwrap())
        .unwrap();
    assert!(
        deliver(&app).await.is_empty(),
        "claimed rows are left alone"
    );
    app.clock.advance(worker::LEASE - Duration::seconds(1));
    assert!(deliver(&app).await.is_empty());
    app.clock.advance(Duration::seconds(1));
    assert_eq!(deliver(&app).await.len(), 1, "the lease ran out: delivered");
    assert_eq!(counts(&app), (0, 1));
}

async fn concurrent_passes_never_send_twice(app: TestApp) {
    const MESSAGES: usize = 60;
    for n in 0..MESSAGES {
        enqueue(&app, &email("e@firm.example", &format!("message {n:02}")));
    }
    let mailbox = MemoryMailbox::default();
    let mailer = Mailer::Memory(mailbox.clone());
    let mut passes = Vec::new();
    for _ in 0..8 {
        let (pool, mailer, clock) = (app.pool.clone(), mailer.clone(), app.clock.clone());
        passes.push(actix_web::rt::spawn(async move {
            let mut sent = 0;
            loop {
                let report = worker::deliver_batch(&pool, &mailer, &clock, 4)
                    .await
                    .unwrap();
                sent += report.sent;
                if report.claimed == 0 {
                    return sent;
                }
            }
        }));
    }
    let mut total = 0;
    for pass in passes {
        total += pass.await.unwrap();
    }
    let subjects: Vec<String> = mailbox.messages().into_iter().map(|m| m.subject).collect();
    let unique: BTreeSet<&String> = subjects.iter().collect();
    assert_eq!(subjects.len(), MESSAGES, "each message sent exactly once");
    assert_eq!(unique.len(), MESSAGES);
    assert_eq!(total, MESSAGES);
    assert_eq!(counts(&app), (0, MESSAGES as i64));
}

/// A second instance on the same database, started the way `serve` starts
/// one (worker on): its worker delivers what the first enqueued.
async fn the_server_runs_the_worker(app: TestApp) {
    let mailbox = MemoryMailbox::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config {
        database_url: app.db_url.clone(),
        bind: format!("127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        data_dir: std::env::temp_dir(),
        pool_size: 2,
        workers: 1,
        mail: MailConfig::Memory(mailbox.clone()),
        mail_worker: true,
        security: incident_portal::config::Security {
            key_file: Some(app.key_file.clone()),
            ..Default::default()
        },
        limits: Default::default(),
    };
    let second = server::start(
        Arc::new(config),
        app.pool.clone(),
        app.clock.clone(),
        listener,
    )
    .unwrap();
    let handle = second.handle();
    actix_web::rt::spawn(second);
    enqueue(&app, &email("f@firm.example", "from the worker"));
    for _ in 0..100 {
        if !mailbox.is_empty() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        mailbox.messages().len(),
        1,
        "the worker delivered within 10 s"
    );
    // Delivered, then marked sent in a write of its own a moment later.
    for _ in 0..100 {
        if counts(&app) == (0, 1) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(counts(&app), (0, 1), "marked sent within 10 s");
    handle.stop(false).await;
}

on_both_backends!(
    rolled_back_enqueue_sends_nothing_committed_sends_once,
    failures_retry_with_backoff,
    an_expired_claim_is_taken_over,
    concurrent_passes_never_send_twice,
    the_server_runs_the_worker,
);

#[test]
fn smtp_urls_and_redaction() {
    let s = SmtpServer::parse("smtp://user%40x:p%3Ass@Mail.Example:587?tls=starttls").unwrap();
    assert_eq!(
        (s.host.as_str(), s.port, s.tls),
        ("mail.example", 587, SmtpTls::StartTls)
    );
    assert_eq!(s.username.as_deref(), Some("user@x"));
    assert_eq!(s.password.as_deref(), Some("p:ss"));
    let shown = format!("{s:?}");
    assert!(shown.contains("***") && !shown.contains("p:ss"), "{shown}");
    let s = SmtpServer::parse("smtps://relay.example").unwrap();
    assert_eq!((s.port, s.tls, s.username), (465, SmtpTls::Tls, None));
    let s = SmtpServer::parse("smtp://127.0.0.1:2525").unwrap();
    assert_eq!((s.port, s.tls), (2525, SmtpTls::None));
    let s = SmtpServer::parse("smtp://relay.example").unwrap();
    assert_eq!(
        (s.port, s.tls),
        (587, SmtpTls::StartTls),
        "remote: STARTTLS unless told"
    );
    let s = SmtpServer::parse("smtp://[::1]:25?tls=none").unwrap();
    assert_eq!((s.host.as_str(), s.port, s.tls), ("::1", 25, SmtpTls::None));
    for bad in [
        "http://x.example",
        "smtp://",
        "smtp://h:port",
        "smtp://h?tls=maybe",
        "x",
    ] {
        assert!(SmtpServer::parse(bad).is_err(), "{bad}");
    }
    let config = MailConfig::resolve(
        Some("smtp://u:secret-pw@relay.example"),
        "Portal <no-reply@fsa.example>",
        std::path::Path::new("data"),
    )
    .unwrap();
    assert!(!format!("{config:?}").contains("secret-pw"));
    let settings = incident_portal::config::SmtpUrl("smtps://u:secret-pw@relay.example".into());
    assert!(!format!("{settings:?}").contains("secret-pw"));
    let default = MailConfig::resolve(None, "Portal <no-reply@localhost>", "d".as_ref()).unwrap();
    assert!(matches!(default, MailConfig::File { ref dir, .. } if dir.ends_with("d/mail")));
    assert!(MailConfig::resolve(None, "not an address", "d".as_ref()).is_err());
}
