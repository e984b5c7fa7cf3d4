//! A firm's returns: the list of periods, the preparer's form (draft, nil
//! return), the approver's page (review and submit) and the frozen
//! versions with their receipts.

pub mod approve;
pub mod details_view;
pub mod draft_view;
pub mod form;
pub mod list;
pub mod nil;
pub mod sections;
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
