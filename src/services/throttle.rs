//! Failed-attempt throttling kept in the database, so it holds across
//! instances: per account (the email typed, so unknown accounts behave the
//! same), per client address, per second-factor sign-in and per step-up.
//! Each failure after the first few doubles the wait; ten in a row lock the
//! account for a while.
//!
//! An attempt is *reserved* before it is evaluated ([`reserve`]): in one
//! write transaction the throttle rows are locked (SQLite `BEGIN IMMEDIATE`,
//! PostgreSQL a row lock taken by an `UPDATE`), read, and counted as a
//! failure in advance. However many attempts arrive at once, at most the
//! allowed number are ever evaluated; a success gives the count back
//! ([`clear`], [`release`]).
//!
//! Refusals are counted on the row, not written one by one: the audit
//! trail gets one `auth.sign_in_throttled` row per key per
//! [`REFUSAL_WINDOW`], carrying how many attempts were refused since the
//! previous one ([`Refusals`]).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::DbConn;
use crate::db::schema::auth_throttle;

/// Failures allowed before any wait.
const FREE: i32 = 3;
/// Consecutive failures on one account that lock it.
pub const LOCK_AFTER: i32 = 10;
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// The longest wait between attempts.
const MAX_WAIT: Duration = Duration::minutes(15);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::hours(24);
/// Attempts from one address before it waits too (many users share an
/// office address, so it is looser than the per-account limit).
const ADDRESS_FREE: i32 = 30;
/// Failed token requests of one API client before it waits (failures
/// are counted on the client only once its signature checked out, so no
/// one else can make it wait).
const API_CLIENT_FREE: i32 = 10;
/// Refusals of one key within this time make one audit row.
pub const REFUSAL_WINDOW: Duration = Duration::minutes(1);

/// What a throttle is keyed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Account(String),
    Address(String),
    SecondFactor(i64),
    /// The password (and code) asked again before a sensitive change.
    StepUp(i64),
    /// Password-reset emails asked for one address (no mail bombing).
    ResetRequest(String),
    /// Token requests of one API client (its public client id).
    ApiClient(String),
    /// Token requests from one address (apart from the sign-ins from it).
    ApiAddress(String),
}

impl Key {
    fn as_string(&self) -> String {
        match self {
            Key::Account(email) => format!("account:{}", email.trim().to_lowercase()),
            Key::Address(ip) => format!("address:{ip}"),
            Key::SecondFactor(user_id) => format!("mfa:{user_id}"),
            Key::StepUp(user_id) => format!("stepup:{user_id}"),
            Key::ResetRequest(email) => format!("reset:{}", email.trim().to_lowercase()),
            Key::ApiClient(client_id) => format!("api-client:{client_id}"),
            Key::ApiAddress(ip) => format!("api-address:{ip}"),
        }
    }

    fn free(&self) -> i32 {
        match self {
            Key::Address(_) | Key::ApiAddress(_) => ADDRESS_FREE,
            Key::ApiClient(_) => API_CLIENT_FREE,
            _ => FREE,
        }
    }

    fn locks(&self) -> bool {
        matches!(
            self,
            Key::Account(_) | Key::SecondFactor(_) | Key::StepUp(_)
        )
    }

    /// What kind of key this is, for the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            Key::Account(_) => "account",
            Key::Address(_) => "address",
            Key::SecondFactor(_) => "second factor",
            Key::StepUp(_) => "step-up",
            Key::ResetRequest(_) => "reset request",
            Key::ApiClient(_) => "API client",
            Key::ApiAddress(_) => "API address",
        }
    }
}

/// The wait after `failures` consecutive failures: none for the first few,
/// then 1 s, 2 s, 4 s … up to 15 minutes.
pub fn wait_after(failures: i32, free: i32) -> Duration {
    if failures < free {
        return Duration::zero();
    }
    let exponent = u32::try_from(failures - free).unwrap_or(0).min(20);
    Duration::seconds(1_i64 << exponent).min(MAX_WAIT)
}

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = auth_throttle)]
struct Row {
    failures: i32,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
    refused: i32,
    refused_since: Option<NaiveDateTime>,
}

impl Row {
    fn forgotten(&self, now: NaiveDateTime) -> bool {
        now - self.last_failure_at > FORGET_AFTER
    }

    /// How long until the key may try again (zero: now).
    fn wait(&self, key: &Key, now: NaiveDateTime) -> Duration {
        if self.forgotten(now) {
            return Duration::zero();
        }
        let until = match self.locked_until {
            Some(locked) if locked > now => locked,
            _ => self.last_failure_at + wait_after(self.failures, key.free()),
        };
        (until - now).max(Duration::zero())
    }
}

