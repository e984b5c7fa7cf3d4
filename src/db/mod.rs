//! Database access: one connection type over PostgreSQL and SQLite, the pool,
//! per-connection settings, write transactions and migrations.

pub mod backup;
pub mod checkpoint;
pub mod migrate;
pub mod models;
pub mod outage;
pub mod pool;
pub mod schema;
#[cfg(test)]
pub mod testing;

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use std::sync::atomic::{AtomicU64, Ordering};

pub use models::NewVersionRow;
pub use pool::{Backend, DbPool, DbUrl, connect_pool, run};

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// SQLite has one writer at a time. This process's writers take turns here
/// rather than in SQLite's busy handler, which polls with sleeps of up to
/// 100 ms and so gave an unlucky writer a long wait under load (filing p99
/// at 50 concurrent filers: tests/resilience).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Write transactions this process has committed. What is kept in memory
/// from a read (a session, the dashboard's figures) is used only while
/// this count has not moved since the read began (`web::fresh`).
static COMMITTED: AtomicU64 = AtomicU64::new(0);

/// Write transactions this process has committed that change sessions and
/// sign-in state only (`write_tx_sessions`): the session kept behind a
/// cookie must be read again after one, the dashboard's figures need not.
static SESSION_WRITES: AtomicU64 = AtomicU64::new(0);

/// How many write transactions this process has committed so far (those
/// that change sessions only aside).
pub fn committed_writes() -> u64 {
    COMMITTED.load(Ordering::Acquire)
}

/// How many session-only write transactions this process has committed.
pub fn session_writes() -> u64 {
    SESSION_WRITES.load(Ordering::Acquire)
}

/// What a committed transaction makes stale of what pages keep in memory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Anything kept (`write_tx`).
    All,
    /// The sessions kept behind cookies (with the users they hold).
    Sessions,
    /// Nothing kept (`write_tx_unseen`).
    Nothing,
}

/// Runs `f` in a write transaction. On SQLite the transaction starts with
/// `BEGIN IMMEDIATE`, so concurrent writers queue on the busy timeout instead
/// of failing half-way with "database is locked".
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    transaction(conn, f, Seen::All)
}

/// `write_tx` for a write that changes sessions and sign-in state only (a
/// sign-in, a second factor, a sign-out): the kept sessions are read again,
/// the dashboard's figures and the releases stay kept, so a user signing in
/// does not make every analyst's dashboard read the database again.
pub fn write_tx_sessions<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    transaction(conn, f, Seen::Sessions)
}

/// `write_tx` for a write that changes nothing a page keeps in memory
/// (`web::fresh`: sessions, users, figures, releases) — only the audit
/// trail, throttle counters and the mail outbox. It leaves the kept reads
/// in place, so a flood of failed sign-ins does not make every page read
/// the database again.
pub fn write_tx_unseen<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    transaction(conn, f, Seen::Nothing)
}

/// `write_tx` whose body tells, by its second value, whether it changed
/// anything a page keeps in memory (`true`: as `write_tx`; `false`: as
/// `write_tx_unseen`). For a transaction that may turn out to have
/// written nothing kept (the API's draft `PUT` that finds its key answered
/// already).
pub fn write_tx_kept_if<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<(T, bool), E>,
    E: From<diesel::result::Error>,
{
    let mut kept = false;
    let value = transaction(
        conn,
        |conn| {
            f(conn).map(|(value, changed)| {
                kept = changed;
                value
            })
        },
        Seen::Nothing,
    )?;
    if kept {
        // After the commit, as `transaction` counts it.
        COMMITTED.fetch_add(1, Ordering::AcqRel);
    }
    Ok(value)
}

fn transaction<T, E, F>(conn: &mut DbConn, f: F, seen: Seen) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // Held until the transaction ends (dropped on return).
    let _writer = match conn {
        DbConn::Sqlite(inner) => {
            let turn = SQLITE_WRITER
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            Some(turn)
        }
        DbConn::Pg(_) => {
            <DbConn as Connection>::TransactionManager::begin_transaction(conn)?;
            None
        }
    };
    match f(conn) {
        Ok(value) => match <DbConn as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => {
                // After the commit: a read that starts from here sees it.
                match seen {
                    Seen::All => COMMITTED.fetch_add(1, Ordering::AcqRel),
                    Seen::Sessions => SESSION_WRITES.fetch_add(1, Ordering::AcqRel),
                    Seen::Nothing => 0,
                };
                Ok(value)
            }
            Err(commit_error) => {
                // The commit failed: leave the connection clean for the pool.
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            Err(error)
        }
    }
}
