//! Who the workflow emails go to, and the submission receipt (written to
//! the outbox inside the submitting transaction).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{User, Version};
use crate::db::schema::{firms, users};
use crate::domain::Role;
use crate::domain::amendment::Amendment;
use crate::domain::email::EmailAddress;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail::outbox::{self, Email};
use crate::mail::workflow_messages;

/// Active users of `firm_id` with one of `roles`, in a stable order.
pub fn firm_users(conn: &mut DbConn, firm_id: i64, roles: &[Role]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::firm_id.eq(firm_id))
        .filter(users::active.eq(true))
        .filter(users::role.eq_any(roles.to_vec()))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)
}

/// Active regulator staff (analysts and admins).
pub fn staff_users(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::firm_id.is_null())
        .filter(users::active.eq(true))
        .filter(users::role.eq_any([Role::Analyst, Role::Admin]))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)
}

/// Who is told of a firm's message: the active staff among `following`
/// (user ids); when none is, the active analysts; when there is no
/// analyst, all active staff.
pub fn following_or_analysts(conn: &mut DbConn, following: &[i64]) -> QueryResult<Vec<User>> {
    let following: Vec<User> = users::table
        .filter(users::firm_id.is_null())
        .filter(users::active.eq(true))
        .filter(users::role.eq_any([Role::Analyst, Role::Admin]))
        .filter(users::id.eq_any(following))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)?;
    if !following.is_empty() {
        return Ok(following);
    }
    let analysts: Vec<User> = users::table
        .filter(users::firm_id.is_null())
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Analyst))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)?;
    if !analysts.is_empty() {
        return Ok(analysts);
    }
    staff_users(conn)
}

pub fn firm_name(conn: &mut DbConn, firm_id: i64) -> QueryResult<String> {
    firms::table.find(firm_id).select(firms::name).first(conn)
}

/// The user's address and language; `None` for an address that no longer
/// parses (never expected: addresses are checked when stored).
pub fn address(user: &User) -> Option<(EmailAddress, Lang)> {
    let to = EmailAddress::parse(&user.email).ok()?;
    Some((to, Lang::parse(&user.locale).unwrap_or(Lang::En)))
}

/// Builds one message per user (each in their language) and writes them to
/// the outbox; returns how many.
pub fn send_each<F>(
    conn: &mut DbConn,
    recipients: &[User],
    now: NaiveDateTime,
    build: F,
) -> AppResult<usize>
where
    F: Fn(&EmailAddress, Lang) -> AppResult<Email>,
{
    let mut sent = 0;
    for user in recipients {
        let Some((to, lang)) = address(user) else {
            tracing::warn!(user_id = user.id, "stored address unreadable; no email");
            continue;
        };
        outbox::enqueue(conn, &build(&to, lang)?, now).map_err(AppError::from)?;
        sent += 1;
    }
    Ok(sent)
}

/// Enqueues the receipt of `version` to its submitter and the firm's
/// active approvers (each once). Call inside the submitting transaction.
pub fn receipt_emails(
    conn: &mut DbConn,
    version: &Version,
    amendment: Option<&Amendment>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut recipients = firm_users(conn, version.firm_id, &[Role::Approver])?;
    let submitter = match version.submitted_by {
        Some(id) => users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    if let Some(s) = &submitter
        && s.active
        && !recipients.iter().any(|u| u.id == s.id)
    {
        recipients.push(s.clone());
    }
    let firm = firm_name(conn, version.firm_id)?;
    let by = submitter.map_or_else(String::new, |s| s.display_name);
    send_each(conn, &recipients, now, |to, lang| {
        workflow_messages::receipt(to, lang, &firm, version, amendment, &by)
    })
}
