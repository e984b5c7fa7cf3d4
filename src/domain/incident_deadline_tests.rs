#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::domain::incident::parse_tokyo_time;

fn tokyo(s: &str) -> NaiveDateTime {
    parse_tokyo_time(s).unwrap()
}

#[test]
fn noon_of_the_next_business_day_after_a_friday_night() {
    // Friday 2026-05-01 23:30; Monday 4th to Wednesday 6th are Golden Week.
    let due = due_at(tokyo("2026-05-01T23:30"), DelayUnit::NoonNextBusinessDay, 0);
    assert_eq!(due, tokyo("2026-05-07T12:00"));
    let _ = NaiveDate::from_ymd_opt(2026, 5, 7).unwrap();
}

#[test]
fn hours_run_across_midnight_and_weekends() {
    let due = due_at(tokyo("2026-05-01T23:30"), DelayUnit::Hours, 4);
    assert_eq!(due, tokyo("2026-05-02T03:30"));
    let due = due_at(tokyo("2026-05-01T23:30"), DelayUnit::Hours, 72);
    assert_eq!(due, tokyo("2026-05-04T23:30"));
}

#[test]
fn business_days_skip_the_new_year_holidays() {
    // Monday 2026-12-28; 12-31, 1-1, 1-2 (Sat), 1-3 closed; 1-4 is Monday.
    let due = due_at(tokyo("2026-12-28T10:00"), DelayUnit::BusinessDays, 3);
    assert_eq!(due, tokyo("2027-01-05T00:00"));
}

#[test]
fn the_initial_stage_has_no_previous_trigger() {
    assert_eq!(
        DeadlineRule::new(
            IncidentStage::Initial,
            Trigger::Previous,
            DelayUnit::Hours,
            4,
            0,
            false
        ),
        Err(RuleError::NoPreviousStage)
    );
}
