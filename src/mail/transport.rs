//! Where messages go: an SMTP server (lettre's async tokio transport), `.eml`
//! files in a folder (the default, so a first run needs no mail server), or
//! memory (tests read what was "sent").

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use chrono::NaiveDateTime;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::clean_subject;
use crate::config::{MailConfig, SmtpServer, SmtpTls};

/// How long one SMTP command may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// One message as handed to a transport (and as the memory mailbox keeps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a memory mailer has "sent": a handle shared by clones.
#[derive(Clone, Debug, Default)]
pub struct MemoryMailbox(Arc<Mutex<Vec<SentEmail>>>);

impl MemoryMailbox {
    fn lock(&self) -> MutexGuard<'_, Vec<SentEmail>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<SentEmail> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes and returns every message so far.
    pub fn take(&self) -> Vec<SentEmail> {
        std::mem::take(&mut *self.lock())
    }

    fn push(&self, email: SentEmail) {
        self.lock().push(email);
    }
}

/// A ready transport. Clones share the SMTP connection pool or the mailbox.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: SmtpTransport,
        from: Mailbox,
        /// `host:port (tls mode)`, for logs; never the credentials.
        relay: String,
    },
    File {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Memory(MemoryMailbox),
}

impl Mailer {
    /// Builds the transport `config` names. Call it inside the async runtime
    /// (the SMTP pool starts a housekeeping task). The file transport's
    /// folder is created here.
    pub fn from_config(config: &MailConfig) -> Result<Mailer, String> {
        match config {
            MailConfig::Smtp { server, from } => Ok(Mailer::Smtp {
                transport: SmtpTransport(Some(smtp_transport(server)?)),
                from: from.clone(),
                relay: format!("{}:{} ({:?})", server.host, server.port, server.tls),
            }),
            MailConfig::File { dir, from } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::File {
                    dir: dir.clone(),
                    transport: AsyncFileTransport::new(dir),
                    from: from.clone(),
                })
            }
            MailConfig::Memory(mailbox) => Ok(Mailer::Memory(mailbox.clone())),
        }
    }

    /// Where messages go, for the log: never a password.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { relay, .. } => format!("smtp {relay}"),
            Mailer::File { dir, .. } => format!("files in {}", dir.display()),
            Mailer::Memory(_) => "memory".to_owned(),
        }
    }

    /// Sends one message as multipart/alternative (text, then HTML).
    /// `key` identifies the outbox row: the Message-ID is made from it, so a
    /// message sent twice (at-least-once delivery) is recognisably the same.
    /// `now` is the Date header. Errors are one line of text.
    pub async fn send(
        &self,
        email: &SentEmail,
        key: &str,
        now: NaiveDateTime,
    ) -> Result<(), String> {
        let message = match self {
            Mailer::Memory(mailbox) => {
                mailbox.push(SentEmail {
                    subject: clean_subject(&email.subject),
                    ..email.clone()
                });
                return Ok(());
            }
            Mailer::Smtp { from, .. } | Mailer::File { from, .. } => {
                build_message(email, from, key, now)?
            }
        };
        let sent = match self {
            Mailer::Smtp { transport, .. } => match &transport.0 {
                Some(smtp) => smtp
                    .send(message)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
                None => Err("SMTP transport closed".to_owned()),
            },
            Mailer::File { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Mailer::Memory(_) => Ok(()),
        };
        sent.map_err(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// lettre's pooled SMTP transport. Dropping its last clone spawns a clean-up
/// task, which panics once the runtime is gone (a worker task dropped while
/// the server shuts down): then the pool is left to the ending process.
#[derive(Clone)]
pub struct SmtpTransport(Option<AsyncSmtpTransport<Tokio1Executor>>);

impl Drop for SmtpTransport {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            std::mem::forget(self.0.take());
        }
    }
}

fn smtp_transport(server: &SmtpServer) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls_params =
        || TlsParameters::new(server.host.clone()).map_err(|e| format!("SMTP TLS setup: {e}"));
    let tls = match server.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => Tls::Required(tls_params()?),
        SmtpTls::Tls => Tls::Wrapper(tls_params()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(server.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some(user) = &server.username {
        let password = server.password.clone().unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

fn build_message(
    email: &SentEmail,
    from: &Mailbox,
    key: &str,
    now: NaiveDateTime,
) -> Result<Message, String> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    let domain = from.email.domain().to_owned();
    let key: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(clean_subject(&email.subject))
        .date(SystemTime::from(now.and_utc()))
        .message_id(Some(format!("<outbox.{key}@{domain}>")))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        )
        .map_err(|e| format!("cannot build the message: {e}"))
}
