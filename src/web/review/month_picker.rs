//! The month picker on every per-month staff page: a labelled
//! `<input type="month">` with a Go button (a plain GET form, no script)
//! beside the previous/next links.

use crate::domain::period::Period;

pub struct MonthPicker {
    /// The page the form is sent to (a GET with `period`).
    pub action: &'static str,
    pub value: String,
    pub prev: String,
    pub next: String,
}

impl MonthPicker {
    /// The picker for `period` on `action`, the neighbours linked by `link`.
    pub fn new(action: &'static str, period: Period, link: impl Fn(Period) -> String) -> Self {
        MonthPicker {
            action,
            value: period.to_string(),
            prev: link(period.prev()),
            next: link(period.next()),
        }
    }
}
