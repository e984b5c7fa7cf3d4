//! One API client's page: its details and keys, and what the viewer may do
//! with it — confirm it (the second person), add a key (the person it acts
//! for; a step-up first), retire a key (never the last), suspend it. Every
//! change is a POST with the session's CSRF token; the service decides
//! who may, and audits it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{firm_label, key_field, list_path, manager, status_key, step_up_due};
use crate::db::models::User;
use crate::domain::api_client::ClientStatus;
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Tr};
use crate::services::Invalid;
use crate::services::api_clients::{self, ClientView, keys};
use crate::web::api::token_url;
use crate::web::csrf::{CsrfForm, CsrfOnly, HasCsrf};
use crate::web::extract::SignedIn;
use crate::web::view::{Chrome, FieldView, render, summary};
use crate::web::{AppState, paths, redirect};

pub struct KeyLine {
    pub kid: String,
    pub alg: &'static str,
    pub added: String,
    /// When it was retired; `None`: it may sign.
    pub retired: Option<String>,
    /// Where its retire button posts, when it may be retired.
    pub retire: Option<String>,
}

#[derive(Template)]
#[template(path = "api_clients/client.html")]
struct ClientPage {
    c: Chrome,
    name: String,
    client_id: String,
    firm: String,
    status_key: Key,
    scopes: String,
    registered: String,
    confirmed: Option<String>,
    suspended: Option<String>,
    /// Why the client waits, for a viewer who cannot confirm it.
    pending_note: Option<Key>,
    confirm: Option<String>,
    suspend: Option<String>,
    add_key: Option<String>,
    keys: Vec<KeyLine>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    reauth: Option<String>,
    token_url: String,
    back: &'static str,
}

/// A client id from the path; anything else is not found.
fn client_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn by_at(t: &Tr, c: &Chrome, who: &str, when: &chrono::NaiveDateTime) -> String {
    t.tf(
        msg!("api_client.by_at"),
        &[("who", who), ("when", &c.when(when))],
    )
}

/// What the viewer may do, as the service would decide it.
struct Allowed {
    confirm: bool,
    add_key: bool,
    retire: bool,
    suspend: bool,
}

fn pending_note(by: &User, view: &ClientView, allowed: &Allowed) -> Option<Key> {
    if view.client.status != ClientStatus::Pending || allowed.confirm {
        return None;
    }
    Some(if by.id == view.client.registered_by {
        msg!("api_client.pending_own")
    } else {
        msg!("api_client.pending_other")
    })
}

