//! Retention of personal data and narratives: the admin's setting (years
//! after the month, 5 unless set) and the daily purge, which replaces each
//! contact field and narrative of the months past it with a marker
//! ([`targets`] lists them all) and keeps every figure, version, receipt
//! and the audit chain. Firms under a legal hold (`legal_holds`) are left
//! out until it is lifted.
//!
//! The scheduler (`reminders::run_due`) calls [`run_daily`] on each pass:
//! the first pass of a Tokyo day claims the day with a conditional update
//! of `retention_runs` (so across instances it runs once a day) and purges
//! in the same transaction. A run that purged something writes one audit
//! event (counts per target, the last month purged, the firms held),
//! never the purged data; a run that found nothing writes none.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::{Actor, settings};
use crate::db::schema::{retention_runs, settings as settings_table};
use crate::db::{DbConn, write_tx};
use crate::domain::retention::{Marker, RetentionYears};
use crate::domain::text_enum::Unknown;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;

pub mod targets;

use targets::{Scope, TARGETS};

/// The setting: years after the month that data is kept.
pub const YEARS: &str = "retention_years";

/// The years in force; a stored value that does not parse is an error (a
/// corrupt database), never read as some other retention.
pub fn years(conn: &mut DbConn) -> QueryResult<RetentionYears> {
    match settings::get(conn, YEARS)? {
        None => Ok(RetentionYears::DEFAULT),
        Some(stored) => RetentionYears::parse(&stored)
            .map_err(|_| Unknown::new("RetentionYears", &stored).into()),
    }
}

/// Sets the years (audited).
pub fn save_years(
    conn: &mut DbConn,
    actor: &Actor,
    years: RetentionYears,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let was = self::years(conn)?;
        diesel::delete(settings_table::table.find(YEARS)).execute(conn)?;
        diesel::insert_into(settings_table::table)
            .values((
                settings_table::key.eq(YEARS),
                settings_table::value.eq(years.get().to_string()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::RetentionChanged,
                object_type: "retention",
                object_id: YEARS,
                detail: &format!("{} -> {} years", was.get(), years.get()),
            },
        )?;
        Ok(())
    })
}

/// What one purge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// The latest month purged (`YYYY-MM`): it and every month before.
    pub last_period: String,
    /// Fields replaced by the marker, per target (in `TARGETS` order).
    pub counts: Vec<(&'static str, usize)>,
    /// Firms left out under a legal hold.
    pub held: Vec<i64>,
}

impl RunReport {
    /// Fields replaced in all.
    pub fn purged(&self) -> usize {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// The audit event's detail: counts, months and holds, no data.
    fn detail(&self, years: RetentionYears) -> String {
        let counts = self
            .counts
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let held = if self.held.is_empty() {
            "none".to_owned()
        } else {
            self.held
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "kept {} years; months up to {}; fields purged: {counts}; firms held: {held}",
            years.get(),
            self.last_period
        )
    }
}

/// The last day (Tokyo, `YYYY-MM-DD`) a run was claimed, and when.
pub fn last_run(conn: &mut DbConn) -> QueryResult<(String, Option<NaiveDateTime>, i64)> {
    retention_runs::table
        .find(1)
        .select((
            retention_runs::last_day,
            retention_runs::last_run_at,
            retention_runs::last_purged,
        ))
        .first(conn)
}

/// The day's run, unless an instance ran it today already: `Some` when
/// this call claimed the day (and purged, in the same transaction).
#[tracing::instrument(skip(conn))]
pub fn run_daily(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Option<RunReport>> {
    let today = tokyo_date(now).to_string();
    // Nothing is written on the day's later passes.
    if last_run(conn)?.0 >= today {
        return Ok(None);
    }
    write_tx(conn, |conn| {
        let claimed = diesel::update(
            retention_runs::table
                .find(1)
                .filter(retention_runs::last_day.lt(&today)),
        )
        .set((
            retention_runs::last_day.eq(&today),
            retention_runs::last_run_at.eq(now),
        ))
        .execute(conn)?;
        if claimed != 1 {
            return Ok(None);
        }
        let report = purge_in(conn, now)?;
        diesel::update(retention_runs::table.find(1))
            .set(retention_runs::last_purged.eq(i64::try_from(report.purged()).unwrap_or(i64::MAX)))
            .execute(conn)?;
        Ok(Some(report))
    })
}

/// Purges now, whether or not the day's run happened (the run's work).
pub fn purge(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<RunReport> {
    write_tx(conn, |conn| purge_in(conn, now))
}

fn purge_in(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<RunReport> {
    let years = years(conn)?;
    let today = tokyo_date(now);
    let scope = Scope {
        last_period: years.last_purged(today).to_string(),
        marker: Marker::new(today).to_string(),
    };
    let mut counts = Vec::with_capacity(TARGETS.len());
    for target in TARGETS {
        counts.push((target.name, (target.purge)(conn, &scope)?));
    }
    let held = super::legal_holds::held_firms(conn)?;
    let report = RunReport {
        last_period: scope.last_period,
        counts,
        held,
    };
    if report.purged() > 0 {
        audit::record(
            conn,
            now,
            &Actor::system("retention"),
            Event {
                action: Action::RetentionPurged,
                object_type: "retention",
                object_id: &today.to_string(),
                detail: &report.detail(years),
            },
        )?;
    }
    Ok(report)
}
