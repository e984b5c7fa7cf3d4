//! The sign-in policy kept in settings: TOTP for staff (default: no) and
//! the last day firms may use TOTP (default: no end). Changes are audited.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::second_factor::{TOTP_FIRMS_UNTIL, TOTP_STAFF};
use super::{Actor, settings};
use crate::db::schema::settings as settings_table;
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub staff_totp: bool,
    pub firms_until: Option<NaiveDate>,
}

pub fn current(conn: &mut DbConn) -> QueryResult<Policy> {
    let staff_totp = settings::get(conn, TOTP_STAFF)?.as_deref() == Some("allowed");
    let firms_until = settings::get(conn, TOTP_FIRMS_UNTIL)?
        .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok());
    Ok(Policy {
        staff_totp,
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
        put(
            conn,
            TOTP_STAFF,
            if policy.staff_totp {
                "allowed"
            } else {
                "forbidden"
            },
        )?;
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
