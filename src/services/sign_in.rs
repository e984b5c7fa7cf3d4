//! Signing in with a password: the attempt is reserved against the
//! throttles before the password is hashed (`throttle::reserve`), the
//! outcome is recorded after, and what was typed as an email reaches the
//! append-only audit trail only when it names an account (otherwise as a
//! hash salted per installation).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Text;
use sha2::{Digest, Sha256};

use super::audit::{self, Action, Event};
use super::second_factor;
use super::sessions::{self, Issued};
use super::throttle::{self, Key, Refusals, Reservation};
use super::tokens::{hex, new_token};
use super::{Actor, accounts};
use crate::db::models::User;
use crate::db::schema::settings;
use crate::db::{DbConn, write_tx_sessions, write_tx_unseen};
use crate::domain::email::EmailAddress;
use crate::error::AppResult;
use crate::mail::{messages, outbox};

/// The settings key of this installation's salt for typed emails.
const EMAIL_SALT: &str = "audit_email_salt";

/// May a sign-in attempt be evaluated?
pub enum Start {
    /// Yes (it is already counted against the throttles): the account the
    /// email names, if any.
    Go(Option<Box<User>>),
    /// No: wait this long.
    Wait(Duration),
}

fn anonymous(ip: &str) -> Actor {
    Actor {
        user_id: None,
        label: "anonymous".to_owned(),
        ip: ip.to_owned(),
    }
}

/// Reserves one attempt for the account typed and the client address, in
/// one transaction, before any hashing. A refusal is counted, and written
/// to the audit trail once per key and window.
pub fn begin(
    conn: &mut DbConn,
    typed_email: &str,
    ip: &str,
    now: NaiveDateTime,
) -> AppResult<Start> {
    let lookup = typed_email.trim().to_lowercase();
    // Throttle counters and the audit trail only: kept reads stay.
    write_tx_unseen(conn, |conn| {
        let user = accounts::find_user_by_email(conn, &lookup)?;
        let keys = [
            Key::Account(typed_email.to_owned()),
            Key::Address(ip.to_owned()),
        ];
        match throttle::reserve(conn, &keys, now)? {
            Reservation::Granted => Ok(Start::Go(user.map(Box::new))),
            Reservation::Refused { wait, report } => {
                if let Some(refusals) = report {
                    let who = match &refusals.key {
                        Key::Address(ip) => ip.clone(),
                        _ => audit_email(conn, typed_email, user.is_some())?,
                    };
                    let object_id = user.as_ref().map(|u| u.id);
                    record_refusals(conn, &anonymous(ip), object_id, &who, &refusals, now)?;
                }
                Ok(Start::Wait(wait))
            }
        }
    })
}

/// One audit row for the refusals of one key in one window.
pub fn record_refusals(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: Option<i64>,
    who: &str,
    refusals: &Refusals,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let detail = format!(
        "{} {}: {} refused since {}",
        refusals.key.kind(),
        who,
        refusals.count,
        refusals.since.format("%Y-%m-%d %H:%M:%S UTC")
    );
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::SignInThrottled,
            object_type: "user",
            object_id: &user_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
            detail: &detail,
        },
    )
}

/// After the password checked out: a new session at the stage the user
/// has reached (the old one, if the browser had any, is dropped: no
/// fixation), the reserved attempts given back, and the audit event.
/// Only dropping an old session changes a session someone may hold; a new
/// one alone makes no kept session stale.
pub fn complete_password(
    conn: &mut DbConn,
    user: &User,
    old_token: Option<&str>,
    ip: &str,
    user_agent: &str,
    now: NaiveDateTime,
) -> AppResult<Issued> {
    let complete = |conn: &mut DbConn| {
        if let Some(old) = old_token {
            sessions::delete(conn, old)?;
        }
        throttle::clear(conn, &Key::Account(user.email.clone()))?;
        throttle::release(conn, &Key::Address(ip.to_owned()))?;
        let stage = second_factor::stage_after_password(conn, user, now.date())?;
        let issued = sessions::create(conn, user.id, stage, ip, user_agent, now)?;
        let actor = Actor {
            user_id: Some(user.id),
            label: user.email.clone(),
            ip: ip.to_owned(),
        };
        audit::record(
            conn,
            now,
            &actor,
            Event {
                action: Action::PasswordAccepted,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: stage.as_str(),
            },
        )?;
        Ok(issued)
    };
    match old_token {
        Some(_) => write_tx_sessions(conn, complete),
        None => write_tx_unseen(conn, complete),
    }
}

