//! The user's passkeys: the list, adding one (also from the enrolment page
//! at the end of a first sign-in), renaming and removing. Changes need a
//! recent sign-in.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

use super::enrol::RecoveryCodesPage;
use super::require_recent;
use crate::error::{AppError, AppResult};
use crate::services::passkeys::{self, Refused};
use crate::services::sessions::Stage;
use crate::services::tokens::hash_token;
use crate::web::auth::login::session_cookie;
use crate::web::auth::passkey::{AnswerForm, back, options_json, parse_answer, relying_party};
use crate::web::csrf::{CsrfForm, CsrfOnly, HasCsrf};
use crate::web::extract::{AnySession, SignedIn};
use crate::web::form_rules;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

/// One passkey as the list shows it.
struct Line {
    id: i64,
    name: String,
    /// What the rename field holds: the name, or what was typed.
    typed: String,
    /// The message beside the rename field, when its rename was refused.
    error: Option<String>,
    created: String,
    last_used: Option<String>,
}

/// A refused rename: the passkey, what was typed and the message key.
struct Refusal<'a> {
    id: i64,
    typed: &'a str,
    key: Key,
}

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage {
    c: Chrome,
    lines: Vec<Line>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct NameForm {
    csrf: String,
    #[validate(custom(function = "form_rules::passkey_name"))]
    name: String,
}

impl HasCsrf for NameForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    notice: Option<Key>,
    error: Option<Key>,
    refused: Option<Refusal<'_>>,
) -> AppResult<HttpResponse> {
    let user_id = who.user.id;
    let rows = crate::db::run(&state.pool, move |conn| Ok(passkeys::list(conn, user_id)?)).await?;
    let c = Chrome::signed_in(req, who);
    let error = error.or(refused.as_ref().map(|r| r.key));
    let lines = rows
        .iter()
        .map(|p| {
            let mine = refused.as_ref().filter(|r| r.id == p.id);
            Line {
                id: p.id,
                name: p.name.clone(),
                typed: mine.map_or_else(|| p.name.clone(), |r| r.typed.to_owned()),
                error: mine.map(|r| c.t.t(r.key).to_owned()),
                created: c.when(&p.created_at),
                last_used: p.last_used_at.as_ref().map(|at| c.when(at)),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = PasskeysPage {
        lines,
        notice: notice.map(|k| c.t.t(k).to_owned()),
        error: error.map(|k| c.t.t(k).to_owned()),
        c,
    };
    render(status, &page)
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let notice = match query.done.as_str() {
        "added" => Some(msg!("passkey.done.added")),
        "renamed" => Some(msg!("passkey.done.renamed")),
        "removed" => Some(msg!("passkey.done.removed")),
        _ => None,
    };
    page(&req, &state, &who, notice, None, None).await
}

/// Who may add a passkey: a sign-in that must enrol, or a full session
/// that signed in recently.
fn admitted(state: &AppState, who: &SignedIn) -> Result<(), AppError> {
    match who.stage() {
        Stage::Enrol => Ok(()),
        Stage::SecondFactor => Err(AppError::SecondFactorRequired),
        Stage::Full => require_recent(who, state.clock.now(), paths::PASSKEYS),
    }
}

/// Adding, step 1: the creation options, the challenge kept under the
/// session's hash.
pub async fn register_options(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let who = who.0;
    admitted(&state, &who)?;
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(options_json(&req, Err::<(), _>(why))),
    };
    let (user, key, now) = (who.user.clone(), hash_token(&who.token), state.clock.now());
    let options = crate::db::run(&state.pool, move |conn| {
        passkeys::start_registration(conn, &rp, &user, &key, now)
    })
    .await?;
    Ok(options_json(&req, Ok(options)))
}

/// Adding, step 2: the passkey is stored; a first sign-in becomes full and
/// sees its recovery codes once.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let who = who.0;
    admitted(&state, &who)?;
    let from = match who.stage() {
        Stage::Full => paths::PASSKEYS,
        _ => paths::ENROL,
    };
    // The name is checked first: the ceremony's state is kept for a retry.
    if let Err(errors) = form.validate() {
        let key = form_rules::invalid(&errors, &["name"]).for_field("name");
        return Ok(back(
            from,
            Refused::Name(key.unwrap_or(msg!("passkey.err.name"))),
        ));
    }
    let credential: RegisterPublicKeyCredential = parse_answer(&form.credential)?;
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(why) => return Ok(back(from, why)),
    };
    let mut c = Chrome::signed_in(&req, &who);
    let default_name = c.t.t(msg!("passkey.default_name")).to_owned();
    let (actor, session, key) = (who.actor(), who.session.clone(), hash_token(&who.token));
    let now = state.clock.now();
    let outcome = crate::db::run(&state.pool, move |conn| {
        let naming = (form.name.as_str(), default_name.as_str());
        passkeys::finish_registration(
            conn,
            &rp,
            &actor,
            (&session, &key),
            naming,
            &credential,
            now,
        )
    })
    .await?;
    let registered = match outcome {
        Ok(registered) => registered,
        Err(why) => return Ok(back(from, why)),
    };
    if let Some(issued) = &registered.issued {
        c.csrf = issued.csrf_token.clone();
    }
    let mut response = if registered.recovery_codes.is_empty() {
        redirect(format!("{}?done=added", paths::PASSKEYS))
    } else {
        let next = if from == paths::ENROL {
            paths::HOME
        } else {
            paths::PASSKEYS
        };
        let codes = RecoveryCodesPage {
            c,
            codes: registered.recovery_codes,
            next,
        };
        render(StatusCode::OK, &codes)?
    };
    if let Some(issued) = registered.issued {
        response
            .add_cookie(&session_cookie(&issued))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(response)
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> AppResult<HttpResponse> {
    require_recent(&who, state.clock.now(), paths::PASSKEYS)?;
    let (user_id, id) = (who.user.id, id.into_inner());
    let outcome = match form.validate() {
        Ok(()) => {
            let name = form.name.clone();
            crate::db::run(&state.pool, move |conn| {
                passkeys::rename(conn, user_id, id, &name)
            })
            .await?
        }
        Err(errors) => {
            let key = form_rules::invalid(&errors, &["name"]).for_field("name");
            Err(Refused::Name(key.unwrap_or(msg!("passkey.err.name"))))
        }
    };
    match outcome {
        Ok(()) => Ok(redirect(format!("{}?done=renamed", paths::PASSKEYS))),
        Err(why) => {
            let refused = Refusal {
                id,
                typed: &form.name,
                key: why.key(),
            };
            page(&req, &state, &who, None, None, Some(refused)).await
        }
    }
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    require_recent(&who, now, paths::PASSKEYS)?;
    let (actor, user, session_id) = (who.actor(), who.user.clone(), who.session.id);
    let id = id.into_inner();
    let outcome = crate::db::run(&state.pool, move |conn| {
        passkeys::remove(conn, &actor, &user, session_id, id, now)
    })
    .await?;
    match outcome {
        Ok(()) => Ok(redirect(format!("{}?done=removed", paths::PASSKEYS))),
        Err(why) => page(&req, &state, &who, None, Some(why.key()), None).await,
    }
}

/// A POST route reached by GET goes to the list.
pub async fn back_to_list() -> HttpResponse {
    redirect(paths::PASSKEYS)
}
