//! One-time links sent by email (invitations, password resets): issued as
//! a random token whose hash alone is stored, looked up while live, and
//! claimed atomically so a link works once.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::tokens::{hash_token, new_token};
use crate::db::DbConn;
use crate::db::models::User;
use crate::db::schema::{auth_tokens, users};

/// Issues a link token for `user_id`; earlier unused links of the same
/// purpose for that user are voided.
pub fn issue(
    conn: &mut DbConn,
    purpose: &str,
    user_id: i64,
    valid_for: Duration,
    now: NaiveDateTime,
) -> QueryResult<String> {
    diesel::update(
        auth_tokens::table
            .filter(auth_tokens::user_id.eq(user_id))
            .filter(auth_tokens::purpose.eq(purpose))
            .filter(auth_tokens::used_at.is_null()),
    )
    .set(auth_tokens::used_at.eq(now))
    .execute(conn)?;
    let token = new_token();
    diesel::insert_into(auth_tokens::table)
        .values((
            auth_tokens::token_hash.eq(hash_token(&token)),
            auth_tokens::purpose.eq(purpose),
            auth_tokens::user_id.eq(user_id),
            auth_tokens::created_at.eq(now),
            auth_tokens::expires_at.eq(now + valid_for),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The active user behind a live (unused, unexpired) link.
pub fn live_user(
    conn: &mut DbConn,
    token: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    auth_tokens::table
        .inner_join(users::table.on(users::id.nullable().eq(auth_tokens::user_id)))
        .filter(auth_tokens::token_hash.eq(hash_token(token)))
        .filter(auth_tokens::purpose.eq(purpose))
        .filter(auth_tokens::used_at.is_null())
        .filter(auth_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Marks the link used; true for the one caller that claimed it.
pub fn claim(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let claimed = diesel::update(
        auth_tokens::table
            .filter(auth_tokens::token_hash.eq(hash_token(token)))
            .filter(auth_tokens::used_at.is_null()),
    )
    .set(auth_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(claimed == 1)
}
