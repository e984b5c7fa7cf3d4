//! The connection pool: picks the backend from the URL scheme, applies the
//! SQLite settings to every new connection, and runs blocking work off the
//! async workers.

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{DbConn, outage};
use crate::error::{AppError, Outage};

pub type DbPool = Pool<ConnManager>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A parsed `DATABASE_URL`. `Debug` is the redacted form (no password).
#[derive(Clone)]
pub enum DbUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbUrl({})", self.redacted())
    }
}

impl DbUrl {
    /// `postgres://…`, `postgresql://…`, `sqlite://path` or `sqlite:path`.
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("DATABASE_URL sqlite:// needs a file path".to_owned());
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(format!(
            "DATABASE_URL must start with postgres:// or sqlite:// (got scheme '{scheme}')"
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Postgres(_) => Backend::Postgres,
            DbUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password masked (in the user info or as a
    /// `password=` parameter), for logs.
    pub fn redacted(&self) -> String {
        let masked = self.mask_userinfo();
        match masked.split_once('?') {
            Some((base, query)) if query.contains("password=") => {
                let params: Vec<String> = query
                    .split('&')
                    .map(|p| match p.split_once('=') {
                        Some(("password", _)) => "password=***".to_owned(),
                        _ => p.to_owned(),
                    })
                    .collect();
                format!("{base}?{}", params.join("&"))
            }
            _ => masked,
        }
    }

    fn mask_userinfo(&self) -> String {
        match self {
            DbUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DbUrl::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(start), Some(at)) if at > start => {
                    let creds = &url[start + 3..at];
                    match creds.find(':') {
                        Some(colon) => {
                            format!("{}{}:***{}", &url[..start + 3], &creds[..colon], &url[at..])
                        }
                        None => url.clone(),
                    }
                }
                _ => url.clone(),
            },
        }
    }
}

/// Opens connections for r2d2 and tells the real reason when it cannot.
#[derive(Clone, Debug)]
pub struct ConnManager {
    url: DbUrl,
}

impl ConnManager {
    pub fn new(url: DbUrl) -> Self {
        ConnManager { url }
    }

    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DbUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute("SET TIME ZONE 'UTC'; SET synchronous_commit = on;")
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(conn))
            }
            DbUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                // The log is copied back by `checkpoint::spawn`, not by
                // whichever commit takes it past SQLite's default.
                conn.batch_execute(&format!(
                    "PRAGMA wal_autocheckpoint = {};",
                    super::checkpoint::SAFETY_NET_PAGES
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        std::thread::panicking()
    }
}

/// Opens one connection first (so a wrong URL fails at once with its real
/// reason), then builds the pool. No idle connection is kept warm: a warm
/// minimum makes the pool open a replacement in the background whenever one
/// is taken, and a one-shot command (`migrate`) that ends while that
/// connection is half-open can crash in the TLS library's exit handlers.
pub fn connect_pool(url: &DbUrl, max_size: u32) -> Result<DbPool, String> {
    if let DbUrl::Sqlite(path) = url
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let manager = ConnManager::new(url.clone());
    manager.open().map_err(|e| {
        format!(
            "cannot open {}: {}",
            url.redacted(),
            one_line(&e.to_string())
        )
    })?;
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .map_err(|e| {
            format!(
                "cannot open {}: {}",
                url.redacted(),
                one_line(&e.to_string())
            )
        })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs blocking database work on actix's blocking pool with a pooled
/// connection. A database error the kind cannot place is an outage when the
/// connection can no longer read the database afterwards (`db::outage`).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        f(&mut conn).map_err(|error| classify(error, &mut conn))
    })
    .await
    .map_err(|_| AppError::Internal("blocking task was cancelled".into()))?
}

/// A fault on a connection that no longer answers becomes an outage.
fn classify(error: AppError, conn: &mut DbConn) -> AppError {
    match error {
        AppError::Db(e) if outage::worth_probing(&e) && outage::connection_lost(conn) => {
            AppError::Unavailable(Outage::Connection(e))
        }
        other => other,
    }
}
