//! First-admin setup, sign-in, password changes, firms and users.

use crate::i18n::Key;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::sessions::{self, Issued, Stage};
use super::tokens::{hash_token, new_token};
use super::{Actor, Invalid, clean_line};
use crate::db::models::{AuthToken, Firm, NewFirm, NewUser, User};
use crate::db::schema::{auth_tokens, firms, sessions as sessions_t, users};
use crate::db::{DbConn, write_tx};
use crate::domain::email::EmailAddress;
use crate::domain::lei::Lei;
use crate::domain::limits;
use crate::domain::registration::RegistrationNo;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::mail::{messages, outbox};

pub const SETUP_PURPOSE: &str = "setup";
pub const SETUP_VALID_FOR: Duration = Duration::hours(24);

pub fn user_count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// On an empty database: a fresh one-time setup link token (earlier unused
/// ones are voided). `None` once any user exists.
pub fn issue_setup_token(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Option<String>> {
    write_tx(conn, |conn| {
        if user_count(conn)? > 0 {
            return Ok(None);
        }
        diesel::update(
            auth_tokens::table
                .filter(auth_tokens::purpose.eq(SETUP_PURPOSE))
                .filter(auth_tokens::used_at.is_null()),
        )
        .set(auth_tokens::used_at.eq(now))
        .execute(conn)?;
        let token = new_token();
        diesel::insert_into(auth_tokens::table)
            .values((
                auth_tokens::token_hash.eq(hash_token(&token)),
                auth_tokens::purpose.eq(SETUP_PURPOSE),
                auth_tokens::created_at.eq(now),
                auth_tokens::expires_at.eq(now + SETUP_VALID_FOR),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            &Actor::system("serve"),
            Event {
                action: Action::SetupLinkIssued,
                object_type: "setup",
                object_id: "-",
                detail: "",
            },
        )?;
        Ok(Some(token))
    })
}

fn live_setup_token(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<AuthToken>> {
    auth_tokens::table
        .filter(auth_tokens::token_hash.eq(hash_token(token)))
        .filter(auth_tokens::purpose.eq(SETUP_PURPOSE))
        .filter(auth_tokens::used_at.is_null())
        .filter(auth_tokens::expires_at.gt(now))
        .select(AuthToken::as_select())
        .first(conn)
        .optional()
}

pub fn setup_token_is_live(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<bool> {
    Ok(live_setup_token(conn, token, now)?.is_some() && user_count(conn)? == 0)
}

pub struct AdminInput<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
}

/// A person's display name: one line, required, at most 100 characters.
pub fn clean_display_name(value: &str) -> Result<String, Key> {
    clean_line(value, limits::DISPLAY_NAME, true)
}

/// A firm's name: one line, required, at most 200 characters.
pub fn clean_firm_name(value: &str) -> Result<String, Key> {
    clean_line(value, limits::FIRM_NAME, true)
}

/// Checks the first admin's fields before the password is hashed.
pub fn check_admin_input(input: &AdminInput<'_>) -> Result<(EmailAddress, String), Invalid> {
    let mut invalid = Invalid::default();
    let email = EmailAddress::parse(input.email).map_err(|e| invalid.push("email", e.key()));
    let name = clean_display_name(input.display_name).map_err(|k| invalid.push("display_name", k));
    match (email, name) {
        (Ok(email), Ok(name)) if invalid.is_empty() => Ok((email, name)),
        _ => Err(invalid),
    }
}

/// The first admin's details, checked, with the password already hashed.
pub struct SetupRequest<'a> {
    pub token: &'a str,
    pub email: &'a EmailAddress,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub ip: &'a str,
    pub lang: crate::i18n::Lang,
    pub user_agent: &'a str,
}

/// Creates the first regulator admin through the setup link and signs them
/// in. `Ok(None)` when the link is no longer valid.
pub fn complete_setup(
    conn: &mut DbConn,
    setup: &SetupRequest<'_>,
    now: NaiveDateTime,
) -> AppResult<Option<(User, Issued)>> {
    let SetupRequest {
        token,
        email,
        display_name,
        password_hash,
        ip,
        user_agent,
        lang,
    } = *setup;
    write_tx(conn, |conn| {
        let Some(link) = live_setup_token(conn, token, now)? else {
            return Ok(None);
        };
        // Claim the link atomically: of two concurrent uses, one wins.
        let claimed = diesel::update(
            auth_tokens::table
                .find(link.id)
                .filter(auth_tokens::used_at.is_null()),
        )
        .set(auth_tokens::used_at.eq(now))
        .execute(conn)?;
        if claimed != 1 || user_count(conn)? > 0 {
            return Ok(None);
        }
        let user_id: i64 = diesel::insert_into(users::table)
            .values(NewUser {
                email: email.as_str(),
                display_name,
                role: Role::Admin,
                firm_id: None,
                password_hash: Some(password_hash),
                must_change_password: false,
                active: true,
                locale: lang.code(),
                created_at: now,
                updated_at: now,
                password_changed_at: Some(now),
            })
            .returning(users::id)
            .get_result(conn)?;
        let user = users::table
            .find(user_id)
            .select(User::as_select())
            .first(conn)?;
        let actor = Actor {
            user_id: Some(user_id),
            label: user.email.clone(),
            ip: ip.to_owned(),
        };
        audit::record(
            conn,
            now,
            &actor,
            Event {
                action: Action::UserCreated,
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: "first admin via setup link",
            },
        )?;
        // No account is usable without a second factor: enrol one next.
        let issued = sessions::create(conn, user_id, Stage::Enrol, ip, user_agent, now)?;
        Ok(Some((user, issued)))
    })
}

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn sign_out(
    conn: &mut DbConn,
    token: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    crate::db::write_tx_sessions(conn, |conn| {
        sessions::delete(conn, token)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::SignOut,
                object_type: "user",
                object_id: &actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
                detail: "",
            },
        )?;
        Ok(())
    })
}

