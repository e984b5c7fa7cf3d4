//! The outbox worker: claims due messages in a short write transaction, sends
//! them outside any transaction, and records success or a retry with backoff.

use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::transport::{Mailer, SentEmail};
use crate::clock::Clock;
use crate::db::schema::email_outbox;
use crate::db::{self, DbConn, DbPool};
use crate::error::AppError;

/// Most messages one pass claims.
pub const BATCH: i64 = 50;
/// How long a claim keeps other passes (and instances) off a message.
pub const LEASE: Duration = Duration::seconds(60);
/// A pass starts no new send this long after its claim, so every send ends
/// well inside the lease (each SMTP command times out after 20 s); the rest
/// of its claim is released for the next pass.
const SEND_WINDOW: Duration = Duration::seconds(30);
/// The pause between passes when there was nothing more to do.
const INTERVAL: StdDuration = StdDuration::from_secs(2);
/// The first retry waits this long; each further failure doubles it.
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 3600;
const MAX_ERROR_CHARS: usize = 500;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    /// Claimed, but left for the next pass (the send window closed).
    pub released: usize,
}

/// A claimed row.
#[derive(Queryable)]
struct Claimed {
    id: i64,
    created_at: NaiveDateTime,
    to_addr: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i32,
}

/// The wait before the next attempt after `attempts` failures: 30 s, 60 s,
/// 120 s, … at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    Duration::seconds((FIRST_BACKOFF_SECS << doublings).min(MAX_BACKOFF_SECS))
}

/// One pass over the due messages (at most [`BATCH`]).
pub async fn deliver_due(
    pool: &DbPool,
    mailer: &Mailer,
    clock: &Clock,
) -> Result<DeliveryReport, AppError> {
    deliver_batch(pool, mailer, clock, BATCH).await
}