fn ensure_row(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> QueryResult<usize> {
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO auth_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 0, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(now)
        .execute(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(
            "INSERT OR IGNORE INTO auth_throttle (throttle_key, failures, last_failure_at) VALUES (?, 0, ?)",
        )
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(now)
        .execute(lite),
    }
}

/// Makes sure the row of `name` exists, locks it until the transaction
/// ends (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the whole
/// database), and reads it.
fn lock_row(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<Row> {
    ensure_row(conn, name, now)?;
    diesel::update(auth_throttle::table.find(name))
        .set(auth_throttle::failures.eq(auth_throttle::failures))
        .execute(conn)?;
    auth_throttle::table
        .find(name)
        .select(Row::as_select())
        .first(conn)
}

/// Refused attempts on one key since its last audit row: write one row
/// saying `count` attempts were refused from `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusals {
    pub key: Key,
    pub count: i32,
    pub since: NaiveDateTime,
}

/// The answer to [`reserve`].
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be evaluated; it already counts as a failure.
    Granted,
    /// Refused: wait this long. `report` is set when this refusal opens a
    /// new window and an audit row is due.
    Refused {
        wait: Duration,
        report: Option<Refusals>,
    },
}

/// Reserves one attempt on every key in `keys`, atomically (call inside a
/// write transaction): all rows are locked and read; if any must wait,
/// nothing is counted except the refusal; otherwise each key counts one
/// failure in advance, before the caller evaluates the attempt.
pub fn reserve(conn: &mut DbConn, keys: &[Key], now: NaiveDateTime) -> QueryResult<Reservation> {
    // One lock order for every caller (no deadlock between two of them).
    let mut keys: Vec<&Key> = keys.iter().collect();
    keys.sort_by_key(|k| k.as_string());
    keys.dedup();
    let mut rows = Vec::with_capacity(keys.len());
    for key in &keys {
        let name = key.as_string();
        let row = lock_row(conn, &name, now)?;
        rows.push((key, name, row));
    }
    let waiting = rows
        .iter()
        .map(|(key, name, row)| (row.wait(key, now), key, name, row))
        .max_by_key(|(wait, ..)| *wait);
    if let Some((wait, key, name, row)) = waiting
        && wait > Duration::zero()
    {
        let report = count_refusal(conn, key, name, row, now)?;
        return Ok(Reservation::Refused { wait, report });
    }
    for (_, name, row) in &rows {
        let failures = if row.forgotten(now) || row.failures == 0 {
            1
        } else {
            row.failures.saturating_add(1)
        };
        diesel::update(auth_throttle::table.find(name))
            .set((
                auth_throttle::failures.eq(failures),
                auth_throttle::last_failure_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(Reservation::Granted)
}

/// Counts one refusal on a locked row; a report when a window opens.
fn count_refusal(
    conn: &mut DbConn,
    key: &Key,
    name: &str,
    row: &Row,
    now: NaiveDateTime,
) -> QueryResult<Option<Refusals>> {
    let open = row
        .refused_since
        .is_some_and(|since| now - since < REFUSAL_WINDOW && now >= since);
    if open {
        diesel::update(auth_throttle::table.find(name))
            .set(auth_throttle::refused.eq(auth_throttle::refused + 1))
            .execute(conn)?;
        return Ok(None);
    }
    // This refusal and those counted in the window before, in one row.
    let report = Refusals {
        key: key.clone(),
        count: row.refused.saturating_add(1),
        since: row.refused_since.unwrap_or(now),
    };
    diesel::update(auth_throttle::table.find(name))
        .set((
            auth_throttle::refused.eq(0),
            auth_throttle::refused_since.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(Some(report))
}

/// After a reserved attempt failed (its failure is already counted):
/// locks the key when this was the failure that reaches the limit.
/// Returns true when it locked it (the caller tells the account holder).
pub fn failed(conn: &mut DbConn, key: &Key, now: NaiveDateTime) -> QueryResult<bool> {
    let name = key.as_string();
    let row = lock_row(conn, &name, now)?;
    let locked = row.locked_until.is_some_and(|until| until > now);
    if !key.locks() || locked || row.failures != LOCK_AFTER {
        return Ok(false);
    }
    diesel::update(auth_throttle::table.find(&name))
        .set(auth_throttle::locked_until.eq(Some(now + LOCK_FOR)))
        .execute(conn)?;
    Ok(true)
}

/// Gives back one reserved attempt (a success on a key shared by many,
/// such as an address).
pub fn release(conn: &mut DbConn, key: &Key) -> QueryResult<usize> {
    diesel::update(
        auth_throttle::table
            .find(key.as_string())
            .filter(auth_throttle::failures.gt(0)),
    )
    .set(auth_throttle::failures.eq(auth_throttle::failures - 1))
    .execute(conn)
}

/// Forgets the failures of `key` (after a success).
pub fn clear(conn: &mut DbConn, key: &Key) -> QueryResult<usize> {
    diesel::delete(auth_throttle::table.find(key.as_string())).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_attempts() {
        assert_eq!(wait_after(0, 3), Duration::zero());
        assert_eq!(wait_after(2, 3), Duration::zero());
        assert_eq!(wait_after(3, 3), Duration::seconds(1));
        assert_eq!(wait_after(4, 3), Duration::seconds(2));
        assert_eq!(wait_after(6, 3), Duration::seconds(8));
        assert_eq!(wait_after(40, 3), MAX_WAIT);
    }

    #[test]
    fn keys_are_normalised() {
        assert_eq!(
            Key::Account(" A@B.example ".into()).as_string(),
            "account:a@b.example"
        );
        assert!(!Key::Address("1.2.3.4".into()).locks());
    }
}
