//! Deadline extensions of a monthly return: the states of a request, its
//! reference (`EXT-2025-000123`), the rules a requested or granted date
//! must meet, and how a filed month counts for timeliness.

use chrono::{Datelike, Days, NaiveDate};

use super::text_enum::text_enum;
use crate::i18n::Key;

/// The latest a due date may be moved to: this many days after the
/// month's own due date (however many extensions are granted).
pub const MAX_DAYS_AFTER_DUE: u64 = 90;

text_enum! {
    /// Where a request for an extension stands (`extensions.status`).
    pub enum ExtensionStatus {
        /// Asked, not decided yet (one per firm and month at a time).
        Pending = "pending",
        /// Granted: its granted date is the month's due date.
        Granted = "granted",
        /// Refused, with the regulator's reason.
        Refused = "refused",
    }
}

/// The reference of extension `id` asked in `year` (Tokyo), as frozen on
/// the versions filed under it: `EXT-2025-000123`.
pub fn reference(year: i32, id: i64) -> String {
    format!("EXT-{year}-{id:06}")
}

/// The reference of an extension asked on `asked_on` (a Tokyo date).
pub fn reference_on(asked_on: NaiveDate, id: i64) -> String {
    reference(asked_on.year(), id)
}

/// A date typed as `YYYY-MM-DD` (surrounding spaces ignored).
pub fn parse_date(value: &str) -> Result<NaiveDate, Key> {
    let value = value.trim();
    if value.is_empty() {
        return Err(msg!("err.required"));
    }
    let shape = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(msg!("ext.err.date_format"));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| msg!("ext.err.date_format"))
}

/// Whether `date` may become the due date of a month whose due date in
/// force is `current` and whose own (unextended) due date is `base`: after
/// `current`, and at most `MAX_DAYS_AFTER_DUE` days after `base`.
pub fn check_new_due(date: NaiveDate, current: NaiveDate, base: NaiveDate) -> Result<(), Key> {
    if date <= current {
        return Err(msg!("ext.err.not_after_due"));
    }
    let latest = base
        .checked_add_days(Days::new(MAX_DAYS_AFTER_DUE))
        .unwrap_or(base);
    if date > latest {
        return Err(msg!("ext.err.too_far"));
    }
    Ok(())
}

/// How one firm's month counts in the timeliness series. A nil return is
/// a return: it counts by its timeliness like any other. The original
/// filing (the first version) decides, as frozen when it was filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Filed by the month's own due date.
    OnTime,
    /// Filed by the due date of a granted extension in force when filed.
    WithExtension,
    /// Filed after the due date in force, an extended one included.
    Late,
    /// Not filed, and the due date in force has passed.
    Missing,
    /// Not filed, not due yet (left out of the shares).
    NotDue,
}

impl Standing {
    /// The standing of a month filed `on_time` (frozen), under extension
    /// `extension_ref` (frozen) or none.
    pub fn of_filing(on_time: bool, extension_ref: Option<&str>) -> Standing {
        match (on_time, extension_ref) {
            (true, None) => Standing::OnTime,
            (true, Some(_)) => Standing::WithExtension,
            (false, _) => Standing::Late,
        }
    }

    /// The standing of a month not filed on `today` whose due date in
    /// force is `due`.
    pub fn unfiled(due: NaiveDate, today: NaiveDate) -> Standing {
        if today > due {
            Standing::Missing
        } else {
            Standing::NotDue
        }
    }

    pub fn key(self) -> Key {
        match self {
            Standing::OnTime => msg!("timeliness.on_time"),
            Standing::WithExtension => msg!("timeliness.with_extension"),
            Standing::Late => msg!("timeliness.late"),
            Standing::Missing => msg!("timeliness.missing"),
            Standing::NotDue => msg!("timeliness.not_due"),
        }
    }

    /// A stable token for CSS classes and tests.
    pub fn slug(self) -> &'static str {
        match self {
            Standing::OnTime => "on-time",
            Standing::WithExtension => "with-extension",
            Standing::Late => "late",
            Standing::Missing => "missing",
            Standing::NotDue => "not-due",
        }
    }
}

#[cfg(test)]
#[path = "extension_tests.rs"]
mod tests;
