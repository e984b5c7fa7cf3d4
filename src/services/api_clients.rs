//! API clients: a firm's systems, or the regulator's own, that call the
//! filing API. Who may do what:
//!
//! - A firm's approver registers a client for the firm (a name and its
//!   public key); it becomes active only when another approver of the same
//!   firm confirms it. A firm with fewer than two approvers who can sign in
//!   has the regulator's admin confirm instead; the admin confirms nothing
//!   for a firm that has a second approver.
//! - An admin registers a regulator (staff) client, confirmed by another
//!   admin. When the portal has a single admin, nobody else could ever
//!   confirm, and that admin can already do everything such a client can
//!   (read statistics): the client takes effect at once, and the audit
//!   trail says why.
//! - A firm's client acts for the approver who registered it (`Actor`
//!   with that user's id): four eyes counts that person as the preparer of
//!   whatever the client writes, so only that person may add keys to it
//!   (anyone else adding a key could act in that person's name), and it
//!   gets no token once that person is no longer an active approver.
//! - Any approver of the firm, or an admin, suspends a client; its tokens
//!   are deleted at once. A suspension is final: a client is not
//!   reactivated, a new one is registered (with new keys), confirmed again.
//!
//! Every registration, confirmation, suspension and key change is audited.

pub mod keys;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::{Actor, Invalid, clean_line, tokens};
use crate::db::models::{ApiClientKeyRow, ApiClientRow, User};
use crate::db::schema::{api_client_keys, api_clients, api_tokens, firms, users};
use crate::db::{DbConn, write_tx};
use crate::domain::api_client::{
    CLIENT_ID_PREFIX, CLIENT_ID_RANDOM, ClientStatus, FIRM_SCOPES, STAFF_SCOPES, Scopes,
};
use crate::domain::jwk::PublicJwk;
use crate::domain::limits;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};

/// What a registration form sends.
pub struct Registration<'a> {
    pub name: &'a str,
    pub public_jwk: &'a str,
}

/// A client just registered.
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: i64,
    pub client_id: String,
    pub status: ClientStatus,
}

/// A new public client id: the prefix and 132 random bits.
fn new_client_id() -> String {
    let random: String = tokens::new_token().chars().take(CLIENT_ID_RANDOM).collect();
    format!("{CLIENT_ID_PREFIX}{random}")
}

/// A pasted key, checked: the field's error when it is not one we take.
pub fn check_key(pasted: &str) -> Result<PublicJwk, Invalid> {
    if pasted.trim().is_empty() {
        return Err(Invalid::one("public_jwk", msg!("err.required")));
    }
    if pasted.chars().count() > limits::PUBLIC_JWK {
        return Err(Invalid::one("public_jwk", msg!("err.text.too_long")));
    }
    PublicJwk::parse(pasted).map_err(|e| Invalid::one("public_jwk", e.key()))
}

fn check_registration(input: &Registration<'_>) -> Result<(String, PublicJwk), Invalid> {
    let mut invalid = Invalid::default();
    let name = clean_line(input.name, limits::API_CLIENT_NAME, true)
        .map_err(|key| invalid.push("client_name", key))
        .ok();
    let key = check_key(input.public_jwk)
        .map_err(|found| invalid.0.extend(found.0))
        .ok();
    match (name, key) {
        (Some(name), Some(key)) if invalid.is_empty() => Ok((name, key)),
        _ => Err(invalid),
    }
}

/// People of `role` (of `firm`, when given) who can sign in: active, with
/// their invitation accepted.
fn able(conn: &mut DbConn, role: Role, firm: Option<i64>) -> QueryResult<i64> {
    let mut query = users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .filter(users::password_hash.is_not_null())
        .into_boxed();
    if let Some(firm) = firm {
        query = query.filter(users::firm_id.eq(firm));
    }
    query.count().get_result(conn)
}

