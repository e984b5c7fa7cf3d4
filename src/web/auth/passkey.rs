//! Passkey sign-in: after the password, on its own from the sign-in page,
//! and for a step-up. Each is two POSTs from static/passkey.js: the options
//! (JSON, challenge kept on the server) and then the authenticator's answer
//! as a normal form; a refusal goes back to the page with `?passkey=why`,
//! which the script shows.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{PublicKeyCredential, Webauthn};

use super::login::signed_in_response;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::services::passkeys::{self, Outcome, Purpose, Refused};
use crate::services::sessions::Stage;
use crate::services::tokens::{hash_token, looks_like_token};
use crate::web::csrf::{CSRF_COOKIE, CsrfForm, CsrfOnly, HasCsrf};
use crate::web::extract::{AnySession, SignedIn, client_ip, session_token, user_agent};
use crate::web::{AppState, paths, redirect};

/// The authenticator's answer (JSON, base64url fields) as the script posts
/// it, with the passkey's name (registration) or where to go (step-up).
#[derive(Deserialize, Default, validator::Validate)]
#[serde(default)]
pub struct AnswerForm {
    csrf: String,
    pub credential: String,
    /// Checked only when a passkey is added (the other ceremonies send none).
    #[validate(custom(function = "crate::web::form_rules::passkey_name_optional"))]
    pub name: String,
    pub next: String,
}

impl HasCsrf for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The relying party for this portal's public URL.
pub fn relying_party(state: &AppState) -> Outcome<Arc<Webauthn>> {
    passkeys::relying_party(
        &state.config.public_url,
        Tr::new(Lang::En).t(msg!("app.name")),
    )
}

/// The options for the script, or the message it shows instead. A refusal
/// is a 200 with `error`: the error pages replace any 4xx body.
pub fn options_json(req: &HttpRequest, outcome: Outcome<impl Serialize>) -> HttpResponse {
    match outcome {
        Ok(options) => HttpResponse::Ok().json(options),
        Err(why) => {
            let t = Tr::new(Lang::from_request(req));
            HttpResponse::Ok().json(serde_json::json!({
                "error": t.t(why.key()),
                "reason": why.reason(),
            }))
        }
    }
}

/// The authenticator's answer; a malformed one is a bad request.
pub fn parse_answer<T: DeserializeOwned>(json: &str) -> AppResult<T> {
    serde_json::from_str(json).map_err(|_| AppError::BadRequest(msg!("passkey.err.bad_response")))
}

/// Back to the page the ceremony started on, saying why it failed.
pub fn back(path: &str, why: Refused) -> HttpResponse {
    let sep = if path.contains('?') { '&' } else { '?' };
    redirect(format!("{path}{sep}passkey={}", why.reason()))
}

fn csrf_cookie(req: &HttpRequest) -> AppResult<String> {
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| looks_like_token(t))
        .ok_or(AppError::Csrf)
}

/// Passkey-only sign-in, step 1: a challenge for any passkey of this site,
/// kept under the hash of the pre-sign-in CSRF cookie.
pub async fn login_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let key = hash_token(&csrf_cookie(&req)?);
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(options_json(&req, Err::<(), _>(why))),
    };
    let now = state.clock.now();
    let outcome = crate::db::run(&state.pool, move |conn| {
        passkeys::start_authentication(conn, &rp, &key, Purpose::Login, None, now)
    })
    .await?;
    Ok(options_json(&req, outcome))
}

/// Passkey-only sign-in, step 2: a full session at once.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let key = hash_token(&csrf_cookie(&req)?);
    let credential: PublicKeyCredential = parse_answer(&form.credential)?;
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(back(paths::LOGIN, why)),
    };
    let (now, ip, agent) = (state.clock.now(), client_ip(&req), user_agent(&req));
    let old = session_token(&req);
    let outcome = crate::db::run(&state.pool, move |conn| {
        let client = (ip.as_str(), agent.as_str());
        passkeys::sign_in(conn, &rp, &key, client, old.as_deref(), &credential, now)
    })
    .await?;
    match outcome {
        Ok(issued) => signed_in_response(&issued, paths::HOME),
        Err(why) => Ok(back(paths::LOGIN, why)),
    }
}

/// Only a sign-in waiting for its second factor verifies one.
fn misplaced(who: &SignedIn) -> Option<HttpResponse> {
    match who.stage() {
        Stage::SecondFactor => None,
        Stage::Enrol => Some(redirect(paths::ENROL)),
        Stage::Full => Some(redirect(paths::HOME)),
    }
}

/// A challenge for the user's own passkeys, under the session's hash.
async fn options_for(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    purpose: Purpose,
) -> AppResult<HttpResponse> {
    let rp = match relying_party(state) {
        Ok(rp) => rp,
        Err(why) => return Ok(options_json(req, Err::<(), _>(why))),
    };
    let (key, user_id, now) = (hash_token(&who.token), who.user.id, state.clock.now());
    let outcome = crate::db::run(&state.pool, move |conn| {
        passkeys::start_authentication(conn, &rp, &key, purpose, Some(user_id), now)
    })
    .await?;
    Ok(options_json(req, outcome))
}

/// After the password, step 1.
pub async fn verify_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    match misplaced(&who.0) {
        Some(elsewhere) => Ok(elsewhere),
        None => options_for(&req, &state, &who.0, Purpose::Verify).await,
    }
}

/// After the password, step 2: the pending session becomes full.
pub async fn verify(
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let who = who.0;
    if let Some(elsewhere) = misplaced(&who) {
        return Ok(elsewhere);
    }
    let credential: PublicKeyCredential = parse_answer(&form.credential)?;
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(back(paths::LOGIN_VERIFY, why)),
    };
    let (actor, session, key) = (who.actor(), who.session.clone(), hash_token(&who.token));
    let now = state.clock.now();
    let outcome = crate::db::run(&state.pool, move |conn| {
        let ceremony = (&session, key.as_str());
        passkeys::verify_second_factor(conn, &rp, &actor, ceremony, &credential, now)
    })
    .await?;
    match outcome {
        Ok(issued) => signed_in_response(&issued, paths::HOME),
        Err(why) => Ok(back(paths::LOGIN_VERIFY, why)),
    }
}

/// Step-up, step 1.
pub async fn reauth_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    options_for(&req, &state, &who, Purpose::Reauth).await
}

/// Only a path of ours: never an absolute URL (no open redirect).
fn safe_next(next: &str) -> &str {
    crate::web::language::local_path_or(next, paths::ACCOUNT)
}

/// Step-up, step 2: the session counts as freshly signed in.
pub async fn reauth(
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let next = safe_next(&form.next).to_owned();
    let credential: PublicKeyCredential = parse_answer(&form.credential)?;
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(back(&paths::reauth(&next), why)),
    };
    let (actor, session, key) = (who.actor(), who.session.clone(), hash_token(&who.token));
    let now = state.clock.now();
    let outcome = crate::db::run(&state.pool, move |conn| {
        let ceremony = (&session, key.as_str());
        passkeys::reauthenticate(conn, &rp, &actor, ceremony, &credential, now)
    })
    .await?;
    match outcome {
        Ok(()) => Ok(redirect(next)),
        Err(why) => Ok(back(&paths::reauth(&next), why)),
    }
}
