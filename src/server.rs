//! Builds the application and runs the HTTP server; tests call `start` on
//! port 0 with their own database and clock.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compat, NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpServer, web};

use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::mail::{transport::Mailer, worker};
use crate::secrets::Keyring;
use crate::services::reminders;
use crate::web::hashing::HashingPool;
use crate::web::request_log::PortalRootSpan;
use crate::web::{self as portal, AppState, error_page, security_headers, slow_clients};

/// A client must send a whole request head within this time, or it gets 408
/// and the connection is closed (a slow-header client cannot hold a worker's
/// connection open). The body has a deadline of its own
/// (`Limits::body_timeout`, `web::slow_clients`). Heads over 128 KiB or with more than 96 headers are
/// refused by actix with 431 (a fixed limit of actix-http).
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a connection's orderly shutdown before it is dropped.
pub const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long an idle keep-alive connection is kept.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Opens the pool and applies pending migrations.
pub fn prepare_database(config: &Config) -> Result<DbPool, String> {
    let pool = db::connect_pool(&config.database_url, config.pool_size)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let applied = db::migrate::run_pending(&mut conn).map_err(|e| format!("migrations: {e}"))?;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    let path = config.secret_key_path();
    let (keys, created) = Keyring::open_or_create(&path)?;
    if created {
        // A key made now cannot open what is already sealed: the key file
        // is missing or the setting points elsewhere. Refuse to start (and
        // take the new key away again) rather than fail every sign-in.
        let sealed_before = crate::secrets::rotation::any_sealed(&mut conn)
            .map_err(|e| format!("reading TOTP secrets: {e}"))?;
        if sealed_before {
            let _ = std::fs::remove_file(&path);
            return Err(format!(
                "{}: no key file is there, but TOTP secrets are sealed under one; \
                 restore it (or point PORTAL_SECRET_KEY_FILE at it)",
                path.display()
            ));
        }
        tracing::warn!(
            path = %path.display(),
            "created the key that seals TOTP secrets; back it up apart from the database"
        );
    }
    let sealed = crate::secrets::rotation::seal_clear(&mut conn, &keys)
        .map_err(|e| format!("sealing TOTP secrets: {e}"))?;
    if sealed > 0 {
        tracing::info!(sealed, "TOTP secrets stored in clear are now sealed");
    }
    Ok(pool)
}

/// The sealing key (`PORTAL_SECRET_KEY_FILE` or `<data dir>/secret.key`),
/// created owner-only on first start; its path is logged once, then.
pub fn keyring(config: &Config) -> Result<Keyring, String> {
    let path = config.secret_key_path();
    let (keys, created) = Keyring::open_or_create(&path)?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "created the key that seals TOTP secrets; back it up apart from the database"
        );
    }
    Ok(keys)
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
        reminders::spawn(
            pool.clone(),
            clock.clone(),
            crate::web::mail_links::for_portal(&config.public_url),
        );
        crate::services::scheduled_releases::spawn(pool.clone(), clock.clone());
        crate::services::audit_anchor::spawn(
            pool.clone(),
            clock.clone(),
            config.audit_anchor_sink(),
        );
    }
    let keys = Arc::new(keyring(&config).map_err(std::io::Error::other)?);
    if config.database_url.backend() == db::Backend::Sqlite {
        db::checkpoint::spawn(pool.clone());
    }
    let https = config.public_url.starts_with("https://");
    let hashing_threads = config.workers.max(1);
    let state = web::Data::new(AppState {
        pool,
        config: config.clone(),
        clock,
        keys,
        hashing: Arc::new(HashingPool::start(
            hashing_threads,
            config.limits.hashing_queue,
            config.limits.hashing_per_address,
        )?),
        distinct_firms: Arc::default(),
        releases: Arc::default(),
        public_pages: Arc::default(),
        sessions: Arc::default(),
        dashboards: Arc::new(crate::web::fresh::Fresh::new(
            crate::web::dashboard::KEPT_RANGES,
            crate::web::fresh::Watch::Data,
        )),
        dashboard_pages: Arc::default(),
        incident_figures: Arc::new(crate::web::fresh::Fresh::new(
            1,
            crate::web::fresh::Watch::Data,
        )),
        released: Arc::new(crate::web::fresh::Fresh::new(
            crate::web::fresh::ENTRIES,
            crate::web::fresh::Watch::Data,
        )),
        api_tokens: Arc::new(crate::web::fresh::Fresh::new(
            crate::web::fresh::ENTRIES,
            crate::web::fresh::Watch::Data,
        )),
        api_rates: Arc::new(crate::web::api::rate::ClientRates::new(
            config.limits.api_requests_per_minute,
        )),
        api_document: Arc::default(),
    });
    let connections = Arc::new(slow_clients::Connections::default());
    let per_address = config.limits.connections_per_address;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(slow_clients::guard))
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
    .on_connect(slow_clients::on_connect(connections, per_address))
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .keep_alive(KEEP_ALIVE)
    .listen(listener)?
    .run();
    Ok(server)
}
