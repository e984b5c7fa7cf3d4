//! Releasing a publication: what the admin is shown before confirming (the
//! table as the public will see it, with the draft's content hash), and the
//! release itself, which refuses a draft that changed since it was shown.
//! A release freezes the table, both CSV files and their checksums; it never
//! changes afterwards (a correction is a new release).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::Actor;
use super::audit::{self, Action, Event};
use super::publication_table::{self, AuditLine, LinkedLine, Table};
use super::publications::{find, overrides, preview};
use crate::db::models::{Publication, PublicationOverride};
use crate::db::schema::publications;
use crate::db::{DbConn, write_tx};
use crate::domain::PublicationStatus;
use crate::error::{AppError, AppResult};

/// A draft as the check-your-answers page shows it.
pub struct ToConfirm {
    pub publication: Publication,
    /// The table as it will be published (suppressed cells without values).
    pub table: Table,
    pub overrides: Vec<PublicationOverride>,
    /// SHA-256 of everything that would be released (`content_sha256`).
    pub sha256: String,
    /// The interval audit over this release and the earlier ones.
    pub audit: Vec<AuditLine>,
    pub linked: Vec<LinkedLine>,
    /// Every suppressed cell is protected: the release may go ahead.
    pub safe: bool,
    /// The versions the table counts (kept with the release).
    pub filings: Vec<i64>,
}

/// What a confirmed release did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Released now; the English CSV's checksum.
    Released { sha256_en: String },
    /// Frozen now, public at `at`.
    Scheduled { at: NaiveDateTime },
    /// Released before (a second click or a replayed confirmation): nothing
    /// changed.
    AlreadyReleased,
    /// Scheduled before: nothing changed (cancel the schedule first).
    AlreadyScheduled,
    /// The draft (or the figures it counts) changed since the page was
    /// shown: nothing released, the page is to be shown again.
    Stale,
    /// The interval audit found a suppressed cell (of this release or an
    /// earlier one) that more suppression in this release cannot protect:
    /// nothing released, the page says which.
    Unsafe,
}

fn feed(hasher: &mut Sha256, part: &str) {
    hasher.update(part.len().to_string().as_bytes());
    hasher.update(b":");
    hasher.update(part.as_bytes());
    hasher.update(b";");
}

/// SHA-256 over what a release would publish: both titles, both footnote
/// lists, the cut-off, the months, p, the released cells with their
/// justifications and the public table. Each part is length-prefixed, so
/// no two drafts share a serialisation.
fn content_sha256(
    p: &Publication,
    overrides: &[PublicationOverride],
    table: &Table,
) -> AppResult<String> {
    let json = serde_json::to_string(table)
        .map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
    let mut hasher = Sha256::new();
    let cutoff = p.cutoff_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
    let p_percent = p.p_percent.to_string();
    for part in [
        p.title.as_str(),
        &p.title_ja,
        &p.footnotes,
        &p.footnotes_ja,
        &cutoff,
        &p.period_from,
        &p.period_to,
        &p_percent,
    ] {
        feed(&mut hasher, part);
    }
    feed(&mut hasher, &overrides.len().to_string());
    for o in overrides {
        feed(&mut hasher, &o.cell);
        feed(&mut hasher, &o.justification);
    }
    feed(&mut hasher, &json);
    Ok(super::tokens::hex(&hasher.finalize()))
}

fn gather(conn: &mut DbConn, p: Publication) -> AppResult<ToConfirm> {
    let computed = preview(conn, &p)?;
    let table = computed.table.frozen();
    let overrides = overrides(conn, p.id)?;
    let sha256 = content_sha256(&p, &overrides, &table)?;
    Ok(ToConfirm {
        publication: p,
        table,
        overrides,
        sha256,
        audit: computed.audit,
        linked: computed.linked,
        safe: computed.safe,
        filings: computed.filings.iter().map(|f| f.version).collect(),
    })
}

/// The draft as it would be released now, with its content hash. A
/// released publication is a conflict: there is nothing left to confirm.
pub fn to_confirm(conn: &mut DbConn, id: i64) -> AppResult<ToConfirm> {
    let p = find(conn, id)?;
    if p.status != PublicationStatus::Draft {
        return Err(AppError::Conflict(msg!("publication.already_released")));
    }
    gather(conn, p)
}

/// Releases a draft if it is still what the admin confirmed (`shown_sha256`
/// from the check-your-answers page): freezes its table, CSV files and
/// checksums, audited.
pub fn release(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    shown_sha256: &str,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    confirm(conn, actor, id, shown_sha256, now, now)
}

