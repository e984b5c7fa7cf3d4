//! The SMTP sink of the resilience runs: the test's own SMTP server
//! (tests/support/smtp_server.rs), on a fixed loopback port so it can stop
//! and come back where the portal expects it. Messages are counted by their
//! Message-ID.

#[allow(dead_code, reason = "shared by three test crates, each uses a part")]
#[path = "../support/smtp_server.rs"]
mod smtp_server;

use std::collections::BTreeMap;
use std::path::Path;

use self::smtp_server::SmtpServer;
pub use self::smtp_server::loopback_listener;

pub struct Sink {
    server: SmtpServer,
}

impl Sink {
    /// Starts the sink on a free port. (`_dir` is where a sink's files
    /// would go; this one keeps messages in memory.)
    pub async fn start(_dir: &Path) -> Sink {
        Sink {
            server: SmtpServer::start(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Starts the server again on the same port.
    pub async fn resume(&mut self) {
        self.server.resume();
    }

    /// Stops listening and drops open connections.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// How many times each Message-ID arrived, and each message's subject
    /// and envelope recipient by Message-ID.
    pub fn received(&self) -> Received {
        let mut received = Received::default();
        for message in self.server.messages() {
            let id = message.header("Message-ID").unwrap_or_default();
            *received.count.entry(id.clone()).or_default() += 1;
            received.messages.insert(
                id,
                (
                    message.header("Subject").unwrap_or_default(),
                    message.rcpt_to.join(","),
                ),
            );
        }
        received
    }
}

#[derive(Default)]
pub struct Received {
    pub count: BTreeMap<String, usize>,
    /// Message-ID → (subject, recipient).
    pub messages: BTreeMap<String, (String, String)>,
}

impl Received {
    pub fn total(&self) -> usize {
        self.count.values().sum()
    }

    /// Message-IDs that arrived more than once.
    pub fn duplicates(&self) -> usize {
        self.count.values().filter(|n| **n > 1).count()
    }
}
