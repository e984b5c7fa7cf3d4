//! Whether the database answers, for the readiness probe.

use diesel::connection::SimpleConnection;

use crate::db::DbConn;
use crate::error::AppResult;

/// One round trip to the database.
pub fn database_answers(conn: &mut DbConn) -> AppResult<()> {
    Ok(conn.batch_execute("SELECT 1")?)
}
