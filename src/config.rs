//! Settings from flags and environment. Secrets (the database password) are
//! never logged: only `DbUrl::redacted` is.

use std::path::PathBuf;

use clap::Args;

use crate::db::DbUrl;

/// Server and database settings shared by every subcommand.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// `sqlite://path` (default: a file under the data folder) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for the SQLite file and other local data.
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The address users reach the portal at, for links printed or mailed
    /// (default: http:// + the bind address).
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database connections in the pool.
    #[arg(long, env = "PORTAL_DB_POOL", default_value_t = 8)]
    pub pool_size: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PORTAL_WORKERS")]
    pub workers: Option<usize>,
}

/// The resolved configuration the application runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DbUrl,
    pub bind: String,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub pool_size: u32,
    pub workers: usize,
}

impl Settings {
    pub fn resolve(&self) -> Result<Config, String> {
        let database_url = match &self.database_url {
            Some(url) if !url.trim().is_empty() => DbUrl::parse(url)?,
            _ => DbUrl::Sqlite(self.data_dir.join("portal.db")),
        };
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err("PORTAL_PUBLIC_URL must start with http:// or https://".to_owned());
        }
        let workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        Ok(Config {
            database_url,
            bind: self.bind.clone(),
            public_url,
            data_dir: self.data_dir.clone(),
            pool_size: self.pool_size.max(2),
            workers: workers.max(1),
        })
    }
}
