//! Unit and property tests for `due_date`: Cabinet Office holiday lists,
//! Golden Week, New Year, equinoxes, sandwiched holidays and due dates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

fn holidays_of(year: i32) -> Vec<(u32, u32)> {
    d(year, 1, 1)
        .iter_days()
        .take_while(|x| x.year() == year)
        .filter(|x| is_japanese_holiday(*x))
        .map(|x| (x.month(), x.day()))
        .collect()
}

/// 内閣府「国民の祝日について」: the published lists, substitutes included.
#[test]
#[rustfmt::skip]
fn matches_cabinet_office_lists() {
    let y2024 = [
        (1, 1), (1, 8), (2, 11), (2, 12), (2, 23), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5), (5, 6),
        (7, 15), (8, 11), (8, 12), (9, 16), (9, 22), (9, 23), (10, 14), (11, 3), (11, 4), (11, 23),
    ];
    let y2025 = [
        (1, 1), (1, 13), (2, 11), (2, 23), (2, 24), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5), (5, 6),
        (7, 21), (8, 11), (9, 15), (9, 23), (10, 13), (11, 3), (11, 23), (11, 24),
    ];
    let y2026 = [
        (1, 1), (1, 12), (2, 11), (2, 23), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5), (5, 6),
        (7, 20), (8, 11), (9, 21), (9, 22), (9, 23), (10, 12), (11, 3), (11, 23),
    ];
    assert_eq!(holidays_of(2024), y2024);
    assert_eq!(holidays_of(2025), y2025);
    assert_eq!(holidays_of(2026), y2026);
}

#[test]
#[rustfmt::skip]
fn special_years_2019_to_2021() {
    let y2019 = [
        (1, 1), (1, 14), (2, 11), (3, 21), (4, 29), (4, 30), (5, 1), (5, 2), (5, 3), (5, 4),
        (5, 5), (5, 6), (7, 15), (8, 11), (8, 12), (9, 16), (9, 23), (10, 14), (10, 22),
        (11, 3), (11, 4), (11, 23),
    ];
    assert_eq!(holidays_of(2019), y2019);
    assert!(!is_japanese_holiday(d(2019, 12, 23)) && !is_japanese_holiday(d(2019, 2, 23)));
    for x in [d(2020, 7, 23), d(2020, 7, 24), d(2020, 8, 10), d(2021, 7, 22), d(2021, 7, 23)] {
        assert!(is_japanese_holiday(x), "{x}");
    }
    assert!(is_japanese_holiday(d(2021, 8, 9)), "substitute for 8/8 (Sunday)");
    for x in [d(2020, 7, 20), d(2020, 8, 11), d(2020, 10, 12), d(2021, 7, 19), d(2021, 10, 11)] {
        assert!(!is_japanese_holiday(x), "{x}");
    }
}

/// Number of holidays per year, 2000..=2099, cross-checked against an
/// independent implementation (the `jpholiday` Python package).
#[test]
fn yearly_counts_2000_to_2099() {
    const COUNTS: [usize; 100] = [
        15, 19, 18, 15, 15, 16, 16, 19, 17, 17, 16, 15, 18, 17, 17, 17, 17, 17, 20, 22, //
        18, 17, 16, 17, 21, 19, 18, 17, 16, 19, 19, 19, 17, 17, 17, 19, 18, 18, 16, 16, //
        18, 19, 19, 18, 17, 17, 19, 19, 18, 17, 17, 17, 21, 19, 18, 17, 16, 18, 19, 19, //
        17, 17, 17, 19, 18, 17, 16, 17, 18, 20, 19, 18, 17, 17, 19, 19, 18, 17, 17, 17, //
        21, 19, 17, 16, 16, 18, 20, 19, 17, 17, 17, 19, 18, 17, 17, 17, 18, 20, 19, 18, //
    ];
    for (year, expected) in (2000..).zip(COUNTS) {
        assert_eq!(holidays_of(year).len(), expected, "{year}");
    }
}

