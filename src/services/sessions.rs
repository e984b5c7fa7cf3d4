//! Server-side sessions: the cookie holds a random token, the database its
//! hash. A session starts at the stage the user reached (password checked,
//! second factor still due; or second factor still to enrol) and becomes
//! full only after the second factor, under a new token. Sessions end after
//! 30 idle minutes or 12 hours (15 minutes for an unfinished sign-in), and
//! on sign-out.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::tokens::{hash_token, new_token};
use crate::db::DbConn;
use crate::db::models::{NewSession, Session, User};
use crate::db::schema::{sessions, users};

pub const IDLE: Duration = Duration::minutes(30);
pub const ABSOLUTE: Duration = Duration::hours(12);
/// An unfinished sign-in (second factor due, or to enrol) lasts this long.
pub const PENDING: Duration = Duration::minutes(15);
/// `last_seen_at` is written at most this often, so reads stay reads.
const TOUCH_EVERY: Duration = Duration::seconds(60);

pub use crate::domain::stage::Stage;

/// A new session's secrets; the token goes in the cookie only.
pub struct Issued {
    pub token: String,
    pub csrf_token: String,
    pub stage: Stage,
}

pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    stage: Stage,
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
            stage,
            second_factor_at: (stage == Stage::Full).then_some(now),
        })
        .execute(conn)?;
    Ok(Issued {
        token,
        csrf_token,
        stage,
    })
}

/// Finishes a sign-in: the pending session is replaced by a full one under
/// a new token (no session fixation across the privilege change).
pub fn promote(conn: &mut DbConn, pending: &Session, now: NaiveDateTime) -> QueryResult<Issued> {
    diesel::delete(sessions::table.find(pending.id)).execute(conn)?;
    create(
        conn,
        pending.user_id,
        Stage::Full,
        &pending.ip,
        &pending.user_agent,
        now,
    )
}

/// Records a fresh re-authentication (step-up) on a full session.
pub fn reauthenticated(
    conn: &mut DbConn,
    session_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::authenticated_at.eq(now))
        .execute(conn)
}

/// Whether a session found for a cookie still counts: not idle too long,
/// not past its lifetime, its user active.
pub fn is_live(session: &Session, user: &User, now: NaiveDateTime) -> bool {
    let lifetime = match session.stage {
        Stage::Full => ABSOLUTE,
        _ => PENDING,
    };
    let expired = now - session.last_seen_at > IDLE || now - session.created_at > lifetime;
    user.active && !expired
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
    if !is_live(&session, &user, now) {
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

pub fn delete_by_id(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
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

/// A user's full sessions, most recent first (the "your sessions" page).
pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::stage.eq(Stage::Full.as_str()))
        .order(sessions::last_seen_at.desc())
        .select(Session::as_select())
        .load(conn)
}
