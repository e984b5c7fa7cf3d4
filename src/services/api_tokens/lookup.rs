//! The caller behind a bearer token, on every API request: one indexed
//! read by the token's hash (the web layer keeps it a moment, like a
//! session). A token of a suspended client, or of a retired key, was
//! deleted with the change, so it is simply not found.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{api_clients, api_tokens, users};
use crate::domain::api_client::{ClientStatus, Scopes};
use crate::services::tokens::{hash_token, looks_like_token};

/// Who holds a token, and until when.
#[derive(Clone, Debug)]
pub struct Holder {
    /// `api_clients.id`.
    pub client_row_id: i64,
    /// The public client id.
    pub client_id: String,
    pub firm_id: Option<i64>,
    /// The approver a firm's client acts for.
    pub registered_by: i64,
    pub scopes: Scopes,
    pub expires_at: NaiveDateTime,
}

impl Holder {
    /// Whether the token still works at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        now < self.expires_at
    }
}

/// The live token `token`'s holder: its client active and, for a firm's
/// client, the approver it acts for still active.
pub fn holder(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<Option<Holder>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let found: Option<(i64, String, Option<i64>, i64, String, NaiveDateTime)> = api_tokens::table
        .inner_join(api_clients::table)
        .inner_join(users::table.on(users::id.eq(api_clients::registered_by)))
        .filter(api_tokens::token_hash.eq(hash_token(token)))
        .filter(api_tokens::expires_at.gt(now))
        .filter(api_clients::status.eq(ClientStatus::Active))
        .filter(api_clients::firm_id.is_null().or(users::active.eq(true)))
        .select((
            api_clients::id,
            api_clients::client_id,
            api_clients::firm_id,
            api_clients::registered_by,
            api_tokens::scopes,
            api_tokens::expires_at,
        ))
        .first(conn)
        .optional()?;
    let Some((client_row_id, client_id, firm_id, registered_by, scopes, expires_at)) = found else {
        return Ok(None);
    };
    Ok(Some(Holder {
        client_row_id,
        client_id,
        firm_id,
        registered_by,
        scopes: Scopes::parse(&scopes)?,
        expires_at,
    }))
}
