#![allow(clippy::unwrap_used)]

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn reference_pads_the_id_to_six_digits() {
    assert_eq!(reference(2025, 123), "EXT-2025-000123");
    assert_eq!(reference_on(day(2025, 5, 20), 7), "EXT-2025-000007");
    assert_eq!(reference(2026, 1_234_567), "EXT-2026-1234567");
}

#[test]
fn a_date_is_read_as_iso_only() {
    assert_eq!(parse_date(" 2025-06-10 "), Ok(day(2025, 6, 10)));
    assert_eq!(parse_date(""), Err(msg!("err.required")));
    for bad in [
        "2025-6-10",
        "10/06/2025",
        "2025-02-30",
        "２０２５-06-10",
        "-2025-06-1",
    ] {
        assert_eq!(parse_date(bad), Err(msg!("ext.err.date_format")), "{bad}");
    }
}

#[test]
fn a_new_due_date_is_later_and_within_ninety_days() {
    let base = day(2025, 5, 12);
    assert_eq!(check_new_due(day(2025, 5, 13), base, base), Ok(()));
    assert_eq!(
        check_new_due(base, base, base),
        Err(msg!("ext.err.not_after_due"))
    );
    assert_eq!(check_new_due(day(2025, 8, 10), base, base), Ok(()));
    assert_eq!(
        check_new_due(day(2025, 8, 11), base, base),
        Err(msg!("ext.err.too_far"))
    );
    // A second extension: after the granted date, bounded by the base.
    let granted = day(2025, 6, 1);
    assert_eq!(
        check_new_due(day(2025, 5, 30), granted, base),
        Err(msg!("ext.err.not_after_due"))
    );
    assert_eq!(check_new_due(day(2025, 6, 2), granted, base), Ok(()));
}

#[test]
fn a_filing_counts_by_its_frozen_timeliness_and_extension() {
    assert_eq!(Standing::of_filing(true, None), Standing::OnTime);
    assert_eq!(
        Standing::of_filing(true, Some("EXT-2025-000001")),
        Standing::WithExtension
    );
    assert_eq!(Standing::of_filing(false, None), Standing::Late);
    assert_eq!(
        Standing::of_filing(false, Some("EXT-2025-000001")),
        Standing::Late
    );
    let due = day(2025, 5, 12);
    assert_eq!(Standing::unfiled(due, due), Standing::NotDue);
    assert_eq!(Standing::unfiled(due, day(2025, 5, 13)), Standing::Missing);
}