/// Registers a client: a firm's client when `by` is a firm's approver, a
/// regulator client when `by` is an admin. `Ok(Err(_))`: what to fix in
/// the form.
#[tracing::instrument(skip_all, fields(by = by.id))]
pub fn register(
    conn: &mut DbConn,
    actor: &Actor,
    by: &User,
    input: &Registration<'_>,
    now: NaiveDateTime,
) -> AppResult<Result<Registered, Invalid>> {
    let (firm_id, scopes) = match (by.role, by.firm_id) {
        (Role::Approver, Some(firm)) => (Some(firm), Scopes::of(FIRM_SCOPES)),
        (Role::Admin, _) => (None, Scopes::of(STAFF_SCOPES)),
        _ => return Err(AppError::Forbidden),
    };
    let (name, key) = match check_registration(input) {
        Ok(checked) => checked,
        Err(invalid) => return Ok(Err(invalid)),
    };
    write_tx(conn, |conn| {
        // A sole admin's staff client takes effect at once (module doc).
        let at_once = firm_id.is_none() && able(conn, Role::Admin, None)? <= 1;
        let status = if at_once {
            ClientStatus::Active
        } else {
            ClientStatus::Pending
        };
        let client_id = new_client_id();
        let id: i64 = diesel::insert_into(api_clients::table)
            .values((
                api_clients::client_id.eq(&client_id),
                api_clients::firm_id.eq(firm_id),
                api_clients::name.eq(&name),
                api_clients::status.eq(status),
                api_clients::scopes.eq(scopes.as_text()),
                api_clients::registered_by.eq(by.id),
                api_clients::registered_at.eq(now),
                api_clients::confirmed_by.eq(at_once.then_some(by.id)),
                api_clients::confirmed_at.eq(at_once.then_some(now)),
            ))
            .returning(api_clients::id)
            .get_result(conn)?;
        keys::insert(conn, id, &key, 1, by.id, now)?;
        let detail = format!(
            "{name}; firm {}; scopes {}; key {} {}",
            firm_id.map_or_else(|| "none (regulator)".to_owned(), |f| f.to_string()),
            scopes.as_text(),
            key.alg(),
            key.thumbprint()
        );
        let record = |conn: &mut DbConn, action, detail: &str| {
            audit::record(
                conn,
                now,
                actor,
                Event {
                    action,
                    object_type: "api_client",
                    object_id: &client_id,
                    detail,
                },
            )
        };
        record(conn, Action::ApiClientRegistered, &detail)?;
        if at_once {
            record(
                conn,
                Action::ApiClientConfirmed,
                "at registration: the portal's only admin registered it",
            )?;
        }
        Ok(Ok(Registered {
            id,
            client_id,
            status,
        }))
    })
}

/// The client `id` as `by` may see it: a firm's approver sees the firm's
/// clients, an admin sees every client; anyone else, or a client of
/// another firm, is not found.
pub fn visible(conn: &mut DbConn, by: &User, id: i64) -> AppResult<ApiClientRow> {
    let client = api_clients::table
        .find(id)
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let sees = match by.role {
        Role::Admin => true,
        Role::Approver => by.firm_id.is_some() && client.firm_id == by.firm_id,
        _ => false,
    };
    if sees {
        Ok(client)
    } else {
        Err(AppError::NotFound)
    }
}

/// Why `by` may not confirm `client`, if they may not.
fn may_confirm(conn: &mut DbConn, by: &User, client: &ApiClientRow) -> AppResult<()> {
    if by.id == client.registered_by {
        return Err(AppError::Conflict(msg!("err.api_client.self_confirm")));
    }
    match (client.firm_id, by.role) {
        (Some(firm), Role::Approver) if by.firm_id == Some(firm) => Ok(()),
        (Some(firm), Role::Admin) => {
            if able(conn, Role::Approver, Some(firm))? >= 2 {
                Err(AppError::Conflict(msg!("err.api_client.firm_confirms")))
            } else {
                Ok(())
            }
        }
        (None, Role::Admin) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// Whether `by` may confirm `client` now (its page offers the button).
pub fn confirmable(conn: &mut DbConn, by: &User, client: &ApiClientRow) -> AppResult<bool> {
    if client.status != ClientStatus::Pending {
        return Ok(false);
    }
    match may_confirm(conn, by, client) {
        Ok(()) => Ok(true),
        Err(AppError::Conflict(_) | AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Confirms a pending client (the second person): it becomes active.
#[tracing::instrument(skip_all, fields(by = by.id, client = id))]
pub fn confirm(
    conn: &mut DbConn,
    actor: &Actor,
    by: &User,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let client = visible(conn, by, id)?;
        may_confirm(conn, by, &client)?;
        // Only a pending client: two confirmations at once make one.
        let changed = diesel::update(
            api_clients::table
                .find(id)
                .filter(api_clients::status.eq(ClientStatus::Pending)),
        )
        .set((
            api_clients::status.eq(ClientStatus::Active),
            api_clients::confirmed_by.eq(Some(by.id)),
            api_clients::confirmed_at.eq(Some(now)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::Conflict(msg!("err.api_client.not_pending")));
        }
        let detail = format!(
            "{}; registered by user {}",
            client.name, client.registered_by
        );
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ApiClientConfirmed,
                object_type: "api_client",
                object_id: &client.client_id,
                detail: &detail,
            },
        )?;
        Ok(())
    })
}

/// Suspends a client: no token from now on, and the tokens it holds are
/// deleted (a kept read of one is stale after this write: `write_tx`).
#[tracing::instrument(skip_all, fields(by = by.id, client = id))]
pub fn suspend(
    conn: &mut DbConn,
    actor: &Actor,
    by: &User,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let client = visible(conn, by, id)?;
        let changed = diesel::update(
            api_clients::table
                .find(id)
                .filter(api_clients::status.ne(ClientStatus::Suspended)),
        )
        .set((
            api_clients::status.eq(ClientStatus::Suspended),
            api_clients::suspended_by.eq(Some(by.id)),
            api_clients::suspended_at.eq(Some(now)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::Conflict(msg!("err.api_client.suspended")));
        }
        let ended =
            diesel::delete(api_tokens::table.filter(api_tokens::client_id.eq(id))).execute(conn)?;
        let detail = format!(
            "{}; was {}; {ended} token(s) ended",
            client.name, client.status
        );
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ApiClientSuspended,
                object_type: "api_client",
                object_id: &client.client_id,
                detail: &detail,
            },
        )?;
        Ok(())
    })
}