/// Sets a new password, clears the must-change flag and ends the user's
/// other sessions.
pub fn change_password(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    keep_session: i64,
    new_hash: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(new_hash),
                users::must_change_password.eq(false),
                users::password_changed_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        sessions::delete_others(conn, user_id, Some(keep_session))?;
        notify(conn, user_id, now, |to, lang| {
            messages::password_changed(to, lang, now)
        })?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::PasswordChanged,
                object_type: "user",
                object_id: &user_id.to_string(),
                detail: "",
            },
        )?;
        Ok(())
    })
}

pub struct FirmInput<'a> {
    pub name: &'a str,
    pub registration_no: &'a str,
    pub lei: &'a str,
    /// The first reporting month as typed (empty: the current month).
    pub first_period: &'a str,
}

pub fn create_firm(
    conn: &mut DbConn,
    actor: &Actor,
    input: &FirmInput<'_>,
    now: NaiveDateTime,
) -> AppResult<Result<Firm, Invalid>> {
    let mut invalid = Invalid::default();
    let name = clean_firm_name(input.name).map_err(|k| invalid.push("name", k));
    let reg = RegistrationNo::parse(input.registration_no)
        .map_err(|e| invalid.push("registration_no", e.key()));
    let lei = if input.lei.trim().is_empty() {
        Ok(None)
    } else {
        Lei::parse(input.lei)
            .map(Some)
            .map_err(|e| invalid.push("lei", e.key()))
    };
    let first = super::firm_start::parse_first(input.first_period, now)
        .map_err(|k| invalid.push("first_period", k));
    let (Ok(name), Ok(reg), Ok(lei), Ok(first)) = (name, reg, lei, first) else {
        return Ok(Err(invalid));
    };
    write_tx(conn, |conn| {
        let taken: i64 = firms::table
            .filter(firms::registration_no.eq(reg.as_str()))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Ok(Err(Invalid::one(
                "registration_no",
                msg!("err.firm.registration_taken"),
            )));
        }
        if let Some(lei) = &lei {
            let taken: i64 = firms::table
                .filter(firms::lei.eq(lei.as_str()))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Ok(Err(Invalid::one("lei", msg!("err.firm.lei_taken"))));
            }
        }
        let firm = insert_firm(
            conn,
            &name,
            reg.as_str(),
            lei.as_ref().map(Lei::as_str),
            now,
        )?;
        let firm = set_first_period(conn, firm, first)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::FirmCreated,
                object_type: "firm",
                object_id: &firm.id.to_string(),
                detail: &firm.name,
            },
        )?;
        Ok(Ok(firm))
    })
}

/// Inserts a firm row (no checks; callers validate and audit).
pub fn insert_firm(
    conn: &mut DbConn,
    name: &str,
    registration_no: &str,
    lei: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Firm> {
    let id: i64 = diesel::insert_into(firms::table)
        .values(NewFirm {
            name,
            registration_no,
            lei,
            active: true,
            created_at: now,
            first_period: &super::firm_start::default_first(now).to_string(),
        })
        .returning(firms::id)
        .get_result(conn)?;
    firms::table.find(id).select(Firm::as_select()).first(conn)
}

fn set_first_period(
    conn: &mut DbConn,
    firm: Firm,
    first: crate::domain::period::Period,
) -> QueryResult<Firm> {
    let first = first.to_string();
    if firm.first_period == first {
        return Ok(firm);
    }
    diesel::update(firms::table.find(firm.id))
        .set(firms::first_period.eq(&first))
        .execute(conn)?;
    Ok(Firm {
        first_period: first,
        ..firm
    })
}

/// Writes a security notice to the user's email (inside the caller's
/// transaction).
pub fn notify(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
    build: impl FnOnce(&EmailAddress, crate::i18n::Lang) -> AppResult<outbox::Email>,
) -> AppResult<()> {
    let Some(user) = get_user(conn, user_id)? else {
        return Ok(());
    };
    let Ok(to) = EmailAddress::parse(&user.email) else {
        return Ok(());
    };
    let lang = crate::i18n::Lang::parse(&user.locale).unwrap_or(crate::i18n::Lang::En);
    outbox::enqueue(conn, &build(&to, lang)?, now)?;
    Ok(())
}

pub fn get_user(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn get_firm(conn: &mut DbConn, id: i64) -> QueryResult<Option<Firm>> {
    firms::table
        .find(id)
        .select(Firm::as_select())
        .first(conn)
        .optional()
}

pub fn list_firms(conn: &mut DbConn) -> QueryResult<Vec<Firm>> {
    firms::table
        .order(firms::name.asc())
        .select(Firm::as_select())
        .load(conn)
}

pub fn list_users(conn: &mut DbConn) -> QueryResult<Vec<(User, Option<String>)>> {
    users::table
        .left_join(firms::table)
        .order((users::role.asc(), users::email.asc()))
        .select((User::as_select(), firms::name.nullable()))
        .load(conn)
}

pub fn session_count(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    sessions_t::table
        .filter(sessions_t::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

pub fn require_found<T>(value: Option<T>) -> AppResult<T> {
    value.ok_or(AppError::NotFound)
}
