//! What an observer (a partner authority) may read: a set of firms and a
//! range of months, or the published aggregates only, until a day. The day
//! is a Tokyo calendar day: the scope holds through `expires_on` and has
//! expired from the next day on.

use chrono::NaiveDate;

use super::period::Period;
use crate::i18n::Key;

/// What the scope opens beyond the public statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Published statistics only: no firm's version, no live dashboard.
    AggregatesOnly,
    /// These firms' versions in these months (inclusive), and the live
    /// dashboard over the months.
    Firms {
        firms: Vec<i64>,
        from: Period,
        to: Period,
    },
}

/// An observer's scope, valid by construction (months in order, at least
/// one firm when firms are named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObserverScope {
    pub reach: Reach,
    pub expires_on: NaiveDate,
}

/// The scope form as typed.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeInput<'a> {
    pub firms: &'a [String],
    pub aggregates_only: bool,
    pub period_from: &'a str,
    pub period_to: &'a str,
    pub expires_on: &'a str,
}

/// The longest date a form field may hold before it is read.
const DATE_CHARS: usize = 10;

impl ObserverScope {
    /// The scope the form describes, or each field's mistake. `known`
    /// tells whether a firm id names a firm; `today` (Tokyo) refuses an
    /// expiry already past.
    pub fn parse(
        input: &ScopeInput<'_>,
        known: impl Fn(i64) -> bool,
        today: NaiveDate,
    ) -> Result<ObserverScope, Vec<(&'static str, Key)>> {
        let mut errors = Vec::new();
        let typed_date = input.expires_on.trim();
        let expires_on = if typed_date.chars().count() > DATE_CHARS {
            None
        } else {
            NaiveDate::parse_from_str(typed_date, "%Y-%m-%d").ok()
        };
        match expires_on {
            None => errors.push(("expires_on", msg!("err.date.invalid"))),
            Some(day) if day < today => errors.push(("expires_on", msg!("observer.err.expired"))),
            Some(_) => {}
        }
        let reach = if input.aggregates_only {
            Some(Reach::AggregatesOnly)
        } else {
            Self::firms_reach(input, &known, &mut errors)
        };
        match (reach, expires_on) {
            (Some(reach), Some(expires_on)) if errors.is_empty() => {
                Ok(ObserverScope { reach, expires_on })
            }
            _ => Err(errors),
        }
    }

    fn firms_reach(
        input: &ScopeInput<'_>,
        known: &impl Fn(i64) -> bool,
        errors: &mut Vec<(&'static str, Key)>,
    ) -> Option<Reach> {
        let mut firms: Vec<i64> = Vec::new();
        for typed in input.firms {
            match typed.trim().parse::<i64>() {
                Ok(id) if known(id) => firms.push(id),
                _ => {
                    errors.push(("firms", msg!("observer.err.firm")));
                    return None;
                }
            }
        }
        firms.sort_unstable();
        firms.dedup();
        if firms.is_empty() {
            errors.push(("firms", msg!("observer.err.no_firm")));
        }
        let month = |typed: &str| Period::parse(typed).ok();
        let from = month(input.period_from);
        let to = month(input.period_to);
        if from.is_none() {
            errors.push(("period_from", msg!("observer.err.month")));
        }
        if to.is_none() {
            errors.push(("period_to", msg!("observer.err.month")));
        }
        let (from, to) = (from?, to?);
        if from > to {
            errors.push(("period_to", msg!("observer.err.months_order")));
            return None;
        }
        (!firms.is_empty()).then_some(Reach::Firms { firms, from, to })
    }

    /// Whether the scope still holds on `today` (a Tokyo date).
    pub fn is_live(&self, today: NaiveDate) -> bool {
        today <= self.expires_on
    }

    /// Whether the scope, live on `today`, covers a firm's month.
    pub fn covers(&self, firm_id: i64, period: &str, today: NaiveDate) -> bool {
        if !self.is_live(today) {
            return false;
        }
        match &self.reach {
            Reach::AggregatesOnly => false,
            Reach::Firms { firms, from, to } => {
                firms.contains(&firm_id)
                    && Period::parse(period).is_ok_and(|p| *from <= p && p <= *to)
            }
        }
    }

    /// The months of a live firm scope (for the dashboard); none for an
    /// aggregates-only or expired one.
    pub fn months(&self, today: NaiveDate) -> Option<(Period, Period)> {
        match &self.reach {
            Reach::Firms { from, to, .. } if self.is_live(today) => Some((*from, *to)),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "observer_scope_tests.rs"]
mod tests;
