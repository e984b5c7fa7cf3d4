//! Builds the application and runs the HTTP server; tests call `start` on
//! port 0 with their own database and clock.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compat, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use tokio::sync::Semaphore;
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::mail::{transport::Mailer, worker};
use crate::services::reminders;
use crate::web::request_log::PortalRootSpan;
use crate::web::{self as portal, AppState, error_page, security_headers};

/// Opens the pool and applies pending migrations.
pub fn prepare_database(config: &Config) -> Result<DbPool, String> {
    let pool = db::connect_pool(&config.database_url, config.pool_size)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let applied = db::migrate::run_pending(&mut conn).map_err(|e| format!("migrations: {e}"))?;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(pool)
}

/// Starts serving on `listener`; the returned server runs until stopped.
pub fn start(
    config: Arc<Config>,
    pool: DbPool,
    clock: Clock,
    listener: TcpListener,
) -> std::io::Result<Server> {
    if config.mail_worker {
        let mailer = Mailer::from_config(&config.mail).map_err(std::io::Error::other)?;
        worker::spawn(pool.clone(), mailer, clock.clone());
        reminders::spawn(pool.clone(), clock.clone(), config.public_url.clone());
    }
    let https = config.public_url.starts_with("https://");
    let hashing_permits = config.workers.max(1);
    let state = web::Data::new(AppState {
        pool,
        config: config.clone(),
        clock,
        hashing: Arc::new(Semaphore::new(hashing_permits)),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(Compat::new(error_page::handlers()))
            .wrap(security_headers::headers(https))
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(TracingLogger::<PortalRootSpan>::new())
            .configure(portal::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .workers(config.workers)
    .listen(listener)?
    .run();
    Ok(server)
}
