//! A firm's first reporting month, on its own admin page: shown, and
//! changed by an admin (CSRF-checked, audited). No month before it is
//! expected of the firm.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::ValidateArgs;

use crate::db::models::Firm;
use crate::error::{AppError, AppResult};
use crate::services::{Invalid, accounts, firm_start};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules::{self, Today};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/firm_start.html")]
struct FirmStartPage {
    c: Chrome,
    firm: Firm,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    action: String,
    back: &'static str,
}

#[derive(Deserialize, Default, validator::Validate)]
#[serde(default)]
#[validate(context = Today)]
pub struct FirstPeriodForm {
    csrf: String,
    #[validate(custom(function = "form_rules::first_period", use_context))]
    first_period: String,
}

impl HasCsrf for FirstPeriodForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The month field's hint (`YYYY-MM`, empty for the current month).
pub fn with_month_hint(c: &Chrome, mut fields: Vec<FieldView>) -> Vec<FieldView> {
    for f in fields.iter_mut().filter(|f| f.name == "first_period") {
        f.hint = Some(c.t.t(msg!("firms.first_period_hint")).to_owned());
    }
    fields
}

fn firm_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    typed: Option<&str>,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let firm = crate::db::run(&state.pool, move |conn| {
        accounts::require_found(accounts::get_firm(conn, id)?)
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let value = typed.unwrap_or(&firm.first_period).to_owned();
    let fields = with_month_hint(
        &c,
        fields(
            &c.t,
            &[(
                "first_period",
                msg!("field.first_period"),
                FieldKind::Text,
                &value,
            )],
            invalid,
        ),
    );
    let errors = summary(&fields);
    render(
        status,
        &FirmStartPage {
            c,
            action: paths::admin_firm_first_period(firm.id),
            firm,
            fields,
            errors,
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
        None,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<FirstPeriodForm>,
) -> AppResult<HttpResponse> {
    let id = firm_id(&id)?;
    let (now, actor, typed) = (state.clock.now(), who.0.actor(), form.first_period.clone());
    let saved = match form.validate_with_args(&Today(now)) {
        Ok(()) => {
            crate::db::run(&state.pool, move |conn| {
                firm_start::set_first(conn, &actor, id, &typed, now)
            })
            .await?
        }
        Err(errors) => Err(form_rules::invalid(&errors, &["first_period"])),
    };
    match saved {
        Ok(_) => Ok(redirect(paths::ADMIN_FIRMS)),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who,
                id,
                Some(&form.first_period),
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
