//! The `incident-portal` binary: serve (default), migrate, import-returns,
//! seed-demo, publish, verify-audit, rotate-key, backup.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use incident_portal::clock::Clock;
use incident_portal::config::{Config, Settings};
use incident_portal::server;
use incident_portal::services::{Actor, accounts, audit_anchor, import, publish, seed};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Parser)]
#[command(name = "incident-portal", version, about = "Incident reporting portal")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web portal (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Backfill historical returns from a CSV file (one row per version).
    ImportReturns {
        /// CSV with the columns firm_registration_no,firm_name,period,
        /// submitted_at,unauthorized_accesses,affected_accounts,
        /// fraudulent_trades,sale_amount_jpy,purchase_amount_jpy
        file: PathBuf,
    },
    /// Create demo firms, users and returns, and print their logins.
    SeedDemo,
    /// Draft an official-statistics publication from accepted versions
    /// submitted up to the cut-off (and release it with --release).
    Publish {
        /// Cut-off time, e.g. 2025-04-16T23:59:59+09:00 (Tokyo when no offset).
        #[arg(long)]
        cutoff: String,
        /// Title of the publication (English).
        #[arg(long)]
        title: String,
        /// Japanese title of the publication; when not given, the English
        /// title is used on the Japanese pages too. The footnotes are the
        /// default ones in each language.
        #[arg(long = "title-ja")]
        title_ja: Option<String>,
        /// Release at once (a release never changes afterwards).
        #[arg(long)]
        release: bool,
    },
    /// Recompute the audit chain and name the first broken link, if any
    /// (exit status 1 when broken). When intact, its end is anchored:
    /// printed, appended to <data dir>/audit-anchors.log and mailed to
    /// PORTAL_AUDIT_ANCHOR_EMAIL if set.
    VerifyAudit {
        /// Also check the log against every anchor in this file: an
        /// anchored event missing, past the end or with another hash fails.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Re-seal every TOTP secret under a new key, in one transaction, and
    /// replace the key file atomically (the old one kept as .old until the
    /// transaction commits).
    RotateKey,
    /// Copy a live SQLite database to a new file (safe while serving) and
    /// check the copy; PostgreSQL is backed up with pg_dump instead.
    Backup {
        /// The new file (refused if it exists).
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        // One line per request, when its span closes: method, route,
        // status, request id, latency.
        .with_span_events(FmtSpan::CLOSE)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("incident-portal: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let config = cli.settings.resolve()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => {
            server::prepare_database(&config)?;
            println!("migrations applied ({})", config.database_url.redacted());
            Ok(())
        }
        Command::ImportReturns { file } => {
            let pool = server::prepare_database(&config)?;
            let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
            let reader = File::open(&file)
                .map(BufReader::new)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let now = Clock::system().now();
            let report = import::import(&mut conn, &Actor::system("import-returns"), reader, now)
                .map_err(|e| {
                let e = incident_portal::error::chain(&e);
                format!("{}: {e}; nothing was imported", file.display())
            })?;
            println!(
                "imported {} versions ({} new firms) from {}",
                report.versions,
                report.firms_created,
                file.display()
            );
            Ok(())
        }
        Command::Publish {
            cutoff,
            title,
            title_ja,
            release,
        } => {
            let pool = server::prepare_database(&config)?;
            let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
            if title_ja.is_none() {
                eprintln!(
                    "no --title-ja given: the English title is used on the Japanese pages too"
                );
            }
            let done = publish::publish(
                &mut conn,
                &title,
                title_ja.as_deref(),
                &cutoff,
                release,
                Clock::system().now(),
            )?;
            match done.sha256_en {
                Some(sum) if done.released => {
                    println!("publication {} released (CSV sha256 {sum})", done.id)
                }
                _ => println!("publication {} drafted (not released)", done.id),
            }
            Ok(())
        }
        Command::VerifyAudit { anchor } => verify_audit(&config, anchor.as_deref()),
        Command::RotateKey => {
            let pool = server::prepare_database(&config)?;
            let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
            let path = config.secret_key_path();
            let count = incident_portal::secrets::rotation::rotate(&mut conn, &path)?;
            println!(
                "{count} TOTP secrets re-sealed under a new key in {}",
                path.display()
            );
            Ok(())
        }
        Command::Backup { path } => {
            let report = incident_portal::db::backup::backup(&config.database_url, &path)?;
            println!("{report}");
            Ok(())
        }
        Command::SeedDemo => {
            let pool = server::prepare_database(&config)?;
            let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
            let logins = seed::seed(&mut conn, Clock::system().now()).map_err(|e| {
                let e = incident_portal::error::chain(&e);
                format!("seed-demo: {e} (it runs on an empty portal only)")
            })?;
            let keys = server::keyring(&config)?;
            incident_portal::secrets::rotation::seal_clear(&mut conn, &keys)
                .map_err(|e| format!("seed-demo: sealing TOTP secrets: {e}"))?;
            println!("Demo accounts (shown once). Sign in with the password, then a code from");
            println!("an authenticator app set up with the key (or scan the otpauth:// link).");
            println!(
                "The demo policy lets staff use authenticator apps; passkeys work for everyone."
            );
            for login in logins {
                println!(
                    "  {:<28} {:<26} {:<9} {}",
                    login.email,
                    login.password,
                    login.role.as_str(),
                    login.firm.unwrap_or_default()
                );
                println!("      key {}  {}", login.totp_secret, login.totp_uri);
            }
            Ok(())
        }
    }
}

