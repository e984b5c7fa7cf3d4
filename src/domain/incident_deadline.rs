//! When each stage of an incident report is due: a rule per stage (the
//! trigger and the delay, set by an admin) and the due time it gives for a
//! trigger's time. Business days are those of the portal's Japanese
//! calendar (`due_date::is_business_day`); times are reckoned in Tokyo.

use chrono::{Datelike, Days, Duration, NaiveDateTime, Weekday};

use super::due_date::is_business_day;
use super::incident::{IncidentStage, tokyo_midnight};
use super::text_enum::text_enum;
use super::time::tokyo_date;
use crate::i18n::Key;

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

/// A rule as an admin typed it: every field a string, kept for showing
/// back. `four_eyes` is the checkbox's value (`yes` when ticked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypedRule {
    pub trigger: String,
    pub unit: String,
    pub amount: String,
    pub remind_hours: String,
    pub four_eyes: String,
}

/// The part of a rule a mistake is in (the form's field is the stage's
/// name and this, `initial_amount`).
pub const RULE_FIELDS: [&str; 5] = ["trigger", "unit", "amount", "remind_hours", "four_eyes"];

/// The longest number the form takes (`2000` is four digits; a few more
/// are refused as out of range, not cut).
pub const NUMBER_CHARS: usize = 8;

/// A whole number in `0..=max` as typed (blank: `blank`).
fn whole(input: &str, max: i32, blank: Option<i32>, out_of_range: Key) -> Result<i32, Key> {
    let input = input.trim();
    if input.is_empty() {
        return blank.ok_or(msg!("err.required"));
    }
    if input.len() > NUMBER_CHARS || !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(msg!("err.number.invalid"));
    }
    input
        .parse::<i32>()
        .ok()
        .filter(|n| (0..=max).contains(n))
        .ok_or(out_of_range)
}

impl TypedRule {
    /// The rule as a form shows it.
    pub fn of(rule: &DeadlineRule) -> TypedRule {
        TypedRule {
            trigger: rule.trigger.as_str().to_owned(),
            unit: rule.unit.as_str().to_owned(),
            amount: if rule.unit == DelayUnit::NoonNextBusinessDay {
                String::new()
            } else {
                rule.amount.to_string()
            },
            remind_hours: rule.remind_hours.to_string(),
            four_eyes: if rule.four_eyes { "yes" } else { "" }.to_owned(),
        }
    }

    /// Checks what was typed for `stage`'s rule: the rule, or each mistake
    /// as (part of the rule, message).
    pub fn check(&self, stage: IncidentStage) -> Result<DeadlineRule, Vec<(&'static str, Key)>> {
        let mut mistakes = Vec::new();
        let trigger = match Trigger::parse(self.trigger.trim()) {
            Ok(Trigger::Previous) if stage == IncidentStage::Initial => {
                mistakes.push(("trigger", msg!("err.incident_deadlines.no_previous")));
                None
            }
            Ok(trigger) => Some(trigger),
            Err(_) => {
                mistakes.push(("trigger", msg!("err.choose")));
                None
            }
        };
        let unit = DelayUnit::parse(self.unit.trim())
            .map_err(|_| mistakes.push(("unit", msg!("err.choose"))))
            .ok();
        // Noon of the next business day counts nothing: a blank is zero.
        let amount = match unit {
            Some(DelayUnit::NoonNextBusinessDay) => whole(
                &self.amount,
                MAX_AMOUNT,
                Some(0),
                msg!("err.incident_deadlines.amount"),
            ),
            Some(DelayUnit::Hours) => whole(
                &self.amount,
                MAX_AMOUNT,
                None,
                msg!("err.incident_deadlines.amount"),
            )
            .and_then(|n| {
                if n == 0 {
                    Err(msg!("err.incident_deadlines.no_hours"))
                } else {
                    Ok(n)
                }
            }),
            _ => whole(
                &self.amount,
                MAX_AMOUNT,
                None,
                msg!("err.incident_deadlines.amount"),
            ),
        }
        .map_err(|key| mistakes.push(("amount", key)))
        .ok();
        let remind_hours = whole(
            &self.remind_hours,
            MAX_REMIND_HOURS,
            Some(0),
            msg!("err.incident_deadlines.remind"),
        )
        .map_err(|key| mistakes.push(("remind_hours", key)))
        .ok();
        let four_eyes = match self.four_eyes.trim() {
            "yes" => Some(true),
            "" => Some(false),
            _ => {
                mistakes.push(("four_eyes", msg!("err.form.invalid")));
                None
            }
        };
        match (trigger, unit, amount, remind_hours, four_eyes) {
            (Some(trigger), Some(unit), Some(amount), Some(remind_hours), Some(four_eyes))
                if mistakes.is_empty() =>
            {
                DeadlineRule::new(stage, trigger, unit, amount, remind_hours, four_eyes).map_err(
                    |e| {
                        vec![match e {
                            RuleError::NoPreviousStage => {
                                ("trigger", msg!("err.incident_deadlines.no_previous"))
                            }
                            RuleError::Amount => ("amount", msg!("err.incident_deadlines.amount")),
                            RuleError::Remind => {
                                ("remind_hours", msg!("err.incident_deadlines.remind"))
                            }
                        }]
                    },
                )
            }
            _ => Err(mistakes),
        }
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

/// One stage of the worked example the settings page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExampleLine {
    pub rule: DeadlineRule,
    /// When its clock starts.
    pub starts: NaiveDateTime,
    pub due: NaiveDateTime,
    pub remind: Option<NaiveDateTime>,
}

/// The worked example's moment: 23:30 (Tokyo) on the coming Friday, today
/// if it is one.
pub fn example_moment(now: NaiveDateTime) -> NaiveDateTime {
    let today = tokyo_date(now);
    let ahead =
        (Weekday::Fri.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    let friday = today
        .checked_add_days(Days::new(u64::from(ahead)))
        .unwrap_or(today);
    tokyo_midnight(friday) + Duration::hours(23) + Duration::minutes(30)
}

/// What `rules` give for an incident the firm becomes aware of and
/// classifies at `at`, each stage sent at the last moment it is due (so a
/// stage counted from the one before starts at that one's due time).
pub fn example(rules: &[DeadlineRule], at: NaiveDateTime) -> Vec<ExampleLine> {
    let mut lines: Vec<ExampleLine> = Vec::with_capacity(rules.len());
    for rule in rules {
        let starts = match rule.trigger {
            Trigger::Awareness | Trigger::Classification => at,
            Trigger::Previous => lines.last().map_or(at, |before| before.due),
        };
        let due = rule.due_at(starts);
        lines.push(ExampleLine {
            rule: *rule,
            starts,
            due,
            remind: rule.remind_at(due),
        });
    }
    lines
}

#[cfg(test)]
#[path = "incident_deadline_tests.rs"]
mod tests;
