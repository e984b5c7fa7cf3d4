//! Invitations: an admin invites regulator staff and any firm's users; an
//! approver invites the users of their own firm. The link is single-use,
//! expires after 72 hours and is stored hashed; accepting it sets a
//! password and leads to enrolling a second factor.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::accounts::{clean_display_name, find_user_by_email, get_firm};
use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::sessions::{self, Issued, Stage};
use super::{Actor, Invalid, links};
use crate::db::models::{NewUser, User};
use crate::db::schema::users;
use crate::db::{DbConn, write_tx};
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::mail::{messages, outbox};

pub const PURPOSE: &str = "invite";
pub const VALID_FOR: Duration = Duration::hours(72);

pub struct InviteInput<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub firm_id: &'a str,
}

/// Whom `inviter` may invite: admins anyone; approvers their own firm's
/// reporters and approvers; nobody else.
pub fn may_invite(inviter: &User, role: Role, firm_id: Option<i64>) -> bool {
    match inviter.role {
        Role::Admin => true,
        Role::Approver => role.is_firm() && firm_id.is_some() && firm_id == inviter.firm_id,
        _ => false,
    }
}

/// Whether an invitation for `role` (as typed) leaves out the firm that
/// role needs: an admin chooses it, an approver's is always their own.
/// For showing this beside the other mistakes of a form; `invite` checks
/// the firm itself.
pub fn firm_missing(inviter: &User, role: &str, firm_id: &str) -> bool {
    inviter.role != Role::Approver
        && Role::from_input(role).is_some_and(|r| r.is_firm())
        && firm_id.trim().is_empty()
}

/// Invites a new user and writes the email in the same transaction.
pub fn invite(
    conn: &mut DbConn,
    actor: &Actor,
    inviter: &User,
    input: &InviteInput<'_>,
    links: &MailLinks,
    now: NaiveDateTime,
) -> AppResult<Result<User, Invalid>> {
    let mut invalid = Invalid::default();
    let email = EmailAddress::parse(input.email).map_err(|e| invalid.push("email", e.key()));
    let name = clean_display_name(input.display_name).map_err(|k| invalid.push("display_name", k));
    let role =
        Role::from_input(input.role).ok_or_else(|| invalid.push("role", msg!("err.role.invalid")));
    // An approver's invitations are always for their own firm.
    let typed_firm = if inviter.role == Role::Approver {
        inviter.firm_id
    } else {
        input.firm_id.trim().parse::<i64>().ok()
    };
    let firm_id = match &role {
        Ok(role) if role.is_firm() => match typed_firm {
            Some(id) if get_firm(conn, id)?.is_some() => Ok(Some(id)),
            _ => {
                invalid.push("firm_id", msg!("err.firm.required"));
                Err(())
            }
        },
        _ => Ok(None),
    };
    if let Ok(email) = &email
        && find_user_by_email(conn, email.as_str())?.is_some()
    {
        invalid.push("email", msg!("err.email.taken"));
    }
    let (Ok(email), Ok(name), Ok(role), Ok(firm_id)) = (email, name, role, firm_id) else {
        return Ok(Err(invalid));
    };
    if !invalid.is_empty() {
        return Ok(Err(invalid));
    }
    if !may_invite(inviter, role, firm_id) {
        return Ok(Err(Invalid::one("role", msg!("err.invite.not_allowed"))));
    }
    let firm_name = match firm_id {
        Some(id) => get_firm(conn, id)?.map(|f| f.name),
        None => None,
    };
    let lang = Lang::parse(&inviter.locale).unwrap_or(Lang::En);
    write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(users::table)
            .values(NewUser {
                email: email.as_str(),
                display_name: &name,
                role,
                firm_id,
                password_hash: None,
                must_change_password: false,
                active: true,
                locale: lang.code(),
                created_at: now,
                updated_at: now,
                password_changed_at: None,
            })
            .returning(users::id)
            .get_result(conn)?;
        let expires_at = now + VALID_FOR;
        let token = links::issue(conn, PURPOSE, id, VALID_FOR, now)?;
        let link = links.invitation(&token);
        let message = messages::invitation(
            &email,
            lang,
            &link,
            &inviter.display_name,
            firm_name.as_deref(),
            expires_at,
        )?;
        outbox::enqueue(conn, &message, now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::UserInvited,
                object_type: "user",
                object_id: &id.to_string(),
                detail: &format!("{} {}", role.as_str(), email.as_str()),
            },
        )?;
        Ok(Ok(users::table
            .find(id)
            .select(User::as_select())
            .first(conn)?))
    })
}

/// The invited user behind a live link, if any.
pub fn invited_user(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    links::live_user(conn, token, PURPOSE, now)
}

/// Accepts an invitation: claims the link (once), sets the password and
/// starts a sign-in that must enrol a second factor. `None` if the link is
/// no longer valid.
pub fn accept(
    conn: &mut DbConn,
    token: &str,
    password_hash: &str,
    lang: Lang,
    ip: &str,
    user_agent: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Issued>> {
    write_tx(conn, |conn| {
        let Some(user) = invited_user(conn, token, now)? else {
            return Ok(None);
        };
        if !links::claim(conn, token, now)? {
            return Ok(None);
        }
        diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(now),
                // The language they set their password in becomes theirs.
                users::locale.eq(lang.code()),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
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
                action: Action::InvitationAccepted,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: "",
            },
        )?;
        Ok(Some(sessions::create(
            conn,
            user.id,
            Stage::Enrol,
            ip,
            user_agent,
            now,
        )?))
    })
}

/// Disables (or re-enables) a user: their sessions end at once.
pub fn set_active(
    conn: &mut DbConn,
    actor: &Actor,
    target: &User,
    active: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        diesel::update(users::table.find(target.id))
            .set((users::active.eq(active), users::updated_at.eq(now)))
            .execute(conn)?;
        if !active {
            sessions::delete_others(conn, target.id, None)?;
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: if active {
                    Action::UserEnabled
                } else {
                    Action::UserDisabled
                },
                object_type: "user",
                object_id: &target.id.to_string(),
                detail: &target.email,
            },
        )?;
        Ok(())
    })
}
