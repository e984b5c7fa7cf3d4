//! API clients' pages: a firm's approvers list and register their firm's
//! clients (`/firm/api-clients`); admins see every client and register the
//! regulator's own (`/admin/api-clients`); each client has a page of its
//! own (`client`). Reporters and analysts see none of it. Registering a
//! client and adding a key need a recent sign-in (the step-up); when it is
//! too old, the form comes back with what was typed and a link to sign in
//! again in another tab, so nothing is lost.

pub mod client;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::account::STEP_UP_WINDOW;
use super::csrf::{CsrfForm, HasCsrf};
use super::extract::{Admin, FirmApprover, SignedIn};
use super::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use super::{AppState, paths, redirect};
use crate::domain::api_client::ClientStatus;
use crate::error::AppResult;
use crate::i18n::{Key, Tr};
use crate::services::Invalid;
use crate::services::api_clients::{self, ClientView, Registration};

/// Whose clients a list shows.
#[derive(Clone, Copy)]
enum Scope {
    All,
    Firm(i64),
}

impl Scope {
    fn path(self) -> &'static str {
        match self {
            Scope::All => paths::ADMIN_API_CLIENTS,
            Scope::Firm(_) => paths::FIRM_API_CLIENTS,
        }
    }
}

/// The message key of a client's state.
pub fn status_key(status: ClientStatus) -> Key {
    match status {
        ClientStatus::Pending => msg!("api_clients.status.pending"),
        ClientStatus::Active => msg!("api_clients.status.active"),
        ClientStatus::Suspended => msg!("api_clients.status.suspended"),
    }
}

/// The firm column: its name, or the regulator for a staff client.
pub fn firm_label(t: &Tr, view: &ClientView) -> String {
    view.firm_name
        .clone()
        .unwrap_or_else(|| t.t(msg!("api_clients.regulator")).to_owned())
}

pub struct ClientLine {
    pub href: String,
    pub name: String,
    pub client_id: String,
    pub firm: String,
    pub status_key: Key,
    pub registered_by: String,
    pub confirmed_by: String,
    /// The keys that may sign: algorithm, the start of the key ID, added.
    pub keys: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_clients/list.html")]
struct ListPage {
    c: Chrome,
    admin: bool,
    clients: Vec<ClientLine>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    action: &'static str,
    /// Set when the step-up is due: where to sign in again.
    reauth: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    csrf: String,
    client_name: String,
    public_jwk: String,
}

impl HasCsrf for RegisterForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The key field of the registration and add-key forms, with its hint.
pub fn key_field(t: &Tr, typed: &str, invalid: &Invalid) -> FieldView {
    let mut field = fields(
        t,
        &[(
            "public_jwk",
            msg!("field.public_jwk"),
            FieldKind::Multiline,
            typed,
        )],
        invalid,
    );
    let mut key = field.remove(0);
    key.hint = Some(t.t(msg!("hint.public_jwk")).to_owned());
    key
}

/// Whether the step-up is due: the sign-in is older than the window that
/// registering a client or adding a key needs.
pub fn step_up_due(state: &AppState, who: &SignedIn) -> bool {
    state.clock.now() - who.session.authenticated_at > STEP_UP_WINDOW
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    scope: Scope,
    form: &RegisterForm,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let firm = match scope {
        Scope::All => None,
        Scope::Firm(firm) => Some(firm),
    };
    let views = crate::db::run(&state.pool, move |conn| Ok(api_clients::list(conn, firm)?)).await?;
    let c = Chrome::signed_in(req, who);
    let clients = views
        .iter()
        .map(|v| ClientLine {
            href: paths::api_client(v.client.id),
            name: v.client.name.clone(),
            client_id: v.client.client_id.clone(),
            firm: firm_label(&c.t, v),
            status_key: status_key(v.client.status),
            registered_by: v.registered_by.clone(),
            confirmed_by: v.confirmed_by.clone().unwrap_or_default(),
            keys: v
                .keys
                .iter()
                .filter(|k| k.key.retired_at.is_none())
                .map(|k| {
                    let start: String = k.key.kid.chars().take(8).collect();
                    format!("{} {start}… {}", k.key.alg, c.when(&k.key.added_at))
                })
                .collect(),
        })
        .collect();
    let mut shown = fields(
        &c.t,
        &[(
            "client_name",
            msg!("field.client_name"),
            FieldKind::Text,
            &form.client_name,
        )],
        invalid,
    );
    shown.push(key_field(&c.t, &form.public_jwk, invalid));
    let mut errors = summary(&shown);
    let reauth = invalid
        .for_field("reauth")
        .map(|_| paths::reauth(scope.path()));
    if let Some(key) = invalid.for_field("reauth") {
        errors.push((
            "reauth".to_owned(),
            c.t.t(msg!("api_clients.reauth_label")).to_owned(),
            c.t.t(key).to_owned(),
        ));
    }
    render(
        status,
        &ListPage {
            admin: matches!(scope, Scope::All),
            clients,
            fields: shown,
            errors,
            action: scope.path(),
            reauth,
            c,
        },
    )
}

async fn register(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    scope: Scope,
    form: RegisterForm,
) -> AppResult<HttpResponse> {
    if step_up_due(state, who) {
        let invalid = Invalid::one("reauth", msg!("err.api_client.reauth"));
        return show(
            req,
            state,
            who,
            scope,
            &form,
            &invalid,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let now = state.clock.now();
    let (actor, by) = (who.actor(), who.user.clone());
    let (name, key) = (form.client_name.clone(), form.public_jwk.clone());
    let registered = crate::db::run(&state.pool, move |conn| {
        let input = Registration {
            name: &name,
            public_jwk: &key,
        };
        api_clients::register(conn, &actor, &by, &input, now)
    })
    .await?;
    match registered {
        Ok(client) => Ok(redirect(paths::api_client(client.id))),
        Err(invalid) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(req, state, who, scope, &form, &invalid, status).await
        }
    }
}

pub async fn firm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmApprover,
) -> AppResult<HttpResponse> {
    let scope = Scope::Firm(who.firm_id);
    let empty = RegisterForm::default();
    show(
        &req,
        &state,
        &who.who,
        scope,
        &empty,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn firm_register(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmApprover,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    register(&req, &state, &who.who, Scope::Firm(who.firm_id), form).await
}

pub async fn admin_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
) -> AppResult<HttpResponse> {
    let empty = RegisterForm::default();
    show(
        &req,
        &state,
        &who.0,
        Scope::All,
        &empty,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn admin_register(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    register(&req, &state, &who.0, Scope::All, form).await
}

/// The user, when a firm's approver or an admin (who manage API clients;
/// nobody else sees them), allowed past the forced password change.
pub fn manager(who: SignedIn) -> AppResult<SignedIn> {
    use crate::domain::role::Role;
    if !matches!(who.role(), Role::Approver | Role::Admin) {
        return Err(crate::error::AppError::Forbidden);
    }
    if who.user.must_change_password {
        return Err(crate::error::AppError::PasswordChangeRequired);
    }
    Ok(who)
}

/// The list a manager came from.
pub fn list_path(who: &SignedIn) -> &'static str {
    if who.role().is_admin() {
        paths::ADMIN_API_CLIENTS
    } else {
        paths::FIRM_API_CLIENTS
    }
}
