//! The reporting calendar: the due-day and reminder settings (admin), the
//! due dates they give, and the board of every active firm's state for a
//! period. Holidays come from `domain::due_date` (rules for 2000–2099,
//! cross-checked against the Cabinet Office lists in its tests).

use crate::i18n::Key;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::audit::{self, Action, Event};
use super::settings::{self, DUE_DAY};
use super::{Actor, Invalid};
use crate::db::models::{Firm, ReturnRow, Version};
use crate::db::schema::{firms, return_versions, returns, settings as settings_table};
use crate::db::{DbConn, write_tx};
use crate::domain::VersionStatus;
use crate::domain::due_date::due_date;
use crate::domain::period::Period;
use crate::error::AppResult;

/// How many days before the due date the first reminder goes out.
pub const REMINDER_DAYS: &str = "reminder_days_before";
pub const DEFAULT_REMINDER_DAYS: u32 = 3;

/// The calendar settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarSettings {
    pub due_day: u32,
    pub reminder_days: u32,
}

pub fn reminder_days(conn: &mut DbConn) -> QueryResult<u32> {
    Ok(reminder_days_of(settings::get(conn, REMINDER_DAYS)?))
}

fn reminder_days_of(stored: Option<String>) -> u32 {
    stored
        .and_then(|v| v.parse().ok())
        .filter(|d| (1..=20).contains(d))
        .unwrap_or(DEFAULT_REMINDER_DAYS)
}

/// Both settings, in one read (the scheduler asks on every pass).
pub fn current(conn: &mut DbConn) -> QueryResult<CalendarSettings> {
    let stored: Vec<(String, String)> = settings_table::table
        .filter(settings_table::key.eq_any([DUE_DAY, REMINDER_DAYS]))
        .select((settings_table::key, settings_table::value))
        .load(conn)?;
    let value = |key: &str| {
        stored
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    Ok(CalendarSettings {
        due_day: settings::due_day_of(value(DUE_DAY)),
        reminder_days: reminder_days_of(value(REMINDER_DAYS)),
    })
}

/// Writes one setting (the one backend-specific statement: an upsert).
fn put(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<usize> {
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        )
        .bind::<Text, _>(key)
        .bind::<Text, _>(value)
        .execute(pg),
        DbConn::Sqlite(lite) => {
            diesel::sql_query("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)")
                .bind::<Text, _>(key)
                .bind::<Text, _>(value)
                .execute(lite)
        }
    }
}

/// Checks and saves what the admin typed. Versions already submitted keep
/// their frozen due date; only new submissions see the change.
/// The day of the month returns are due: 1 to 28 (every month has it).
pub fn parse_due_day(value: &str) -> Result<u32, Key> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=28).contains(d))
        .ok_or(msg!("err.due_day.range"))
}

/// How many days before the due date reminders go out: 1 to 20.
pub fn parse_reminder_days(value: &str) -> Result<u32, Key> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=20).contains(d))
        .ok_or(msg!("err.reminder_days.range"))
}

pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    due_day: &str,
    reminder_days: &str,
    now: NaiveDateTime,
) -> AppResult<Result<CalendarSettings, Invalid>> {
    let mut invalid = Invalid::default();
    let due = parse_due_day(due_day)
        .map_err(|key| invalid.push("due_day", key))
        .ok();
    let days = parse_reminder_days(reminder_days)
        .map_err(|key| invalid.push("reminder_days", key))
        .ok();
    let (Some(due_day), Some(reminder_days)) = (due, days) else {
        return Ok(Err(invalid));
    };
    write_tx(conn, |conn| {
        let before = current(conn)?;
        put(conn, DUE_DAY, &due_day.to_string())?;
        put(conn, REMINDER_DAYS, &reminder_days.to_string())?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::CalendarChanged,
                object_type: "settings",
                object_id: "calendar",
                detail: &format!(
                    "due day {} -> {due_day}; reminder days {} -> {reminder_days}",
                    before.due_day, before.reminder_days
                ),
            },
        )?;
        Ok(Ok(CalendarSettings {
            due_day,
            reminder_days,
        }))
    })
}

/// A firm's state for one period, as the board shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BoardState {
    NotStarted,
    Draft,
    OnTime,
    Late,
    Missing,
    Returned,
    Accepted,
}

impl BoardState {
    pub const ALL: [BoardState; 7] = [
        BoardState::NotStarted,
        BoardState::Draft,
        BoardState::OnTime,
        BoardState::Late,
        BoardState::Missing,
        BoardState::Returned,
        BoardState::Accepted,
    ];

