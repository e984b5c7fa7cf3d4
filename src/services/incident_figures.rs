//! The dashboard's incident figures: how many incidents were opened in each
//! of the last twelve ISO weeks (Monday to Sunday, Tokyo dates), how many
//! are open, and how many of those are overdue (the next stage's due time
//! has passed). Incidents a firm is still preparing (`draft`) never count.
//!
//! Unlike the monthly figures these change with time alone: an open
//! incident becomes overdue the moment after its due time, and the weeks
//! move on at Monday 00:00 in Tokyo. So the figures say until when they
//! hold (`holds_at`), and whoever keeps them reads them again after that.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use diesel::dsl::min;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::incidents;
use crate::domain::incident::{IncidentStatus, tokyo_midnight};
use crate::domain::time::tokyo_date;

/// How many weeks the dashboard shows.
pub const WEEKS: usize = 12;

/// One ISO week and the incidents opened in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Week {
    /// Its Monday (Tokyo).
    pub monday: NaiveDate,
    pub opened: i64,
}

/// The figures as they stood at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentFigures {
    /// The last `WEEKS` weeks, oldest first; the last is the current one.
    pub weeks: Vec<Week>,
    pub open: i64,
    pub overdue: i64,
    /// When they were read.
    pub at: NaiveDateTime,
    /// The earliest due time, at or after `at`, of an open incident: after
    /// it the overdue count moves.
    pub next_due: Option<NaiveDateTime>,
    /// The next Monday 00:00 in Tokyo: from it the weeks move.
    pub week_ends: NaiveDateTime,
}

impl IncidentFigures {
    /// Whether the figures read at `at` are still the figures at `now`
    /// (with no write since): time has not passed a due time or the week's
    /// end.
    pub fn holds_at(&self, now: NaiveDateTime) -> bool {
        self.at <= now && now < self.week_ends && self.next_due.is_none_or(|due| now <= due)
    }
}

/// The Monday (Tokyo) of the week holding `now`.
pub fn monday_of(now: NaiveDateTime) -> NaiveDate {
    let today = tokyo_date(now);
    today
        .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
        .unwrap_or(today)
}

fn week_after(monday: NaiveDate) -> NaiveDate {
    monday.checked_add_days(Days::new(7)).unwrap_or(monday)
}

/// The figures at `now`: two counts, a minimum and one count per week,
/// each on an index (`incidents_opened`, `incidents_next_due`).
pub fn figures(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<IncidentFigures> {
    let current = monday_of(now);
    let weeks_back = u64::try_from(WEEKS.saturating_sub(1) * 7).unwrap_or(0);
    let first = current
        .checked_sub_days(Days::new(weeks_back))
        .unwrap_or(current);
    let mut weeks = Vec::with_capacity(WEEKS);
    let mut monday = first;
    for _ in 0..WEEKS {
        let next = week_after(monday);
        let opened: i64 = incidents::table
            .filter(incidents::status.ne(IncidentStatus::Draft))
            .filter(incidents::opened_at.ge(tokyo_midnight(monday)))
            .filter(incidents::opened_at.lt(tokyo_midnight(next)))
            .count()
            .get_result(conn)?;
        weeks.push(Week { monday, opened });
        monday = next;
    }
    let open: i64 = incidents::table
        .filter(incidents::status.eq(IncidentStatus::Open))
        .count()
        .get_result(conn)?;
    let overdue: i64 = incidents::table
        .filter(incidents::status.eq(IncidentStatus::Open))
        .filter(incidents::next_due_at.lt(now))
        .count()
        .get_result(conn)?;
    let next_due: Option<NaiveDateTime> = incidents::table
        .filter(incidents::status.eq(IncidentStatus::Open))
        .filter(incidents::next_due_at.ge(now))
        .select(min(incidents::next_due_at))
        .first(conn)?;
    Ok(IncidentFigures {
        weeks,
        open,
        overdue,
        at: now,
        next_due,
        week_ends: tokyo_midnight(week_after(current)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::parse_tokyo_time;

    fn tokyo(s: &str) -> NaiveDateTime {
        parse_tokyo_time(s).unwrap_or_default()
    }

    #[test]
    fn weeks_begin_on_monday_in_tokyo() {
        // Sunday 2026-05-10 23:59 in Tokyo; Monday 00:00 begins the next.
        let sunday = tokyo("2026-05-10T23:59");
        assert_eq!(monday_of(sunday), tokyo_date(tokyo("2026-05-04T12:00")));
        assert_eq!(
            monday_of(tokyo("2026-05-11T00:00")),
            tokyo_date(tokyo("2026-05-11T12:00"))
        );
    }

    #[test]
    fn figures_hold_until_a_due_time_passes_or_the_week_ends() {
        let at = tokyo("2026-05-06T10:00");
        let figures = IncidentFigures {
            weeks: Vec::new(),
            open: 1,
            overdue: 0,
            at,
            next_due: Some(tokyo("2026-05-06T12:00")),
            week_ends: tokyo("2026-05-11T00:00"),
        };
        assert!(figures.holds_at(at));
        assert!(
            figures.holds_at(tokyo("2026-05-06T12:00")),
            "due, not yet overdue"
        );
        assert!(!figures.holds_at(tokyo("2026-05-06T12:01")), "overdue now");
        assert!(
            !figures.holds_at(tokyo("2026-05-06T09:59")),
            "read later than that"
        );
        let none_due = IncidentFigures {
            next_due: None,
            ..figures
        };
        assert!(none_due.holds_at(tokyo("2026-05-10T23:59")));
        assert!(!none_due.holds_at(tokyo("2026-05-11T00:00")), "a new week");
    }
}
