//! Step-up: the password again, plus a TOTP code when the user has one,
//! before changing a credential. Each attempt is reserved against the
//! user's step-up throttle before the password is hashed (429 while it
//! must wait); the work is in `services::step_up`.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::error::AppResult;
use crate::services::step_up::{self, Attempt};
use crate::services::{password, second_factor};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::SignedIn;
use crate::web::form_rules;
use crate::web::hashing::RETRY_AFTER_SECS;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "account/reauth.html")]
struct ReauthPage {
    c: Chrome,
    next: String,
    totp: bool,
    passkeys: bool,
    error: Option<String>,
    /// The field a rule refused, shown beside it as well.
    error_field: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct ReauthForm {
    csrf: String,
    next: String,
    #[validate(custom(function = "form_rules::typed_password"))]
    password: String,
    #[validate(custom(function = "form_rules::one_time_code"))]
    code: String,
}

/// The form's fields in the order they are shown.
const FIELDS: &[&str] = &["password", "code"];

impl HasCsrf for ReauthForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Only a path of ours: never an absolute URL (no open redirect), never a
/// control character (no split header).
fn safe_next(next: &str) -> String {
    crate::web::language::local_path_or(next, paths::ACCOUNT).to_owned()
}

/// Why the page is shown again.
enum Problem {
    /// A field breaks its rule (too long): nothing was checked (422).
    Invalid(&'static str, Key),
    /// The password or code was wrong (422).
    Failed,
    /// Too many attempts: wait (429).
    Wait(i64),
    /// The hashing queue is full (503).
    Busy,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    next: &str,
    problem: Option<Problem>,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, who);
    let mut error_field = "";
    let (status, error) = match problem {
        None => (StatusCode::OK, None),
        Some(Problem::Invalid(field, key)) => {
            error_field = field;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(c.t.t(key).to_owned()),
            )
        }
        Some(Problem::Failed) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(c.t.t(msg!("err.reauth.failed")).to_owned()),
        ),
        Some(Problem::Wait(seconds)) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(c.t.tn(
                msg!("login.wait"),
                seconds.max(1),
                &[("seconds", &seconds.max(1).to_string())],
            )),
        ),
        Some(Problem::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(c.t.tn(
                msg!("login.busy"),
                RETRY_AFTER_SECS,
                &[("seconds", &RETRY_AFTER_SECS.to_string())],
            )),
        ),
    };
    let totp = who.user.totp_enabled_at.is_some();
    let user_id = who.user.id;
    let passkeys = crate::db::run(&state.pool, move |conn| {
        Ok(second_factor::passkey_count(conn, user_id)? > 0)
    })
    .await?;
    let mut response = render(
        status,
        &ReauthPage {
            c,
            next: safe_next(next),
            totp,
            passkeys,
            error,
            error_field,
        },
    )?;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(RETRY_AFTER_SECS),
        );
    }
    Ok(response)
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    page(&req, &state, &who, &query.next, None).await
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(form): CsrfForm<ReauthForm>,
) -> AppResult<HttpResponse> {
    // A value no password or code can be is refused before an attempt is
    // counted.
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, FIELDS);
        if let Some((field, key)) = invalid.0.first() {
            let problem = Problem::Invalid(field, *key);
            return page(&req, &state, &who, &form.next, Some(problem)).await;
        }
    }
    let ip = crate::web::extract::client_ip(&req);
    let Ok(ticket) = state.hashing.admit(Some(&ip)) else {
        return page(&req, &state, &who, &form.next, Some(Problem::Busy)).await;
    };
    let now = state.clock.now();
    let (actor, user_id, session_id) = (who.actor(), who.user.id, who.session.id);
    let reserving = actor.clone();
    let refused = crate::db::run(&state.pool, move |conn| {
        step_up::begin(conn, &reserving, user_id, now)
    })
    .await?;
    if let Some(wait) = refused {
        let seconds = wait.num_seconds() + 1;
        return page(&req, &state, &who, &form.next, Some(Problem::Wait(seconds))).await;
    }
    let stored = who.user.password_hash.clone().unwrap_or_default();
    let typed = form.password.clone();
    let password_ok = state
        .hashing
        .run_admitted(ticket, move || password::verify(&typed, &stored))
        .await?;
    let needs_code = who.user.totp_enabled_at.is_some();
    let code = form.code.clone();
    let keys = state.keys.clone();
    let ok = crate::db::run(&state.pool, move |conn| {
        let attempt = Attempt {
            user_id,
            session_id,
            password_ok,
            code: needs_code.then_some(code.as_str()),
        };
        step_up::finish(conn, &keys, &actor, &attempt, now)
    })
    .await?;
    if ok {
        Ok(redirect(safe_next(&form.next)))
    } else {
        page(&req, &state, &who, &form.next, Some(Problem::Failed)).await
    }
}
