//! "Forgot your password?": the request (same answer and the same time
//! whether or not the account exists) and the link that sets a new one.

use crate::i18n::Key;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::invite::{ChoosePasswordForm, check_new_password, choose_password_fields};
use crate::db::models::User;
use crate::error::{AppError, AppResult};
use crate::services::{Invalid, password, reset, tokens};
use crate::web::csrf::{CsrfForm, HasCsrf, anonymous_token, with_cookie};
use crate::web::extract::client_ip;
use crate::web::form_rules;
use crate::web::view::{Chrome, FieldView, render, summary};
use crate::web::{AppState, paths, redirect};

/// Every answer to a reset request takes at least this long.
const ANSWER_AFTER: Duration = Duration::from_millis(400);

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    c: Chrome,
    sent: bool,
    email: String,
    email_error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    c: Chrome,
    action: String,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct ForgotForm {
    csrf: String,
    #[validate(custom(function = "form_rules::email"))]
    email: String,
}

impl HasCsrf for ForgotForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The request form, or (`sent`) the same answer whether or not the
/// account exists; a typed address that is no address at all comes back
/// with its message (`invalid`, 422), whoever's it might be.
fn forgot_page(
    req: &HttpRequest,
    sent: bool,
    email: String,
    invalid: Option<Key>,
) -> AppResult<HttpResponse> {
    let (csrf, cookie) = anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    let status = match invalid {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = ForgotPage {
        email_error: invalid.map(|k| c.t.t(k).to_owned()),
        c,
        sent,
        email,
    };
    with_cookie(render(status, &page)?, cookie)
}

pub async fn forgot_form(req: HttpRequest) -> AppResult<HttpResponse> {
    forgot_page(&req, false, String::new(), None)
}

pub async fn forgot_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, &["email"]);
        return forgot_page(&req, false, form.email, invalid.for_field("email"));
    }
    let started = Instant::now();
    let now = state.clock.now();
    let (ip, base) = (client_ip(&req), state.mail_links());
    let result = crate::db::run(&state.pool, move |conn| {
        reset::request(conn, &form.email, &ip, &base, now)
    })
    .await;
    // The same time whether or not the account exists (or anything failed).
    if let Some(rest) = ANSWER_AFTER.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    if let Err(error) = result {
        tracing::error!(%error, "password reset request failed");
    }
    forgot_page(&req, true, String::new(), None)
}

async fn reset_user(state: &AppState, token: &str) -> AppResult<User> {
    if !tokens::looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let token = token.to_owned();
    crate::db::run(&state.pool, move |conn| {
        Ok(reset::user_for(conn, &token, now)?)
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn reset_page(req: &HttpRequest, token: &str, invalid: &Invalid) -> AppResult<HttpResponse> {
    let (csrf, cookie) = anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    let fields = choose_password_fields(&c, invalid);
    let errors = summary(&fields);
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_cookie(
        render(
            status,
            &ResetPage {
                c,
                action: paths::password_reset(token),
                fields,
                errors,
            },
        )?,
        cookie,
    )
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    reset_user(&state, &token).await?;
    reset_page(&req, &token, &Invalid::default())
}

pub async fn reset_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    CsrfForm(form): CsrfForm<ChoosePasswordForm>,
) -> AppResult<HttpResponse> {
    let user = reset_user(&state, &token).await?;
    let invalid = check_new_password(&form, &user.email);
    if !invalid.is_empty() {
        return reset_page(&req, &token, &invalid);
    }
    let typed = form.password.clone();
    let hash = state.run_hashing(move || password::hash(&typed)).await??;
    let now = state.clock.now();
    let (ip, token) = (client_ip(&req), token.into_inner());
    let done = crate::db::run(&state.pool, move |conn| {
        reset::complete(conn, &token, &hash, &ip, now)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    // Never signed in here: the second factor is still required.
    Ok(redirect(format!("{}?reset=1", paths::LOGIN)))
}
