//! Japanese business-day calendar (national holidays per 国民の祝日に関する法律,
//! substitute and sandwiched holidays, bank closing days) and return due dates.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::period::Period;

/// Year the 2007 amendment took effect (みどりの日 moved to 5/4, 国民の休日
/// no longer excludes Sundays).
const AMENDMENT_2007: i32 = 2007;

/// The due date of a return and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeliness {
    pub due: NaiveDate,
    pub on_time: bool,
}

/// Whether `d` is a Japanese public holiday: a national holiday (国民の祝日),
/// a substitute holiday (振替休日) or a sandwiched citizens' holiday (国民の休日).
/// Computed algorithmically; exact for 2000..=2099 (the equinox formula is
/// only valid up to 2099). Bank closing days (12/31, 1/2, 1/3) are not included.
pub fn is_japanese_holiday(d: NaiveDate) -> bool {
    is_national_holiday(d) || is_substitute_holiday(d) || is_sandwiched_holiday(d)
}

/// Not a Saturday or Sunday, not a public holiday, and not a bank closing day
/// (December 31, January 2 and 3).
pub fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        && !matches!((d.month(), d.day()), (12, 31) | (1, 2) | (1, 3))
        && !is_japanese_holiday(d)
}

/// `d` itself if it is a business day, otherwise the next business day.
pub fn next_business_day_on_or_after(d: NaiveDate) -> NaiveDate {
    let mut day = d;
    // A run of non-business days never exceeds a couple of weeks; the bound
    // only guards against the end of chrono's calendar.
    for _ in 0..366 {
        if is_business_day(day) {
            return day;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => return day,
        }
    }
    day
}

/// Day `due_day` (clamped to 1..=28) of the month after `period`, rolled
/// forward to a business day.
pub fn due_date(period: Period, due_day: u32) -> NaiveDate {
    let first = period.next().first_day();
    let nominal = first.with_day(due_day.clamp(1, 28)).unwrap_or(first);
    next_business_day_on_or_after(nominal)
}

/// The due date for `period` and whether a return submitted on
/// `submitted_at_tokyo_date` (a Tokyo calendar date) met it.
pub fn timeliness(period: Period, due_day: u32, submitted_at_tokyo_date: NaiveDate) -> Timeliness {
    let due = due_date(period, due_day);
    Timeliness {
        due,
        on_time: submitted_at_tokyo_date <= due,
    }
}

/// 国民の祝日 proper, including the one-off holidays of 2019-2021.
fn is_national_holiday(d: NaiveDate) -> bool {
    let (y, day) = (d.year(), d.day());
    match d.month() {
        1 => day == 1 || is_nth_monday(d, 2),
        2 => day == 11 || (day == 23 && y >= 2020),
        3 => day == equinox_day(y, 20_843_100),
        4 => day == 29 || (y == 2019 && day == 30),
        5 => {
            matches!(day, 3 | 5)
                || (day == 4 && y >= AMENDMENT_2007)
                || (y == 2019 && matches!(day, 1 | 2))
        }
        7 => match y {
            2020 => matches!(day, 23 | 24),
            2021 => matches!(day, 22 | 23),
            _ if y <= 2002 => day == 20,
            _ => is_nth_monday(d, 3),
        },
        8 => match y {
            2020 => day == 10,
            2021 => day == 8,
            _ => y >= 2016 && day == 11,
        },
        9 => {
            day == equinox_day(y, 23_248_800)
                || if y <= 2002 {
                    day == 15
                } else {
                    is_nth_monday(d, 3)
                }
        }
        10 => (y == 2019 && day == 22) || (!matches!(y, 2020 | 2021) && is_nth_monday(d, 2)),
        11 => matches!(day, 3 | 23),
        12 => day == 23 && (1989..=2018).contains(&y),
        _ => false,
    }
}

/// 振替休日: the first non-holiday after a national holiday falling on Sunday.
fn is_substitute_holiday(d: NaiveDate) -> bool {
    if is_national_holiday(d) {
        return false;
    }
    let mut day = d;
    while let Some(prev) = day.pred_opt() {
        if !is_national_holiday(prev) {
            return false;
        }
        if prev.weekday() == Weekday::Sun {
            return true;
        }
        day = prev;
    }
    false
}

/// 国民の休日: a non-holiday whose previous and next days are national
/// holidays (before 2007, Sundays excepted).
fn is_sandwiched_holiday(d: NaiveDate) -> bool {
    if is_national_holiday(d) || (d.year() < AMENDMENT_2007 && d.weekday() == Weekday::Sun) {
        return false;
    }
    let neighbours = (d.pred_opt(), d.checked_add_days(Days::new(1)));
    matches!(neighbours, (Some(p), Some(n)) if is_national_holiday(p) && is_national_holiday(n))
}

fn is_nth_monday(d: NaiveDate, n: u32) -> bool {
    d.weekday() == Weekday::Mon && (d.day() - 1) / 7 + 1 == n
}

/// Equinox day of month from the standard approximation
/// floor(base + 0.242194 (y - 1980)) - floor((y - 1980) / 4), with `base`
/// in millionths (20.8431 for spring, 23.2488 for autumn); exact integers.
fn equinox_day(year: i32, base_millionths: i64) -> u32 {
    let t = i64::from(year) - 1980;
    let day = (base_millionths + 242_194 * t).div_euclid(1_000_000) - t.div_euclid(4);
    u32::try_from(day).unwrap_or(0)
}

#[cfg(test)]
#[path = "due_date_tests.rs"]
mod tests;
