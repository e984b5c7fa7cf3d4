//! Changing one's password (forced at first sign-in for accounts created
//! with an initial password).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::{Validate, ValidateArgs};

use crate::error::AppResult;
use crate::services::{Invalid, accounts, password};
use crate::web::account::require_recent;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::SignedIn;
use crate::web::form_rules::{self, PasswordOwner};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    c: Chrome,
    forced: bool,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
#[validate(context = PasswordOwner)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    #[validate(custom(function = "form_rules::new_password", use_context))]
    password: String,
    #[validate(must_match(other = "password", code = "err.password.mismatch"))]
    password_confirm: String,
}

impl HasCsrf for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn page(
    req: &HttpRequest,
    who: &SignedIn,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, who);
    let fields = fields(
        &c.t,
        &[
            (
                "current_password",
                msg!("field.current_password"),
                FieldKind::Password,
                "",
            ),
            (
                "password",
                msg!("field.new_password"),
                FieldKind::Password,
                "",
            ),
            (
                "password_confirm",
                msg!("field.password_confirm"),
                FieldKind::Password,
                "",
            ),
        ],
        invalid,
    );
    let errors = summary(&fields);
    render(
        status,
        &PasswordPage {
            c,
            forced: who.user.must_change_password,
            fields,
            errors,
        },
    )
}

/// A forced change (initial password) needs no step-up; any other does.
fn admitted(state: &AppState, who: &SignedIn) -> AppResult<()> {
    if who.user.must_change_password {
        return Ok(());
    }
    require_recent(who, state.clock.now(), paths::PASSWORD)
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
) -> AppResult<HttpResponse> {
    admitted(&state, &who)?;
    page(&req, &who, &Invalid::default(), StatusCode::OK)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    admitted(&state, &who)?;
    let owner = PasswordOwner {
        email: who.user.email.clone(),
    };
    let mut invalid = match form.validate_with_args(&owner) {
        Ok(()) => Invalid::default(),
        Err(errors) => form_rules::invalid(&errors, &["password", "password_confirm"]),
    };
    // A rule across two fields, the one the form cannot express.
    if invalid.is_empty() && form.password == form.current_password {
        invalid.push("password", msg!("err.password.unchanged"));
    }
    let stored = who.user.password_hash.clone().unwrap_or_default();
    let current = form.current_password.clone();
    let new = form.password.clone();
    let check_new = invalid.is_empty();
    let (current_ok, new_hash) = state
        .run_hashing(move || {
            let ok = password::verify(&current, &stored);
            let hash = if ok && check_new {
                Some(password::hash(&new))
            } else {
                None
            };
            (ok, hash)
        })
        .await?;
    if !current_ok {
        invalid
            .0
            .insert(0, ("current_password", msg!("err.password.wrong")));
    }
    let Some(new_hash) = new_hash.filter(|_| invalid.is_empty()) else {
        return page(&req, &who, &invalid, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let new_hash = new_hash?;
    let now = state.clock.now();
    let actor = who.actor();
    let (user_id, session_id) = (who.user.id, who.session.id);
    crate::db::run(&state.pool, move |conn| {
        accounts::change_password(conn, &actor, user_id, session_id, &new_hash, now)
    })
    .await?;
    Ok(redirect(paths::HOME))
}
