//! Anchors of the audit trail kept outside the database, so its end can be
//! proved: a database owner who drops the triggers can delete the newest
//! events and rewrite `audit_head` into a chain that verifies, but not the
//! anchor lines already printed, appended to `<data dir>/audit-anchors.log`
//! or mailed. One line per anchor: `<UTC time> <event id> <hash>`.
//! `verify-audit --anchor FILE` checks the log against each line.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit_chain::{self, ChainReport, GENESIS};
use crate::clock::Clock;
use crate::db::schema::audit_events;
use crate::db::{self, DbConn, DbPool};
use crate::domain::email::EmailAddress;
use crate::domain::time::tokyo_date;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::mail::outbox::{self, Email};

/// The anchor file's name under the data folder.
pub const FILE_NAME: &str = "audit-anchors.log";

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The anchor file under `data_dir`.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// The chain's end at a moment: the last event's id (0 for an empty log)
/// and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub at: NaiveDateTime,
    pub id: i64,
    pub hash: String,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.at.format(TIME_FORMAT),
            self.id,
            self.hash
        )
    }
}

impl Anchor {
    /// The end of an intact chain; none for a broken one (a broken chain is
    /// never anchored).
    pub fn of(report: &ChainReport, at: NaiveDateTime) -> Option<Anchor> {
        match report {
            ChainReport::Intact { last_id, head, .. } => Some(Anchor {
                at,
                id: *last_id,
                hash: head.clone(),
            }),
            ChainReport::Broken(_) => None,
        }
    }

    /// One line of an anchor file.
    pub fn parse(line: &str) -> Result<Anchor, String> {
        let mut parts = line.split_whitespace();
        let (Some(at), Some(id), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("expected `<time> <event id> <hash>`".to_owned());
        };
        let at =
            NaiveDateTime::parse_from_str(at, TIME_FORMAT).map_err(|_| format!("bad time {at}"))?;
        let id: i64 = id.parse().map_err(|_| format!("bad event id {id}"))?;
        let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if id < 0 || !is_hash {
            return Err("bad event id or hash".to_owned());
        }
        Ok(Anchor {
            at,
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Appends one line to the anchor file (created if missing; never
/// rewritten).
pub fn append(path: &Path, anchor: &Anchor) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(file, "{anchor}")
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Every anchor in a file (blank lines and `#` comments skipped); a line
/// that does not parse is an error naming its number.
pub fn read(path: &Path) -> Result<Vec<Anchor>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| Anchor::parse(l).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1)))
        .collect()
}

/// Where the log disagrees with an anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The anchored event is past the log's last id: the tail was cut.
    BeyondEnd { anchor: Anchor, last_id: i64 },
    /// No event has the anchored id (it was deleted).
    Missing { anchor: Anchor },
    /// The event at the anchored id has another hash: it was rewritten.
    Rewritten { anchor: Anchor, stored: String },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::BeyondEnd { anchor, last_id } => write!(
                f,
                "audit log truncated: anchored event {} (anchored {}) is beyond the end of \
                 the log (last event {last_id})",
                anchor.id,
                anchor.at.format(TIME_FORMAT)
            ),
            Mismatch::Missing { anchor } => write!(
                f,
                "audit log truncated: anchored event {} (anchored {}) is missing",
                anchor.id,
                anchor.at.format(TIME_FORMAT)
            ),
            Mismatch::Rewritten { anchor, stored } => write!(
                f,
                "audit log rewritten: event {} has hash {stored} but was anchored {} with {}",
                anchor.id,
                anchor.at.format(TIME_FORMAT),
                anchor.hash
            ),
        }
    }
}