fn key_lines(c: &Chrome, view: &ClientView, allowed: &Allowed) -> Vec<KeyLine> {
    view.keys
        .iter()
        .map(|k| KeyLine {
            kid: k.key.kid.clone(),
            alg: k.key.alg.as_str(),
            added: by_at(&c.t, c, &k.added_by, &k.key.added_at),
            retired: k.key.retired_at.as_ref().map(|when| c.when(when)),
            retire: (allowed.retire && k.key.retired_at.is_none())
                .then(|| paths::api_client_key_retire(view.client.id, k.key.id)),
        })
        .collect()
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    id: i64,
    typed_key: &str,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let by = who.user.clone();
    let (view, confirm) = crate::db::run(&state.pool, move |conn| {
        let view = api_clients::view(conn, &by, id)?;
        let confirm = api_clients::confirmable(conn, &by, &view.client)?;
        Ok((view, confirm))
    })
    .await?;
    let c = Chrome::signed_in(req, who);
    let live = view.client.status != ClientStatus::Suspended;
    let allowed = Allowed {
        confirm,
        add_key: live && keys::may_add(&who.user, &view.client),
        retire: live && view.live_keys() >= keys::LIVE_KEYS,
        suspend: live,
    };
    let fields = vec![key_field(&c.t, typed_key, invalid)];
    let mut errors = summary(&fields);
    let reauth = invalid
        .for_field("reauth")
        .map(|_| paths::reauth(&paths::api_client(id)));
    if let Some(key) = invalid.for_field("reauth") {
        errors.push((
            "reauth".to_owned(),
            c.t.t(msg!("api_clients.reauth_label")).to_owned(),
            c.t.t(key).to_owned(),
        ));
    }
    let client = &view.client;
    let page = ClientPage {
        name: client.name.clone(),
        client_id: client.client_id.clone(),
        firm: firm_label(&c.t, &view),
        status_key: status_key(client.status),
        scopes: client.scopes.clone(),
        registered: by_at(&c.t, &c, &view.registered_by, &client.registered_at),
        confirmed: view
            .confirmed_by
            .as_ref()
            .zip(client.confirmed_at.as_ref())
            .map(|(who, when)| by_at(&c.t, &c, who, when)),
        suspended: view
            .suspended_by
            .as_ref()
            .zip(client.suspended_at.as_ref())
            .map(|(who, when)| by_at(&c.t, &c, who, when)),
        pending_note: pending_note(&who.user, &view, &allowed),
        confirm: allowed.confirm.then(|| paths::api_client_confirm(id)),
        suspend: allowed.suspend.then(|| paths::api_client_suspend(id)),
        add_key: allowed.add_key.then(|| paths::api_client_keys(id)),
        keys: key_lines(&c, &view, &allowed),
        fields,
        errors,
        reauth,
        token_url: token_url(state),
        back: list_path(who),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let who = manager(who)?;
    let id = client_id(&id)?;
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

/// The second person confirms the client.
pub async fn confirm(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let who = manager(who)?;
    let id = client_id(&id)?;
    let (actor, by, now) = (who.actor(), who.user.clone(), state.clock.now());
    crate::db::run(&state.pool, move |conn| {
        api_clients::confirm(conn, &actor, &by, id, now)
    })
    .await?;
    Ok(redirect(paths::api_client(id)))
}

pub async fn suspend(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let who = manager(who)?;
    let id = client_id(&id)?;
    let (actor, by, now) = (who.actor(), who.user.clone(), state.clock.now());
    crate::db::run(&state.pool, move |conn| {
        api_clients::suspend(conn, &actor, &by, id, now)
    })
    .await?;
    Ok(redirect(paths::api_client(id)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeyForm {
    csrf: String,
    public_jwk: String,
}

impl HasCsrf for KeyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Adds a key (a rotation begins); what was pasted comes back with the
/// message beside it when it is refused.
pub async fn add_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> AppResult<HttpResponse> {
    let who = manager(who)?;
    let id = client_id(&id)?;
    if step_up_due(&state, &who) {
        let invalid = Invalid::one("reauth", msg!("err.api_client.reauth"));
        let status = StatusCode::FORBIDDEN;
        return show(&req, &state, &who, id, &form.public_jwk, &invalid, status).await;
    }
    let (actor, by, now) = (who.actor(), who.user.clone(), state.clock.now());
    let pasted = form.public_jwk.clone();
    let added = crate::db::run(&state.pool, move |conn| {
        keys::add(conn, &actor, &by, id, &pasted, now)
    })
    .await?;
    match added {
        Ok(()) => Ok(redirect(paths::api_client(id))),
        Err(invalid) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show(&req, &state, &who, id, &form.public_jwk, &invalid, status).await
        }
    }
}

/// Retires a key (a rotation ends); never the last.
pub async fn retire_key(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let who = manager(who)?;
    let (id, key) = path.into_inner();
    let (id, key) = (client_id(&id)?, client_id(&key)?);
    let (actor, by, now) = (who.actor(), who.user.clone(), state.clock.now());
    crate::db::run(&state.pool, move |conn| {
        keys::retire(conn, &actor, &by, id, key, now)
    })
    .await?;
    Ok(redirect(paths::api_client(id)))
}

/// A POST route of a client's page reached by GET: the page.
pub async fn back_to_page(id: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(redirect(paths::api_client(client_id(&id)?)))
}

/// The retire route reached by GET: the client's page.
pub async fn back_to_key_page(path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    Ok(redirect(paths::api_client(client_id(&path.0)?)))
}