/// One pass claiming at most `limit` messages.
pub async fn deliver_batch(
    pool: &DbPool,
    mailer: &Mailer,
    clock: &Clock,
    limit: i64,
) -> Result<DeliveryReport, AppError> {
    let claimed_at = clock.now();
    let lease_end = claimed_at + LEASE;
    let rows = db::run(pool, move |conn| {
        // Nothing due (the usual case): no transaction at all. A claim
        // changes only the outbox, which no page keeps in memory, so it
        // leaves the kept reads in place (`write_tx_unseen`).
        if !any_due(conn, claimed_at)? {
            return Ok(Vec::new());
        }
        db::write_tx_unseen(conn, |conn| Ok(claim(conn, claimed_at, lease_end, limit)?))
    })
    .await?;
    let mut report = DeliveryReport {
        claimed: rows.len(),
        ..DeliveryReport::default()
    };
    let mut rows = rows.into_iter();
    while let Some(row) = rows.next() {
        if clock.now() >= claimed_at + SEND_WINDOW {
            let ids: Vec<i64> = std::iter::once(row.id).chain(rows.map(|r| r.id)).collect();
            report.released = ids.len();
            db::run(pool, move |conn| Ok(release(conn, &ids, lease_end)?)).await?;
            break;
        }
        let email = SentEmail {
            to: row.to_addr,
            subject: row.subject,
            text: row.body_text,
            html: row.body_html,
        };
        let key = format!("{}.{}", row.id, row.created_at.and_utc().timestamp_micros());
        let outcome = mailer.send(&email, &key, clock.now()).await;
        let now = clock.now();
        let id = row.id;
        match outcome {
            Ok(()) => {
                db::run(pool, move |conn| Ok(mark_sent(conn, id, now)?)).await?;
                tracing::info!(outbox_id = id, "email sent");
                report.sent += 1;
            }
            Err(error) => {
                let attempts = row.attempts.saturating_add(1);
                let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
                tracing::warn!(outbox_id = id, attempts, %error, "email not sent; will retry");
                db::run(pool, move |conn| {
                    Ok(mark_failed(conn, id, attempts, &error, now)?)
                })
                .await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// Runs passes forever on the current (actix) runtime: again at once after a
/// full or cut-short pass, otherwise every two seconds.
pub fn spawn(pool: DbPool, mailer: Mailer, clock: Clock) -> actix_web::rt::task::JoinHandle<()> {
    tracing::info!(transport = %mailer.describe(), "outbox worker started");
    actix_web::rt::spawn(async move {
        loop {
            let more = match deliver_due(&pool, &mailer, &clock).await {
                Ok(report) => report.claimed as i64 >= BATCH || report.released > 0,
                Err(error) => {
                    tracing::warn!(error = %error.chain(), "outbox pass failed");
                    false
                }
            };
            if more {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(INTERVAL).await;
            }
        }
    })
}

/// Marks up to `limit` due, unclaimed messages as claimed until `lease_end`
/// and returns them. Runs inside a write transaction; on PostgreSQL the
/// candidate rows are locked with SKIP LOCKED, so a concurrent pass takes
/// other rows instead of waiting for (or re-taking) these.
/// Whether any message is due and unclaimed (a plain read).
fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    use email_outbox::dsl as o;
    let first: Option<i64> = o::email_outbox
        .filter(o::sent_at.is_null())
        .filter(o::next_attempt_at.le(now))
        .filter(o::claimed_until.is_null().or(o::claimed_until.le(now)))
        .select(o::id)
        .first(conn)
        .optional()?;
    Ok(first.is_some())
}

fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_end: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    use email_outbox::dsl as o;
    let due = o::email_outbox
        .filter(o::sent_at.is_null())
        .filter(o::next_attempt_at.le(now))
        .filter(o::claimed_until.is_null().or(o::claimed_until.le(now)))
        .order(o::id)
        .select(o::id)
        .limit(limit);
    let ids: Vec<i64> = match conn {
        DbConn::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        // BEGIN IMMEDIATE (write_tx) already serialises claimers on SQLite.
        DbConn::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(o::email_outbox.filter(o::id.eq_any(&ids)))
        .set(o::claimed_until.eq(lease_end))
        .execute(conn)?;
    o::email_outbox
        .filter(o::id.eq_any(&ids))
        .order(o::id)
        .select((
            o::id,
            o::created_at,
            o::to_addr,
            o::subject,
            o::body_text,
            o::body_html,
            o::attempts,
        ))
        .load(conn)
}

fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    use email_outbox::dsl as o;
    diesel::update(o::email_outbox.find(id).filter(o::sent_at.is_null()))
        .set((
            o::sent_at.eq(now),
            o::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

fn mark_failed(
    conn: &mut DbConn,
    id: i64,
    attempts: i32,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use email_outbox::dsl as o;
    diesel::update(o::email_outbox.find(id).filter(o::sent_at.is_null()))
        .set((
            o::attempts.eq(attempts),
            o::last_error.eq(error),
            o::next_attempt_at.eq(now + backoff(attempts)),
            o::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Gives back rows this pass claimed (until `lease_end`) but did not send.
fn release(conn: &mut DbConn, ids: &[i64], lease_end: NaiveDateTime) -> QueryResult<usize> {
    use email_outbox::dsl as o;
    diesel::update(
        o::email_outbox
            .filter(o::id.eq_any(ids))
            .filter(o::sent_at.is_null())
            .filter(o::claimed_until.eq(lease_end)),
    )
    .set(o::claimed_until.eq(None::<NaiveDateTime>))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let secs = |n| backoff(n).num_seconds();
        assert_eq!(secs(0), 30);
        assert_eq!(secs(1), 30);
        assert_eq!(secs(2), 60);
        assert_eq!(secs(3), 120);
        assert_eq!(secs(7), 1920);
        assert_eq!(secs(8), 3600);
        assert_eq!(secs(1000), 3600);
        assert_eq!(secs(i32::MAX), 3600);
    }
}
