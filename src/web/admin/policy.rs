//! The sign-in policy: whether regulator staff may use an authenticator
//! app (TOTP), and until when firms may.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::AppResult;
use crate::services::{Invalid, policy};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage {
    c: Chrome,
    staff_totp: bool,
    firms_until: String,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PolicyForm {
    csrf: String,
    staff_totp: String,
    firms_until: String,
}

impl HasCsrf for PolicyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let current = crate::db::run(&state.pool, |conn| Ok(policy::current(conn)?)).await?;
    let c = Chrome::signed_in(&req, &who.0);
    let page = PolicyPage {
        c,
        staff_totp: current.staff_totp,
        firms_until: current
            .firms_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        error: None,
        saved: query.saved == "1",
    };
    render(StatusCode::OK, &page)
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<PolicyForm>,
) -> AppResult<HttpResponse> {
    let typed = form.firms_until.trim().to_owned();
    let until = if typed.is_empty() {
        Ok(None)
    } else {
        NaiveDate::parse_from_str(&typed, "%Y-%m-%d").map(Some)
    };
    let Ok(until) = until else {
        let c = Chrome::signed_in(&req, &who.0);
        let error = Some(c.t.t(msg!("err.date.invalid")).to_owned());
        let page = PolicyPage {
            c,
            staff_totp: form.staff_totp == "allowed",
            firms_until: typed,
            error,
            saved: false,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let wanted = policy::Policy {
        staff_totp: form.staff_totp == "allowed",
        firms_until: until,
    };
    let now = state.clock.now();
    let actor = who.0.actor();
    let _: Result<(), Invalid> = crate::db::run(&state.pool, move |conn| {
        policy::save(conn, &actor, &wanted, now).map(Ok)
    })
    .await?;
    Ok(redirect(format!("{}?saved=1", paths::ADMIN_POLICY)))
}