/// Schedules a draft to be released at `at` (an embargo), if it is still
/// what the admin confirmed: it is frozen now, exactly as a release would
/// freeze it, and becomes public at `at`, not a moment before
/// (`release_due`). `at` must be in the future.
pub fn schedule(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    shown_sha256: &str,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    if at <= now {
        return Err(AppError::BadRequest(msg!("publication.schedule_past")));
    }
    if at > now + chrono::Duration::days(SCHEDULE_DAYS) {
        return Err(AppError::BadRequest(msg!("publication.schedule_too_far")));
    }
    confirm(conn, actor, id, shown_sha256, at, now)
}

/// How far ahead a release may be scheduled (an embargo, not an archive).
pub const SCHEDULE_DAYS: i64 = 366;

/// Freezes a confirmed draft, public from `at` (now: released).
fn confirm(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    shown_sha256: &str,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    write_tx(conn, |conn| {
        // One release at a time across instances: each is audited with
        // every release before it.
        one_release_at_a_time(conn)?;
        let p = find(conn, id)?;
        match p.status {
            PublicationStatus::Draft => {}
            PublicationStatus::Scheduled => return Ok(Outcome::AlreadyScheduled),
            PublicationStatus::Released => return Ok(Outcome::AlreadyReleased),
        }
        if p.cutoff_at > now {
            return Err(AppError::Conflict(
                crate::services::publications::CUTOFF_IN_FUTURE,
            ));
        }
        let shown = gather(conn, p)?;
        if shown_sha256.trim().is_empty() || shown.sha256 != shown_sha256.trim() {
            return Ok(Outcome::Stale);
        }
        if !shown.safe {
            return Ok(Outcome::Unsafe);
        }
        let audit_json = serde_json::to_string(&shown.audit)
            .map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
        let filings_json = serde_json::to_string(&shown.filings)
            .map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
        let table = shown.table;
        let json = serde_json::to_string(&table)
            .map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
        let (en, ja) = (table.csv(false), table.csv(true));
        let (sum_en, sum_ja) = (
            publication_table::checksum(&en),
            publication_table::checksum(&ja),
        );
        let later = at > now;
        let status = if later {
            PublicationStatus::Scheduled
        } else {
            PublicationStatus::Released
        };
        let changed = diesel::update(
            publications::table
                .find(id)
                .filter(publications::status.eq(PublicationStatus::Draft)),
        )
        .set((
            publications::status.eq(status),
            publications::released_at.eq(at),
            publications::table_json.eq(&json),
            publications::csv_en.eq(&en),
            publications::csv_ja.eq(&ja),
            publications::sha256_en.eq(&sum_en),
            publications::sha256_ja.eq(&sum_ja),
            publications::audit_json.eq(&audit_json),
            publications::contributors_json.eq(&filings_json),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Ok(Outcome::AlreadyReleased);
        }
        let object_id = id.to_string();
        let (action, detail) = if later {
            (
                Action::PublicationScheduled,
                format!(
                    "at {}; sha256 {sum_en}; confirmed content {}",
                    at.format("%Y-%m-%dT%H:%M:%SZ"),
                    shown.sha256
                ),
            )
        } else {
            (
                Action::PublicationReleased,
                format!("sha256 {sum_en}; confirmed content {}", shown.sha256),
            )
        };
        audit::record(
            conn,
            now,
            actor,
            Event {
                action,
                object_type: "publication",
                object_id: &object_id,
                detail: &detail,
            },
        )?;
        Ok(if later {
            Outcome::Scheduled { at }
        } else {
            Outcome::Released { sha256_en: sum_en }
        })
    })
}

/// Waits for any other release in progress to end (PostgreSQL: a lock held
/// to the end of the transaction; SQLite writes one at a time already).
fn one_release_at_a_time(conn: &mut DbConn) -> AppResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7340101)").execute(pg)?;
    }
    Ok(())
}

/// The audit kept with a released publication (`None` for one released
/// before the audit existed).
pub fn stored_audit(conn: &mut DbConn, id: i64) -> AppResult<Option<Vec<AuditLine>>> {
    let json: Option<String> = publications::table
        .find(id)
        .select(publications::audit_json)
        .first(conn)?;
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|_| AppError::Internal(format!("release {id}: its audit cannot be read")))
    })
    .transpose()
}
