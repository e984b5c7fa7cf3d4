//! A private in-memory SQLite database with every migration applied, for
//! unit and property tests of services that need a connection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDateTime;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::sqlite::SqliteConnection;

use super::DbConn;
use super::migrate;

/// A fresh migrated database that lives as long as the connection.
pub fn memory_db() -> DbConn {
    let mut lite = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
    lite.batch_execute("PRAGMA foreign_keys = ON;")
        .expect("foreign keys on");
    let mut conn = DbConn::Sqlite(lite);
    migrate::run_pending(&mut conn).expect("migrations");
    conn
}

/// Commits an empty write transaction, as any write would.
pub fn commit_nothing(conn: &mut DbConn) {
    super::write_tx(conn, |_| Ok::<_, diesel::result::Error>(()))
        .expect("empty transaction commits");
}

/// 2025-05-20 10:00 UTC, the test suite's usual "now".
pub fn test_now() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("a valid time")
}
