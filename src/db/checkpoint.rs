//! SQLite's write-ahead log is copied back into the database file by a
//! task of its own, never by a filing.
//!
//! Left to itself, SQLite checkpoints inside the commit that takes the log
//! past 1,000 pages: that commit copies the pages and syncs the database
//! file (33–58 ms here, against 2 ms for a whole submission), and every
//! writer queued behind it waits as long (`tests/resilience`: the filing
//! crunch's p99 was those commits). So each connection checkpoints by
//! itself only past `SAFETY_NET_PAGES` (a server whose task has stopped,
//! a one-shot command), and a server runs `PASSIVE` checkpoints every
//! `INTERVAL`: they take no lock a writer or reader waits on. A log fully
//! copied back, with no reader still on an older snapshot, is started
//! again from its beginning by the next writer, so it stays small
//! whenever the writes pause now and then (a filing day's do); under
//! writes that never pause it can grow to `SAFETY_NET_PAGES`, and a
//! commit checkpoints as before.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::{DbConn, DbPool};
use crate::error::AppError;

/// How often the server copies the log back.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// How often it tries while the database cannot be reached (each try
/// waits for a connection, and the pool logs each one it cannot open).
pub const INTERVAL_WHILE_FAILING: Duration = Duration::from_secs(5);

/// Past this many pages in the log, the committing connection checkpoints
/// itself (SQLite's `wal_autocheckpoint`; its default is 1,000).
pub const SAFETY_NET_PAGES: u32 = 16_000;

/// What `PRAGMA wal_checkpoint` answers.
#[derive(QueryableByName, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    /// 1 when another checkpoint was running (this one did nothing, and
    /// the two counts are -1).
    #[diesel(sql_type = Integer)]
    pub busy: i32,
    /// Frames in the log since it last started from its beginning.
    #[diesel(sql_type = Integer)]
    pub log: i32,
    /// Of those, the frames now copied into the database file.
    #[diesel(sql_type = Integer)]
    pub checkpointed: i32,
}

/// One `PASSIVE` checkpoint: copies what no reader still needs, waits for
/// nothing. On PostgreSQL it does nothing (`None`).
pub fn passive(conn: &mut DbConn) -> QueryResult<Option<Checkpointed>> {
    match conn {
        DbConn::Sqlite(_) => diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
            .get_result(conn)
            .map(Some),
        DbConn::Pg(_) => Ok(None),
    }
}

/// Runs `passive` every `INTERVAL` on the current runtime until it stops.
/// A failure is logged once, when it starts (the database is away: the
/// pages say so), and again when checkpoints work again; meanwhile it
/// tries every `INTERVAL_WHILE_FAILING`.
pub fn spawn(pool: DbPool) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut failing = false;
        loop {
            let pause = if failing {
                INTERVAL_WHILE_FAILING
            } else {
                INTERVAL
            };
            actix_web::rt::time::sleep(pause).await;
            match super::run(&pool, |conn| passive(conn).map_err(AppError::from)).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("WAL checkpoints work again");
                }
                Ok(_) => {}
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "WAL checkpoint failed; retrying quietly");
                }
                Err(_) => {}
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::db::{DbUrl, connect_pool};
    use diesel::connection::SimpleConnection;

    #[derive(QueryableByName)]
    struct Pages {
        #[diesel(sql_type = Integer)]
        wal_autocheckpoint: i32,
    }

    #[test]
    fn commits_leave_the_log_to_the_task_which_copies_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = connect_pool(&DbUrl::Sqlite(dir.path().join("c.db")), 2).unwrap();
        let mut conn = pool.get().unwrap();
        let set: Pages = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(set.wal_autocheckpoint, SAFETY_NET_PAGES as i32);
        // About 1,500 pages in one commit: past SQLite's default.
        conn.batch_execute(
            "CREATE TABLE t (x BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
             INSERT INTO t SELECT zeroblob(3000) FROM n;",
        )
        .unwrap();
        let other = &mut *pool.get().unwrap();
        let done = passive(other).unwrap().unwrap();
        assert_eq!(done.busy, 0);
        assert!(done.log >= 1500, "{done:?}");
        assert_eq!(done.checkpointed, done.log, "{done:?}");
        // The next commit starts the log again from its beginning.
        conn.batch_execute("INSERT INTO t VALUES (1)").unwrap();
        let next = passive(other).unwrap().unwrap();
        assert!(next.log < 10, "{next:?}");
        assert_eq!(next.checkpointed, next.log, "{next:?}");
    }
}
