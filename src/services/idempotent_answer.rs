//! A filing API request answered in the same trip to the database as its
//! `Idempotency-Key`'s claim (the draft's `PUT`, which a firm's system
//! sends again and again; `web::api::idempotent::run_inside`).
//!
//! On SQLite the claim, the request's writes and the kept answer are one
//! transaction: one commit instead of three, and the database has one
//! writer at a time whatever the transactions hold. On PostgreSQL they
//! stay three transactions, in one trip: the claim holds the client's
//! turn (its count's row lock), which must not wait on the request's
//! writes, and the request's own transaction ends with its audit row, so
//! the audit trail's head is locked only to that commit.

use std::borrow::Cow;

use chrono::NaiveDateTime;

use super::idempotency::{self, Begin};
use crate::db::{Backend, DbConn, write_tx_kept_if, write_tx_unseen};
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

    /// Keeps `made` under the key with `finish`: `idempotency::finish_in`
    /// in the transaction that claimed it, `idempotency::finish` in one of
    /// its own.
    fn keep<M: KeptAnswer>(
        &self,
        conn: &mut DbConn,
        made: &M,
        finish: Finish,
    ) -> diesel::QueryResult<()> {
        let body = made.body();
        finish(
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

/// `idempotency::finish` or `finish_in`.
type Finish = fn(
    &mut DbConn,
    i64,
    &IdempotencyKey,
    u16,
    &str,
    &str,
    NaiveDateTime,
) -> diesel::QueryResult<idempotency::Finished>;

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
    match conn.backend() {
        Backend::Sqlite => in_one(conn, claim, work, kept_reads),
        Backend::Postgres => in_three(conn, claim, work, kept_reads),
    }
}

/// SQLite: the claim, the writes and the kept answer in one transaction
/// (what pages keep is read again only when the writes ran).
fn in_one<M, W>(
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
            claim.keep(conn, &made, idempotency::finish_in)?;
            Ok(((Begin::Fresh, Some(made), None), kept_reads))
        }
        (begun, work) => Ok(((begun, None, work), false)),
    })
}

/// PostgreSQL: the claim, the writes with the answer, and the kept answer,
/// each in a transaction of its own (see the module's documentation).
fn in_three<M, W>(
    conn: &mut DbConn,
    claim: &Claim,
    work: Option<W>,
    kept_reads: bool,
) -> Result<Attempt<M, W>, Undone<M>>
where
    M: KeptAnswer,
    W: FnOnce(&mut DbConn) -> Result<M, Undone<M>>,
{
    let begun = write_tx_unseen(conn, |conn| claim.begin_in(conn))?;
    let work = match (begun, work) {
        (Begin::Fresh, Some(work)) => work,
        (begun, work) => return Ok((begun, None, work)),
    };
    match write_tx_kept_if(conn, |conn| Ok::<_, Undone<M>>((work(conn)?, kept_reads))) {
        Ok(made) => {
            // Not kept (the database went away just now): the answer is
            // sent all the same, and the key is taken over after a while.
            if let Err(e) = claim.keep(conn, &made, idempotency::finish) {
                tracing::warn!(error = %e, "an idempotency key's answer was not kept");
            }
            Ok((Begin::Fresh, Some(made), None))
        }
        Err(undone) => {
            // Nothing was written: the key is released for a retry.
            let released =
                idempotency::finish(conn, claim.client, claim.key, 500, "", "", claim.now);
            if let Err(e) = released {
                tracing::warn!(error = %e, "an idempotency key was not released");
            }
            Err(undone)
        }
    }
}
