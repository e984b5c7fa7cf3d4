//! Telling an outage (the database gone, restarting, or out of reach) from a
//! fault (a bug, a constraint), by the kind of error and the state of the
//! connection — never by the text of a message, which PostgreSQL translates
//! (`lc_messages`).
//!
//! What diesel 2.3 exposes, and so what is used:
//!
//! - PostgreSQL: `DatabaseErrorInformation` has no SQLSTATE. diesel reads it
//!   itself and reports the connection-exception class (08000, 08001, 08004,
//!   08006) as `DatabaseErrorKind::ClosedConnection`; it also reports
//!   `ClosedConnection` whenever libpq has marked the connection bad after an
//!   error, which is what the operator-intervention class does (57P01
//!   `admin_shutdown` from `pg_terminate_backend` or a fast shutdown, 57P02
//!   crash shutdown, 57P04, 57P05: each is FATAL and ends the session).
//!   (Seen on PostgreSQL 15 with `lc_messages = ja_JP.UTF-8`: a backend
//!   ended mid-statement or between statements comes back as
//!   `ClosedConnection`, tests/api/outage.rs.) A query that could not be
//!   sent at all is `UnableToSendCommand`.
//!   Errors met while connecting (57P03 `cannot_connect_now` while the server
//!   starts or stops, 53300 `too_many_connections`, 08001) reach us as r2d2
//!   pool errors, also outages.
//! - SQLite: diesel keeps the extended result code only for constraint
//!   violations; SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN…
//!   all arrive as `DatabaseErrorKind::Unknown`.
//!
//! Whatever the kind says, [`connection_lost`] then asks the connection
//! itself: an error after which the connection cannot answer a read of the
//! database (its file on SQLite) is an outage. That covers an error that
//! arrives before libpq marks the connection bad, and a SQLite file that has
//! become unreadable (IOERR, CANTOPEN, NOTADB). What stays a 500 because no
//! non-text signal is left: PostgreSQL errors of class 53 raised inside a
//! live session (53100 disk full, 53200 out of memory) and SQLITE_BUSY /
//! SQLITE_FULL on a connection that still reads — rare here, as this
//! process's writers queue before SQLite's lock (`db::write_tx`).

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConn;

/// Whether the error itself says the connection is gone.
pub fn is_outage(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
    )
}

/// Whether a database error is a candidate for asking the connection: any
/// error reported by the server or library (not a row that was not found,
/// nor one we could not decode) whose kind does not already say outage nor
/// name a constraint that the data broke.
pub fn worth_probing(error: &Error) -> bool {
    match error {
        Error::DatabaseError(kind, _) => !matches!(
            kind,
            DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::RestrictViolation
                | DatabaseErrorKind::ExclusionViolation
                | DatabaseErrorKind::SerializationFailure
                | DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
        ),
        Error::BrokenTransactionManager | Error::RollbackErrorOnCommit { .. } => true,
        _ => false,
    }
}

/// After an error, whether this connection can still read the database.
/// Only asked outside a transaction: inside one, PostgreSQL refuses every
/// statement after an error (25P02), which says nothing about the network.
pub fn connection_lost(conn: &mut DbConn) -> bool {
    let depth = match conn {
        DbConn::Pg(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
        }
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
        }
    };
    match depth {
        Ok(None) => {}
        // Still inside a transaction: we cannot tell.
        Ok(Some(_)) => return false,
        // diesel could not roll back: the connection did not answer.
        Err(_) => return true,
    }
    let probe = match conn {
        DbConn::Pg(inner) => inner.batch_execute("SELECT 1"),
        // Reads the schema page, so a file gone or unreadable shows.
        DbConn::Sqlite(inner) => inner.batch_execute("SELECT count(*) FROM sqlite_master"),
    };
    probe.is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn the_kind_decides_whatever_the_message_says() {
        // PostgreSQL with lc_messages = ja_JP: the same kinds, other words.
        assert!(is_outage(&db_error(
            DatabaseErrorKind::ClosedConnection,
            "管理者コマンドにより接続を終了しています",
        )));
        assert!(is_outage(&db_error(
            DatabaseErrorKind::UnableToSendCommand,
            "サーバーへの接続がありません",
        )));
        // English words that once meant an outage mean nothing now.
        assert!(!is_outage(&db_error(
            DatabaseErrorKind::Unknown,
            "terminating connection due to administrator command",
        )));
        assert!(!is_outage(&db_error(
            DatabaseErrorKind::UniqueViolation,
            "server closed the connection",
        )));
        assert!(!is_outage(&Error::NotFound));
    }

    #[test]
    fn only_errors_the_connection_might_explain_are_probed() {
        assert!(worth_probing(&db_error(DatabaseErrorKind::Unknown, "x")));
        assert!(worth_probing(&Error::BrokenTransactionManager));
        for settled in [
            Error::NotFound,
            db_error(DatabaseErrorKind::UniqueViolation, "x"),
            db_error(DatabaseErrorKind::ForeignKeyViolation, "x"),
            db_error(DatabaseErrorKind::ClosedConnection, "x"),
        ] {
            assert!(!worth_probing(&settled), "{settled:?}");
        }
    }

    #[test]
    fn a_live_connection_is_kept_and_an_unreadable_file_is_an_outage() {
        let mut conn = super::super::testing::memory_db();
        assert!(!connection_lost(&mut conn));
        // A file that is not (or no longer) a database: SQLITE_NOTADB,
        // which diesel reports as Unknown.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("broken.db");
        std::fs::write(&path, [0x5a_u8; 4096]).expect("writes");
        let mut conn = DbConn::Sqlite(
            <diesel::SqliteConnection as diesel::Connection>::establish(&path.to_string_lossy())
                .expect("opens lazily"),
        );
        assert!(connection_lost(&mut conn));
    }
}
