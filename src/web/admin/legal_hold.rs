//! A firm's legal hold, on its own admin page: shown, placed with a reason
//! and lifted (CSRF-checked, audited). While it is in force, the retention
//! purge leaves the firm's data alone.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::Firm;
use crate::error::{AppError, AppResult};
use crate::services::{Invalid, accounts, legal_holds};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/legal_hold.html")]
struct LegalHoldPage {
    c: Chrome,
    firm: Firm,
    /// The hold in force, as a sentence, and its reason.
    hold: Option<(String, String)>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    /// Why lifting was refused (the hold was lifted already).
    lift_error: Option<String>,
    action: String,
    lift_action: String,
    back: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HoldForm {
    csrf: String,
    reason: String,
}

impl HasCsrf for HoldForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LiftForm {
    csrf: String,
}

impl HasCsrf for LiftForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A hold in force as pages show it: since when and by whom, and why.
pub fn described(c: &Chrome, hold: legal_holds::Hold) -> (String, String) {
    let since = c.t.tf(
        msg!("legal_hold.since"),
        &[("when", &c.when(&hold.placed_at)), ("who", &hold.placed_by)],
    );
    (since, hold.reason)
}

fn firm_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    typed: &str,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (firm, hold) = crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, id)?)?;
        Ok((firm, legal_holds::in_force(conn, id)?))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let hold = hold.map(|h| described(&c, h));
    let fields = fields(
        &c.t,
        &[(
            "reason",
            msg!("legal_hold.reason"),
            FieldKind::Multiline,
            typed,
        )],
        invalid,
    );
    let errors = summary(&fields);
    let lift_error = invalid.for_field("lift").map(|k| c.t.t(k).to_owned());
    render(
        status,
        &LegalHoldPage {
            c,
            action: paths::admin_firm_legal_hold(firm.id),
            lift_action: paths::admin_firm_legal_hold_lift(firm.id),
            firm,
            hold,
            fields,
            errors,
            lift_error,
            back: paths::ADMIN_FIRMS,
        },
    )
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = firm_id(&id)?;
    show(
        &req,
        &state,
        &who,
        id,
        "",
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn place(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<HoldForm>,
) -> AppResult<HttpResponse> {
    let id = firm_id(&id)?;
    let (now, actor, reason) = (state.clock.now(), who.0.actor(), form.reason.clone());
    let placed = crate::db::run(&state.pool, move |conn| {
        legal_holds::place(conn, &actor, id, &reason, now)
    })
    .await?;
    match placed {
        Ok(()) => Ok(redirect(paths::admin_firm_legal_hold(id))),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who,
                id,
                &form.reason,
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn lift(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<LiftForm>,
) -> AppResult<HttpResponse> {
    let id = firm_id(&id)?;
    let (now, actor) = (state.clock.now(), who.0.actor());
    let lifted = crate::db::run(&state.pool, move |conn| {
        legal_holds::lift(conn, &actor, id, now)
    })
    .await?;
    match lifted {
        Ok(()) => Ok(redirect(paths::admin_firm_legal_hold(id))),
        Err(invalid) => show(&req, &state, &who, id, "", &invalid, StatusCode::CONFLICT).await,
    }
}

/// A GET of the lift action (a reload after posting): the hold's page.
pub async fn back_to_page(id: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(redirect(paths::admin_firm_legal_hold(firm_id(&id)?)))
}
