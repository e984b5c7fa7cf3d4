//! Online backup of a SQLite portal: `VACUUM INTO` writes a consistent
//! snapshot of the live database (a read transaction, so the portal keeps
//! serving), then the copy is opened and checked before it is reported.
//! PostgreSQL is backed up with its own tools (`pg_dump`).

use std::fmt;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::pool::{DbUrl, connect_pool};
use super::{DbConn, schema};

/// What was written, as checked on the copy itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub tables: i64,
    /// Submitted versions, each with its receipt number.
    pub receipts: i64,
    pub audit_events: i64,
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backup written to {}: {} bytes, {} tables, {} receipts, {} audit events; \
             integrity check ok",
            self.path.display(),
            self.bytes,
            self.tables,
            self.receipts,
            self.audit_events
        )
    }
}

/// The answer for a PostgreSQL portal: which command to run instead.
pub fn postgres_advice(dest: &Path) -> String {
    format!(
        "backup copies SQLite databases only; back up PostgreSQL with pg_dump: \
         pg_dump -Fc --dbname=\"$DATABASE_URL\" -f {} (restore with pg_restore)",
        dest.display()
    )
}

#[derive(QueryableByName)]
struct Verdict {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Copies the live database named by `url` to `dest`, which must not exist,
/// and checks the copy.
pub fn backup(url: &DbUrl, dest: &Path) -> Result<BackupReport, String> {
    let source = match url {
        DbUrl::Postgres(_) => return Err(postgres_advice(dest)),
        DbUrl::Sqlite(path) => path,
    };
    if !source.exists() {
        return Err(format!("no database at {}", source.display()));
    }
    // SQLite takes the target as a bound string; a path that is not UTF-8
    // could not be named faithfully.
    let target = dest
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", dest.display()))?;
    let pool = connect_pool(url, 1)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let DbConn::Sqlite(live) = &mut *conn else {
        return Err(postgres_advice(dest));
    };
    reserve(dest)?;
    if let Err(e) = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(live)
    {
        // Only the empty file made by `reserve` is there to remove.
        let _ = std::fs::remove_file(dest);
        return Err(format!("cannot write {}: {e}", dest.display()));
    }
    drop(conn);
    check_copy(dest).map_err(|e| {
        format!(
            "the copy at {} failed its check ({e}); do not rely on it",
            dest.display()
        )
    })
}

/// Creates `dest` empty, readable by its owner only (the copy holds
/// password hashes and sessions), refusing a file that exists: SQLite fills
/// an empty file, and creating it here leaves no moment in which another
/// file could take its place.
fn reserve(dest: &Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(dest) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            dest.display()
        )),
        Err(e) => Err(format!("cannot create {}: {e}", dest.display())),
    }
}

/// Opens the copy on its own and runs `PRAGMA integrity_check` and the
/// counts reported.
fn check_copy(dest: &Path) -> Result<BackupReport, String> {
    let bytes = std::fs::metadata(dest)
        .map_err(|e| format!("cannot read it back: {e}"))?
        .len();
    let mut copy = SqliteConnection::establish(&dest.to_string_lossy())
        .map_err(|e| format!("cannot open it: {e}"))?;
    let verdict: Vec<Verdict> = diesel::sql_query("PRAGMA integrity_check")
        .load::<Verdict>(&mut copy)
        .map_err(|e| format!("integrity check: {e}"))?;
    let lines: Vec<&str> = verdict.iter().map(|v| v.integrity_check.as_str()).collect();
    if lines != ["ok"] {
        return Err(format!(
            "integrity check: {}",
            lines.join("; ").replace(['\n', '\r'], " ")
        ));
    }
    let tables = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master \
         WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .get_result::<Counted>(&mut copy)
    .map_err(|e| format!("counting tables: {e}"))?
    .n;
    let receipts = schema::return_versions::table
        .count()
        .get_result::<i64>(&mut copy)
        .map_err(|e| format!("counting receipts: {e}"))?;
    let audit_events = schema::audit_events::table
        .count()
        .get_result::<i64>(&mut copy)
        .map_err(|e| format!("counting audit events: {e}"))?;
    Ok(BackupReport {
        path: dest.to_path_buf(),
        bytes,
        tables,
        receipts,
        audit_events,
    })
}
