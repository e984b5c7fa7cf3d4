//! Scheduled releases: a frozen publication becomes public at its
//! `released_at`, not a moment before. Every instance runs the scheduler
//! beside its other background work (`Config::mail_worker`, on unless a
//! test delivers by hand); each pass reads which releases are due (nothing is written when none
//! is), and flips each from scheduled to released with a conditional
//! update, so across instances each is released exactly once, by whichever
//! instance comes first, and audited once. Until flipped, a scheduled
//! release is not public anywhere (public pages and files read released
//! publications only). An admin may cancel a schedule before its time: the
//! publication is a draft again.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Actor;
use super::audit::{self, Action, Event};
use crate::clock::Clock;
use crate::db::schema::publications;
use crate::db::{DbConn, DbPool, write_tx};
use crate::domain::PublicationStatus;
use crate::error::AppResult;

/// How often each instance looks for a release that is due: a scheduled
/// release is public within this time of its moment, never before.
pub const INTERVAL: Duration = Duration::from_millis(500);

/// Releases every scheduled publication whose time has come; the ids this
/// call released (another instance may have released some first).
pub fn release_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<i64>> {
    let due: Vec<(i64, Option<NaiveDateTime>)> = publications::table
        .filter(publications::status.eq(PublicationStatus::Scheduled))
        .filter(publications::released_at.le(now))
        .select((publications::id, publications::released_at))
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        let mut released = Vec::new();
        for (id, at) in due {
            let changed = diesel::update(
                publications::table
                    .find(id)
                    .filter(publications::status.eq(PublicationStatus::Scheduled)),
            )
            // Public from now (its time, or a moment after): so it sorts
            // after any release made before this pass, and the lists'
            // Last-Modified moves.
            .set((
                publications::status.eq(PublicationStatus::Released),
                publications::released_at.eq(now.max(at.unwrap_or(now))),
            ))
            .execute(conn)?;
            if changed != 1 {
                continue;
            }
            let at = at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            audit::record(
                conn,
                now,
                &Actor::system("scheduler"),
                Event {
                    action: Action::PublicationReleased,
                    object_type: "publication",
                    object_id: &id.to_string(),
                    detail: &format!("scheduled for {}", at.unwrap_or_default()),
                },
            )?;
            released.push(id);
        }
        Ok(released)
    })
}

/// What cancelling a schedule did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// A draft again.
    Done,
    /// Its time has come: it is released (or about to be).
    TooLate,
    /// It was not scheduled (a draft, a release, or cancelled already).
    NotScheduled,
}

/// Cancels a schedule before its time: the publication is a draft again
/// (its frozen files dropped).
pub fn unschedule(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Cancelled> {
    write_tx(conn, |conn| {
        let none: Option<String> = None;
        let changed = diesel::update(
            publications::table
                .find(id)
                .filter(publications::status.eq(PublicationStatus::Scheduled))
                .filter(publications::released_at.gt(now)),
        )
        .set((
            publications::status.eq(PublicationStatus::Draft),
            publications::released_at.eq(None::<NaiveDateTime>),
            publications::table_json.eq(&none),
            publications::csv_en.eq(&none),
            publications::csv_ja.eq(&none),
            publications::sha256_en.eq(&none),
            publications::sha256_ja.eq(&none),
            publications::audit_json.eq(&none),
            publications::contributors_json.eq(&none),
        ))
        .execute(conn)?;
        if changed != 1 {
            let p = super::publications::find(conn, id)?;
            return Ok(if p.status == PublicationStatus::Draft {
                Cancelled::NotScheduled
            } else if p.status == PublicationStatus::Released || p.released_at <= Some(now) {
                Cancelled::TooLate
            } else {
                Cancelled::NotScheduled
            });
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::PublicationUnscheduled,
                object_type: "publication",
                object_id: &id.to_string(),
                detail: "",
            },
        )?;
        Ok(Cancelled::Done)
    })
}

/// The scheduler: every `INTERVAL`, releases what is due.
pub fn spawn(pool: DbPool, clock: Clock) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        loop {
            let now = clock.now();
            let pass = crate::db::run(&pool, move |conn| release_due(conn, now)).await;
            match pass {
                Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "scheduled releases released"),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error.chain(), "release scheduler pass failed");
                }
            }
            tokio::time::sleep(INTERVAL).await;
        }
    })
}
