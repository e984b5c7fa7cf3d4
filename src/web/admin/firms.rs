//! Listing and adding firms.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db::models::Firm;
use crate::error::AppResult;
use crate::services::{Invalid, accounts};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/firms.html")]
struct FirmsPage {
    c: Chrome,
    firms: Vec<Firm>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    action: &'static str,
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
    let firms = crate::db::run(&state.pool, |conn| Ok(accounts::list_firms(conn)?)).await?;
    let c = Chrome::signed_in(req, &who.0);
    let fields = fields(
        &c.t,
        &[
            ("name", "field.firm_name", FieldKind::Text, &form.name),
            (
                "registration_no",
                "field.registration_no",
                FieldKind::Text,
                &form.registration_no,
            ),
            ("lei", "field.lei", FieldKind::Text, &form.lei),
        ],
        invalid,
    );
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
    show(
        &req,
        &state,
        &who,
        &FirmForm::default(),
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
    let (name, reg, lei) = (
        form.name.clone(),
        form.registration_no.clone(),
        form.lei.clone(),
    );
    let created = crate::db::run(&state.pool, move |conn| {
        let input = accounts::FirmInput {
            name: &name,
            registration_no: &reg,
            lei: &lei,
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