/// A client as its pages show it: the people by name.
#[derive(Clone, Debug)]
pub struct ClientView {
    pub client: ApiClientRow,
    pub firm_name: Option<String>,
    pub registered_by: String,
    pub confirmed_by: Option<String>,
    pub suspended_by: Option<String>,
    /// Newest first; retired ones too.
    pub keys: Vec<KeyView>,
}

#[derive(Clone, Debug)]
pub struct KeyView {
    pub key: ApiClientKeyRow,
    pub added_by: String,
}

impl ClientView {
    /// The keys that may sign (not retired).
    pub fn live_keys(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| k.key.retired_at.is_none())
            .count()
    }
}

/// Display names of the users behind `ids`.
fn names(conn: &mut DbConn, ids: Vec<i64>) -> QueryResult<HashMap<i64, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

fn views(conn: &mut DbConn, clients: Vec<ApiClientRow>) -> QueryResult<Vec<ClientView>> {
    let ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let keys: Vec<ApiClientKeyRow> = api_client_keys::table
        .filter(api_client_keys::client_id.eq_any(&ids))
        .order(api_client_keys::id.desc())
        .select(ApiClientKeyRow::as_select())
        .load(conn)?;
    let firm_ids: Vec<i64> = clients.iter().filter_map(|c| c.firm_id).collect();
    let firm_names: HashMap<i64, String> = firms::table
        .filter(firms::id.eq_any(firm_ids))
        .select((firms::id, firms::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let people: Vec<i64> = clients
        .iter()
        .flat_map(|c| [Some(c.registered_by), c.confirmed_by, c.suspended_by])
        .flatten()
        .chain(keys.iter().map(|k| k.added_by))
        .collect();
    let people = names(conn, people)?;
    let name_of = |id: i64| people.get(&id).cloned().unwrap_or_default();
    Ok(clients
        .into_iter()
        .map(|client| ClientView {
            firm_name: client.firm_id.and_then(|f| firm_names.get(&f).cloned()),
            registered_by: name_of(client.registered_by),
            confirmed_by: client.confirmed_by.map(name_of),
            suspended_by: client.suspended_by.map(name_of),
            keys: keys
                .iter()
                .filter(|k| k.client_id == client.id)
                .map(|k| KeyView {
                    added_by: name_of(k.added_by),
                    key: k.clone(),
                })
                .collect(),
            client,
        })
        .collect())
}

/// The clients of `firm`, or every client (`None`: the admin's list),
/// newest first.
pub fn list(conn: &mut DbConn, firm: Option<i64>) -> QueryResult<Vec<ClientView>> {
    let mut query = api_clients::table
        .select(ApiClientRow::as_select())
        .order(api_clients::id.desc())
        .into_boxed();
    if let Some(firm) = firm {
        query = query.filter(api_clients::firm_id.eq(firm));
    }
    let clients = query.load(conn)?;
    views(conn, clients)
}

/// One client as `by` may see it (`visible`), with its keys and people.
pub fn view(conn: &mut DbConn, by: &User, id: i64) -> AppResult<ClientView> {
    let client = visible(conn, by, id)?;
    let mut found = views(conn, vec![client])?;
    found.pop().ok_or(AppError::NotFound)
}
