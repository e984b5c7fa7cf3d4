//! Idempotency keys of the filing API: every `POST` and `PUT` carries an
//! `Idempotency-Key`, and a repeat of a request answers what the first one
//! answered, without doing it again.
//!
//! The endpoint claims the key before doing anything and keeps its answer
//! after (`web::api::idempotent::run`, with [`finish`]), or claims it,
//! writes, answers and keeps the answer in one transaction with
//! [`begin_in`] and [`finish_in`] (the draft's `PUT`, on both backends:
//! `services::idempotent_answer::attempt`):
//!
//! - a new key is [`Begin::Fresh`]: do the request, then `finish`;
//! - the same key, method, path and body again: [`Begin::Replay`] of the
//!   stored answer (only answers below 500 are stored: a 5xx, or an answer
//!   too large to keep, releases the key, so the client may simply retry);
//! - the same key with another method, path or body: [`Begin::Mismatch`]
//!   (422);
//! - the same key while the first request still runs:
//!   [`Begin::InProgress`] (409). A request that has run for longer than
//!   [`TAKE_OVER_AFTER`] is taken to have died with its instance: the next
//!   request with its key takes it over (`Fresh`);
//! - a new key while the client already holds [`KEYS_PER_CLIENT`]:
//!   [`Begin::TooManyKeys`] (429), refused by one conditional update.
//!
//! Keys are kept for [`KEEP_FOR`] after their first use, then forgotten
//! (the key may be used again). Forgotten rows are pruned in bounded
//! batches: a few of the client's own whenever it starts a new key, and
//! any by [`prune_expired`], which a periodic task may run.
//!
//! Every write of a client's keys starts by taking the client's turn (the
//! row lock of its count on PostgreSQL; SQLite has one writer at a time),
//! so two requests racing with one key are one after the other: the
//! second sees the first's row. The unique (client, key) constraint holds
//! however the rows are written. These rows are request bookkeeping, not
//! a change of the return, and are not audited (the request they guard
//! audits itself).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::{api_idempotency, api_idempotency_quota};
use crate::db::{DbConn, write_tx_unseen};
use crate::domain::idempotency_key::IdempotencyKey;
use crate::i18n::Key;

/// How long a key is remembered after its first use.
pub const KEEP_FOR: Duration = Duration::hours(24);
/// How long a first request may run before the next one with its key takes
/// it over (its instance is taken to have died).
pub const TAKE_OVER_AFTER: Duration = Duration::minutes(5);
/// The most keys one client holds at once (those of the last [`KEEP_FOR`]).
pub const KEYS_PER_CLIENT: i64 = 10_000;
/// The most forgotten rows of its own a client's new key prunes.
const PRUNE_WITH_NEW_KEY: i64 = 50;
/// The largest answer body kept for replay; a larger one releases the key.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What to do with a request, given its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begin {
    /// Do it, then [`finish`].
    Fresh,
    /// Answer this, as the first request with the key was answered.
    Replay {
        status: u16,
        content_type: String,
        body: String,
    },
    /// The key was used for another request (method, path or body): 422.
    Mismatch,
    /// The first request with the key is still running: 409.
    InProgress,
    /// The client holds [`KEYS_PER_CLIENT`] keys already: 429.
    TooManyKeys,
}

impl Begin {
    /// The status and message of a refusal (`None` for `Fresh` and
    /// `Replay`, which the endpoint answers itself).
    pub fn refusal(&self) -> Option<(u16, Key)> {
        match self {
            Begin::Fresh | Begin::Replay { .. } => None,
            Begin::Mismatch => Some((422, msg!("api.idempotency.mismatch"))),
            Begin::InProgress => Some((409, msg!("api.idempotency.in_progress"))),
            Begin::TooManyKeys => Some((429, msg!("api.idempotency.too_many"))),
        }
    }
}

/// What [`finish`] did with the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// Kept: a repeat is answered with it.
    Stored,
    /// Not kept (a 5xx, or larger than [`MAX_BODY_BYTES`]): the key is
    /// free again.
    Released,
    /// The key was not running any more (it was taken over and answered,
    /// or forgotten): nothing changed.
    NotRunning,
}

/// The SHA-256 of a request body, in hex, as [`begin`] compares it.
pub fn request_sha256(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    super::tokens::hex(&Sha256::digest(body))
}

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = api_idempotency)]
struct Entry {
    id: i64,
    method_and_path: String,
    request_sha256: String,
    status: Option<i32>,
    content_type: Option<String>,
    body: Option<String>,
    created_at: NaiveDateTime,
    started_at: NaiveDateTime,
}

