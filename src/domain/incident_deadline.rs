//! When each stage of an incident report is due: a rule per stage (the
//! trigger and the delay, set by an admin) and the due time it gives for a
//! trigger's time. Business days are those of the portal's Japanese
//! calendar (`due_date::is_business_day`); times are reckoned in Tokyo.

use chrono::{Days, Duration, NaiveDateTime};

use super::due_date::is_business_day;
use super::incident::{IncidentStage, tokyo_midnight};
use super::text_enum::text_enum;
use super::time::tokyo_date;

text_enum! {
    /// What starts a stage's clock.
    pub enum Trigger {
        /// The moment the firm became aware.
        Awareness = "awareness",
        /// The moment the firm classified the incident as reportable.
        Classification = "classification",
        /// The first submission of the stage before.
        Previous = "previous",
    }
}

text_enum! {
    /// How the delay is counted.
    pub enum DelayUnit {
        /// Clock hours, across nights, weekends and holidays.
        Hours = "hours",
        /// Business days: due at the end (24:00 Tokyo) of the Nth business
        /// day after the trigger's day.
        BusinessDays = "business_days",
        /// By noon (Tokyo) of the first business day after the trigger's day.
        NoonNextBusinessDay = "noon_next_business_day",
    }
}

/// The largest delay an admin may set, in either unit.
pub const MAX_AMOUNT: i32 = 2000;
/// The longest lead time of a reminder, in hours.
pub const MAX_REMIND_HOURS: i32 = 720;

/// One stage's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlineRule {
    pub stage: IncidentStage,
    pub trigger: Trigger,
    pub unit: DelayUnit,
    /// Hours or business days (unused for noon of the next business day).
    pub amount: i32,
    /// How long before the due time the reminder goes out (0: none).
    pub remind_hours: i32,
    /// Whether the stage needs a second person to send it.
    pub four_eyes: bool,
}

/// Why a rule cannot be saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// The initial stage has no stage before it.
    NoPreviousStage,
    /// The delay is out of `0..=MAX_AMOUNT`.
    Amount,
    /// The reminder's lead is out of `0..=MAX_REMIND_HOURS`.
    Remind,
}

impl DeadlineRule {
    /// A rule, checked.
    pub fn new(
        stage: IncidentStage,
        trigger: Trigger,
        unit: DelayUnit,
        amount: i32,
        remind_hours: i32,
        four_eyes: bool,
    ) -> Result<DeadlineRule, RuleError> {
        if stage == IncidentStage::Initial && trigger == Trigger::Previous {
            return Err(RuleError::NoPreviousStage);
        }
        if !(0..=MAX_AMOUNT).contains(&amount) {
            return Err(RuleError::Amount);
        }
        if !(0..=MAX_REMIND_HOURS).contains(&remind_hours) {
            return Err(RuleError::Remind);
        }
        Ok(DeadlineRule {
            stage,
            trigger,
            unit,
            amount,
            remind_hours,
            four_eyes,
        })
    }

    /// The due time (UTC) for a trigger at `at` (UTC).
    pub fn due_at(&self, at: NaiveDateTime) -> NaiveDateTime {
        due_at(at, self.unit, self.amount)
    }

    /// When the reminder for a stage due at `due` goes out, if any.
    pub fn remind_at(&self, due: NaiveDateTime) -> Option<NaiveDateTime> {
        (self.remind_hours > 0).then(|| due - Duration::hours(i64::from(self.remind_hours)))
    }
}

/// The first business day strictly after `day`.
fn business_day_after(day: chrono::NaiveDate) -> chrono::NaiveDate {
    let mut d = day;
    // A run of closed days never exceeds a couple of weeks; the bound only
    // guards against the end of chrono's calendar.
    for _ in 0..366 {
        match d.checked_add_days(Days::new(1)) {
            Some(next) => d = next,
            None => return d,
        }
        if is_business_day(d) {
            return d;
        }
    }
    d
}

/// The due time (UTC) of a delay of `amount` `unit`s from `at` (UTC).
pub fn due_at(at: NaiveDateTime, unit: DelayUnit, amount: i32) -> NaiveDateTime {
    match unit {
        DelayUnit::Hours => at + Duration::hours(i64::from(amount.max(0))),
        DelayUnit::BusinessDays => {
            let mut day = tokyo_date(at);
            for _ in 0..amount.max(0) {
                day = business_day_after(day);
            }
            // The end of that Tokyo day: the start of the next.
            tokyo_midnight(day) + Duration::days(1)
        }
        DelayUnit::NoonNextBusinessDay => {
            let day = business_day_after(tokyo_date(at));
            tokyo_midnight(day) + Duration::hours(12)
        }
    }
}

#[cfg(test)]
#[path = "incident_deadline_tests.rs"]
mod tests;
