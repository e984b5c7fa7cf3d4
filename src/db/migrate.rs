//! Embedded migrations, one folder per backend with the same names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConn;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the names applied.
pub fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES)?,
    };
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (tests of the down scripts).
pub fn revert_all(conn: &mut DbConn) -> Result<Vec<String>, MigrationError> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE)?,
        DbConn::Pg(c) => c.revert_all_migrations(POSTGRES)?,
    };
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// Reverts the last applied migration; returns its name (tests of a
/// migration's backfill).
pub fn revert_last(conn: &mut DbConn) -> Result<String, MigrationError> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_last_migration(SQLITE)?,
        DbConn::Pg(c) => c.revert_last_migration(POSTGRES)?,
    };
    Ok(reverted.to_string())
}
