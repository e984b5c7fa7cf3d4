//! Enrolling a second factor: at the end of a first sign-in (no account is
//! usable without one), or later from the account page after a step-up.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::require_recent;
use crate::error::{AppError, AppResult};
use crate::services::second_factor;
use crate::services::sessions::Stage;
use crate::services::totp;
use crate::web::auth::login::session_cookie;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::{AnySession, SignedIn};
use crate::web::form_rules;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "account/enrol.html")]
struct EnrolPage {
    c: Chrome,
    first: bool,
    totp_allowed: bool,
    totp_enabled: bool,
    secret: String,
    secret_grouped: String,
    uri: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub c: Chrome,
    pub codes: Vec<String>,
    pub next: &'static str,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct EnrolForm {
    csrf: String,
    #[validate(custom(function = "form_rules::one_time_code"))]
    code: String,
}

impl HasCsrf for EnrolForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Who may be here: a sign-in that must enrol, or a full session that
/// signed in recently. A sign-in still owing its second factor may not.
fn admitted(state: &AppState, who: &SignedIn) -> Result<(), AppError> {
    match who.stage() {
        Stage::Enrol => Ok(()),
        Stage::SecondFactor => Err(AppError::SecondFactorRequired),
        Stage::Full => require_recent(who, state.clock.now(), paths::ENROL),
    }
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    error: Option<Key>,
) -> AppResult<HttpResponse> {
    let user = who.user.clone();
    let today = state.clock.now().date();
    let keys = state.keys.clone();
    let (allowed, secret) = crate::db::run(&state.pool, move |conn| {
        let allowed = second_factor::totp_allowed(conn, &user, today)?;
        let secret = if allowed && user.totp_enabled_at.is_none() {
            second_factor::pending_totp_secret(conn, &keys, &user)?
        } else {
            String::new()
        };
        Ok((allowed, secret))
    })
    .await?;
    let uri = if secret.is_empty() {
        String::new()
    } else {
        totp::otpauth_uri(&secret, &who.user.email)?
    };
    let first = who.stage() == Stage::Enrol;
    let c = if first {
        Chrome::pending(req, who)
    } else {
        Chrome::signed_in(req, who)
    };
    let error = error.map(|k| c.t.t(k).to_owned());
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let secret_grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    render(
        status,
        &EnrolPage {
            first,
            totp_allowed: allowed,
            totp_enabled: who.user.totp_enabled_at.is_some(),
            secret,
            secret_grouped,
            uri,
            error,
            c,
        },
    )
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
) -> AppResult<HttpResponse> {
    admitted(&state, &who.0)?;
    page(&req, &state, &who.0, None).await
}

pub async fn confirm_totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(form): CsrfForm<EnrolForm>,
) -> AppResult<HttpResponse> {
    let who = who.0;
    admitted(&state, &who)?;
    let now = state.clock.now();
    let user = who.user.clone();
    if !crate::db::run(&state.pool, move |conn| {
        Ok(second_factor::totp_allowed(conn, &user, now.date())?)
    })
    .await?
    {
        return Err(AppError::Forbidden);
    }
    if let Err(errors) = form.validate() {
        let key = form_rules::invalid(&errors, &["code"]).for_field("code");
        return page(
            &req,
            &state,
            &who,
            Some(key.unwrap_or(msg!("err.code.wrong"))),
        )
        .await;
    }
    let (actor, session, keys) = (who.actor(), who.session.clone(), state.keys.clone());
    let enrolled = crate::db::run(&state.pool, move |conn| {
        second_factor::confirm_totp(conn, &keys, &actor, &session, &form.code, now)
    })
    .await?;
    let Some(enrolled) = enrolled else {
        return page(&req, &state, &who, Some(msg!("err.code.wrong"))).await;
    };
    let mut c = Chrome::signed_in(&req, &who);
    if let Some(issued) = &enrolled.issued {
        c.csrf = issued.csrf_token.clone();
    }
    let codes = RecoveryCodesPage {
        c,
        codes: enrolled.recovery_codes,
        next: paths::HOME,
    };
    let mut response = if codes.codes.is_empty() {
        redirect(paths::ACCOUNT)
    } else {
        render(StatusCode::OK, &codes)?
    };
    if let Some(issued) = enrolled.issued {
        response
            .add_cookie(&session_cookie(&issued))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(response)
}