impl Entry {
    fn forgotten(&self, now: NaiveDateTime) -> bool {
        now - self.created_at >= KEEP_FOR
    }
}

/// Starts a request of `client` with `key` (see the module's rules).
/// `method_and_path` is e.g. `PUT /api/v1/returns/2025-04/draft`;
/// `request_sha256` is [`request_sha256`] of the body.
pub fn begin(
    conn: &mut DbConn,
    client: i64,
    key: &IdempotencyKey,
    method_and_path: &str,
    request_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<Begin> {
    write_tx_unseen(conn, |conn| {
        begin_in(conn, client, key, method_and_path, request_sha256, now)
    })
}

/// [`begin`] inside the caller's write transaction: the request's own
/// writes can then commit with the key's claim, in one commit (a failure
/// rolls both back, which releases the key as a 5xx does).
pub fn begin_in(
    conn: &mut DbConn,
    client: i64,
    key: &IdempotencyKey,
    method_and_path: &str,
    request_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<Begin> {
    take_turn(conn, client)?;
    match find(conn, client, key)? {
        Some(entry) if !entry.forgotten(now) => {
            judge(conn, entry, method_and_path, request_sha256, now)
        }
        Some(entry) => {
            // Forgotten but not pruned yet: the key starts afresh in
            // its row (the client's count already holds it).
            diesel::update(api_idempotency::table.find(entry.id))
                .set((
                    api_idempotency::method_and_path.eq(method_and_path),
                    api_idempotency::request_sha256.eq(request_sha256),
                    api_idempotency::status.eq(None::<i32>),
                    api_idempotency::content_type.eq(None::<String>),
                    api_idempotency::body.eq(None::<String>),
                    api_idempotency::created_at.eq(now),
                    api_idempotency::started_at.eq(now),
                    api_idempotency::finished_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            Ok(Begin::Fresh)
        }
        None => {
            prune_client(conn, client, now, PRUNE_WITH_NEW_KEY)?;
            let counted = diesel::update(
                api_idempotency_quota::table
                    .find(client)
                    .filter(api_idempotency_quota::keys_held.lt(KEYS_PER_CLIENT)),
            )
            .set(api_idempotency_quota::keys_held.eq(api_idempotency_quota::keys_held + 1))
            .execute(conn)?;
            if counted != 1 {
                return Ok(Begin::TooManyKeys);
            }
            diesel::insert_into(api_idempotency::table)
                .values((
                    api_idempotency::client_id.eq(client),
                    api_idempotency::idempotency_key.eq(key.as_str()),
                    api_idempotency::method_and_path.eq(method_and_path),
                    api_idempotency::request_sha256.eq(request_sha256),
                    api_idempotency::created_at.eq(now),
                    api_idempotency::started_at.eq(now),
                ))
                .execute(conn)?;
            Ok(Begin::Fresh)
        }
    }
}

/// A remembered key's request again: the same request replays or waits,
/// another is refused, and a first request that ran too long is taken over.
fn judge(
    conn: &mut DbConn,
    entry: Entry,
    method_and_path: &str,
    request_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<Begin> {
    if entry.method_and_path != method_and_path || entry.request_sha256 != request_sha256 {
        return Ok(Begin::Mismatch);
    }
    if let (Some(status), Some(content_type), Some(body)) =
        (entry.status, entry.content_type, entry.body)
    {
        return Ok(Begin::Replay {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            body,
        });
    }
    if now - entry.started_at < TAKE_OVER_AFTER {
        return Ok(Begin::InProgress);
    }
    diesel::update(api_idempotency::table.find(entry.id))
        .set(api_idempotency::started_at.eq(now))
        .execute(conn)?;
    Ok(Begin::Fresh)
}

/// Ends the request of `client` with `key`: keeps its answer for replay
/// (statuses 200–499 up to [`MAX_BODY_BYTES`]), or releases the key (a 5xx
/// or anything else), so the client may retry.
pub fn finish(
    conn: &mut DbConn,
    client: i64,
    key: &IdempotencyKey,
    status: u16,
    content_type: &str,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<Finished> {
    write_tx_unseen(conn, |conn| {
        take_turn(conn, client)?;
        finish_in(conn, client, key, status, content_type, body, now)
    })
}

/// [`finish`] inside the write transaction that began the key (with
/// [`begin_in`]), which holds the client's turn already: the answer made
/// in it.
pub fn finish_in(
    conn: &mut DbConn,
    client: i64,
    key: &IdempotencyKey,
    status: u16,
    content_type: &str,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<Finished> {
    let running = api_idempotency::table
        .filter(api_idempotency::client_id.eq(client))
        .filter(api_idempotency::idempotency_key.eq(key.as_str()))
        .filter(api_idempotency::status.is_null());
    if !(200..500).contains(&status) || body.len() > MAX_BODY_BYTES {
        let gone = diesel::delete(running).execute(conn)?;
        give_back(conn, client, gone)?;
        return Ok(if gone == 0 {
            Finished::NotRunning
        } else {
            Finished::Released
        });
    }
    let stored = diesel::update(running)
        .set((
            api_idempotency::status.eq(i32::from(status)),
            api_idempotency::content_type.eq(content_type),
            api_idempotency::body.eq(body),
            api_idempotency::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(if stored == 0 {
        Finished::NotRunning
    } else {
        Finished::Stored
    })
}

/// Deletes up to `batch` forgotten keys of any client (oldest first), for
/// a periodic task; how many it deleted.
pub fn prune_expired(conn: &mut DbConn, now: NaiveDateTime, batch: i64) -> QueryResult<usize> {
    let cutoff = now - KEEP_FOR;
    let mut clients: Vec<i64> = api_idempotency::table
        .filter(api_idempotency::created_at.le(cutoff))
        .order(api_idempotency::created_at.asc())
        .limit(batch)
        .select(api_idempotency::client_id)
        .load(conn)?;
    clients.sort_unstable();
    clients.dedup();
    if clients.is_empty() {
        return Ok(0);
    }
    write_tx_unseen(conn, |conn| {
        let mut deleted = 0;
        let mut left = batch;
        // In client order, so that two pruners never wait on each other.
        for client in clients {
            if left <= 0 {
                break;
            }
            take_turn(conn, client)?;
            let gone = prune_client(conn, client, now, left)?;
            deleted += gone;
            left -= i64::try_from(gone).unwrap_or(left);
        }
        Ok(deleted)
    })
}

fn find(conn: &mut DbConn, client: i64, key: &IdempotencyKey) -> QueryResult<Option<Entry>> {
    api_idempotency::table
        .filter(api_idempotency::client_id.eq(client))
        .filter(api_idempotency::idempotency_key.eq(key.as_str()))
        .select(Entry::as_select())
        .first(conn)
        .optional()
}

/// Makes sure the client's count exists and holds its row lock until the
/// transaction ends (PostgreSQL: one upsert that locks the row whether it
/// inserts it or finds it; SQLite's `BEGIN IMMEDIATE` already holds the
/// whole database): the client's writes here take turns.
fn take_turn(conn: &mut DbConn, client: i64) -> QueryResult<()> {
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO api_idempotency_quota (client_id, keys_held) VALUES ($1, 0) \
             ON CONFLICT (client_id) DO UPDATE SET keys_held = api_idempotency_quota.keys_held",
        )
        .bind::<BigInt, _>(client)
        .execute(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(
            "INSERT OR IGNORE INTO api_idempotency_quota (client_id, keys_held) VALUES (?, 0)",
        )
        .bind::<BigInt, _>(client)
        .execute(lite),
    }?;
    Ok(())
}

/// Deletes up to `batch` of the client's forgotten keys, oldest first, and
/// takes them off its count; how many it deleted. The caller holds the
/// client's turn.
fn prune_client(
    conn: &mut DbConn,
    client: i64,
    now: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    let cutoff = now - KEEP_FOR;
    let ids: Vec<i64> = api_idempotency::table
        .filter(api_idempotency::client_id.eq(client))
        .filter(api_idempotency::created_at.le(cutoff))
        .order(api_idempotency::created_at.asc())
        .limit(batch)
        .select(api_idempotency::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let gone = diesel::delete(
        api_idempotency::table
            .filter(api_idempotency::id.eq_any(&ids))
            .filter(api_idempotency::created_at.le(cutoff)),
    )
    .execute(conn)?;
    give_back(conn, client, gone)?;
    Ok(gone)
}

/// Takes `n` deleted keys off the client's count.
fn give_back(conn: &mut DbConn, client: i64, n: usize) -> QueryResult<()> {
    if n == 0 {
        return Ok(());
    }
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    diesel::update(api_idempotency_quota::table.find(client))
        .set(api_idempotency_quota::keys_held.eq(api_idempotency_quota::keys_held - n))
        .execute(conn)?;
    Ok(())
}
