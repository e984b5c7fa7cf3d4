//! Server-side sessions: the cookie holds a random token, the database its
//! hash. Sessions end after 30 idle minutes or 12 hours, and on sign-out.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::tokens::{hash_token, new_token};
use crate::db::DbConn;
use crate::db::models::{NewSession, Session, User};
use crate::db::schema::{sessions, users};

pub const IDLE: Duration = Duration::minutes(30);
pub const ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often, so reads stay reads.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A new session's secrets; the token goes in the cookie only.
pub struct Issued {
    pub token: String,
    pub csrf_token: String,
}

pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    ip: &str,
    user_agent: &str,
    now: NaiveDateTime,
) -> QueryResult<Issued> {
    let token = new_token();
    let csrf_token = new_token();
    let user_agent: String = user_agent.chars().take(200).collect();
    diesel::insert_into(sessions::table)
        .values(NewSession {
            token_hash: &hash_token(&token),
            user_id,
            csrf_token: &csrf_token,
            created_at: now,
            last_seen_at: now,
            authenticated_at: now,
            ip,
            user_agent: &user_agent,
        })
        .execute(conn)?;
    Ok(Issued { token, csrf_token })
}

/// The live session and its active user, or `None` (unknown, expired, or
/// the user disabled). Expired sessions are deleted on sight.
pub fn lookup(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(Session, User)>> {
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(hash_token(token)))
        .select((Session::as_select(), User::as_select()))
        .first::<(Session, User)>(conn)
        .optional()?;
    let Some((session, user)) = found else {
        return Ok(None);
    };
    let expired = now - session.last_seen_at > IDLE || now - session.created_at > ABSOLUTE;
    if expired || !user.active {
        diesel::delete(sessions::table.find(session.id)).execute(conn)?;
        return Ok(None);
    }
    if now - session.last_seen_at > TOUCH_EVERY {
        diesel::update(sessions::table.find(session.id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some((session, user)))
}

pub fn delete(conn: &mut DbConn, token: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(hash_token(token)))).execute(conn)
}

/// Ends every session of a user except `keep` (a session id).
pub fn delete_others(conn: &mut DbConn, user_id: i64, keep: Option<i64>) -> QueryResult<usize> {
    let mut query = diesel::delete(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(keep));
    }
    query.execute(conn)
}
