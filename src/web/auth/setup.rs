//! The one-time setup link through which the first regulator admin sets
//! their email and password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::{Validate, ValidateArgs};

use super::login::signed_in_response;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::services::{Invalid, accounts, password, tokens};
use crate::web::csrf::{CsrfForm, HasCsrf, anonymous_token, with_cookie};
use crate::web::extract::{client_ip, user_agent};
use crate::web::form_rules::{self, PasswordOwner};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths};

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    c: Chrome,
    action: String,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
#[validate(context = PasswordOwner)]
pub struct SetupForm {
    csrf: String,
    #[validate(custom(function = "form_rules::email"))]
    email: String,
    #[validate(custom(function = "form_rules::display_name"))]
    display_name: String,
    #[validate(custom(function = "form_rules::new_password", use_context))]
    password: String,
    #[validate(must_match(other = "password", code = "err.password.mismatch"))]
    password_confirm: String,
}

/// The form's fields in the order they are shown.
const FIELDS: &[&str] = &["email", "display_name", "password", "password_confirm"];

impl HasCsrf for SetupForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn page(
    req: &HttpRequest,
    token: &str,
    form: &SetupForm,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (csrf, cookie) = anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    let fields = fields(
        &c.t,
        &[
            ("email", msg!("field.email"), FieldKind::Email, &form.email),
            (
                "display_name",
                msg!("field.display_name"),
                FieldKind::Text,
                &form.display_name,
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
    let page = SetupPage {
        c,
        action: paths::setup(token),
        fields,
        errors,
    };
    let response = render(status, &page)?;
    with_cookie(response, cookie)
}

async fn live(state: &AppState, token: &str) -> AppResult<bool> {
    if !tokens::looks_like_token(token) {
        return Ok(false);
    }
    let now = state.clock.now();
    let token = token.to_owned();
    crate::db::run(&state.pool, move |conn| {
        accounts::setup_token_is_live(conn, &token, now)
    })
    .await
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    if !live(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    page(
        &req,
        &token,
        &SetupForm::default(),
        &Invalid::default(),
        StatusCode::OK,
    )
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    if !live(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    let owner = PasswordOwner {
        email: form.email.clone(),
    };
    let checked = form
        .validate_with_args(&owner)
        .map_err(|errors| form_rules::invalid(&errors, FIELDS));
    // The form's rules passed, so the service's parse of the same fields does.
    let checked: Result<_, Invalid> = checked.and_then(|()| {
        accounts::check_admin_input(&accounts::AdminInput {
            email: &form.email,
            display_name: &form.display_name,
        })
    });
    let (email, name) = match checked {
        Ok(ok) => ok,
        Err(invalid) => {
            return page(
                &req,
                &token,
                &form,
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let typed = form.password.clone();
    let hash = state.run_hashing(move || password::hash(&typed)).await??;
    let now = state.clock.now();
    let ip = client_ip(&req);
    let agent = user_agent(&req);
    let token = token.into_inner();
    let lang = Lang::from_request(&req);
    let done = crate::db::run(&state.pool, move |conn| {
        let setup = accounts::SetupRequest {
            token: &token,
            email: &email,
            display_name: &name,
            password_hash: &hash,
            ip: &ip,
            user_agent: &agent,
            lang,
        };
        accounts::complete_setup(conn, &setup, now)
    })
    .await?;
    match done {
        Some((_, issued)) => signed_in_response(&issued, paths::ENROL),
        None => Err(AppError::NotFound),
    }
}
