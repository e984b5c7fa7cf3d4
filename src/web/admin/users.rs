//! Listing users and creating one with an initial password that must be
//! changed at first sign-in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::{Firm, User};
use crate::error::AppResult;
use crate::services::{Invalid, accounts, password};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

pub struct UserLine {
    pub email: String,
    pub name: String,
    pub role_key: &'static str,
    pub firm: String,
    pub active: bool,
    pub must_change: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserLine>,
    firms: Vec<Firm>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    role_error: Option<String>,
    firm_error: Option<String>,
    role: String,
    firm_id: String,
    roles: Vec<(&'static str, &'static str)>,
    action: &'static str,
}

impl UsersPage {
    fn role_selected(&self, value: &str) -> bool {
        self.role == value
    }

    fn firm_selected(&self, id: &i64) -> bool {
        self.firm_id.trim() == id.to_string()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    csrf: String,
    email: String,
    display_name: String,
    role: String,
    firm_id: String,
    password: String,
}

impl HasCsrf for UserForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn lines(users: Vec<(User, Option<String>)>) -> Vec<UserLine> {
    users
        .into_iter()
        .map(|(u, firm)| UserLine {
            role_key: crate::domain::role::Role::parse(&u.role)
                .map_or("role.reporter", |r| r.label_key()),
            email: u.email,
            name: u.display_name,
            firm: firm.unwrap_or_default(),
            active: u.active,
            must_change: u.must_change_password,
        })
        .collect()
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    form: &UserForm,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (users, firms) = crate::db::run(&state.pool, |conn| {
        Ok((accounts::list_users(conn)?, accounts::list_firms(conn)?))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let fields = fields(
        &c.t,
        &[
            ("email", "field.email", FieldKind::Email, &form.email),
            (
                "display_name",
                "field.display_name",
                FieldKind::Text,
                &form.display_name,
            ),
            (
                "password",
                "field.initial_password",
                FieldKind::Password,
                "",
            ),
        ],
        invalid,
    );
    let mut errors = summary(&fields);
    let role_error = invalid.for_field("role").map(|k| c.t.t(k).to_owned());
    let firm_error = invalid.for_field("firm_id").map(|k| c.t.t(k).to_owned());
    if let Some(e) = &role_error {
        errors.push(("role".into(), c.t.t("field.role").to_owned(), e.clone()));
    }
    if let Some(e) = &firm_error {
        errors.push(("firm_id".into(), c.t.t("field.firm").to_owned(), e.clone()));
    }
    let roles = [
        crate::domain::role::Role::Reporter,
        crate::domain::role::Role::Approver,
        crate::domain::role::Role::Analyst,
        crate::domain::role::Role::Admin,
    ]
    .iter()
    .map(|r| (r.as_str(), r.label_key()))
    .collect();
    render(
        status,
        &UsersPage {
            users: lines(users),
            firms,
            fields,
            errors,
            role_error,
            firm_error,
            role: form.role.clone(),
            firm_id: form.firm_id.clone(),
            roles,
            action: paths::ADMIN_USERS,
            c,
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
        &UserForm::default(),
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    let (email, name, role, firm) = (
        form.email.clone(),
        form.display_name.clone(),
        form.role.clone(),
        form.firm_id.clone(),
    );
    let checked = crate::db::run(&state.pool, move |conn| {
        let input = accounts::UserInput {
            email: &email,
            display_name: &name,
            role: &role,
            firm_id: &firm,
        };
        accounts::check_user_input(conn, &input)
    })
    .await?;
    let mut invalid = checked.as_ref().err().cloned().unwrap_or_default();
    if let Err(key) = password::check_policy(&form.password, &form.email) {
        invalid.push("password", key);
    }
    let checked = match checked {
        Ok(checked) if invalid.is_empty() => checked,
        _ => {
            return show(
                &req,
                &state,
                &who,
                &form,
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let typed = form.password.clone();
    let hash = state.run_hashing(move || password::hash(&typed)).await??;
    let now = state.clock.now();
    let actor = who.0.actor();
    let created = crate::db::run(&state.pool, move |conn| {
        accounts::create_user(conn, &actor, &checked, &hash, now)
    })
    .await?;
    match created {
        Ok(_) => Ok(redirect(paths::ADMIN_USERS)),
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
