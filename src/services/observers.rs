//! Observers: partner authorities reading within the scope an admin set.
//! The admin sets and edits a scope (audited, refused when the form was
//! based on an older scope); an observer's reads go through here, which
//! answers `None` (404 to the caller) for anything outside the live scope
//! and never selects a contact column; each page view is audited.

pub mod reads;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::audit::{self, Action, Event};
use super::audit_log::{self, Filter, LogPage};
use super::{Actor, Invalid};
use crate::db::models::User;
use crate::db::schema::{firms, observer_scope_firms, observer_scopes, users};
use crate::db::{DbConn, write_tx};
use crate::domain::observer_scope::{ObserverScope, Reach};
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::domain::text_enum::Unknown;
use crate::error::{AppError, AppResult};

/// A scope as stored, with the revision a form must name to change it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub scope: ObserverScope,
    pub revision: i32,
}

#[derive(Queryable)]
struct ScopeRow {
    aggregates_only: bool,
    period_from: Option<String>,
    period_to: Option<String>,
    expires_on: NaiveDate,
    revision: i32,
}

/// The scope of an observer, if one was set. A stored row that does not
/// read as a scope (months gone bad) is an error, never a wider scope.
pub fn scope_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Stored>> {
    let row: Option<ScopeRow> = observer_scopes::table
        .find(user_id)
        .select((
            observer_scopes::aggregates_only,
            observer_scopes::period_from,
            observer_scopes::period_to,
            observer_scopes::expires_on,
            observer_scopes::revision,
        ))
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let reach = if row.aggregates_only {
        Reach::AggregatesOnly
    } else {
        let month = |m: &Option<String>| {
            m.as_deref()
                .and_then(|m| Period::parse(m).ok())
                .ok_or_else(|| Unknown::new("ObserverScopeMonth", m.as_deref().unwrap_or("")))
        };
        let firms = observer_scope_firms::table
            .filter(observer_scope_firms::user_id.eq(user_id))
            .select(observer_scope_firms::firm_id)
            .order(observer_scope_firms::firm_id)
            .load(conn)?;
        Reach::Firms {
            firms,
            from: month(&row.period_from)?,
            to: month(&row.period_to)?,
        }
    };
    Ok(Some(Stored {
        scope: ObserverScope {
            reach,
            expires_on: row.expires_on,
        },
        revision: row.revision,
    }))
}

/// An observer as the admin's list shows them.
pub struct Listed {
    pub user: User,
    pub scope: Option<Stored>,
    /// The names of the scope's firms, in the scope's order.
    pub firm_names: Vec<String>,
}

/// Every observer with their scope.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Listed>> {
    let observers: Vec<User> = users::table
        .filter(users::role.eq(Role::Observer))
        .order(users::email)
        .select(User::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(observers.len());
    for user in observers {
        let scope = scope_of(conn, user.id)?;
        let firm_names = match scope.as_ref().map(|s| &s.scope.reach) {
            Some(Reach::Firms { firms: ids, .. }) => firms::table
                .filter(firms::id.eq_any(ids))
                .order(firms::name)
                .select(firms::name)
                .load(conn)?,
            _ => vec![],
        };
        out.push(Listed {
            user,
            scope,
            firm_names,
        });
    }
    Ok(out)
}

/// The observer with this id, or `NotFound` (any other user too).
pub fn observer(conn: &mut DbConn, user_id: i64) -> AppResult<User> {
    users::table
        .find(user_id)
        .filter(users::role.eq(Role::Observer))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Whether a firm id names a firm (for the scope form).
pub fn firm_ids(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    firms::table.select(firms::id).load(conn)
}

fn describe(scope: &ObserverScope) -> String {
    match &scope.reach {
        Reach::AggregatesOnly => format!("aggregates only until {}", scope.expires_on),
        Reach::Firms { firms, from, to } => {
            let ids: Vec<String> = firms.iter().map(ToString::to_string).collect();
            format!(
                "firms {} months {from}..{to} until {}",
                ids.join(","),
                scope.expires_on
            )
        }
    }
}

/// Sets an observer's scope. `based_on` is the revision the form showed
/// (0: none yet); a scope saved since then refuses the form (a guarded
/// UPDATE, or the key refusing a second first scope), so nobody overwrites
/// a change they have not seen.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    by: i64,
    observer_id: i64,
    scope: &ObserverScope,
    based_on: i32,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    let (aggregates_only, from, to, firm_list) = match &scope.reach {
        Reach::AggregatesOnly => (true, None, None, &[][..]),
        Reach::Firms { firms, from, to } => (
            false,
            Some(from.to_string()),
            Some(to.to_string()),
            firms.as_slice(),
        ),
    };
    let stale = || Ok(Err(Invalid::one("scope", msg!("observer.err.stale"))));
    let saved = write_tx(conn, |conn| -> AppResult<Result<(), Invalid>> {
        observer(conn, observer_id)?;
        let values = (
            observer_scopes::aggregates_only.eq(aggregates_only),
            observer_scopes::period_from.eq(from.as_deref()),
            observer_scopes::period_to.eq(to.as_deref()),
            observer_scopes::expires_on.eq(scope.expires_on),
            observer_scopes::updated_by.eq(by),
            observer_scopes::updated_at.eq(now),
        );
        if based_on == 0 {
            diesel::insert_into(observer_scopes::table)
                .values((
                    observer_scopes::user_id.eq(observer_id),
                    observer_scopes::revision.eq(1),
                    values,
                ))
                .execute(conn)?;
        } else {
            let changed = diesel::update(
                observer_scopes::table
                    .find(observer_id)
                    .filter(observer_scopes::revision.eq(based_on)),
            )
            .set((
                observer_scopes::revision.eq(observer_scopes::revision + 1),
                values,
            ))
            .execute(conn)?;
            if changed == 0 {
                return stale();
            }
        }
        diesel::delete(
            observer_scope_firms::table.filter(observer_scope_firms::user_id.eq(observer_id)),
        )
        .execute(conn)?;
        for firm_id in firm_list {
            diesel::insert_into(observer_scope_firms::table)
                .values((
                    observer_scope_firms::user_id.eq(observer_id),
                    observer_scope_firms::firm_id.eq(firm_id),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ObserverScopeSet,
                object_type: "user",
                object_id: &observer_id.to_string(),
                detail: &describe(scope),
            },
        )?;
        Ok(Ok(()))
    });
    match saved {
        // Another admin set the first scope meanwhile.
        Err(AppError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
            stale()
        }
        other => other,
    }
}

/// Records one page an observer viewed (`what`: "home", "dashboard",
/// "version"), in a short write transaction of its own.
pub fn viewed(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    what: &str,
    id: &str,
    detail: &str,
) -> QueryResult<()> {
    let event = Event {
        action: Action::ObserverViewed,
        object_type: what,
        object_id: id,
        detail,
    };
    write_tx(conn, |conn| audit::record(conn, now, actor, event))
}

/// Views of one observer's pages (or every observer's), newest first.
pub fn views(conn: &mut DbConn, observer_id: Option<i64>, limit: i64) -> QueryResult<LogPage> {
    let filter = Filter {
        action: Some(Action::ObserverViewed),
        actor_user_id: observer_id,
        ..Filter::default()
    };
    audit_log::page(conn, &filter, limit)
}
