//! The `publish` command: drafts a publication from the command line and,
//! when asked, releases it at once. Cut-off times without an offset are
//! read as Asia/Tokyo, as the screens show them.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone};

use super::Actor;
use super::publication_release::{self, Outcome};
use super::publications::{self, DEFAULT_P_PERCENT, DraftInput};
use super::summary;
use crate::db::DbConn;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;

/// Parses `2025-04-16T23:59:59+09:00`, or `2025-04-16 23:59[:59]` /
/// `2025-04-16T23:59[:59]` in Tokyo time, into UTC.
pub fn parse_cutoff(text: &str) -> Option<NaiveDateTime> {
    parse_time(text).filter(|t| (1970..=9999).contains(&t.year()))
}

/// A time as typed: RFC 3339, or a Japan-time date and time.
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if text.chars().count() > crate::domain::limits::DATE_TIME {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    let tokyo = FixedOffset::east_opt(9 * 3600)?;
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .and_then(|local| tokyo.from_local_datetime(&local).single())
    .map(|t| t.naive_utc())
}

/// What the command did.
pub struct Published {
    pub id: i64,
    pub released: bool,
    pub sha256_en: Option<String>,
}

/// Drafts (and optionally releases) a publication covering the first
/// month with figures up to the cut-off's month, with the default footnotes
/// in each language. Without a Japanese title the English one is used in
/// both. Errors are for the operator's terminal.
pub fn publish(
    conn: &mut DbConn,
    title: &str,
    title_ja: Option<&str>,
    cutoff_text: &str,
    release: bool,
    now: NaiveDateTime,
) -> Result<Published, String> {
    let cutoff = parse_cutoff(cutoff_text).ok_or_else(|| {
        format!("--cutoff {cutoff_text:?}: expected e.g. 2025-04-16T23:59:59+09:00")
    })?;
    if cutoff > now {
        return Err(format!(
            "--cutoff {:?} is in the future: figures can be published only up to now ({} UTC)",
            cutoff_text.trim(),
            now.format("%Y-%m-%d %H:%M")
        ));
    }
    let to = Period::from_date(tokyo_date(cutoff));
    let from = summary::bounds(conn)
        .map_err(|e| format!("database: {e}"))?
        .and_then(|(first, _)| Period::parse(&first).ok())
        .filter(|first| *first <= to)
        .unwrap_or(to);
    let actor = Actor::system("publish");
    let (from_key, to_key) = (from.as_key(), to.as_key());
    let input = DraftInput {
        title,
        title_ja: title_ja.unwrap_or(title),
        cutoff,
        from: &from_key,
        to: &to_key,
        footnotes: "",
        footnotes_ja: "",
        p_percent: DEFAULT_P_PERCENT,
    };
    let id = publications::draft(conn, &actor, &input, now)
        .map_err(|e| e.to_string())?
        .map_err(|invalid| {
            let keys: Vec<&str> = invalid.0.iter().map(|(_, key)| key.name()).collect();
            format!("not drafted: {}", keys.join(", "))
        })?;
    if !release {
        return Ok(Published {
            id,
            released: false,
            sha256_en: None,
        });
    }
    // `--release` is the operator's confirmation of the draft just made.
    let shown = publication_release::to_confirm(conn, id).map_err(|e| e.to_string())?;
    match publication_release::release(conn, &actor, id, &shown.sha256, now)
        .map_err(|e| e.to_string())?
    {
        Outcome::Released { sha256_en } => Ok(Published {
            id,
            released: true,
            sha256_en: Some(sha256_en),
        }),
        Outcome::Scheduled { .. } => Err(format!(
            "publication {id} was scheduled instead of released"
        )),
        Outcome::Unsafe => Err(format!(
            "publication {id} drafted but not released: the disclosure audit found a suppressed cell it cannot protect; see the draft's audit in the admin pages"
        )),
        Outcome::AlreadyReleased | Outcome::AlreadyScheduled | Outcome::Stale => Err(format!(
            "publication {id} drafted but not released: it changed while being released; release it from the admin pages"
        )),
    }
}
