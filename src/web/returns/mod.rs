//! A firm's returns: the list of periods, the preparer's task list (one
//! page per section, check your answers and the hand-over, the nil
//! return), the approver's page (review and submit) and the frozen
//! versions with their receipts.

pub mod approve;
pub mod check;
pub mod comments;
pub mod details_view;
pub mod draft_view;
pub mod extension;
pub mod fields;
pub mod form;
pub mod incidents_view;
pub mod list;
pub mod nil;
pub mod section;
pub mod section_view;
pub mod sections;
pub mod summary_view;
pub mod tasks;
pub mod trades;
pub mod trades_view;
pub mod upload;
pub mod version;

use crate::clock::Clock;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppError;

/// A period from the URL: well-formed and not in the future (events that
/// have not happened cannot be reported).
pub fn reportable_period(raw: &str, clock: &Clock) -> Result<Period, AppError> {
    let period = Period::parse(raw).map_err(|_| AppError::NotFound)?;
    let current = Period::from_date(tokyo_date(clock.now()));
    if period > current {
        return Err(AppError::NotFound);
    }
    Ok(period)
}
