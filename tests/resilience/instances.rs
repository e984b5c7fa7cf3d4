//! Two instances of the portal on one PostgreSQL database, each with its
//! own pool, mail worker and reminder scheduler (in this process, so both
//! can share a clock that the test moves): a session made on one works on
//! the other, failed sign-ins split across both lock the account at the
//! same threshold, every outbox message reaches a real SMTP sink exactly
//! once, and each reminder goes out once.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::config::{Config, MailConfig};
use incident_portal::db::schema::{audit_events, email_outbox};
use incident_portal::db::{DbPool, DbUrl};
use incident_portal::mail::outbox;
use incident_portal::server;
use incident_portal::services::reminders;
use incident_portal::services::throttle::LOCK_AFTER;

use crate::accounts::{enqueue_mail, firms_with_approvers_at, migrated_pool};
use crate::filer::Filer;
use crate::postgres::Cluster;
use crate::report::{Row, note, pick};
use crate::smtp::Sink;

const FROM: &str = "Incident Portal <no-reply@fsa.example>";

struct Instance {
    base: String,
    pool: DbPool,
    handle: actix_web::dev::ServerHandle,
}

fn start_instance(url: &DbUrl, mail: MailConfig, clock: &Clock) -> Instance {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config {
        database_url: url.clone(),
        bind: format!("127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        data_dir: std::env::temp_dir(),
        pool_size: 4,
        workers: 1,
        mail,
        mail_worker: true,
        security: Default::default(),
        limits: Default::default(),
    };
    let pool = server::prepare_database(&config).unwrap();
    let server = server::start(Arc::new(config), pool.clone(), clock.clone(), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Instance {
        base: format!("http://127.0.0.1:{port}"),
        pool,
        handle,
    }
}

fn audit_count(pool: &DbPool, action: &str) -> i64 {
    let mut conn = pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// Waits until both workers have sent everything in the outbox.
async fn drain(pool: &DbPool, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let pending = {
            let mut conn = pool.get().unwrap();
            outbox::pending_count(&mut conn).unwrap()
        };
        if pending == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{pending} messages still unsent");
        actix_web::rt::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn two_instances() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start();
    let url = DbUrl::Postgres(cluster.create_database("portal_instances"));
    let pool = migrated_pool(&url);
    // Sunday 8 June 2025, 10:00 JST: May's return (due Tuesday 10 June) is
    // inside its first reminder's window.
    let clock = Clock::fixed(
        NaiveDate::from_ymd_opt(2025, 6, 8)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap(),
    );
    let firms = pick(10, 50);
    let accounts = firms_with_approvers_at(&pool, "Multi", firms, clock.now());
    let queued = pick(200, 2000);
    enqueue_mail(&pool, "multi", queued, clock.now());
    let sink = Sink::start(dir.path()).await;
    let mail = MailConfig::resolve(Some(&sink.url()), FROM, dir.path()).unwrap();
    // Both schedulers run a pass as they start, at the same moment.
    let a = start_instance(&url, mail.clone(), &clock);
    let b = start_instance(&url, mail, &clock);
    // And more passes race them, from both pools.
    let links_a = incident_portal::web::mail_links::for_portal(&a.base);
    let links_b = incident_portal::web::mail_links::for_portal(&b.base);
    let (r1, r2, r3, r4) = futures_util::join!(
        reminders::pass(&a.pool, &clock, &links_a),
        reminders::pass(&b.pool, &clock, &links_b),
        reminders::pass(&a.pool, &clock, &links_a),
        reminders::pass(&b.pool, &clock, &links_b),
    );
    for r in [r1, r2, r3, r4] {
        r.unwrap();
    }

    // A session made on A works on B; signing out on B ends it on A.
    let mut on_a = Filer::new(&a.base, accounts[0].clone());
    on_a.sign_in_at(clock.clone()).await.unwrap();
    let mut on_b = on_a.moved_to(&b.base);
    let page = on_b.get("/returns").await.unwrap();
    assert_eq!(page.status, 200, "A's session on B: {}", page.body);
    assert!(page.body.contains("Multi 00 Securities"), "{}", page.body);
    let fields = crate::filer::hidden_fields(&page.body);
    let out = on_b.post("/logout", &fields).await.unwrap();
    assert_eq!(out.status, 303, "signed out on B: {}", out.body);
    let page = on_a.get("/returns").await.unwrap();
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/login")),
        "the session ended on A too"
    );
    note("two instances: a session made on A works on B; sign-out on B ends it on A");

    // Every message goes out once, whichever worker claims it. (Drained
    // before the clock jumps below: a jump of minutes in the middle of a
    // send would end its lease, which no real send outlives.)
    drain(&pool, Duration::from_secs(pick(90, 300))).await;

    // Failed sign-ins alternate between A and B: the lock comes at the
    // tenth, counted across both.
    let target = accounts[1].clone();
    let mut tries = [
        Filer::new(&a.base, target.clone()),
        Filer::new(&b.base, target.clone()),
    ];
    for attempt in 1..=LOCK_AFTER {
        // Past any wait between attempts (at most 15 minutes).
        clock.advance(chrono::Duration::minutes(16));
        let reply = tries[attempt as usize % 2]
            .password_attempt("not the password at all")
            .await
            .unwrap();
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.body);
        let locked = audit_count(&a.pool, "auth.account_locked");
        assert_eq!(
            locked,
            i64::from(attempt == LOCK_AFTER),
            "after {attempt} failures split across A and B"
        );
    }
    clock.advance(chrono::Duration::seconds(30));
    for (name, filer) in ["A", "B"].into_iter().zip(tries.iter_mut()) {
        let reply = filer
            .password_attempt(crate::accounts::PASSWORD)
            .await
            .unwrap();
        assert_eq!(reply.status, 429, "locked on {name}: {}", reply.body);
    }
    note(&format!(
        "two instances: failures alternating A/B lock the account at the {LOCK_AFTER}th, on both"
    ));

    drain(&pool, Duration::from_secs(pick(90, 300))).await;
    let rows: i64 = {
        let mut conn = pool.get().unwrap();
        email_outbox::table.count().get_result(&mut conn).unwrap()
    };
    // The sink writes a message after its last SMTP reply: give it a moment.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = sink.received();
    let reminders_to: Vec<&String> = received
        .messages
        .values()
        .filter(|(subject, _)| subject.contains("2025-06-10"))
        .map(|(_, to)| to)
        .collect();
    assert_eq!(
        reminders_to.len(),
        firms,
        "one reminder per approver: {reminders_to:?}"
    );
    let mut unique = reminders_to.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), firms, "no approver reminded twice");
    let twice: Vec<_> = received
        .count
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| received.messages.get(id))
        .collect();
    assert!(twice.is_empty(), "messages arrived twice: {twice:?}");
    assert_eq!(
        received.count.len() as i64,
        rows,
        "every outbox row arrived"
    );
    assert_eq!(received.total() as i64, rows);
    let lock_mail = received
        .messages
        .values()
        .filter(|(subject, to)| to == &target.email && !subject.contains("2025-06-10"))
        .count();
    assert_eq!(lock_mail, 1, "the holder was told of the lock once");
    Row {
        scenario: "2 instances: mail",
        backend: "postgres",
        cycles: 1,
        issued: rows as usize,
        found: received.count.len(),
        lost: (rows as usize).saturating_sub(received.count.len()),
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        status_503: 0,
        duplicates: received.duplicates(),
    }
    .publish();
    note(&format!(
        "two instances: {rows} messages ({queued} queued, {firms} reminders, 1 lock notice) each delivered once"
    ));
    a.handle.stop(false).await;
    b.handle.stop(false).await;
    drop((a.pool, b.pool, pool));
    drop(cluster);
}
