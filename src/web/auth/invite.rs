//! Accepting an invitation: choose a password, then enrol a second factor.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::{Validate, ValidateArgs};

use super::login::signed_in_response;
use crate::db::models::User;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::services::{Invalid, invitations, password, tokens};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::{client_ip, user_agent};
use crate::web::form_rules::{self, PasswordOwner};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths};

#[derive(Template)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    c: Chrome,
    email: String,
    action: String,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
#[validate(context = PasswordOwner)]
pub struct ChoosePasswordForm {
    csrf: String,
    #[validate(custom(function = "form_rules::new_password", use_context))]
    pub password: String,
    #[validate(must_match(other = "password", code = "err.password.mismatch"))]
    password_confirm: String,
}

impl HasCsrf for ChoosePasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Checks a chosen password and its confirmation.
pub fn check_new_password(form: &ChoosePasswordForm, email: &str) -> Invalid {
    let owner = PasswordOwner {
        email: email.to_owned(),
    };
    match form.validate_with_args(&owner) {
        Ok(()) => Invalid::default(),
        Err(errors) => form_rules::invalid(&errors, &["password", "password_confirm"]),
    }
}

pub fn choose_password_fields(c: &Chrome, invalid: &Invalid) -> Vec<FieldView> {
    fields(
        &c.t,
        &[
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
    )
}

/// Said when an invitation link was used already, has expired or never
/// existed: a page of its own that offers sign-in.
#[derive(Template)]
#[template(path = "auth/link_used.html")]
struct LinkUsedPage {
    c: Chrome,
    login: &'static str,
}

/// The invitation link is no longer usable: 404 with a page that says so.
fn link_used(req: &HttpRequest) -> AppResult<HttpResponse> {
    let (csrf, cookie) = crate::web::csrf::anonymous_token(req);
    let page = LinkUsedPage {
        c: Chrome::anonymous(req, csrf),
        login: paths::LOGIN,
    };
    crate::web::csrf::with_cookie(render(StatusCode::NOT_FOUND, &page)?, cookie)
}

async fn invited(state: &AppState, token: &str) -> AppResult<Option<User>> {
    if !tokens::looks_like_token(token) {
        return Ok(None);
    }
    let now = state.clock.now();
    let token = token.to_owned();
    let user = crate::db::run(&state.pool, move |conn| {
        Ok(invitations::invited_user(conn, &token, now)?)
    })
    .await?;
    Ok(user)
}

fn page(req: &HttpRequest, user: &User, token: &str, invalid: &Invalid) -> AppResult<HttpResponse> {
    let (csrf, cookie) = crate::web::csrf::anonymous_token(req);
    let c = Chrome::anonymous(req, csrf);
    let fields = choose_password_fields(&c, invalid);
    let errors = summary(&fields);
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = InvitePage {
        email: user.email.clone(),
        action: paths::invitation(token),
        fields,
        errors,
        c,
    };
    crate::web::csrf::with_cookie(render(status, &page)?, cookie)
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match invited(&state, &token).await? {
        Some(user) => page(&req, &user, &token, &Invalid::default()),
        None => link_used(&req),
    }
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    CsrfForm(form): CsrfForm<ChoosePasswordForm>,
) -> AppResult<HttpResponse> {
    let Some(user) = invited(&state, &token).await? else {
        return link_used(&req);
    };
    let invalid = check_new_password(&form, &user.email);
    if !invalid.is_empty() {
        return page(&req, &user, &token, &invalid);
    }
    let typed = form.password.clone();
    let hash = state.run_hashing(move || password::hash(&typed)).await??;
    let now = state.clock.now();
    let (ip, agent, token) = (client_ip(&req), user_agent(&req), token.into_inner());
    let lang = Lang::from_request(&req);
    let issued = crate::db::run(&state.pool, move |conn| {
        invitations::accept(conn, &token, &hash, lang, &ip, &agent, now)
    })
    .await?;
    match issued {
        Some(issued) => signed_in_response(&issued, paths::ENROL),
        None => link_used(&req),
    }
}
