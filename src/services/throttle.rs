//! Failed-attempt throttling kept in the database, so it holds across
//! instances: per account (the email typed, so unknown accounts behave the
//! same), per client address, and per second-factor session. Each failure
//! after the first few doubles the wait; ten in a row lock the account for
//! a while.

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

/// What a throttle is keyed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Account(String),
    Address(String),
    SecondFactor(i64),
    /// Password-reset emails asked for one address (no mail bombing).
    ResetRequest(String),
}

impl Key {
    fn as_string(&self) -> String {
        match self {
            Key::Account(email) => format!("account:{}", email.trim().to_lowercase()),
            Key::Address(ip) => format!("address:{ip}"),
            Key::SecondFactor(user_id) => format!("mfa:{user_id}"),
            Key::ResetRequest(email) => format!("reset:{}", email.trim().to_lowercase()),
        }
    }

    fn free(&self) -> i32 {
        match self {
            Key::Address(_) => ADDRESS_FREE,
            _ => FREE,
        }
    }

    fn locks(&self) -> bool {
        matches!(self, Key::Account(_) | Key::SecondFactor(_))
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
}

/// How long until `key` may try again (zero: now).
pub fn retry_after(conn: &mut DbConn, key: &Key, now: NaiveDateTime) -> QueryResult<Duration> {
    let row = auth_throttle::table
        .find(key.as_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(Duration::zero());
    };
    if now - row.last_failure_at > FORGET_AFTER {
        return Ok(Duration::zero());
    }
    let until = match row.locked_until {
        Some(locked) if locked > now => locked,
        _ => row.last_failure_at + wait_after(row.failures, key.free()),
    };
    Ok((until - now).max(Duration::zero()))
}

/// The longest wait among `keys`.
pub fn retry_after_any(
    conn: &mut DbConn,
    keys: &[Key],
    now: NaiveDateTime,
) -> QueryResult<Duration> {
    let mut longest = Duration::zero();
    for key in keys {
        longest = longest.max(retry_after(conn, key, now)?);
    }
    Ok(longest)
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

/// Counts a failure (call inside a write transaction). Returns true when
/// this failure locked the key (the caller tells the account holder).
pub fn record_failure(conn: &mut DbConn, key: &Key, now: NaiveDateTime) -> QueryResult<bool> {
    let name = key.as_string();
    ensure_row(conn, &name, now)?;
    // Lock the row first (PostgreSQL), then read and write it.
    diesel::update(auth_throttle::table.find(&name))
        .set(auth_throttle::failures.eq(auth_throttle::failures))
        .execute(conn)?;
    let row: Row = auth_throttle::table
        .find(&name)
        .select(Row::as_select())
        .first(conn)?;
    let fresh = now - row.last_failure_at > FORGET_AFTER || row.failures == 0;
    let failures = if fresh { 1 } else { row.failures + 1 };
    let locks_now = key.locks() && failures == LOCK_AFTER;
    let locked_until = if locks_now {
        Some(now + LOCK_FOR)
    } else {
        row.locked_until
    };
    diesel::update(auth_throttle::table.find(&name))
        .set((
            auth_throttle::failures.eq(failures),
            auth_throttle::last_failure_at.eq(now),
            auth_throttle::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    Ok(locks_now)
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