/// `verify-audit`: the chain, then the anchors given, then a new anchor
/// when everything agrees.
fn verify_audit(config: &Config, anchors: Option<&std::path::Path>) -> Result<(), String> {
    // No migrations and no new database file; it writes only the anchor
    // line (and the anchor email to the outbox when one is configured).
    if let incident_portal::db::DbUrl::Sqlite(path) = &config.database_url
        && !path.exists()
    {
        return Err(format!("no database at {}", path.display()));
    }
    let pool = incident_portal::db::connect_pool(&config.database_url, 1)?;
    let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
    let mismatches = match anchors {
        Some(file) => {
            let anchors = audit_anchor::read(file)?;
            audit_anchor::check(&mut conn, &anchors).map_err(|e| e.to_string())?
        }
        None => Vec::new(),
    };
    let report = incident_portal::services::audit_chain::verify(&mut conn)
        .map_err(|e| incident_portal::error::chain(&e))?;
    println!("{report}");
    for mismatch in &mismatches {
        println!("{mismatch}");
    }
    if !report.is_intact() {
        return Err("the audit chain does not verify".to_owned());
    }
    if !mismatches.is_empty() {
        return Err("the audit log does not match its anchors".to_owned());
    }
    let sink = config.audit_anchor_sink();
    let anchor = audit_anchor::record(&mut conn, &sink, &report, Clock::system().now())
        .map_err(|e| e.to_string())?;
    if let Some(anchor) = anchor {
        println!("anchor: {anchor}");
        println!("(appended to {})", sink.file.display());
    }
    Ok(())
}

fn serve(mut config: Config) -> Result<(), String> {
    let pool = server::prepare_database(&config)?;
    let clock = Clock::system();
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    // With port 0 (tests, several local instances), links name the real port.
    if config.public_url == incident_portal::config::local_url(&config.bind)
        && let Ok(local) = listener.local_addr()
    {
        config.public_url = incident_portal::config::local_url(&local.to_string());
    }
    {
        let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
        let token = accounts::issue_setup_token(&mut conn, clock.now())
            .map_err(|e| incident_portal::error::chain(&e))?;
        if let Some(token) = token {
            println!(
                "No accounts yet. Create the first regulator admin within 24 hours at:\n  {}{}",
                config.public_url,
                incident_portal::web::paths::setup(&token)
            );
        }
    }
    tracing::info!(
        bind = %config.bind,
        database = %config.database_url.redacted(),
        backend = config.database_url.backend().name(),
        "portal listening"
    );
    let config = Arc::new(config);
    let system = actix_web::rt::System::new();
    system
        .block_on(async move {
            let server = server::start(config, pool, clock, listener)?;
            server.await
        })
        .map_err(|e| format!("server: {e}"))
}
