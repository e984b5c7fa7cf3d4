//! The server's own scheduler: a loop on the actix runtime (beside the mail
//! worker, gated by the same `config.mail_worker` flag) that runs
//! [`reminders::run_due`] every minute with the time from the `Clock`.
//! Several instances may run it at once: `run_due` sends each reminder and
//! each digest once.

use std::time::Duration as StdDuration;

use super::reminders::{self, RunReport};
use crate::clock::Clock;
use crate::db::{self, DbPool};
use crate::error::AppError;

/// The pause between passes.
const INTERVAL: StdDuration = StdDuration::from_secs(60);

/// One pass now (what the loop runs; tests call `run_due` directly).
pub async fn pass(pool: &DbPool, clock: &Clock, base_url: &str) -> Result<RunReport, AppError> {
    let (now, base) = (clock.now(), base_url.to_owned());
    db::run(pool, move |conn| reminders::run_due(conn, now, &base)).await
}

/// Runs passes forever on the current (actix) runtime.
pub fn spawn(pool: DbPool, clock: Clock, base_url: String) -> actix_web::rt::task::JoinHandle<()> {
    tracing::info!("reminder scheduler started");
    actix_web::rt::spawn(async move {
        loop {
            match pass(&pool, &clock, &base_url).await {
                Ok(report) if report.emails > 0 => tracing::info!(
                    reminders = report.reminders,
                    digested = report.digested,
                    emails = report.emails,
                    "scheduler pass"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "scheduler pass failed"),
            }
            tokio::time::sleep(INTERVAL).await;
        }
    })
}
