//! The sign-in form, sign-in and sign-out. A sign-in takes a place in the
//! hashing queue first (none left: 503 at once, nothing written), then
//! reserves its attempt against the throttles (refused: 429), and only
//! then is the password hashed.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::error::{AppError, AppResult};
use crate::services::sessions::{Issued, Stage};
use crate::services::sign_in::{self, Start};
use crate::services::{Invalid, accounts, password};
use crate::web::auth::device;
use crate::web::csrf::{CsrfForm, HasCsrf, anonymous_token, with_cookie};
use crate::web::extract::{
    AnySession, SESSION_COOKIE, SignedIn, client_ip, session_token, user_agent,
};
use crate::web::form_rules;
use crate::web::hashing::{Busy, RETRY_AFTER_SECS};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    message: Option<String>,
    reset_done: bool,
    email_error: Option<String>,
    password_error: Option<String>,
}

/// Why the sign-in form is shown again.
enum Outcome {
    Fresh,
    /// A field breaks its rule (too long): nothing was checked (422).
    Invalid(Invalid),
    Failed,
    Wait(i64),
    /// The hashing queue is full: come back shortly.
    Busy,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    #[validate(custom(function = "form_rules::typed_email"))]
    email: String,
    #[validate(custom(function = "form_rules::typed_password"))]
    password: String,
}

/// The form's fields in the order they are shown.
const FIELDS: &[&str] = &["email", "password"];

impl HasCsrf for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn login_page(req: &HttpRequest, email: String, outcome: Outcome) -> AppResult<HttpResponse> {
    let (csrf, cookie) = anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    // How long to wait, for the `Retry-After` of a 429 or a 503.
    let retry_after = match &outcome {
        Outcome::Busy => Some(i64::from(RETRY_AFTER_SECS)),
        Outcome::Wait(seconds) => Some((*seconds).max(1)),
        _ => None,
    };
    let mut invalid = Invalid::default();
    let (status, message) = match outcome {
        Outcome::Fresh => (StatusCode::OK, None),
        Outcome::Invalid(found) => {
            invalid = found;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(c.t.t(msg!("form.errors_title")).to_owned()),
            )
        }
        Outcome::Failed => (
            StatusCode::UNAUTHORIZED,
            Some(c.t.t(msg!("login.failed")).to_owned()),
        ),
        Outcome::Wait(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(c.t.tn(
                msg!("login.wait"),
                seconds.max(1),
                &[("seconds", &seconds.max(1).to_string())],
            )),
        ),
        Outcome::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(c.t.tn(
                msg!("login.busy"),
                RETRY_AFTER_SECS,
                &[("seconds", &RETRY_AFTER_SECS.to_string())],
            )),
        ),
    };
    let reset_done = req.query_string() == "reset=1";
    let beside = |field| invalid.for_field(field).map(|k| c.t.t(k).to_owned());
    let (email_error, password_error) = (beside("email"), beside("password"));
    let page = LoginPage {
        c,
        email,
        message,
        reset_done,
        email_error,
        password_error,
    };
    let mut response = render(status, &page)?;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(seconds),
        );
    }
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
    // A value no account can have is refused before anything is counted.
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, FIELDS);
        return login_page(&req, form.email, Outcome::Invalid(invalid));
    }
    let ip = client_ip(&req);
    // A place in the hashing queue before anything else: a flood is
    // refused here, with no hash and no row written.
    let lane = device::lane(&req, &state.keys, &form.email);
    let ticket = match state.hashing.admit_in(Some(&ip), lane) {
        Ok(ticket) => ticket,
        Err(Busy::Full | Busy::Address) => {
            return login_page(&req, form.email, Outcome::Busy);
        }
    };
    let now = state.clock.now();
    let (typed_email, waiting_ip) = (form.email.clone(), ip.clone());
    let start = crate::db::run(&state.pool, move |conn| {
        sign_in::begin(conn, &typed_email, &waiting_ip, now)
    })
    .await?;
    let user = match start {
        Start::Go(user) => user,
        // Refused before the password is even checked.
        Start::Wait(wait) => {
            return login_page(&req, form.email, Outcome::Wait(wait.num_seconds() + 1));
        }
    };
    // The same argon2 work whether or not the account exists.
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let typed = form.password;
    let verified = state
        .hashing
        .run_admitted(ticket, move || match stored {
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
                sign_in::complete_password(conn, &user, old.as_deref(), &ip, &agent, now)
            })
            .await?;
            let mut response = signed_in_response(&issued, next_step(issued.stage))?;
            response
                .add_cookie(&device::cookie(&state.keys, &form.email))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(response)
        }
        None => {
            let typed_email = form.email.clone();
            crate::db::run(&state.pool, move |conn| {
                sign_in::record_failed(conn, &typed_email, known_id, &ip, now)
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
