//! The sign-in policy kept in settings: TOTP for staff (default: no) and
//! the last day firms may use TOTP (default: no end). Changes are audited.
//! A stored value that does not parse is an error (a corrupt database),
//! never read as some policy.

use crate::i18n::Key;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::second_factor::{TOTP_FIRMS_UNTIL, TOTP_STAFF};
use super::{Actor, settings};
use crate::db::schema::settings as settings_table;
use crate::db::{DbConn, write_tx};
use crate::domain::text_enum::{Unknown, text_enum};
use crate::error::AppResult;

text_enum! {
    /// Whether regulator staff may use TOTP (the `totp_staff` setting).
    pub enum StaffTotp {
        /// Staff may use an authenticator app.
        Allowed = "allowed",
        /// Staff must use passkeys (the default when unset).
        Forbidden = "forbidden",
    }
}

impl StaffTotp {
    fn of(allowed: bool) -> StaffTotp {
        if allowed {
            StaffTotp::Allowed
        } else {
            StaffTotp::Forbidden
        }
    }
}

/// The staff choice as the form sends it: `true` when staff may use TOTP.
pub fn parse_staff_totp(typed: &str) -> Result<bool, Key> {
    StaffTotp::parse(typed.trim())
        .map(|s| s == StaffTotp::Allowed)
        .map_err(|_| msg!("err.form.invalid"))
}

/// The firms' last day of TOTP as typed: empty for no end, else a date
/// as `YYYY-MM-DD`.
pub fn parse_firms_until(typed: &str) -> Result<Option<NaiveDate>, Key> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if typed.len() > crate::domain::limits::DATE {
        return Err(msg!("err.date.invalid"));
    }
    NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| msg!("err.date.invalid"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub staff_totp: bool,
    pub firms_until: Option<NaiveDate>,
}

pub fn current(conn: &mut DbConn) -> QueryResult<Policy> {
    let staff_totp = match settings::get(conn, TOTP_STAFF)? {
        None => StaffTotp::Forbidden,
        Some(stored) => StaffTotp::parse(&stored)?,
    };
    let firms_until = match settings::get(conn, TOTP_FIRMS_UNTIL)? {
        None => None,
        Some(stored) if stored.is_empty() => None,
        Some(stored) => Some(
            NaiveDate::parse_from_str(&stored, "%Y-%m-%d")
                .map_err(|_| Unknown::new("TotpFirmsUntil", &stored))?,
        ),
    };
    Ok(Policy {
        staff_totp: staff_totp == StaffTotp::Allowed,
        firms_until,
    })
}

fn put(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
    diesel::delete(settings_table::table.find(key)).execute(conn)?;
    diesel::insert_into(settings_table::table)
        .values((settings_table::key.eq(key), settings_table::value.eq(value)))
        .execute(conn)?;
    Ok(())
}

pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    policy: &Policy,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        put(conn, TOTP_STAFF, StaffTotp::of(policy.staff_totp).as_str())?;
        let until = policy
            .firms_until
            .map(|d| d.to_string())
            .unwrap_or_default();
        put(conn, TOTP_FIRMS_UNTIL, &until)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::PolicyChanged,
                object_type: "policy",
                object_id: "sign-in",
                detail: &format!(
                    "staff totp {}, firms until {}",
                    policy.staff_totp,
                    if until.is_empty() { "-" } else { &until }
                ),
            },
        )?;
        Ok(())
    })
}
