//! Step-up: the password again, plus a TOTP code when the user has one,
//! before changing a credential.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppResult;
use crate::services::audit::{self, Action, Event};
use crate::services::{password, second_factor, sessions};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::SignedIn;
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
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReauthForm {
    csrf: String,
    next: String,
    password: String,
    code: String,
}

impl HasCsrf for ReauthForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Only a path of ours: never an absolute URL (no open redirect).
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if ok {
        next.to_owned()
    } else {
        paths::ACCOUNT.to_owned()
    }
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    next: &str,
    error: Option<&str>,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, who);
    let error = error.map(|k| c.t.t(k).to_owned());
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let totp = who.user.totp_enabled_at.is_some();
    let user_id = who.user.id;
    let passkeys = crate::db::run(&state.pool, move |conn| {
        Ok(second_factor::passkey_count(conn, user_id)? > 0)
    })
    .await?;
    render(
        status,
        &ReauthPage {
            c,
            next: safe_next(next),
            totp,
            passkeys,
            error,
        },
    )
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
    let stored = who.user.password_hash.clone().unwrap_or_default();
    let typed = form.password.clone();
    let password_ok = state
        .run_hashing(move || password::verify(&typed, &stored))
        .await?;
    let now = state.clock.now();
    let (actor, user_id, session_id) = (who.actor(), who.user.id, who.session.id);
    let needs_code = who.user.totp_enabled_at.is_some();
    let code = form.code.clone();
    let keys = state.keys.clone();
    let ok = crate::db::run(&state.pool, move |conn| {
        crate::db::write_tx(conn, |conn| {
            let code_ok =
                !needs_code || second_factor::accept_totp(conn, &keys, user_id, &code, now, true)?;
            let ok = password_ok && code_ok;
            if ok {
                sessions::reauthenticated(conn, session_id, now)?;
            }
            audit::record(
                conn,
                now,
                &actor,
                Event {
                    action: if ok {
                        Action::Reauthenticated
                    } else {
                        Action::SecondFactorFailed
                    },
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: "step-up",
                },
            )?;
            Ok(ok)
        })
    })
    .await?;
    if ok {
        Ok(redirect(safe_next(&form.next)))
    } else {
        page(&req, &state, &who, &form.next, Some("err.reauth.failed")).await
    }
}
