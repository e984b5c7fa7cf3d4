//! The reporting period: one calendar month (`YYYY-MM`) with its calendar
//! arithmetic and its canonical string key.

use crate::i18n::Key;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2100;

/// Why a period could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not `YYYY-MM`, or year outside 2000..=2100, or month outside 1..=12.
    #[error("err.period.invalid")]
    Invalid,
}

impl PeriodError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            PeriodError::Invalid => msg!("err.period.invalid"),
        }
    }
}

/// A calendar month. `new`/`parse` only accept years 2000..=2100; `next`,
/// `prev` and `from_date` are total and may step outside that range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// Validated constructor: year 2000..=2100, month 1..=12.
    pub fn new(year: i32, month: u32) -> Result<Period, PeriodError> {
        if (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month) {
            Ok(Period { year, month })
        } else {
            Err(PeriodError::Invalid)
        }
    }

    /// Strict `YYYY-MM` (surrounding whitespace ignored), e.g. "2025-04".
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let b = input.trim().as_bytes();
        let digits_at = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 7 || b[4] != b'-' || !digits_at(0..4) || !digits_at(5..7) {
            return Err(PeriodError::Invalid);
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let year = i32::try_from(num(0..4)).map_err(|_| PeriodError::Invalid)?;
        Period::new(year, num(5..7))
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// The period containing `date`.
    pub fn from_date(date: NaiveDate) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    /// First day of the month.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The following month.
    pub fn next(&self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year.saturating_add(1),
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The preceding month.
    pub fn prev(&self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year.saturating_sub(1),
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Whether `date` falls in this month.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// Canonical key for storage; identical to `Display` ("2025-04").
    pub fn as_key(&self) -> String {
        self.to_string()
    }

    /// Every month from `a` to `b`, both inclusive, in order; empty if `a > b`.
    pub fn months_between(a: Period, b: Period) -> Vec<Period> {
        let mut out = Vec::new();
        let mut p = a;
        while p <= b {
            out.push(p);
            let n = p.next();
            if n == p {
                break;
            }
            p = n;
        }
        out
    }

    /// The range `[from, to]` a page shows for what was typed: `to` as
    /// typed or `last`; `from` as typed or `default_months` ending at `to`
    /// (not before `first`); swapped when reversed; at most `max_months`.
    pub fn chosen_range(
        from: &str,
        to: &str,
        first: Option<Period>,
        last: Period,
        default_months: usize,
        max_months: usize,
    ) -> (Period, Period) {
        let back = |end: Period, months: usize| (1..months).fold(end, |p, _| p.prev());
        let to = Period::parse(to.trim()).unwrap_or(last);
        let default_from = back(to, default_months);
        let default_from = first.map_or(default_from, |f| default_from.max(f));
        let from = Period::parse(from.trim()).unwrap_or(default_from);
        let (from, to) = if from <= to { (from, to) } else { (to, from) };
        (from.max(back(to, max_months)), to)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn chosen_range_defaults_swaps_and_caps() {
        let choose = |from, to, first| Period::chosen_range(from, to, first, p("2025-06"), 12, 36);
        assert_eq!(choose("", "", None), (p("2024-07"), p("2025-06")));
        assert_eq!(
            choose("", "", Some(p("2025-02"))),
            (p("2025-02"), p("2025-06"))
        );
        assert_eq!(
            choose("2025-04", "2025-01", None),
            (p("2025-01"), p("2025-04"))
        );
        assert_eq!(
            choose("2000-01", " 2025-03 ", None),
            (p("2022-04"), p("2025-03"))
        );
        assert_eq!(
            choose("junk", "2025-03", None),
            (p("2024-04"), p("2025-03"))
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_strict_form() {
        let x = p("2025-04");
        assert_eq!((x.year(), x.month()), (2025, 4));
        assert_eq!(p(" 2000-01 "), Period::new(2000, 1).unwrap());
        assert_eq!(p("2100-12"), Period::new(2100, 12).unwrap());
        assert_eq!("2025-04".parse::<Period>(), Ok(x));
    }

    #[test]
    fn rejects_loose_or_out_of_range() {
        for bad in [
            "",
            "2025-4",
            "2025/04",
            "202504",
            "2025-004",
            "25-04",
            "2025-00",
            "2025-13",
            "1999-12",
            "2101-01",
            "２０２５-０４",
            "2025-04-01",
            "+025-04",
            "2025-0a",
        ] {
            assert_eq!(Period::parse(bad), Err(PeriodError::Invalid), "{bad}");
        }
        assert_eq!(PeriodError::Invalid.key(), msg!("err.period.invalid"));
        assert!(Period::new(2025, 0).is_err());
        assert!(Period::new(1999, 5).is_err());
    }

    #[test]
    fn display_and_key() {
        assert_eq!(p("2025-04").to_string(), "2025-04");
        assert_eq!(p("2025-11").as_key(), "2025-11");
    }

    #[test]
    fn day_bounds() {
        assert_eq!(p("2025-04").first_day(), d(2025, 4, 1));
        assert_eq!(p("2025-04").last_day(), d(2025, 4, 30));
        assert_eq!(p("2024-02").last_day(), d(2024, 2, 29));
        assert_eq!(p("2025-02").last_day(), d(2025, 2, 28));
        assert_eq!(p("2100-02").last_day(), d(2100, 2, 28));
        assert_eq!(p("2025-12").last_day(), d(2025, 12, 31));
    }

    #[test]
    fn next_prev_wrap_years() {
        assert_eq!(p("2025-12").next(), p("2026-01"));
        assert_eq!(p("2026-01").prev(), p("2025-12"));
        assert_eq!(p("2025-04").next(), p("2025-05"));
        assert_eq!(p("2100-12").next().to_string(), "2101-01");
    }

    #[test]
    fn contains_and_from_date() {
        let x = p("2025-04");
        assert!(x.contains(d(2025, 4, 1)));
        assert!(x.contains(d(2025, 4, 30)));
        assert!(!x.contains(d(2025, 5, 1)));
        assert!(!x.contains(d(2024, 4, 15)));
        assert_eq!(Period::from_date(d(2025, 4, 16)), x);
    }

    #[test]
    fn months_between_is_inclusive() {
        let v = Period::months_between(p("2024-11"), p("2025-02"));
        let s: Vec<String> = v.iter().map(Period::to_string).collect();
        assert_eq!(s, ["2024-11", "2024-12", "2025-01", "2025-02"]);
        assert_eq!(
            Period::months_between(p("2025-02"), p("2025-02")),
            [p("2025-02")]
        );
        assert!(Period::months_between(p("2025-03"), p("2025-02")).is_empty());
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(p("2024-12") < p("2025-01"));
        assert!(p("2025-02") < p("2025-10"));
    }

    proptest! {
        #[test]
        fn round_trips(y in 2000i32..=2100, m in 1u32..=12) {
            let x = Period::new(y, m).unwrap();
            prop_assert_eq!(Period::parse(&x.to_string()), Ok(x));
            prop_assert_eq!(x.next().prev(), x);
            prop_assert!(x.contains(x.first_day()) && x.contains(x.last_day()));
            prop_assert_eq!(x.last_day().succ_opt().unwrap(), x.next().first_day());
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Period::parse(&s);
        }
    }
}
