//! The second step of signing in: a TOTP code or a recovery code (passkeys
//! sign in from the same page through static/passkey.js).

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::login::signed_in_response;
use crate::error::AppResult;
use crate::services::second_factor::{self, Method, Verified};
use crate::services::sessions::Stage;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::{AnySession, SignedIn};
use crate::web::form_rules;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "auth/verify.html")]
struct VerifyPage {
    c: Chrome,
    totp: bool,
    passkeys: bool,
    error: Option<String>,
    /// Which form the error belongs to: its field shows the message too.
    recovery: bool,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    #[validate(custom(function = "form_rules::one_time_code"))]
    code: String,
}

impl HasCsrf for CodeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    error: Option<(Method, Key)>,
) -> AppResult<HttpResponse> {
    let user = who.user.clone();
    let today = state.clock.now().date();
    let usable = crate::db::run(&state.pool, move |conn| {
        Ok(second_factor::usable(conn, &user, today)?)
    })
    .await?;
    let c = Chrome::pending(req, who);
    let recovery = matches!(error, Some((Method::Recovery, _)));
    let error = error.map(|(_, k)| c.t.t(k).to_owned());
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = VerifyPage {
        totp: usable.totp,
        passkeys: usable.passkeys > 0,
        error,
        recovery,
        c,
    };
    render(status, &page)
}

/// Only a session waiting for its second factor belongs here.
fn misplaced(who: &SignedIn) -> Option<HttpResponse> {
    match who.stage() {
        Stage::SecondFactor => None,
        Stage::Enrol => Some(redirect(paths::ENROL)),
        Stage::Full => Some(redirect(paths::HOME)),
    }
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
) -> AppResult<HttpResponse> {
    if let Some(elsewhere) = misplaced(&who.0) {
        return Ok(elsewhere);
    }
    page(&req, &state, &who.0, None).await
}

async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    form: CodeForm,
    method: Method,
) -> AppResult<HttpResponse> {
    let who = who.0;
    if let Some(elsewhere) = misplaced(&who) {
        return Ok(elsewhere);
    }
    // A code far longer than any is refused before an attempt is counted.
    if let Err(errors) = form.validate() {
        let key = form_rules::invalid(&errors, &["code"]).for_field("code");
        let key = key.unwrap_or(msg!("err.code.wrong"));
        return page(&req, &state, &who, Some((method, key))).await;
    }
    let now = state.clock.now();
    let (actor, session, keys) = (who.actor(), who.session.clone(), state.keys.clone());
    let issued = crate::db::run(&state.pool, move |conn| {
        second_factor::verify(conn, &keys, &actor, &session, method, &form.code, now)
    })
    .await?;
    match issued {
        Verified::Yes(issued) => signed_in_response(&issued, paths::HOME),
        Verified::No => page(&req, &state, &who, Some((method, msg!("err.code.wrong")))).await,
        Verified::Wait(_) => page(&req, &state, &who, Some((method, msg!("err.code.wait")))).await,
        Verified::Ended => Ok(redirect(paths::LOGIN)),
    }
}

pub async fn totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    check(req, state, who, form, Method::Totp).await
}

pub async fn recovery(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    check(req, state, who, form, Method::Recovery).await
}
