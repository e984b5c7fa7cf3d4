//! Settings from flags and environment. Secrets (the database and SMTP
//! passwords) are never logged: only `DbUrl::redacted` and the redacting
//! `Debug` of `Settings`, `DbUrl`, `SmtpUrl` and `MailConfig` are.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Args;
use lettre::message::Mailbox;

use crate::db::DbUrl;
use crate::domain::email::EmailAddress;
use crate::mail::transport::MemoryMailbox;

/// Server and database settings shared by every subcommand. `Debug` masks
/// the database password.
#[derive(Args, Clone)]
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
    /// Outgoing mail server: `smtp://user:pass@host:587?tls=starttls`,
    /// `smtps://…` (implicit TLS) or `smtp://127.0.0.1:2525` (plain, for a
    /// local sink). Unset: messages are written as .eml files under
    /// `<data dir>/mail/`.
    #[arg(long, env = "PORTAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SmtpUrl>,
    /// The From address of every message.
    #[arg(long, env = "PORTAL_MAIL_FROM", default_value = DEFAULT_FROM)]
    pub mail_from: String,
    /// The key that seals TOTP secrets in the database (created, owner-only,
    /// when missing). Default: `<data dir>/secret.key`.
    #[arg(long, env = "PORTAL_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Where each audit-trail anchor is also mailed (through the outbox).
    #[arg(long, env = "PORTAL_AUDIT_ANCHOR_EMAIL")]
    pub audit_anchor_email: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database_url = match self.database_url.as_deref().map(DbUrl::parse) {
            Some(Ok(url)) => Some(url.redacted()),
            Some(Err(_)) => Some("<unparsable, hidden>".to_owned()),
            None => None,
        };
        f.debug_struct("Settings")
            .field("database_url", &database_url)
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("pool_size", &self.pool_size)
            .field("workers", &self.workers)
            .field("smtp_url", &self.smtp_url)
            .field("mail_from", &self.mail_from)
            .field("secret_key_file", &self.secret_key_file)
            .field("audit_anchor_email", &self.audit_anchor_email)
            .finish()
    }
}

/// Where the sealing key and the audit anchors live.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// `PORTAL_SECRET_KEY_FILE`; `None`: `<data dir>/secret.key`.
    pub key_file: Option<PathBuf>,
    /// `PORTAL_AUDIT_ANCHOR_EMAIL`: each anchor is mailed there too.
    pub audit_anchor_email: Option<EmailAddress>,
}

/// The From address when `PORTAL_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "Incident Portal <no-reply@localhost>";

/// `PORTAL_SMTP_URL` as given; its `Debug` hides the password.
#[derive(Clone)]
pub struct SmtpUrl(pub String);

impl FromStr for SmtpUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SmtpUrl(s.to_owned()))
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match SmtpServer::parse(&self.0) {
            Ok(server) => write!(f, "{server:?}"),
            Err(_) => f.write_str("SmtpUrl(<unparsable, hidden>)"),
        }
    }
}

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local sink only).
    None,
    /// STARTTLS, required: the message is never sent in the clear.
    StartTls,
    /// Implicit TLS from the first byte (`smtps://`, usually port 465).
    Tls,
}

/// A parsed `PORTAL_SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SmtpServer {
    /// `smtp[s]://[user[:password]@]host[:port][?tls=none|starttls|tls]`.
    /// Without `tls=`, `smtps://` means implicit TLS, and `smtp://` means
    /// STARTTLS, except to a loopback host (a local sink), where it is plain.
    pub fn parse(url: &str) -> Result<SmtpServer, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("PORTAL_SMTP_URL must start with smtp:// or smtps://")?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = rest.split('/').next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        let mut tls = match scheme.to_ascii_lowercase().as_str() {
            "smtps" => SmtpTls::Tls,
            "smtp" if ["localhost", "127.0.0.1", "::1"].contains(&host.as_str()) => SmtpTls::None,
            "smtp" => SmtpTls::StartTls,
            _ => return Err("PORTAL_SMTP_URL must start with smtp:// or smtps://".to_owned()),
        };
        for (key, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
            if key == "tls" {
                tls = match value.to_ascii_lowercase().as_str() {
                    "none" => SmtpTls::None,
                    "starttls" | "required" => SmtpTls::StartTls,
                    "tls" | "wrapper" => SmtpTls::Tls,
                    _ => return Err("PORTAL_SMTP_URL: tls= must be none, starttls or tls".into()),
                };
            }
        }
        let port = port.unwrap_or(match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        });
        let (username, password) = match userinfo.map(|u| u.split_once(':').unwrap_or((u, ""))) {
            Some((user, pass)) => (
                Some(percent_decode(user)?),
                Some(percent_decode(pass)?).filter(|p| !p.is_empty()),
            ),
            None => (None, None),
        };
        Ok(SmtpServer {
            host,
            port,
            tls,
            username,
            password,
        })
    }
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or("PORTAL_SMTP_URL: unclosed [")?;
            (host, after.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        },
    };
    if host.is_empty() {
        return Err("PORTAL_SMTP_URL names no host".to_owned());
    }
    let port = match port {
        Some(p) => Some(
            p.parse()
                .map_err(|_| "PORTAL_SMTP_URL: bad port".to_owned())?,
        ),
        None => None,
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.ok_or("PORTAL_SMTP_URL: bad %-escape")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "PORTAL_SMTP_URL: credentials are not UTF-8".to_owned())
}

