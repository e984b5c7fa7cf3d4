//! Registering a passkey: the creation options (the challenge kept on the
//! server), then the authenticator's answer verified and stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use webauthn_rs::prelude::*;

use super::{
    Outcome, Purpose, Refused, internal, list, parsed, put_state, take_state, user_handle,
};
use crate::db::models::{Session, User};
use crate::db::schema::{passkeys, recovery_codes};
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;
use crate::services::audit::{self, Action, Event};
use crate::services::sessions::{self, Issued, Stage};
use crate::services::{Actor, second_factor};

/// The options for `navigator.credentials.create`: user verification
/// required, the user's passkeys excluded, and discoverable where the
/// authenticator can (so that passkey-only sign-in finds it).
pub fn start_registration(
    conn: &mut DbConn,
    rp: &Webauthn,
    user: &User,
    key: &str,
    now: NaiveDateTime,
) -> AppResult<serde_json::Value> {
    let exclude: Vec<CredentialID> = list(conn, user.id)?
        .iter()
        .filter_map(parsed)
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, state) = rp
        .start_passkey_registration(
            user_handle(user.id),
            &user.email,
            &user.display_name,
            Some(exclude),
        )
        .map_err(internal)?;
    put_state(conn, key, Purpose::Register, Some(user.id), &state, now)?;
    let mut options = serde_json::to_value(options).map_err(internal)?;
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
        selection["residentKey"] = "preferred".into();
    }
    Ok(options)
}

/// A new passkey: on a first sign-in the session becomes full.
pub struct Registered {
    /// Shown once when the user had none.
    pub recovery_codes: Vec<String>,
    pub issued: Option<Issued>,
}

/// Verifies and stores a new passkey under `name` (or the first free
/// "`default_name` with {n}"), audits it, and ends the user's other
/// sessions; a sign-in still enrolling is finished.
pub fn finish_registration(
    conn: &mut DbConn,
    rp: &Webauthn,
    actor: &Actor,
    (session, key): (&Session, &str),
    (name, default_name): (&str, &str),
    credential: &RegisterPublicKeyCredential,
    now: NaiveDateTime,
) -> AppResult<Outcome<Registered>> {
    let name = match super::clean_name(name, false) {
        Ok(name) => name,
        Err(key) => return Ok(Err(Refused::Name(key))),
    };
    let user_id = session.user_id;
    write_tx(conn, |conn| {
        let Some(state) = take_state(conn, key, Purpose::Register, Some(user_id), now)? else {
            return Ok(Err(Refused::Expired));
        };
        let Ok(passkey) = rp.finish_passkey_registration(credential, &state) else {
            return Ok(Err(Refused::Failed));
        };
        let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
        let taken: i64 = passkeys::table
            .filter(passkeys::credential_id.eq(&credential_id))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Ok(Err(Refused::Duplicate));
        }
        let names: Vec<String> = list(conn, user_id)?.into_iter().map(|p| p.name).collect();
        let name = if name.is_empty() {
            (names.len() + 1..)
                .map(|n| crate::i18n::fill(default_name, &[("n", &n.to_string())]))
                .find(|candidate| !names.contains(candidate))
                .unwrap_or_default()
        } else {
            name
        };
        diesel::insert_into(passkeys::table)
            .values((
                passkeys::user_id.eq(user_id),
                passkeys::name.eq(&name),
                passkeys::credential_id.eq(&credential_id),
                passkeys::passkey_json.eq(serde_json::to_string(&passkey).map_err(internal)?),
                passkeys::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Ok(enrolled(conn, actor, session, now)?))
    })
}

/// What adding a factor sets off: the audit event, recovery codes if the
/// user has none, the end of the user's other sessions, and on a first
/// sign-in a full session (like a confirmed TOTP enrolment).
fn enrolled(
    conn: &mut DbConn,
    actor: &Actor,
    session: &Session,
    now: NaiveDateTime,
) -> AppResult<Registered> {
    let user_id = session.user_id;
    crate::services::accounts::notify(conn, user_id, now, |to, lang| {
        crate::mail::messages::factor_changed(
            to,
            lang,
            crate::mail::messages::FactorChange::PasskeyAdded,
            now,
        )
    })?;
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::FactorAdded,
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: "passkey",
        },
    )?;
    let has_codes: i64 = recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let recovery_codes = if has_codes == 0 {
        second_factor::new_recovery_codes(conn, user_id, now)?
    } else {
        vec![]
    };
    sessions::delete_others(conn, user_id, Some(session.id))?;
    let issued = match session.stage {
        Stage::Full => None,
        _ => Some(second_factor::finish(
            conn,
            actor,
            session,
            "passkey enrolment",
            now,
        )?),
    };
    Ok(Registered {
        recovery_codes,
        issued,
    })
}
