//! Listing and adding firms, and the regulator's single-user exemption
//! from four eyes (a decision per firm, audited, dated).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db::models::Firm;
use crate::error::AppError;
use crate::error::AppResult;
use crate::services::{Invalid, accounts, four_eyes};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/firms.html")]
struct FirmsPage {
    c: Chrome,
    firms: Vec<FirmLine>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    action: &'static str,
}

/// A firm as the list shows it, with its exemption and the form that
/// changes it.
pub struct FirmLine {
    pub firm: Firm,
    pub exemption: Option<String>,
    pub exemption_action: String,
    /// Whether a legal hold is in force, and its page.
    pub held: bool,
    pub legal_hold: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExemptionForm {
    csrf: String,
    exempt: String,
}

impl HasCsrf for ExemptionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct FirmForm {
    csrf: String,
    #[validate(custom(function = "form_rules::firm_name"))]
    name: String,
    #[validate(custom(function = "form_rules::registration_no"))]
    registration_no: String,
    #[validate(custom(function = "form_rules::lei"))]
    lei: String,
    first_period: String,
}

impl HasCsrf for FirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    form: &FirmForm,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let firms = crate::db::run(&state.pool, |conn| {
        let mut exempt = four_eyes::exemptions(conn)?;
        let held = crate::services::legal_holds::held_firms(conn)?;
        Ok(accounts::list_firms(conn)?
            .into_iter()
            .map(|firm| {
                let decided = exempt.remove(&firm.id);
                let on_hold = held.contains(&firm.id);
                (firm, decided, on_hold)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let firms = firms
        .into_iter()
        .map(|(firm, exempt, held)| FirmLine {
            exemption: exempt.map(|d| c.t.tf(msg!("four_eyes.exempt"), &[("date", &c.date(&d))])),
            exemption_action: paths::admin_firm_exemption(firm.id),
            held,
            legal_hold: paths::admin_firm_legal_hold(firm.id),
            firm,
        })
        .collect();
    let fields = fields(
        &c.t,
        &[
            ("name", msg!("field.firm_name"), FieldKind::Text, &form.name),
            (
                "registration_no",
                msg!("field.registration_no"),
                FieldKind::Text,
                &form.registration_no,
            ),
            ("lei", msg!("field.lei"), FieldKind::Text, &form.lei),
            (
                "first_period",
                msg!("field.first_period"),
                FieldKind::Text,
                &form.first_period,
            ),
        ],
        invalid,
    );
    let fields = super::firm_start::with_month_hint(&c, fields);
    let errors = summary(&fields);
    render(
        status,
        &FirmsPage {
            c,
            firms,
            fields,
            errors,
            action: paths::ADMIN_FIRMS,
        },
    )
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
) -> AppResult<HttpResponse> {
    let form = FirmForm {
        first_period: crate::services::firm_start::default_first(state.clock.now()).to_string(),
        ..FirmForm::default()
    };
    show(
        &req,
        &state,
        &who,
        &form,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<FirmForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, &["name", "registration_no", "lei"]);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return show(&req, &state, &who, &form, &invalid, status).await;
    }
    let now = state.clock.now();
    let actor = who.0.actor();
    let (name, reg, lei, first) = (
        form.name.clone(),
        form.registration_no.clone(),
        form.lei.clone(),
        form.first_period.clone(),
    );
    let created = crate::db::run(&state.pool, move |conn| {
        let input = accounts::FirmInput {
            name: &name,
            registration_no: &reg,
            lei: &lei,
            first_period: &first,
        };
        accounts::create_firm(conn, &actor, &input, now)
    })
    .await?;
    match created {
        Ok(_) => Ok(redirect(paths::ADMIN_FIRMS)),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who,
                &form,
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A regulator admin grants or withdraws a firm's single-user exemption.
pub async fn set_exemption(
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ExemptionForm>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    // Only "yes" grants and only "no" withdraws; anything else changes
    // nothing (it used to withdraw).
    let exempt = match form.exempt.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let now = state.clock.now();
    // Weakening a control: the same recent re-check as disabling a user.
    crate::web::account::require_recent(&who.0, now, paths::ADMIN_FIRMS)?;
    let actor = who.0.actor();
    crate::db::run(&state.pool, move |conn| {
        four_eyes::set_exemption(conn, &actor, id, exempt, now)
    })
    .await?;
    Ok(redirect(paths::ADMIN_FIRMS))
}
