//! Portal-wide settings kept in the database (shared by every instance).

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::settings;

/// The day of the following month a period's return is due.
pub const DUE_DAY: &str = "due_day";
pub const DEFAULT_DUE_DAY: u32 = 10;

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

pub fn due_day(conn: &mut DbConn) -> QueryResult<u32> {
    Ok(due_day_of(get(conn, DUE_DAY)?))
}

/// The due day a stored value gives (the default when none or unusable).
pub fn due_day_of(stored: Option<String>) -> u32 {
    stored
        .and_then(|v| v.parse().ok())
        .filter(|d| (1..=28).contains(d))
        .unwrap_or(DEFAULT_DUE_DAY)
}
