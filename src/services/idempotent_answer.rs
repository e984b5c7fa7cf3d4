//! A filing API request answered in the same transaction as its
//! `Idempotency-Key`'s claim (the draft's `PUT`, which a firm's system
//! sends again and again; `web::api::idempotent::run_inside`).
//!
//! The claim, the request's writes and the kept answer are one
//! transaction, on SQLite and on PostgreSQL: one commit instead of three.
//! On PostgreSQL the claim locks the client's count row to the commit, so
//! one client's requests run one after another (they are budgeted per
//! client anyway, and a month's draft is one row they would queue on).
//! Other clients never wait on it, unless every pooled connection is held
//! by such a wait: a client sending more PUTs at once than the pool holds
//! while a month's row is locked by a long trade upload. A `lock_timeout`
//! answered 503 would bound that; it is not built.
//!
//! The request's audit row is its last write, and keeping the answer is
//! one update after it, so the audit trail's head stays locked for about
//! as long as before. Measured with `filing_api_bench` on PostgreSQL, one
//! caller: the PUT's p50 went from 4.5–4.7 ms (three transactions) to
//! 3.8–4.1 ms.

use std::borrow::Cow;

use chrono::NaiveDateTime;

use super::idempotency::{self, Begin};
use crate::db::{DbConn, write_tx_kept_if};
use crate::domain::idempotency_key::IdempotencyKey;
use crate::error::AppError;

/// An answer made, as it is kept under its key.
pub trait KeptAnswer {
    fn status(&self) -> u16;
    fn content_type(&self) -> &str;
    fn body(&self) -> Cow<'_, str>;
}

/// Why a request's writes rolled back (nothing is kept, and the key is
/// free for a retry).
pub enum Undone<M> {
    /// A database or server failure.
    Failed(AppError),
    /// The answer made was a server error (5xx): it is sent as made.
    ServerError(M),
}

impl<M> From<diesel::result::Error> for Undone<M> {
    fn from(error: diesel::result::Error) -> Self {
        Undone::Failed(error.into())
    }
}

impl<M> From<AppError> for Undone<M> {
    fn from(error: AppError) -> Self {
        Undone::Failed(error)
    }
}

/// The key as one attempt claims it.
pub struct Claim<'a> {
    pub client: i64,
    pub key: &'a IdempotencyKey,
    /// `PUT /api/v1/returns/2025-04/draft`.
    pub request: &'a str,
    /// `idempotency::request_sha256` of the body.
    pub sha: &'a str,
    pub now: NaiveDateTime,
}

impl Claim<'_> {
    fn begin_in(&self, conn: &mut DbConn) -> diesel::QueryResult<Begin> {
        idempotency::begin_in(
            conn,
            self.client,
            self.key,
            self.request,
            self.sha,
            self.now,
        )
    }

    /// Keeps `made` under the key, in the transaction that claimed it.
    fn keep<M: KeptAnswer>(&self, conn: &mut DbConn, made: &M) -> diesel::QueryResult<()> {
        let body = made.body();
        idempotency::finish_in(
            conn,
            self.client,
            self.key,
            made.status(),
            made.content_type(),
            &body,
            self.now,
        )?;
        Ok(())
    }
}

/// What one attempt found: the key's state, the answer made when it was
/// fresh, and the work not done when it was not (for the next attempt).
pub type Attempt<M, W> = (Begin, Option<M>, Option<W>);

/// Claims the key and, when it is fresh, runs `work` (the request's writes
/// and its answer) and keeps the answer. `kept_reads`: whether the writes
/// change what pages keep in memory.
pub fn attempt<M, W>(
    conn: &mut DbConn,
    claim: &Claim,
    work: Option<W>,
    kept_reads: bool,
) -> Result<Attempt<M, W>, Undone<M>>
where
    M: KeptAnswer,
    W: FnOnce(&mut DbConn) -> Result<M, Undone<M>>,
{
    write_tx_kept_if(conn, |conn| match (claim.begin_in(conn)?, work) {
        (Begin::Fresh, Some(work)) => {
            let made = work(conn)?;
            claim.keep(conn, &made)?;
            Ok(((Begin::Fresh, Some(made), None), kept_reads))
        }
        (begun, work) => Ok(((begun, None, work), false)),
    })
}