#[test]
fn pre_2007_rules() {
    assert!(is_japanese_holiday(d(2000, 5, 4)), "sandwiched Thursday");
    assert!(
        !is_japanese_holiday(d(2003, 5, 4)),
        "sandwiched Sunday did not count"
    );
    assert!(
        is_japanese_holiday(d(2002, 5, 6)),
        "substitute for 5/5 (Sunday)"
    );
    assert!(is_japanese_holiday(d(2002, 7, 20)) && is_japanese_holiday(d(2002, 9, 15)));
    assert!(is_japanese_holiday(d(2003, 7, 21)) && is_japanese_holiday(d(2003, 9, 15)));
}

#[test]
fn golden_week() {
    for x in [
        d(2025, 4, 29),
        d(2025, 5, 3),
        d(2025, 5, 4),
        d(2025, 5, 5),
        d(2025, 5, 6),
    ] {
        assert!(is_japanese_holiday(x), "{x}");
    }
    assert!(!is_japanese_holiday(d(2025, 5, 7)) && is_business_day(d(2025, 5, 7)));
    assert!(
        is_japanese_holiday(d(2026, 5, 6)),
        "5/3 Sunday -> 5/6 Wednesday"
    );
    assert!(!is_business_day(d(2026, 5, 6)));
    assert_eq!(next_business_day_on_or_after(d(2026, 5, 2)), d(2026, 5, 7));
}

#[test]
fn new_year_and_bank_closing_days() {
    for x in [d(2025, 12, 31), d(2026, 1, 2), d(2026, 1, 3)] {
        assert!(!is_japanese_holiday(x) && !is_business_day(x), "{x}");
    }
    assert_eq!(due_date(p("2025-12"), 1), d(2026, 1, 5));
    assert!(is_business_day(d(2025, 12, 30)));
}

#[test]
fn sandwich_and_equinoxes() {
    assert!(is_japanese_holiday(d(2026, 9, 22)));
    assert!(is_japanese_holiday(d(2025, 3, 20)));
    assert!(is_japanese_holiday(d(2024, 9, 22)));
    assert!(
        is_japanese_holiday(d(2024, 9, 23)),
        "substitute for the Sunday equinox"
    );
    assert!(is_japanese_holiday(d(2023, 3, 21)) && is_japanese_holiday(d(2012, 9, 22)));
}

#[test]
fn due_dates() {
    assert_eq!(due_date(p("2025-04"), 10), d(2025, 5, 12));
    assert_eq!(due_date(p("2025-04"), 7), d(2025, 5, 7));
    assert_eq!(due_date(p("2025-04"), 1), d(2025, 5, 1));
    assert_eq!(due_date(p("2025-04"), 3), d(2025, 5, 7), "over Golden Week");
    assert_eq!(
        due_date(p("2025-01"), 0),
        d(2025, 2, 3),
        "clamped to the 1st (a Saturday)"
    );
    assert_eq!(
        due_date(p("2025-01"), 31),
        d(2025, 2, 28),
        "clamped to the 28th"
    );
    assert_eq!(
        due_date(p("2026-08"), 19),
        d(2026, 9, 24),
        "over the 9/19-9/23 run"
    );
}

#[test]
fn timeliness_compares_dates() {
    let t = timeliness(p("2025-04"), 10, d(2025, 5, 12));
    assert_eq!(
        t,
        Timeliness {
            due: d(2025, 5, 12),
            on_time: true
        }
    );
    assert!(timeliness(p("2025-04"), 10, d(2025, 5, 1)).on_time);
    assert!(!timeliness(p("2025-04"), 10, d(2025, 5, 13)).on_time);
}

proptest! {
    #[test]
    fn rolls_to_first_business_day(offset in 0u64..36_500) {
        let start = d(2000, 1, 1) + Days::new(offset);
        let next = next_business_day_on_or_after(start);
        prop_assert!(is_business_day(next));
        prop_assert!(next >= start && (next - start).num_days() <= 9);
        prop_assert!(start.iter_days().take_while(|x| *x < next).all(|x| !is_business_day(x)));
    }

    #[test]
    fn due_date_is_a_business_day_in_the_next_month(y in 2000i32..=2098, m in 1u32..=12, day in 0u32..=40) {
        let period = Period::new(y, m).unwrap();
        let due = due_date(period, day);
        prop_assert!(is_business_day(due));
        prop_assert!(due > period.last_day());
    }
}
