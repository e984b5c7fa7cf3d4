//! What the scheduler does on each pass: reminders to firms that have
//! submitted nothing (some days before the due date, and on the business
//! day after it), the analysts' daily digest of new submissions, the
//! notices of incident deadlines (`incident_notices`, at any hour), and
//! the day's retention purge (`retention::run_daily`, once a day).
//!
//! Each reminder is sent once per firm, period and kind, and each
//! submission appears in exactly one digest, however many instances run
//! passes at the same time: the pass first inserts the bookkeeping row with
//! an insert-or-ignore (a backend-specific statement), and only the
//! transaction whose insert took effect writes the emails.
//!
//! The server's own scheduler ([`spawn`]) is a loop on the actix runtime
//! beside the mail worker (gated by the same `config.mail_worker` flag)
//! that runs [`run_due`] every minute with the time from the `Clock`.

use std::time::Duration as StdDuration;

use chrono::{Days, NaiveDate, NaiveDateTime, Timelike};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::mail_links::MailLinks;
use super::{calendar, extensions, incident_notices, notify, retention};
use crate::clock::Clock;
use crate::db::models::Version;
use crate::db::schema::{digest_items, digests, firms, return_versions};
use crate::db::{self, DbConn, DbPool, write_tx};
use crate::domain::Role;
use crate::domain::due_date::{due_date, next_business_day_on_or_after};
use crate::domain::period::Period;
use crate::domain::time::{to_tokyo, tokyo_date};
use crate::error::{AppError, AppResult};
use crate::mail::workflow_messages::{self, DigestItem, ReminderKind};

/// Nothing is sent before this hour of the Tokyo day.
pub const SEND_FROM_HOUR_JST: u32 = 9;
/// An overdue reminder missed (the scheduler was down) is still sent this
/// many days after its day, not later.
const OVERDUE_GRACE_DAYS: u64 = 2;

/// The pause between the scheduler's passes.
const INTERVAL: StdDuration = StdDuration::from_secs(60);

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// (firm, period, kind) reminders sent by this pass.
    pub reminders: usize,
    /// Submissions listed in the digest this pass sent (0: none sent).
    pub digested: usize,
    /// Incident notices (reminders, overdue notices, stages arrived) sent
    /// by this pass.
    pub incident_notices: usize,
    /// Emails written to the outbox.
    pub emails: usize,
    /// Fields the day's retention run replaced by its marker (0 on the
    /// day's later passes).
    pub retention_purged: usize,
}

/// One pass at `now`; emails link through `links`.
pub fn run_due(conn: &mut DbConn, now: NaiveDateTime, links: &MailLinks) -> AppResult<RunReport> {
    let mut report = RunReport::default();
    // Incident deadlines are in hours: their notices go out at any hour.
    let notices = incident_notices::run_due(conn, now, links)?;
    report.incident_notices = notices.notices();
    report.emails += notices.emails;
    if let Some(run) = retention::run_daily(conn, now)? {
        report.retention_purged = run.purged();
    }
    if to_tokyo(now).hour() < SEND_FROM_HOUR_JST {
        return Ok(report);
    }
    let today = tokyo_date(now);
    let current = Period::from_date(today);
    let cal = calendar::current(conn)?;
    // A granted extension moves a month's due date up to
    // `MAX_DAYS_AFTER_DUE` later: months that far back may still be due.
    let oldest = (0..LOOK_BACK_MONTHS).fold(current, |p, _| p.prev());
    let granted = extensions::near(conn, oldest, today)?;
    let mut period = oldest;
    while period < current {
        let key = period.to_string();
        let base = due_date(period, cal.due_day);
        let kind_of = |due| kind_on(due, today, cal.reminder_days);
        // Firms reminded against the month's own due date (none but on
        // its days) and those with an extension whose date is near.
        let mut due_firms: Vec<(i64, NaiveDate, ReminderKind)> = Vec::new();
        if let Some(kind) = kind_of(base) {
            // Only firms whose first reporting month is this period or before.
            let firm_ids: Vec<i64> = firms::table
                .filter(firms::active.eq(true))
                .filter(firms::first_period.le(&key))
                .order(firms::id.asc())
                .select(firms::id)
                .load(conn)?;
            due_firms.extend(
                firm_ids
                    .into_iter()
                    .filter(|id| !granted.contains_key(&(*id, key.clone())))
                    .map(|id| (id, base, kind)),
            );
        }
        for ((firm_id, _), g) in granted.iter().filter(|((_, p), _)| *p == key) {
            if let Some(kind) = kind_of(g.due) {
                due_firms.push((*firm_id, g.due, kind));
            }
        }
        due_firms.sort_by_key(|(id, _, _)| *id);
        for (firm_id, due, kind) in due_firms {
            let emails = remind(conn, firm_id, period, kind, due, links, now)?;
            if let Some(emails) = emails {
                report.reminders += 1;
                report.emails += emails;
            }
        }
        period = period.next();
    }
    let (digested, emails) = digest(conn, now, links)?;
    report.digested = digested;
    report.emails += emails;
    Ok(report)
}

/// Months back the pass looks for a due date: the last two months, and
/// those an extension can have moved into reach.
const LOOK_BACK_MONTHS: usize = 5;

/// Which reminder is due on `today` for a month due on `due`: from
/// `reminder_days` before it to the day itself, and in the few days from
/// the business day after it.
fn kind_on(due: NaiveDate, today: NaiveDate, reminder_days: u32) -> Option<ReminderKind> {
    let before_from = due
        .checked_sub_days(Days::new(u64::from(reminder_days)))
        .unwrap_or(due);
    let overdue_on = next_business_day_on_or_after(due.succ_opt().unwrap_or(due));
    if (before_from..=due).contains(&today) {
        Some(ReminderKind::Before)
    } else if today >= overdue_on
        && overdue_on
            .checked_add_days(Days::new(OVERDUE_GRACE_DAYS))
            .is_some_and(|last| today <= last)
    {
        Some(ReminderKind::Overdue)
    } else {
        None
    }
}

