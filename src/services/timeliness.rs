//! Timeliness over time: for each month, how many of the firms owing a
//! return filed it on time, by a granted extension's date, late, or not at
//! all although the due date in force has passed; and one firm's record
//! month by month.
//!
//! How a month counts (`domain::extension::Standing`): the original filing
//! (first version) decides, with the timeliness and extension reference
//! frozen on it when it was filed; an amendment changes nothing. A nil
//! return is a return and counts like any other. A return filed after an
//! extended due date is late, as one filed after an unextended one. A month
//! not filed is missing once the due date in force (an extended one
//! included) has passed, and is left out of the shares before that. As on
//! the board, every active firm owes every month from its first reporting
//! month on.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::extensions::{self, Granted};
use super::{firm_start, settings};
use crate::db::DbConn;
use crate::db::models::Firm;
use crate::db::schema::{firms, return_versions};
use crate::domain::due_date::due_date;
use crate::domain::extension::Standing;
use crate::domain::period::Period;

/// The months a firm's page shows.
pub const FIRM_MONTHS: usize = 24;

/// One month's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthCounts {
    pub on_time: usize,
    pub with_extension: usize,
    pub late: usize,
    pub missing: usize,
    /// Not filed, not due yet: left out of the shares.
    pub not_due: usize,
}

impl MonthCounts {
    fn add(&mut self, standing: Standing) {
        match standing {
            Standing::OnTime => self.on_time += 1,
            Standing::WithExtension => self.with_extension += 1,
            Standing::Late => self.late += 1,
            Standing::Missing => self.missing += 1,
            Standing::NotDue => self.not_due += 1,
        }
    }

    /// The firms the shares are of: every firm owing the month, but those
    /// not due yet.
    pub fn counted(&self) -> usize {
        self.on_time + self.with_extension + self.late + self.missing
    }

    /// `n` in whole percent of `counted` (rounded half up; 0 of nothing).
    pub fn percent(&self, n: usize) -> usize {
        match self.counted() {
            0 => 0,
            all => (n * 200 + all) / (all * 2),
        }
    }

    /// The four counted standings in the order the page shows them.
    pub fn shares(&self) -> [(Standing, usize); 4] {
        [
            (Standing::OnTime, self.on_time),
            (Standing::WithExtension, self.with_extension),
            (Standing::Late, self.late),
            (Standing::Missing, self.missing),
        ]
    }
}

/// One firm's month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmMonth {
    pub period: Period,
    /// The due date in force (an extended one included).
    pub due: NaiveDate,
    pub standing: Standing,
    /// The extension in force, if any.
    pub extension: Option<Granted>,
}

/// What one firm filed for one month: the first version's frozen
/// timeliness and extension reference.
struct First {
    no: i32,
    on_time: bool,
    extension_ref: Option<String>,
}

/// The original filings of `[from, to]`, by (firm, period).
fn first_filings(
    conn: &mut DbConn,
    from: Period,
    to: Period,
    firm: Option<i64>,
) -> QueryResult<HashMap<(i64, String), First>> {
    let mut query = return_versions::table
        .filter(return_versions::period.ge(from.to_string()))
        .filter(return_versions::period.le(to.to_string()))
        .into_boxed();
    if let Some(id) = firm {
        query = query.filter(return_versions::firm_id.eq(id));
    }
    let rows: Vec<(i64, String, i32, bool, Option<String>)> = query
        .select((
            return_versions::firm_id,
            return_versions::period,
            return_versions::version_no,
            return_versions::on_time,
            return_versions::extension_ref,
        ))
        .load(conn)?;
    let mut first: HashMap<(i64, String), First> = HashMap::new();
    for (firm_id, period, no, on_time, extension_ref) in rows {
        let earlier = first.get(&(firm_id, period.clone())).map(|f| f.no);
        if earlier.is_none_or(|e| no < e) {
            first.insert(
                (firm_id, period),
                First {
                    no,
                    on_time,
                    extension_ref,
                },
            );
        }
    }
    Ok(first)
}

/// Each of `firms`' months in `[from, to]` they owe, on `today` (Tokyo).
fn months_of(
    conn: &mut DbConn,
    firms: &[Firm],
    from: Period,
    to: Period,
    today: NaiveDate,
) -> QueryResult<Vec<(i64, FirmMonth)>> {
    let due_day = settings::due_day(conn)?;
    let only = match firms {
        [one] => Some(one.id),
        _ => None,
    };
    let filed = first_filings(conn, from, to, only)?;
    let granted = extensions::in_force_over(conn, from, to)?;
    let mut out = Vec::new();
    let mut period = from;
    while period <= to {
        let base = due_date(period, due_day);
        let key = period.to_string();
        for firm in firms {
            let at = (firm.id, key.clone());
            let first = filed.get(&at);
            if first.is_none() && !firm_start::expected(firm, period) {
                continue;
            }
            let extension = granted.get(&at).cloned();
            let due = extension.as_ref().map_or(base, |g| g.due);
            let standing = match first {
                Some(f) => Standing::of_filing(f.on_time, f.extension_ref.as_deref()),
                None => Standing::unfiled(due, today),
            };
            out.push((
                firm.id,
                FirmMonth {
                    period,
                    due,
                    standing,
                    extension,
                },
            ));
        }
        period = period.next();
    }
    Ok(out)
}

/// Counts per month of `[from, to]` over every active firm, on `today`.
pub fn series(
    conn: &mut DbConn,
    from: Period,
    to: Period,
    today: NaiveDate,
) -> QueryResult<Vec<(Period, MonthCounts)>> {
    let active: Vec<Firm> = firms::table
        .filter(firms::active.eq(true))
        .order(firms::id.asc())
        .select(Firm::as_select())
        .load(conn)?;
    let months = months_of(conn, &active, from, to, today)?;
    let mut out: Vec<(Period, MonthCounts)> = Vec::new();
    let mut period = from;
    while period <= to {
        out.push((period, MonthCounts::default()));
        period = period.next();
    }
    for (_, month) in months {
        if let Some((_, counts)) = out.iter_mut().find(|(p, _)| *p == month.period) {
            counts.add(month.standing);
        }
    }
    Ok(out)
}

/// `firm`'s record over the last `FIRM_MONTHS` months whose returns can be
/// due (to last month), newest first; months it did not owe are left out.
pub fn firm_record(
    conn: &mut DbConn,
    firm: &Firm,
    today: NaiveDate,
) -> QueryResult<Vec<FirmMonth>> {
    let to = Period::from_date(today).prev();
    let mut from = to;
    for _ in 1..FIRM_MONTHS {
        from = from.prev();
    }
    let mut months: Vec<FirmMonth> = months_of(conn, std::slice::from_ref(firm), from, to, today)?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    months.reverse();
    Ok(months)
}
