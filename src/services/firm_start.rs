//! When a firm's obligations start: its first reporting month. No month
//! before it is expected of the firm (completeness, the board, reminders,
//! the overdue lists); a return it files for an earlier month still counts
//! as filed. Set when an admin adds the firm (default: the current month),
//! changed by an admin later, audited.

use crate::i18n::Key;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::{Actor, Invalid};
use crate::db::models::Firm;
use crate::db::schema::firms;
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};

/// The month a firm added at `now` starts reporting by default.
pub fn default_first(now: NaiveDateTime) -> Period {
    Period::from_date(tokyo_date(now))
}

/// What the admin typed: empty means the current month; otherwise a
/// `YYYY-MM` not after the current month's next (a firm may be registered
/// ahead of its start, not years ahead).
pub fn parse_first(raw: &str, now: NaiveDateTime) -> Result<Period, Key> {
    let current = default_first(now);
    if raw.trim().is_empty() {
        return Ok(current);
    }
    match Period::parse(raw) {
        Ok(p) if p <= current.next() => Ok(p),
        Ok(_) => Err(msg!("err.first_period.future")),
        Err(e) => Err(e.key()),
    }
}

/// Whether `firm` must file for `period`.
pub fn expected(firm: &Firm, period: Period) -> bool {
    Period::parse(&firm.first_period).map_or(true, |first| period >= first)
}

/// Sets a firm's first reporting month (what an admin typed), audited.
pub fn set_first(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    raw: &str,
    now: NaiveDateTime,
) -> AppResult<Result<Period, Invalid>> {
    let period = match parse_first(raw, now) {
        Ok(p) => p,
        Err(key) => return Ok(Err(Invalid::one("first_period", key))),
    };
    write_tx(conn, |conn| {
        let before: String = firms::table
            .find(firm_id)
            .select(firms::first_period)
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let key = period.to_string();
        if before == key {
            return Ok(Ok(period));
        }
        diesel::update(firms::table.find(firm_id))
            .set(firms::first_period.eq(&key))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::FirmFirstPeriodChanged,
                object_type: "firm",
                object_id: &firm_id.to_string(),
                detail: &format!("first reporting month {before} -> {key}"),
            },
        )?;
        Ok(Ok(period))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap()
    }

    #[test]
    fn first_month_defaults_to_now_and_refuses_far_future() {
        let now = at(2025, 5, 20);
        assert_eq!(parse_first(" ", now).unwrap().to_string(), "2025-05");
        assert_eq!(parse_first("2024-01", now).unwrap().to_string(), "2024-01");
        assert_eq!(parse_first("2025-06", now).unwrap().to_string(), "2025-06");
        assert_eq!(
            parse_first("2025-07", now),
            Err(msg!("err.first_period.future"))
        );
        assert_eq!(parse_first("2025-13", now), Err(msg!("err.period.invalid")));
    }
}