/// Sends one firm's reminder unless it submitted or was already reminded.
/// `Some(emails)` when this call sent it.
fn remind(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    kind: ReminderKind,
    due: NaiveDate,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<Option<usize>> {
    let key = period.to_string();
    write_tx(conn, |conn| {
        let submitted: i64 = return_versions::table
            .filter(return_versions::firm_id.eq(firm_id))
            .filter(return_versions::period.eq(&key))
            .count()
            .get_result(conn)?;
        if submitted > 0 || claim_reminder(conn, firm_id, &key, kind.as_str(), now)? == 0 {
            return Ok(None);
        }
        let recipients = notify::firm_users(conn, firm_id, &[Role::Approver, Role::Reporter])?;
        let firm = notify::firm_name(conn, firm_id)?;
        let link = links.return_page(&key);
        let sent = notify::send_each(conn, &recipients, now, |to, lang| {
            workflow_messages::reminder(to, lang, kind, &firm, &key, due, &link)
        })?;
        Ok(Some(sent))
    })
}

fn claim_reminder(
    conn: &mut DbConn,
    firm_id: i64,
    period: &str,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    const COLUMNS: &str = "reminders_sent (firm_id, period, kind, sent_at)";
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(format!(
            "INSERT INTO {COLUMNS} VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
        ))
        .bind::<BigInt, _>(firm_id)
        .bind::<Text, _>(period)
        .bind::<Text, _>(kind)
        .bind::<Timestamp, _>(now)
        .execute(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(format!(
            "INSERT OR IGNORE INTO {COLUMNS} VALUES (?, ?, ?, ?)"
        ))
        .bind::<BigInt, _>(firm_id)
        .bind::<Text, _>(period)
        .bind::<Text, _>(kind)
        .bind::<Timestamp, _>(now)
        .execute(lite),
    }
}

fn claim_digest(
    conn: &mut DbConn,
    day: &str,
    count: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    const COLUMNS: &str = "digests (day, sent_at, submissions)";
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(format!(
            "INSERT INTO {COLUMNS} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        ))
        .bind::<Text, _>(day)
        .bind::<Timestamp, _>(now)
        .bind::<Integer, _>(count)
        .execute(pg),
        DbConn::Sqlite(lite) => {
            diesel::sql_query(format!("INSERT OR IGNORE INTO {COLUMNS} VALUES (?, ?, ?)"))
                .bind::<Text, _>(day)
                .bind::<Timestamp, _>(now)
                .bind::<Integer, _>(count)
                .execute(lite)
        }
    }
}

/// The day's digest, if not sent yet and there is something new: every
/// portal submission not in an earlier digest, to every active analyst and
/// admin. Returns (submissions listed, emails).
fn digest(conn: &mut DbConn, now: NaiveDateTime, links: &MailLinks) -> AppResult<(usize, usize)> {
    let day = tokyo_date(now).to_string();
    write_tx(conn, |conn| {
        let fresh: Vec<(Version, String)> = return_versions::table
            .inner_join(firms::table)
            .filter(return_versions::source.eq("portal"))
            .filter(not(exists(
                digest_items::table.filter(digest_items::version_id.eq(return_versions::id)),
            )))
            .order(return_versions::id.asc())
            .select((Version::as_select(), firms::name))
            .load(conn)?;
        let count = i32::try_from(fresh.len()).unwrap_or(i32::MAX);
        if fresh.is_empty() || claim_digest(conn, &day, count, now)? == 0 {
            return Ok((0, 0));
        }
        let digest_id: i64 = digests::table
            .filter(digests::day.eq(&day))
            .select(digests::id)
            .first(conn)?;
        for (v, _) in &fresh {
            diesel::insert_into(digest_items::table)
                .values((
                    digest_items::version_id.eq(v.id),
                    digest_items::digest_id.eq(digest_id),
                ))
                .execute(conn)?;
        }
        let items: Vec<DigestItem> = fresh
            .into_iter()
            .map(|(version, firm)| DigestItem { firm, version })
            .collect();
        let staff = notify::staff_users(conn)?;
        let link = links.review();
        let emails = notify::send_each(conn, &staff, now, |to, lang| {
            workflow_messages::digest(to, lang, &items, now, &link)
        })?;
        Ok((items.len(), emails))
    })
}

/// One pass now, on the blocking pool (what the scheduler's loop runs).
pub async fn pass(pool: &DbPool, clock: &Clock, links: &MailLinks) -> Result<RunReport, AppError> {
    let (now, links) = (clock.now(), links.clone());
    db::run(pool, move |conn| run_due(conn, now, &links)).await
}

/// Runs passes forever on the current (actix) runtime.
pub fn spawn(pool: DbPool, clock: Clock, links: MailLinks) -> actix_web::rt::task::JoinHandle<()> {
    tracing::info!("reminder scheduler started");
    actix_web::rt::spawn(async move {
        loop {
            match pass(&pool, &clock, &links).await {
                Ok(report) if report.emails > 0 => tracing::info!(
                    reminders = report.reminders,
                    digested = report.digested,
                    incident_notices = report.incident_notices,
                    emails = report.emails,
                    "scheduler pass"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error.chain(), "scheduler pass failed"),
            }
            tokio::time::sleep(INTERVAL).await;
        }
    })
}
