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

#[test]
fn business_days_skip_golden_week() {
    // Thursday 2026-04-30; Friday 1 May, then 2–6 May closed (weekend,
    // Constitution Day, Children's Day, the substitute holiday).
    let due = due_at(tokyo("2026-04-30T10:00"), DelayUnit::BusinessDays, 2);
    assert_eq!(due, tokyo("2026-05-08T00:00"), "the end of Thursday 7 May");
    // Counted from a closed day, the first business day after it is the first.
    let due = due_at(tokyo("2026-05-03T09:00"), DelayUnit::BusinessDays, 1);
    assert_eq!(due, tokyo("2026-05-08T00:00"));
}

#[test]
fn business_days_count_from_the_tokyo_date() {
    // 16:00 UTC on the 30th is already 1 May (a Friday) in Tokyo.
    let at = chrono::NaiveDate::from_ymd_opt(2026, 4, 30)
        .unwrap()
        .and_hms_opt(16, 0, 0)
        .unwrap();
    assert_eq!(
        due_at(at, DelayUnit::BusinessDays, 1),
        tokyo("2026-05-08T00:00")
    );
}

#[test]
fn noon_of_the_next_business_day_from_the_eve_of_a_holiday() {
    // Wednesday 30 December: the next business day is Monday 4 January.
    let due = due_at(tokyo("2026-12-30T18:00"), DelayUnit::NoonNextBusinessDay, 0);
    assert_eq!(due, tokyo("2027-01-04T12:00"));
    // An ordinary Friday night: Monday noon.
    let due = due_at(tokyo("2026-05-15T23:30"), DelayUnit::NoonNextBusinessDay, 0);
    assert_eq!(due, tokyo("2026-05-18T12:00"));
}

#[test]
fn the_reminder_goes_out_its_lead_before_the_due_time() {
    let rule = DeadlineRule::new(
        IncidentStage::Intermediate,
        Trigger::Previous,
        DelayUnit::Hours,
        72,
        12,
        true,
    )
    .unwrap();
    let due = rule.due_at(tokyo("2026-05-01T23:30"));
    assert_eq!(rule.remind_at(due), Some(tokyo("2026-05-04T11:30")));
    let silent = DeadlineRule {
        remind_hours: 0,
        ..rule
    };
    assert_eq!(silent.remind_at(due), None);
}

fn typed(trigger: &str, unit: &str, amount: &str, remind: &str, four_eyes: &str) -> TypedRule {
    TypedRule {
        trigger: trigger.into(),
        unit: unit.into(),
        amount: amount.into(),
        remind_hours: remind.into(),
        four_eyes: four_eyes.into(),
    }
}

#[test]
fn a_typed_rule_is_checked_field_by_field() {
    let rule = typed("previous", "hours", " 48 ", "6", "yes")
        .check(IncidentStage::Final)
        .unwrap();
    assert_eq!(
        (rule.trigger, rule.unit, rule.amount, rule.remind_hours),
        (Trigger::Previous, DelayUnit::Hours, 48, 6)
    );
    assert!(rule.four_eyes);
    let mistakes = typed("previous", "weeks", "4x", "721", "maybe")
        .check(IncidentStage::Initial)
        .unwrap_err();
    let fields: Vec<&str> = mistakes.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        ["trigger", "unit", "amount", "remind_hours", "four_eyes"]
    );
    assert_eq!(mistakes[0].1, "err.incident_deadlines.no_previous");
    assert_eq!(mistakes[2].1, "err.number.invalid");
    assert_eq!(mistakes[3].1, "err.incident_deadlines.remind");
    let mistakes = typed("awareness", "hours", "0", "", "")
        .check(IncidentStage::Initial)
        .unwrap_err();
    assert_eq!(
        mistakes,
        [("amount", msg!("err.incident_deadlines.no_hours"))]
    );
    let mistakes = typed("awareness", "business_days", "2001", "0", "")
        .check(IncidentStage::Initial)
        .unwrap_err();
    assert_eq!(
        mistakes,
        [("amount", msg!("err.incident_deadlines.amount"))]
    );
    let mistakes = typed("", "", "", "", "")
        .check(IncidentStage::Intermediate)
        .unwrap_err();
    assert_eq!(
        mistakes,
        [
            ("trigger", msg!("err.choose")),
            ("unit", msg!("err.choose")),
            ("amount", msg!("err.required")),
        ],
        "a blank reminder is none"
    );
    // Noon of the next business day counts nothing: a blank is fine.
    let rule = typed("classification", "noon_next_business_day", "", "0", "")
        .check(IncidentStage::Initial)
        .unwrap();
    assert_eq!((rule.amount, rule.four_eyes), (0, false));
}

#[test]
fn a_rule_shows_back_as_it_checks() {
    for rule in [
        DeadlineRule::new(
            IncidentStage::Initial,
            Trigger::Classification,
            DelayUnit::NoonNextBusinessDay,
            0,
            0,
            false,
        )
        .unwrap(),
        DeadlineRule::new(
            IncidentStage::Final,
            Trigger::Previous,
            DelayUnit::BusinessDays,
            20,
            72,
            true,
        )
        .unwrap(),
    ] {
        assert_eq!(TypedRule::of(&rule).check(rule.stage), Ok(rule));
    }
}

#[test]
fn the_worked_example_chains_stages_sent_at_their_due_times() {
    let rules = [
        DeadlineRule::new(
            IncidentStage::Initial,
            Trigger::Classification,
            DelayUnit::Hours,
            4,
            0,
            false,
        )
        .unwrap(),
        DeadlineRule::new(
            IncidentStage::Intermediate,
            Trigger::Previous,
            DelayUnit::Hours,
            72,
            12,
            true,
        )
        .unwrap(),
        DeadlineRule::new(
            IncidentStage::Final,
            Trigger::Awareness,
            DelayUnit::BusinessDays,
            20,
            72,
            true,
        )
        .unwrap(),
    ];
    let at = tokyo("2026-05-01T23:30");
    let lines = example(&rules, at);
    let due: Vec<NaiveDateTime> = lines.iter().map(|l| l.due).collect();
    assert_eq!(
        due,
        [
            tokyo("2026-05-02T03:30"),
            tokyo("2026-05-05T03:30"),
            // The end of the 20th business day after Friday 1 May
            // (Wednesday 3 June), Golden Week skipped.
            tokyo("2026-06-04T00:00"),
        ]
    );
    assert_eq!(lines[1].starts, lines[0].due, "counted from the initial");
    assert_eq!(lines[2].starts, at, "counted from awareness");
    assert_eq!(lines[0].remind, None);
    assert_eq!(lines[1].remind, Some(tokyo("2026-05-04T15:30")));
}

#[test]
fn the_worked_example_is_the_coming_friday_night() {
    // Tuesday 19 May 2026 → Friday 22 May, 23:30 Tokyo.
    assert_eq!(
        example_moment(tokyo("2026-05-19T10:00")),
        tokyo("2026-05-22T23:30")
    );
    // On a Friday, that very night.
    assert_eq!(
        example_moment(tokyo("2026-05-22T23:45")),
        tokyo("2026-05-22T23:30")
    );
    // Saturday → the next Friday.
    assert_eq!(
        example_moment(tokyo("2026-05-23T00:10")),
        tokyo("2026-05-29T23:30")
    );
}