/// Where outgoing mail goes. `Debug` never shows the SMTP password.
#[derive(Clone, Debug)]
pub enum MailConfig {
    Smtp {
        server: SmtpServer,
        from: Mailbox,
    },
    /// `.eml` files in `dir` (the default: `<data dir>/mail`).
    File {
        dir: PathBuf,
        from: Mailbox,
    },
    /// Kept in memory (tests).
    Memory(MemoryMailbox),
}

impl MailConfig {
    /// SMTP when a URL is given, files under `data_dir/mail` otherwise.
    pub fn resolve(smtp_url: Option<&str>, from: &str, data_dir: &Path) -> Result<Self, String> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|_| format!("PORTAL_MAIL_FROM is not a mail address: {from}"))?;
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Ok(MailConfig::Smtp {
                server: SmtpServer::parse(url)?,
                from,
            }),
            None => Ok(MailConfig::File {
                dir: data_dir.join("mail"),
                from,
            }),
        }
    }
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
    pub mail: MailConfig,
    /// Run the background work beside the HTTP server: the outbox worker,
    /// reminders, scheduled releases and the audit anchor (tests switch it
    /// off and run each by hand).
    pub mail_worker: bool,
    pub security: Security,
    /// Load limits: the hashing queue, request bodies, connections.
    pub limits: Limits,
}

impl Config {
    /// The sealing key's file.
    pub fn secret_key_path(&self) -> PathBuf {
        self.security
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::secrets::key_file::FILE_NAME))
    }

    /// The audit anchor file, `<data dir>/audit-anchors.log`.
    pub fn audit_anchor_path(&self) -> PathBuf {
        crate::services::audit_anchor::default_path(&self.data_dir)
    }

    /// Where audit anchors go besides standard output.
    pub fn audit_anchor_sink(&self) -> crate::services::audit_anchor::Sink {
        crate::services::audit_anchor::Sink {
            file: self.audit_anchor_path(),
            email: self.security.audit_anchor_email.clone(),
        }
    }
}

/// How much one server takes on at once, and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Password hashes queued or running at once; past this, sign-in
    /// answers 503 with `Retry-After` at once.
    pub hashing_queue: usize,
    /// Of those, at most this many from one client address.
    pub hashing_per_address: usize,
    /// The whole body of a request must arrive within this time (plus one
    /// second per `BODY_MIN_RATE` bytes announced), or 408.
    pub body_timeout: std::time::Duration,
    /// Open connections kept from one client address; further requests
    /// from it are answered 503 and their connection closed.
    pub connections_per_address: usize,
    /// Requests one API client may make in a minute; beyond, 429 with
    /// `Retry-After` (`web::api::rate`).
    pub api_requests_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hashing_queue: 64,
            hashing_per_address: 8,
            body_timeout: std::time::Duration::from_secs(30),
            connections_per_address: 64,
            api_requests_per_minute: 1200,
        }
    }
}

/// The address a local browser uses for a bind address: a loopback or
/// wildcard IP becomes `localhost` (passkeys refuse IP addresses as the
/// site's name).
pub fn local_url(bind: &str) -> String {
    let (host, port) = bind.rsplit_once(':').unwrap_or((bind, "80"));
    let host = match host {
        "127.0.0.1" | "0.0.0.0" | "[::1]" | "[::]" | "::1" => "localhost",
        other => other,
    };
    format!("http://{host}:{port}")
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
            .unwrap_or_else(|| local_url(&self.bind))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err("PORTAL_PUBLIC_URL must start with http:// or https://".to_owned());
        }
        let workers = self
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let mail = MailConfig::resolve(
            self.smtp_url.as_ref().map(|u| u.0.as_str()),
            &self.mail_from,
            &self.data_dir,
        )?;
        let audit_anchor_email = match self.audit_anchor_email.as_deref().map(str::trim) {
            Some(a) if !a.is_empty() => Some(
                EmailAddress::parse(a)
                    .map_err(|_| format!("PORTAL_AUDIT_ANCHOR_EMAIL is not a mail address: {a}"))?,
            ),
            _ => None,
        };
        Ok(Config {
            database_url,
            bind: self.bind.clone(),
            public_url,
            data_dir: self.data_dir.clone(),
            pool_size: self.pool_size.max(2),
            workers: workers.max(1),
            mail,
            mail_worker: true,
            security: Security {
                key_file: self
                    .secret_key_file
                    .clone()
                    .filter(|p| !p.as_os_str().is_empty()),
                audit_anchor_email,
            },
            limits: Limits::default(),
        })
    }
}