/// Checks the log against every anchor: each anchored id must still be
/// there with the anchored hash. Reads only the id and hash columns, so a
/// row damaged elsewhere does not stop the check.
pub fn check(conn: &mut DbConn, anchors: &[Anchor]) -> QueryResult<Vec<Mismatch>> {
    let last_id: i64 = audit_events::table
        .select(diesel::dsl::max(audit_events::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0);
    let mut found = Vec::new();
    for anchor in anchors {
        if anchor.id == 0 {
            if anchor.hash != GENESIS {
                found.push(Mismatch::Rewritten {
                    anchor: anchor.clone(),
                    stored: GENESIS.to_owned(),
                });
            }
            continue;
        }
        if anchor.id > last_id {
            found.push(Mismatch::BeyondEnd {
                anchor: anchor.clone(),
                last_id,
            });
            continue;
        }
        let stored: Option<Option<String>> = audit_events::table
            .find(anchor.id)
            .select(audit_events::hash.nullable())
            .first(conn)
            .optional()?;
        match stored {
            None => found.push(Mismatch::Missing {
                anchor: anchor.clone(),
            }),
            Some(stored) if stored.as_deref() != Some(anchor.hash.as_str()) => {
                found.push(Mismatch::Rewritten {
                    anchor: anchor.clone(),
                    stored: stored.unwrap_or_else(|| "NULL".to_owned()),
                });
            }
            Some(_) => {}
        }
    }
    Ok(found)
}

/// The message that carries an anchor off the machine.
pub fn email(to: &EmailAddress, anchor: &Anchor) -> Email {
    let parts = [Lang::En, Lang::Ja].map(|lang| {
        let t = Tr::new(lang);
        let intro = t.tf(
            msg!("email.audit_anchor.intro"),
            &[("when", &anchor.at.format(TIME_FORMAT).to_string())],
        );
        (t.t(msg!("email.audit_anchor.subject")).to_owned(), intro)
    });
    let line = anchor.to_string();
    let text = parts
        .iter()
        .map(|(_, intro)| format!("{intro}\n\n    {line}\n"))
        .collect::<Vec<_>>()
        .join("\n");
    let html = parts
        .iter()
        .map(|(_, intro)| format!("<p>{}</p><pre>{line}</pre>", escape(intro)))
        .collect::<String>();
    Email {
        to: to.clone(),
        subject: format!("{} / {}", parts[0].0, parts[1].0),
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Where anchors go besides standard output.
#[derive(Clone, Debug)]
pub struct Sink {
    pub file: PathBuf,
    pub email: Option<EmailAddress>,
}

/// Anchors the end of a verified chain: appended to the file and queued
/// for the anchor address. None (nothing written) for a broken chain.
pub fn record(
    conn: &mut DbConn,
    sink: &Sink,
    report: &ChainReport,
    now: NaiveDateTime,
) -> Result<Option<Anchor>, AppError> {
    let Some(anchor) = Anchor::of(report, now) else {
        return Ok(None);
    };
    append(&sink.file, &anchor).map_err(AppError::Internal)?;
    if let Some(to) = &sink.email {
        outbox::enqueue(conn, &email(to, &anchor), now)?;
    }
    Ok(Some(anchor))
}

/// Verifies the chain and, when it is intact, anchors its end.
pub fn verify_and_anchor(
    conn: &mut DbConn,
    sink: &Sink,
    now: NaiveDateTime,
) -> Result<(ChainReport, Option<Anchor>), AppError> {
    let report = audit_chain::verify(conn)?;
    let anchor = record(conn, sink, &report, now)?;
    Ok((report, anchor))
}

/// How often the server looks whether today's anchor is written.
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Writes the day's anchor unless the file already has one of this Tokyo
/// day: the first check of a day anchors the end the previous day left.
/// A broken chain, or a log that disagrees with the file's earlier anchors,
/// is not anchored (and is logged as an error).
pub fn daily(
    conn: &mut DbConn,
    sink: &Sink,
    now: NaiveDateTime,
) -> Result<Option<Anchor>, AppError> {
    let today = tokyo_date(now);
    let earlier = read(&sink.file).unwrap_or_default();
    if earlier.last().is_some_and(|a| tokyo_date(a.at) == today) {
        return Ok(None);
    }
    // A log that no longer matches its earlier anchors (a cut tail, a
    // rewritten head) is never given a fresh anchor over the forged end.
    let mismatches = check(conn, &earlier)?;
    if !mismatches.is_empty() {
        for mismatch in &mismatches {
            tracing::error!(%mismatch, "audit log disagrees with its anchors: not anchored");
        }
        return Ok(None);
    }
    let (report, anchor) = verify_and_anchor(conn, sink, now)?;
    if anchor.is_none() {
        tracing::error!(%report, "audit chain broken: not anchored");
    }
    Ok(anchor)
}

/// The server's daily anchoring, beside the reminder scheduler.
pub fn spawn(pool: DbPool, clock: Clock, sink: Sink) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        loop {
            let (now, sink) = (clock.now(), sink.clone());
            match db::run(&pool, move |conn| daily(conn, &sink, now)).await {
                Ok(Some(anchor)) => tracing::info!(%anchor, "audit trail anchored"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "audit anchoring failed"),
            }
            tokio::time::sleep(INTERVAL).await;
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_line_reads_back() {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let anchor = Anchor {
            at,
            id: 42,
            hash: "ab".repeat(32),
        };
        let line = anchor.to_string();
        assert_eq!(line, format!("2025-05-20T10:00:00Z 42 {}", "ab".repeat(32)));
        assert_eq!(Anchor::parse(&line).unwrap(), anchor);
        assert!(Anchor::parse("2025-05-20T10:00:00Z 42").is_err());
        assert!(Anchor::parse("2025-05-20T10:00:00Z -1 00").is_err());
        assert!(Anchor::parse(&format!("yesterday 42 {}", "ab".repeat(32))).is_err());
    }

    #[test]
    fn anchors_append_and_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(dir.path());
        let at = chrono::DateTime::from_timestamp(1_750_000_000, 0)
            .unwrap()
            .naive_utc();
        for id in [1, 2] {
            let hash = format!("{id:064}");
            append(&path, &Anchor { at, id, hash }).unwrap();
        }
        let read_back = read(&path).unwrap();
        assert_eq!(read_back.len(), 2);
        assert_eq!(read(&path).unwrap().last().unwrap().id, 2);
    }
}
