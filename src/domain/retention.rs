//! Retention of personal data and narratives: how many years after its
//! month a return's or incident's contact details and free text are kept
//! ([`RetentionYears`]), which months are past it ([`RetentionYears::last_purged`]),
//! and the marker that takes a purged field's place ([`Marker`]). Figures,
//! versions, receipts and the audit chain are never purged.

use chrono::NaiveDate;

use super::period::Period;
use crate::i18n::Key;

/// Years after its month that a month's personal data and narratives are
/// kept, from 1 to 100 (5 unless an admin sets otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionYears(u32);

impl RetentionYears {
    pub const DEFAULT: RetentionYears = RetentionYears(5);
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 100;

    /// The setting as typed: a whole number of years from 1 to 100.
    pub fn parse(typed: &str) -> Result<RetentionYears, Key> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Err(msg!("err.required"));
        }
        // Digits only (a sign or a fraction is nonsense, not a number to round).
        if typed.len() > 12 || !typed.chars().all(|c| c.is_ascii_digit()) {
            return Err(msg!("retention.years_invalid"));
        }
        match typed.parse::<u32>() {
            Ok(years) if (Self::MIN..=Self::MAX).contains(&years) => Ok(RetentionYears(years)),
            _ => Err(msg!("retention.years_invalid")),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The latest month whose data is past retention on `today` (Tokyo):
    /// a month is kept for the whole of the `years` years after its end.
    /// On 2030-05-01 with 5 years, that is 2025-04.
    pub fn last_purged(self, today: NaiveDate) -> Period {
        let current = Period::from_date(today);
        let years = i32::try_from(self.0).unwrap_or(100);
        Period::new(current.year() - years, current.month())
            .unwrap_or(current)
            .prev()
    }
}

/// What a purged field holds instead of its text: the day it was removed.
/// Exports write it as stored; pages show it as a sentence
/// (`retention.removed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker(NaiveDate);

const MARKER_PREFIX: &str = "[removed under the retention rule on ";
const MARKER_SUFFIX: &str = "]";
/// A pattern for SQL `LIKE` matching every marker.
pub const MARKER_LIKE: &str = "[removed under the retention rule on %]";

impl Marker {
    pub fn new(on: NaiveDate) -> Marker {
        Marker(on)
    }

    /// The day of a stored marker; `None` for any other text.
    pub fn parse(stored: &str) -> Option<Marker> {
        let date = stored
            .strip_prefix(MARKER_PREFIX)?
            .strip_suffix(MARKER_SUFFIX)?;
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .filter(|d| d.format("%Y-%m-%d").to_string() == date)
            .map(Marker)
    }

    pub fn on(self) -> NaiveDate {
        self.0
    }

    /// Whether `stored` still holds something to purge: text that is
    /// neither empty nor a marker.
    pub fn is_purgeable(stored: &str) -> bool {
        !stored.is_empty() && Marker::parse(stored).is_none()
    }
}

impl std::fmt::Display for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{MARKER_PREFIX}{}{MARKER_SUFFIX}",
            self.0.format("%Y-%m-%d")
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn years_accept_one_to_a_hundred_only() {
        assert_eq!(RetentionYears::parse(" 5 ").unwrap().get(), 5);
        assert_eq!(RetentionYears::parse("100").unwrap().get(), 100);
        for nonsense in [
            "0",
            "-1",
            "101",
            "1.5",
            "five",
            "+3",
            "99999999999999999999",
        ] {
            assert_eq!(
                RetentionYears::parse(nonsense),
                Err(msg!("retention.years_invalid")),
                "{nonsense}"
            );
        }
        assert_eq!(RetentionYears::parse(""), Err(msg!("err.required")));
    }

    #[test]
    fn a_month_is_kept_for_the_whole_years_after_its_end() {
        let five = RetentionYears::DEFAULT;
        assert_eq!(five.last_purged(day("2030-05-01")).to_string(), "2025-04");
        assert_eq!(five.last_purged(day("2030-04-30")).to_string(), "2025-03");
        let one = RetentionYears::parse("1").unwrap();
        assert_eq!(one.last_purged(day("2026-01-15")).to_string(), "2024-12");
    }

    #[test]
    fn marker_round_trips_and_nothing_else_reads_as_one() {
        let m = Marker::new(day("2031-06-01"));
        assert_eq!(
            m.to_string(),
            "[removed under the retention rule on 2031-06-01]"
        );
        assert_eq!(Marker::parse(&m.to_string()), Some(m));
        assert_eq!(
            Marker::parse("[removed under the retention rule on 2031-6-1]"),
            None
        );
        assert_eq!(Marker::parse("Kei Sato"), None);
        assert!(Marker::is_purgeable("Kei Sato"));
        assert!(!Marker::is_purgeable(""));
        assert!(!Marker::is_purgeable(&m.to_string()));
    }
}