    pub fn key(self) -> Key {
        match self {
            BoardState::NotStarted => msg!("board.state.not_started"),
            BoardState::Draft => msg!("board.state.draft"),
            BoardState::OnTime => msg!("board.state.on_time"),
            BoardState::Late => msg!("board.state.late"),
            BoardState::Missing => msg!("board.state.missing"),
            BoardState::Returned => msg!("board.state.returned"),
            BoardState::Accepted => msg!("board.state.accepted"),
        }
    }

    /// A stable token for CSS classes and tests.
    pub fn slug(self) -> &'static str {
        match self {
            BoardState::NotStarted => "not_started",
            BoardState::Draft => "draft",
            BoardState::OnTime => "on_time",
            BoardState::Late => "late",
            BoardState::Missing => "missing",
            BoardState::Returned => "returned",
            BoardState::Accepted => "accepted",
        }
    }

    /// The state of a return: `first` and `latest` are its first and latest
    /// versions (timeliness is the original filing's, frozen when filed),
    /// `today` a Tokyo date.
    pub fn of(
        row: Option<&ReturnRow>,
        first: Option<&Version>,
        latest: Option<&Version>,
        due: NaiveDate,
        today: NaiveDate,
    ) -> BoardState {
        match (first, latest) {
            (Some(first), Some(latest)) => match latest.status {
                VersionStatus::Accepted => BoardState::Accepted,
                VersionStatus::Returned => BoardState::Returned,
                VersionStatus::Submitted if first.on_time => BoardState::OnTime,
                VersionStatus::Submitted => BoardState::Late,
            },
            _ if today > due => BoardState::Missing,
            _ if row.is_some_and(|r| r.draft_json.is_some()) => BoardState::Draft,
            _ => BoardState::NotStarted,
        }
    }
}

/// One firm on the board.
pub struct BoardLine {
    pub firm: Firm,
    pub state: BoardState,
    pub latest: Option<Version>,
    /// A granted extension of the month, whose date is the firm's due date.
    pub extension: Option<super::extensions::Granted>,
}

pub struct Board {
    pub period: Period,
    pub due_day: u32,
    pub due: NaiveDate,
    pub lines: Vec<BoardLine>,
}

impl Board {
    pub fn count(&self, state: BoardState) -> usize {
        self.lines.iter().filter(|l| l.state == state).count()
    }
}

/// Every active firm's state for `period` on `today` (a Tokyo date); a
/// firm whose first reporting month is later is left out unless it filed.
pub fn board(conn: &mut DbConn, period: Period, today: NaiveDate) -> QueryResult<Board> {
    let due_day = settings::due_day(conn)?;
    let due = due_date(period, due_day);
    let key = period.to_string();
    let active: Vec<Firm> = firms::table
        .filter(firms::active.eq(true))
        .order(firms::name.asc())
        .select(Firm::as_select())
        .load(conn)?;
    let rows: Vec<ReturnRow> = returns::table
        .filter(returns::period.eq(&key))
        .select(ReturnRow::as_select())
        .load(conn)?;
    let versions: Vec<Version> = return_versions::table
        .filter(return_versions::period.eq(&key))
        .order(return_versions::version_no.asc())
        .select(Version::as_select())
        .load(conn)?;
    let mut granted = super::extensions::in_force_over(conn, period, period)?;
    let lines = active
        .into_iter()
        // A firm is on the board from its first reporting month, or for
        // any month it filed for.
        .filter(|firm| {
            super::firm_start::expected(firm, period)
                || versions.iter().any(|v| v.firm_id == firm.id)
        })
        .map(|firm| {
            let row = rows.iter().find(|r| r.firm_id == firm.id);
            let mut own = versions.iter().filter(|v| v.firm_id == firm.id);
            let first = own.next();
            let latest = own.next_back().or(first);
            let extension = granted.remove(&(firm.id, key.clone()));
            let firm_due = extension.as_ref().map_or(due, |g| g.due);
            let state = BoardState::of(row, first, latest, firm_due, today);
            BoardLine {
                latest: latest.cloned(),
                firm,
                state,
                extension,
            }
        })
        .collect();
    Ok(Board {
        period,
        due_day,
        due,
        lines,
    })
}

/// The due dates of the `count` periods from `from` on, under the current
/// setting.
pub fn upcoming(
    conn: &mut DbConn,
    from: Period,
    count: usize,
) -> QueryResult<Vec<(Period, NaiveDate)>> {
    let due_day = settings::due_day(conn)?;
    let mut period = from;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push((period, due_date(period, due_day)));
        period = period.next();
    }
    Ok(out)
}
