//! Filing completeness and timeliness over a range of periods: for each
//! month, how many active firms filed on time, late, a nil return, or have
//! not filed although the due date has passed; and the firms overdue.
//!
//! Timeliness is the original filing's (frozen when filed); "nil" is the
//! latest version's. Every active firm is expected to file every period
//! from its first reporting month on, as on the reporting calendar board.
//! A firm's month with a granted extension is due on the extension's date.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::Firm;
use crate::db::schema::{firms, return_versions};
use crate::domain::due_date::due_date;
use crate::domain::period::Period;
use crate::services::{firm_start, settings};

/// One period's filings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodFilings {
    pub period: Period,
    pub due: NaiveDate,
    pub on_time: usize,
    pub late: usize,
    pub nil: usize,
    /// Not filed and the due date has passed.
    pub missing: usize,
    /// Not filed, not yet due.
    pub not_due: usize,
}

impl PeriodFilings {
    pub fn filed(&self) -> usize {
        self.on_time + self.late + self.nil
    }

    pub fn expected(&self) -> usize {
        self.filed() + self.missing + self.not_due
    }

    /// Filed, in percent of the firms expected (whole percent, rounded down).
    pub fn percent_filed(&self) -> usize {
        match self.expected() {
            0 => 0,
            n => self.filed() * 100 / n,
        }
    }
}

/// A firm with periods overdue in the range, oldest first.
#[derive(Clone, Debug)]
pub struct Overdue {
    pub firm: Firm,
    pub periods: Vec<(Period, NaiveDate)>,
}

pub struct Completeness {
    pub periods: Vec<PeriodFilings>,
    pub overdue: Vec<Overdue>,
}

/// What one firm filed for one period: the first version's timeliness and
/// whether the latest is nil.
#[derive(Clone, Copy)]
struct Filed {
    first_no: i32,
    on_time: bool,
    latest_no: i32,
    nil: bool,
}

/// Completeness for `[from, to]` on `today` (a Tokyo date).
pub fn over(
    conn: &mut DbConn,
    from: Period,
    to: Period,
    today: NaiveDate,
) -> QueryResult<Completeness> {
    let due_day = settings::due_day(conn)?;
    let active: Vec<Firm> = firms::table
        .filter(firms::active.eq(true))
        .order(firms::name.asc())
        .select(Firm::as_select())
        .load(conn)?;
    let rows: Vec<(i64, String, i32, bool, bool)> = return_versions::table
        .filter(return_versions::period.ge(from.to_string()))
        .filter(return_versions::period.le(to.to_string()))
        .select((
            return_versions::firm_id,
            return_versions::period,
            return_versions::version_no,
            return_versions::on_time,
            return_versions::is_nil,
        ))
        .load(conn)?;
    let mut filed: HashMap<(i64, String), Filed> = HashMap::new();
    for (firm_id, period, no, on_time, nil) in rows {
        let entry = filed.entry((firm_id, period)).or_insert(Filed {
            first_no: no,
            on_time,
            latest_no: no,
            nil,
        });
        if no < entry.first_no {
            entry.first_no = no;
            entry.on_time = on_time;
        }
        if no >= entry.latest_no {
            entry.latest_no = no;
            entry.nil = nil;
        }
    }
    let granted = super::extensions::in_force_over(conn, from, to)?;
    let mut periods = Vec::new();
    // Each active firm's overdue months, in the order of `active`.
    let mut owed: Vec<Vec<(Period, NaiveDate)>> = vec![Vec::new(); active.len()];
    let mut period = from;
    while period <= to {
        let due = due_date(period, due_day);
        let key = period.to_string();
        let mut line = PeriodFilings {
            period,
            due,
            on_time: 0,
            late: 0,
            nil: 0,
            missing: 0,
            not_due: 0,
        };
        for (firm, owes) in active.iter().zip(owed.iter_mut()) {
            let at = (firm.id, key.clone());
            // A granted extension's date is the firm's due date.
            let firm_due = granted.get(&at).map_or(due, |g| g.due);
            match filed.get(&at) {
                Some(f) if f.nil => line.nil += 1,
                Some(f) if f.on_time => line.on_time += 1,
                Some(_) => line.late += 1,
                // Not yet obliged: the firm's first reporting month is later.
                None if !firm_start::expected(firm, period) => {}
                None if today > firm_due => {
                    line.missing += 1;
                    owes.push((period, firm_due));
                }
                None => line.not_due += 1,
            }
        }
        periods.push(line);
        period = period.next();
    }
    let mut overdue: Vec<Overdue> = active
        .into_iter()
        .zip(owed)
        .filter(|(_, periods)| !periods.is_empty())
        .map(|(firm, periods)| Overdue { firm, periods })
        .collect();
    // The longest overdue first.
    overdue.sort_by(|a, b| {
        let oldest = |o: &Overdue| o.periods.first().map(|(p, _)| *p);
        oldest(a)
            .cmp(&oldest(b))
            .then(b.periods.len().cmp(&a.periods.len()))
            .then(a.firm.name.cmp(&b.firm.name))
    });
    Ok(Completeness { periods, overdue })
}
