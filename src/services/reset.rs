//! Password reset by email. The answer never says whether an account
//! exists; the link is single-use, lasts 30 minutes and is stored hashed;
//! resetting ends every session and never signs anyone in, so the second
//! factor is still needed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::accounts::find_user_by_email;
use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::throttle::{self, Key, Reservation};
use super::{Actor, links, sessions};
use crate::db::models::User;
use crate::db::schema::users;
use crate::db::{DbConn, write_tx, write_tx_unseen};
use crate::domain::email::EmailAddress;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::mail::{messages, outbox};

pub const PURPOSE: &str = "reset";
pub const VALID_FOR: Duration = Duration::minutes(30);

/// Sends a reset link if an active account with a password has this email;
/// does nothing visible otherwise. Earlier unused links are voided.
pub fn request(
    conn: &mut DbConn,
    typed_email: &str,
    ip: &str,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Ok(email) = EmailAddress::parse(typed_email) else {
        return Ok(());
    };
    // A few requests per address, then doubling waits: the same answer is
    // given, but no more mail goes out until the wait is over.
    // The request is reserved atomically, so parallel requests cannot all
    // pass one check.
    let key = Key::ResetRequest(email.as_str().to_owned());
    let reserved = write_tx_unseen(conn, |conn| throttle::reserve(conn, &[key], now))?;
    if reserved != Reservation::Granted {
        return Ok(());
    }
    let Some(user) = find_user_by_email(conn, email.as_str())? else {
        return Ok(());
    };
    if !user.active || user.password_hash.is_none() {
        return Ok(());
    }
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::En);
    write_tx(conn, |conn| {
        let expires_at = now + VALID_FOR;
        let token = links::issue(conn, PURPOSE, user.id, VALID_FOR, now)?;
        let link = links.password_reset(&token);
        outbox::enqueue(
            conn,
            &messages::password_reset(&email, lang, &link, expires_at)?,
            now,
        )?;
        audit::record(
            conn,
            now,
            &Actor {
                user_id: None,
                label: "anonymous".to_owned(),
                ip: ip.to_owned(),
            },
            Event {
                action: Action::ResetRequested,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: "",
            },
        )?;
        Ok(())
    })
}

/// The user behind a live reset link.
pub fn user_for(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<Option<User>> {
    links::live_user(conn, token, PURPOSE, now)
}

/// Sets the new password through the link (once), ends every session of
/// the user and tells them by email. False if the link is no longer valid.
pub fn complete(
    conn: &mut DbConn,
    token: &str,
    password_hash: &str,
    ip: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    write_tx(conn, |conn| {
        let Some(user) = user_for(conn, token, now)? else {
            return Ok(false);
        };
        if !links::claim(conn, token, now)? {
            return Ok(false);
        }
        diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(false),
                users::password_changed_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        sessions::delete_others(conn, user.id, None)?;
        let email = EmailAddress::parse(&user.email)
            .map_err(|_| crate::error::AppError::Internal("stored email unreadable".into()))?;
        let lang = Lang::parse(&user.locale).unwrap_or(Lang::En);
        outbox::enqueue(conn, &messages::password_changed(&email, lang, now)?, now)?;
        audit::record(
            conn,
            now,
            &Actor {
                user_id: Some(user.id),
                label: user.email.clone(),
                ip: ip.to_owned(),
            },
            Event {
                action: Action::PasswordReset,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: "",
            },
        )?;
        Ok(true)
    })
}
