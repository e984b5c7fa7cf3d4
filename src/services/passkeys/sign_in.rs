//! Signing in with a passkey: as the second factor after the password, on
//! its own from the sign-in page (a discoverable credential; with user
//! verification it is phishing-resistant MFA by itself), and for a step-up.
//! Every refusal is audited.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use webauthn_rs::prelude::*;

use super::{Outcome, PasskeyRow, Purpose, Refused, internal, list, parsed, put_state, take_state};
use crate::db::models::{Session, User};
use crate::db::schema::{passkeys, users};
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;
use crate::services::audit::{self, Action, Event};
use crate::services::sessions::{self, Issued, Stage};
use crate::services::{Actor, second_factor};

/// The options for `navigator.credentials.get`. With a user (after the
/// password, or a step-up) only their passkeys are allowed; without one
/// (passkey-only sign-in) the authenticator offers its discoverable
/// credentials for this site.
pub fn start_authentication(
    conn: &mut DbConn,
    rp: &Webauthn,
    key: &str,
    purpose: Purpose,
    user_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Outcome<RequestChallengeResponse>> {
    let options = match user_id {
        Some(id) => {
            let keys: Vec<Passkey> = list(conn, id)?.iter().filter_map(parsed).collect();
            if keys.is_empty() {
                return Ok(Err(Refused::NoPasskeys));
            }
            let (options, state) = rp.start_passkey_authentication(&keys).map_err(internal)?;
            put_state(conn, key, purpose, user_id, &state, now)?;
            options
        }
        None => {
            let (options, state) = rp.start_discoverable_authentication().map_err(internal)?;
            put_state(conn, key, purpose, None, &state, now)?;
            options
        }
    };
    Ok(Ok(options))
}

/// Why an assertion was refused, and whose passkey it claimed to be.
type Failure = (Refused, Option<i64>);

/// Verifies an assertion against the ceremony under `key` (taken back,
/// so never twice); on success the passkey's counter, backup state and
/// last use are updated and its owner returned.
fn authenticate(
    conn: &mut DbConn,
    rp: &Webauthn,
    key: &str,
    purpose: Purpose,
    owner: Option<i64>,
    credential: &PublicKeyCredential,
    now: NaiveDateTime,
) -> QueryResult<Result<i64, Failure>> {
    let credential_id = URL_SAFE_NO_PAD.encode(credential.get_credential_id());
    let row: Option<PasskeyRow> = passkeys::table
        .filter(passkeys::credential_id.eq(&credential_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?;
    let claimed = row.as_ref().map(|r| r.user_id).or(owner);
    let passkey = row.as_ref().and_then(parsed);
    let verified = if owner.is_some() {
        take_state::<PasskeyAuthentication>(conn, key, purpose, owner, now)?
            .map(|state| rp.finish_passkey_authentication(credential, &state).ok())
    } else {
        take_state::<DiscoverableAuthentication>(conn, key, purpose, None, now)?.map(|state| {
            // The user handle the authenticator returns must be the owner's.
            let (handle, _) = rp.identify_discoverable_authentication(credential).ok()?;
            let (row, passkey) = (row.as_ref()?, passkey.as_ref()?);
            (handle == super::user_handle(row.user_id)).then_some(())?;
            rp.finish_discoverable_authentication_v2(credential, state, passkey)
                .ok()
        })
    };
    let Some(verified) = verified else {
        return Ok(Err((Refused::Expired, claimed)));
    };
    let (Some(result), Some(row), Some(mut passkey)) = (verified, row, passkey) else {
        return Ok(Err((Refused::Failed, claimed)));
    };
    if owner.is_some_and(|id| id != row.user_id) || !result.user_verified() {
        return Ok(Err((Refused::Failed, claimed)));
    }
    passkey.update_credential(&result);
    let json = serde_json::to_string(&passkey)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::update(passkeys::table.find(row.id))
        .set((
            passkeys::passkey_json.eq(json),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Ok(row.user_id))
}

/// Records a refusal; the refusal itself is the answer.
fn refused(
    conn: &mut DbConn,
    actor: &Actor,
    (why, user_id): Failure,
    detail: &str,
    now: NaiveDateTime,
) -> QueryResult<Refused> {
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: Action::SecondFactorFailed,
            object_type: "user",
            object_id: &user_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
            detail,
        },
    )?;
    Ok(why)
}

/// The second factor after the password: the pending session becomes full.
pub fn verify_second_factor(
    conn: &mut DbConn,
    rp: &Webauthn,
    actor: &Actor,
    (session, key): (&Session, &str),
    credential: &PublicKeyCredential,
    now: NaiveDateTime,
) -> AppResult<Outcome<Issued>> {
    let owner = Some(session.user_id);
    write_tx(conn, |conn| {
        match authenticate(conn, rp, key, Purpose::Verify, owner, credential, now)? {
            Ok(_) => Ok(Ok(second_factor::finish(
                conn, actor, session, "passkey", now,
            )?)),
            Err(failure) => Ok(Err(refused(conn, actor, failure, "passkey", now)?)),
        }
    })
}

/// Passkey-only sign-in: a full session at once (replacing `old_token`'s
/// session, if any), audited as a sign-in by passkey.
pub fn sign_in(
    conn: &mut DbConn,
    rp: &Webauthn,
    key: &str,
    (ip, user_agent): (&str, &str),
    old_token: Option<&str>,
    credential: &PublicKeyCredential,
    now: NaiveDateTime,
) -> AppResult<Outcome<Issued>> {
    let anonymous = Actor {
        user_id: None,
        label: "anonymous".to_owned(),
        ip: ip.to_owned(),
    };
    write_tx(conn, |conn| {
        let user_id = match authenticate(conn, rp, key, Purpose::Login, None, credential, now)? {
            Ok(id) => id,
            Err(failure) => {
                return Ok(Err(refused(
                    conn,
                    &anonymous,
                    failure,
                    "passkey sign-in",
                    now,
                )?));
            }
        };
        let user: User = users::table
            .find(user_id)
            .select(User::as_select())
            .first(conn)?;
        if !user.active {
            let failure = (Refused::Failed, Some(user_id));
            let detail = "passkey sign-in: account disabled";
            return Ok(Err(refused(conn, &anonymous, failure, detail, now)?));
        }
        if let Some(old) = old_token {
            sessions::delete(conn, old)?;
        }
        let issued = sessions::create(conn, user.id, Stage::Full, ip, user_agent, now)?;
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
                action: Action::SignIn,
                object_type: "user",
                object_id: &user.id.to_string(),
                detail: "passkey",
            },
        )?;
        Ok(Ok(issued))
    })
}

/// A step-up with a passkey instead of the password.
pub fn reauthenticate(
    conn: &mut DbConn,
    rp: &Webauthn,
    actor: &Actor,
    (session, key): (&Session, &str),
    credential: &PublicKeyCredential,
    now: NaiveDateTime,
) -> AppResult<Outcome<()>> {
    let owner = Some(session.user_id);
    write_tx(conn, |conn| {
        let checked = authenticate(conn, rp, key, Purpose::Reauth, owner, credential, now)?;
        if let Err(failure) = checked {
            return Ok(Err(refused(conn, actor, failure, "passkey step-up", now)?));
        }
        sessions::reauthenticated(conn, session.id, now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::Reauthenticated,
                object_type: "user",
                object_id: &session.user_id.to_string(),
                detail: "passkey",
            },
        )?;
        Ok(Ok(()))
    })
}