/// What someone typed as an email, fit for the audit trail: no control
/// characters (no forged lines), bounded.
fn shown_email(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect()
}

/// This installation's salt for typed emails, made on first use.
fn email_salt(conn: &mut DbConn) -> QueryResult<String> {
    if let Some(salt) = super::settings::get(conn, EMAIL_SALT)? {
        return Ok(salt);
    }
    let salt = new_token();
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(EMAIL_SALT)
        .bind::<Text, _>(&salt)
        .execute(pg)?,
        DbConn::Sqlite(lite) => {
            diesel::sql_query("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)")
                .bind::<Text, _>(EMAIL_SALT)
                .bind::<Text, _>(&salt)
                .execute(lite)?
        }
    };
    // Whoever inserted first, everyone uses the stored one.
    settings::table
        .find(EMAIL_SALT)
        .select(settings::value)
        .first(conn)
}

/// A typed email as the audit trail keeps it: as typed (cleaned) when it
/// names an account; otherwise — often a password typed in the wrong box —
/// only as `unknown:` and a salted SHA-256, so the same string can still
/// be matched across rows by someone who has it.
pub fn audit_email(conn: &mut DbConn, typed: &str, known: bool) -> QueryResult<String> {
    if known {
        return Ok(shown_email(typed));
    }
    let salt = email_salt(conn)?;
    let mut digest = Sha256::new();
    digest.update(salt.as_bytes());
    digest.update([0]);
    digest.update(typed.trim().to_lowercase().as_bytes());
    Ok(format!("unknown:{}", hex(&digest.finalize())))
}

/// Records a failed password (its attempt was already counted by
/// [`begin`]): audited, and the account locked when this failure reaches
/// the limit. Returns true when it locked an account (its holder is told).
pub fn record_failed(
    conn: &mut DbConn,
    typed_email: &str,
    user_id: Option<i64>,
    ip: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    // Audit, throttle and outbox rows only: no kept session or page changes.
    write_tx_unseen(conn, |conn| {
        // The throttle row before the audit head: the order every sign-in
        // transaction takes its locks in (PostgreSQL: no deadlock).
        let locked = throttle::failed(conn, &Key::Account(typed_email.to_owned()), now)?;
        let shown = audit_email(conn, typed_email, user_id.is_some())?;
        let object_id = user_id.map_or_else(|| "-".to_owned(), |id| id.to_string());
        audit::record(
            conn,
            now,
            &anonymous(ip),
            Event {
                action: Action::SignInFailed,
                object_type: "user",
                object_id: &object_id,
                detail: &shown,
            },
        )?;
        if !locked {
            return Ok(false);
        }
        if let Some(user) = accounts::find_user_by_email(conn, &typed_email.trim().to_lowercase())?
            && let Ok(to) = EmailAddress::parse(&user.email)
        {
            let lang = crate::i18n::Lang::parse(&user.locale).unwrap_or(crate::i18n::Lang::En);
            let until = now + throttle::LOCK_FOR;
            outbox::enqueue(conn, &messages::account_locked(&to, lang, until)?, now)?;
        }
        audit::record(
            conn,
            now,
            &Actor::system("throttle"),
            Event {
                action: Action::AccountLocked,
                object_type: "user",
                object_id: &object_id,
                detail: &shown,
            },
        )?;
        Ok(user_id.is_some())
    })
}
