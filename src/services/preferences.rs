//! What a user chooses for themselves: the language of their pages and
//! emails.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Actor;
use super::audit::{self, Action, Event};
use crate::db::schema::users;
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;
use crate::i18n::Lang;

/// Keeps `lang` in the user's profile (pages and emails follow it), with
/// an audit event when it changes.
pub fn set_language(
    conn: &mut DbConn,
    user_id: i64,
    lang: Lang,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let changed = diesel::update(users::table.find(user_id))
            .filter(users::locale.ne(lang.code()))
            .set((users::locale.eq(lang.code()), users::updated_at.eq(now)))
            .execute(conn)?;
        if changed > 0 {
            audit::record(
                conn,
                now,
                actor,
                Event {
                    action: Action::LanguageChanged,
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: lang.code(),
                },
            )?;
        }
        Ok(())
    })
}
