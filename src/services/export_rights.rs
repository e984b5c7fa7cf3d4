//! Who may extract what: exporting is a right an admin grants per staff
//! user (admins hold it by their role), and contact details need a right
//! of their own whoever asks. The right is read afresh for each export
//! (a revoked right takes effect at once); pages offering exports read it
//! with the session's user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Actor;
use super::audit::{self, Action, Event};
use crate::db::schema::users;
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::amendment::ExportRight;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;

/// What a user may do with exports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub export: bool,
    pub contacts: bool,
}

impl Grant {
    /// What `right` gives a user of `role` (firm users never export).
    pub fn of(role: Role, right: ExportRight) -> Grant {
        if !matches!(role, Role::Analyst | Role::Admin) {
            return Grant::default();
        }
        Grant {
            export: role == Role::Admin || right != ExportRight::None,
            contacts: right == ExportRight::ExportContacts,
        }
    }
}

/// The user's grant as it stands in the database now.
pub fn current(conn: &mut DbConn, user_id: i64) -> QueryResult<Grant> {
    let (role, right): (Role, ExportRight) = users::table
        .find(user_id)
        .select((users::role, users::export_right))
        .first(conn)?;
    Ok(Grant::of(role, right))
}

/// An admin sets `target`'s right (audited, with the right before and
/// after). Only staff may hold one: a firm user is refused with a message.
pub fn set(
    conn: &mut DbConn,
    actor: &Actor,
    target: i64,
    right: ExportRight,
    now: NaiveDateTime,
) -> AppResult<Result<(), Key>> {
    write_tx(conn, |conn| {
        let Some((role, email, before)) = users::table
            .find(target)
            .select((users::role, users::email, users::export_right))
            .first::<(Role, String, ExportRight)>(conn)
            .optional()?
        else {
            return Err(AppError::NotFound);
        };
        if !matches!(role, Role::Analyst | Role::Admin) {
            return Ok(Err(msg!("err.extract.staff_only")));
        }
        if before == right {
            return Ok(Ok(()));
        }
        diesel::update(users::table.find(target))
            .set((users::export_right.eq(right), users::updated_at.eq(now)))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ExportRightChanged,
                object_type: "user",
                object_id: &target.to_string(),
                detail: &format!("{email}: {before} -> {right}"),
            },
        )?;
        Ok(Ok(()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_export_by_role_and_contacts_need_the_right() {
        let admin = Grant::of(Role::Admin, ExportRight::None);
        assert!(admin.export && !admin.contacts);
        assert_eq!(
            Grant::of(Role::Analyst, ExportRight::None),
            Grant::default()
        );
        let analyst = Grant::of(Role::Analyst, ExportRight::ExportContacts);
        assert!(analyst.export && analyst.contacts);
        assert_eq!(
            Grant::of(Role::Approver, ExportRight::ExportContacts),
            Grant::default()
        );
    }
}
