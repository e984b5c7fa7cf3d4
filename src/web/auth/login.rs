//! The sign-in form, sign-in and sign-out.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::services::sessions::{Issued, Stage};
use crate::services::{accounts, password};
use crate::web::csrf::{CsrfForm, HasCsrf, anonymous_token, with_cookie};
use crate::web::extract::{
    AnySession, SESSION_COOKIE, SignedIn, client_ip, session_token, user_agent,
};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    message: Option<String>,
    reset_done: bool,
}

/// Why the sign-in form is shown again.
enum Outcome {
    Fresh,
    Failed,
    Wait(i64),
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

impl HasCsrf for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn login_page(req: &HttpRequest, email: String, outcome: Outcome) -> AppResult<HttpResponse> {
    let (csrf, cookie) = anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    let (status, message) = match outcome {
        Outcome::Fresh => (StatusCode::OK, None),
        Outcome::Failed => (
            StatusCode::UNAUTHORIZED,
            Some(c.t.t("login.failed").to_owned()),
        ),
        Outcome::Wait(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(c.t.tf("login.wait", &[("seconds", &seconds.max(1).to_string())])),
        ),
    };
    let reset_done = req.query_string() == "reset=1";
    let page = LoginPage {
        c,
        email,
        message,
        reset_done,
    };
    let response = render(status, &page)?;
    with_cookie(response, cookie)
}

pub async fn form(req: HttpRequest) -> AppResult<HttpResponse> {
    if SignedIn::extract_quietly(&req).await.is_some() {
        return Ok(redirect(paths::HOME));
    }
    login_page(&req, String::new(), Outcome::Fresh)
}

/// The session cookie: host-only, HTTPS-only, invisible to scripts, never
/// sent on cross-site requests.
pub fn session_cookie(issued: &Issued) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, issued.token.clone())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// Where a session goes next, by the stage its sign-in reached.
pub fn next_step(stage: Stage) -> &'static str {
    match stage {
        Stage::SecondFactor => paths::LOGIN_VERIFY,
        Stage::Enrol => paths::ENROL,
        Stage::Full => paths::HOME,
    }
}

pub fn signed_in_response(issued: &Issued, to: &str) -> AppResult<HttpResponse> {
    let mut response = redirect(to);
    response
        .add_cookie(&session_cookie(issued))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let email = form.email.trim().to_lowercase();
    let lookup = email.clone();
    let ip = client_ip(&req);
    let now = state.clock.now();
    let waiting_ip = ip.clone();
    let (user, wait) = crate::db::run(&state.pool, move |conn| {
        let wait = accounts::sign_in_wait(conn, &lookup, &waiting_ip, now)?;
        Ok((accounts::find_user_by_email(conn, &lookup)?, wait))
    })
    .await?;
    if wait > chrono::Duration::zero() {
        // Refused before the password is even checked.
        return login_page(&req, form.email, Outcome::Wait(wait.num_seconds() + 1));
    }
    // The same argon2 work whether or not the account exists.
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let typed = form.password;
    let verified = state
        .run_hashing(move || match stored {
            Some(hash) => password::verify(&typed, &hash),
            None => {
                password::verify_dummy(&typed);
                false
            }
        })
        .await?;
    let known_id = user.as_ref().map(|u| u.id);
    match user.filter(|_| verified) {
        Some(user) => {
            let agent = user_agent(&req);
            let old = session_token(&req);
            let issued = crate::db::run(&state.pool, move |conn| {
                accounts::complete_password(conn, &user, old.as_deref(), &ip, &agent, now)
            })
            .await?;
            signed_in_response(&issued, next_step(issued.stage))
        }
        None => {
            let typed_email = form.email.clone();
            crate::db::run(&state.pool, move |conn| {
                accounts::record_failed_sign_in(conn, &typed_email, known_id, &ip, now)
            })
            .await?;
            login_page(&req, form.email, Outcome::Failed)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogoutForm {
    csrf: String,
}

impl HasCsrf for LogoutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    who: AnySession,
    CsrfForm(_form): CsrfForm<LogoutForm>,
) -> AppResult<HttpResponse> {
    let who = who.0;
    let now = state.clock.now();
    let actor = who.actor();
    let token = who.token.clone();
    crate::db::run(&state.pool, move |conn| {
        accounts::sign_out(conn, &token, &actor, now)
    })
    .await?;
    let mut response = redirect(paths::LOGIN);
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .secure(true)
        .http_only(true)
        .finish();
    gone.make_removal();
    response
        .add_cookie(&gone)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}
