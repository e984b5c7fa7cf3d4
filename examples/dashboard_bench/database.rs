//! A fresh database for one backend: a SQLite file in a temporary folder,
//! or a PostgreSQL database `bench_<pid>_<time>` created on the local
//! server and dropped (with its connections) afterwards.

use std::path::PathBuf;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use incident_portal::db::{self, Backend, DbPool, DbUrl};

use crate::export::Failure;

/// The PostgreSQL server the benchmark creates its database on.
pub const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

pub enum Database {
    Sqlite { dir: PathBuf, file: PathBuf },
    Postgres { name: String },
}

impl Database {
    pub fn create(backend: Backend) -> Result<Database, Failure> {
        let stamp = format!(
            "{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        );
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("dashboard-bench-{stamp}"));
                std::fs::create_dir_all(&dir)?;
                let file = dir.join("portal.db");
                Ok(Database::Sqlite { dir, file })
            }
            Backend::Postgres => {
                let name = format!("bench_{stamp}");
                let mut admin = admin()?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                Ok(Database::Postgres { name })
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            Database::Sqlite { file, .. } => format!("sqlite://{}", file.display()),
            Database::Postgres { name } => format!("{PG_SERVER}/{name}"),
        }
    }

    /// A pool with the portal's migrations applied.
    pub fn pool(&self) -> Result<DbPool, Failure> {
        let pool = db::connect_pool(&DbUrl::parse(&self.url())?, 2)?;
        let mut conn = pool.get()?;
        db::migrate::run_pending(&mut conn).map_err(|e| e.to_string())?;
        drop(conn);
        Ok(pool)
    }
}

fn admin() -> Result<PgConnection, Failure> {
    PgConnection::establish(&format!("{PG_SERVER}/postgres")).map_err(|e| {
        format!(
            "PostgreSQL at {PG_SERVER} is unreachable ({e}); start it, or run with \
             --sqlite-only to measure SQLite alone"
        )
        .into()
    })
}

impl Drop for Database {
    fn drop(&mut self) {
        match self {
            Database::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Database::Postgres { name } => {
                let dropped = admin().and_then(|mut admin| {
                    admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .map_err(Failure::from)
                });
                if let Err(e) = dropped {
                    eprintln!("could not drop database {name}: {e}");
                }
            }
        }
    }
}
