//! Conversion of stored UTC timestamps to Japan Standard Time (UTC+09:00,
//! no daylight saving) for display and for due-date comparisons.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// Japan Standard Time. Evaluated at compile time, so it cannot fail at run time.
const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid UTC offset"),
};

/// The instant `naive_utc` (a UTC wall-clock time) as a +09:00 date-time.
pub fn to_tokyo(naive_utc: NaiveDateTime) -> DateTime<FixedOffset> {
    JST.from_utc_datetime(&naive_utc)
}

/// Formats as `2025-04-16 18:05 JST`.
pub fn format_tokyo(naive_utc: NaiveDateTime) -> String {
    to_tokyo(naive_utc).format("%Y-%m-%d %H:%M JST").to_string()
}

/// RFC 3339 in Tokyo time, to the second: `2025-04-16T18:05:00+09:00`.
pub fn to_rfc3339(naive_utc: NaiveDateTime) -> String {
    to_tokyo(naive_utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The Tokyo calendar date of the instant.
pub fn tokyo_date(naive_utc: NaiveDateTime) -> NaiveDate {
    to_tokyo(naive_utc).date_naive()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn converts_to_plus_nine() {
        let t = to_tokyo(utc(2025, 4, 16, 9, 5));
        assert_eq!(t.offset().local_minus_utc(), 9 * 3600);
        assert_eq!(t.to_rfc3339(), "2025-04-16T18:05:00+09:00");
        assert_eq!(t.naive_utc(), utc(2025, 4, 16, 9, 5));
    }

    #[test]
    fn formats_with_jst_suffix() {
        assert_eq!(format_tokyo(utc(2025, 4, 16, 9, 5)), "2025-04-16 18:05 JST");
        assert_eq!(
            format_tokyo(utc(2025, 12, 31, 15, 0)),
            "2026-01-01 00:00 JST"
        );
    }

    #[test]
    fn date_rolls_over_at_15_utc() {
        let day = |h, m| tokyo_date(utc(2025, 5, 12, h, m));
        assert_eq!(day(14, 59), NaiveDate::from_ymd_opt(2025, 5, 12).unwrap());
        assert_eq!(day(15, 0), NaiveDate::from_ymd_opt(2025, 5, 13).unwrap());
        assert_eq!(day(0, 0), NaiveDate::from_ymd_opt(2025, 5, 12).unwrap());
    }

    #[test]
    fn summer_has_no_dst() {
        assert_eq!(format_tokyo(utc(2025, 7, 1, 0, 0)), "2025-07-01 09:00 JST");
        assert_eq!(format_tokyo(utc(2025, 1, 1, 0, 0)), "2025-01-01 09:00 JST");
    }
}
