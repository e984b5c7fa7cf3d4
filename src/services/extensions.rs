//! Deadline extensions of a monthly return: a firm's approver asks for a
//! later due date (with a reason); an analyst or admin grants it (possibly
//! another date) or refuses it with a reason, and the firm's approvers are
//! emailed the decision in the same transaction. The latest granted date is
//! the month's due date from then on: everything that computes a due date
//! asks [`due_of`] or [`in_force_over`].
//!
//! One open request per firm and month: checked here for the message, and
//! held by the database's partial unique index when two arrive at once. A
//! request is refused once the month is filed; a grant too (the insert and
//! the update are guarded by the same condition). A decided request is
//! never decided again (the update is guarded by its state).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::{Actor, Invalid, clean_text, notify, settings};
use crate::db::models::Extension;
use crate::db::schema::{extensions, firms, return_versions, users};
use crate::db::{DbConn, write_tx};
use crate::domain::Role;
use crate::domain::due_date::due_date;
use crate::domain::extension::{self, ExtensionStatus, check_new_due, parse_date};
use crate::domain::limits::RETURN_REASON;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::mail::workflow_messages;

/// The date field of both forms.
pub const DATE_FIELD: &str = "new_due_date";

/// A granted extension: the due date it sets and its reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    pub due: NaiveDate,
    pub reference: String,
}

impl Extension {
    /// `EXT-2025-000123`: the year it was asked (Tokyo) and its id.
    pub fn reference(&self) -> String {
        extension::reference_on(tokyo_date(self.requested_at), self.id)
    }

    fn granted(&self) -> Option<Granted> {
        self.granted_due.map(|due| Granted {
            due,
            reference: self.reference(),
        })
    }
}

/// What the regulator decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Grant,
    Refuse,
}

/// The granted extensions in force for the months `[from, to]`, by (firm,
/// period): the latest granted of each.
pub fn in_force_over(
    conn: &mut DbConn,
    from: Period,
    to: Period,
) -> QueryResult<HashMap<(i64, String), Granted>> {
    let rows: Vec<Extension> = extensions::table
        .filter(extensions::status.eq(ExtensionStatus::Granted))
        .filter(extensions::period.ge(from.to_string()))
        .filter(extensions::period.le(to.to_string()))
        .order(extensions::id.asc())
        .select(Extension::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|e| Some(((e.firm_id, e.period.clone()), e.granted()?)))
        .collect())
}

/// The granted extensions in force for the months from `from` on whose
/// date is near `today` (from a week before): what the reminders need.
pub fn near(
    conn: &mut DbConn,
    from: Period,
    today: NaiveDate,
) -> QueryResult<HashMap<(i64, String), Granted>> {
    let since = today
        .checked_sub_days(chrono::Days::new(7))
        .unwrap_or(today);
    let rows: Vec<(i64, i64, String, NaiveDateTime, Option<NaiveDate>)> = extensions::table
        .filter(extensions::granted_due.ge(since))
        .filter(extensions::period.ge(from.to_string()))
        .order(extensions::id.asc())
        .select((
            extensions::id,
            extensions::firm_id,
            extensions::period,
            extensions::requested_at,
            extensions::granted_due,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, firm_id, period, at, due)| {
            let granted = Granted {
                due: due?,
                reference: extension::reference_on(tokyo_date(at), id),
            };
            Some(((firm_id, period), granted))
        })
        .collect())
}

/// The granted extension in force for one firm's month, if any.
pub fn in_force(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<Option<Granted>> {
    let latest: Option<Extension> = extensions::table
        .filter(extensions::firm_id.eq(firm_id))
        .filter(extensions::period.eq(period.to_string()))
        .filter(extensions::status.eq(ExtensionStatus::Granted))
        .order(extensions::id.desc())
        .select(Extension::as_select())
        .first(conn)
        .optional()?;
    Ok(latest.and_then(|e| e.granted()))
}

/// One firm's month: its own due date (under the calendar setting), and
/// the extension in force, whose date replaces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthDue {
    pub base: NaiveDate,
    pub extension: Option<Granted>,
}

impl MonthDue {
    /// The due date in force.
    pub fn due(&self) -> NaiveDate {
        self.extension.as_ref().map_or(self.base, |g| g.due)
    }
}

/// The due date in force for one firm's month.
pub fn due_of(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<MonthDue> {
    let base = due_date(period, settings::due_day(conn)?);
    Ok(MonthDue {
        base,
        extension: in_force(conn, firm_id, period)?,
    })
}

/// Every request for one firm's month, newest first.
pub fn of_month(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<Vec<Extension>> {
    extensions::table
        .filter(extensions::firm_id.eq(firm_id))
        .filter(extensions::period.eq(period.to_string()))
        .order(extensions::id.desc())
        .select(Extension::as_select())
        .load(conn)
}

/// Requests awaiting a decision, oldest first, with their firm's name.
pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<(Extension, String)>> {
    extensions::table
        .inner_join(firms::table)
        .filter(extensions::status.eq(ExtensionStatus::Pending))
        .order(extensions::id.asc())
        .select((Extension::as_select(), firms::name))
        .load(conn)
}

/// The latest decided requests (any firm), newest first.
pub fn recently_decided(conn: &mut DbConn, count: i64) -> QueryResult<Vec<(Extension, String)>> {
    extensions::table
        .inner_join(firms::table)
        .filter(extensions::status.ne(ExtensionStatus::Pending))
        .order(extensions::decided_at.desc())
        .limit(count)
        .select((Extension::as_select(), firms::name))
        .load(conn)
}

/// One request with its firm's name and who asked.
pub struct Found {
    pub extension: Extension,
    pub firm: String,
    pub requester: String,
    pub month: MonthDue,
    /// Versions filed for the month.
    pub filed: i64,
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Found> {
    let (extension, firm): (Extension, String) = extensions::table
        .inner_join(firms::table)
        .filter(extensions::id.eq(id))
        .select((Extension::as_select(), firms::name))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let requester = users::table
        .find(extension.requested_by)
        .select(users::display_name)
        .first(conn)?;
    let period = stored_period(&extension.period)?;
    let month = due_of(conn, extension.firm_id, period)?;
    let filed = filed_count(conn, extension.firm_id, &extension.period)?;
    Ok(Found {
        extension,
        firm,
        requester,
        month,
        filed,
    })
}

fn stored_period(raw: &str) -> AppResult<Period> {
    Period::parse(raw).map_err(|_| AppError::Internal(format!("stored period {raw} unreadable")))
}

/// Whether the firm has filed the month (any version).
pub fn filed(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<bool> {
    Ok(filed_count(conn, firm_id, &period.to_string())? > 0)
}

fn filed_count(conn: &mut DbConn, firm_id: i64, period: &str) -> QueryResult<i64> {
    return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period))
        .count()
        .get_result(conn)
}

/// The reason as typed: required, at most the reason limit, no control
/// characters.
fn reason_of(raw: &str, required: bool) -> Result<String, Key> {
    clean_text(raw, RETURN_REASON, required)
}

/// An approver asks for `date` as the new due date of `period`.
#[tracing::instrument(skip_all, fields(firm = firm_id, period = %period))]
#[allow(clippy::too_many_arguments)]
pub fn request(
    conn: &mut DbConn,
    actor: &Actor,
    requested_by: i64,
    firm_id: i64,
    period: Period,
    date: &str,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<Result<Extension, Invalid>> {
    let mut invalid = Invalid::default();
    let date = parse_date(date)
        .map_err(|key| invalid.push(DATE_FIELD, key))
        .ok();
    let reason = reason_of(reason, true)
        .map_err(|key| invalid.push("reason", key))
        .ok();
    let (Some(date), Some(reason)) = (date, reason) else {
        return Ok(Err(invalid));
    };
    let key = period.to_string();
    let asked = write_tx(conn, |conn| {
        let month = due_of(conn, firm_id, period)?;
        if let Err(why) = check_new_due(date, month.due(), month.base) {
            return Ok(Err(Invalid::one(DATE_FIELD, why)));
        }
        if filed_count(conn, firm_id, &key)? > 0 {
            return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.filed"))));
        }
        if !of_month(conn, firm_id, period)?
            .iter()
            .all(|e| e.status != ExtensionStatus::Pending)
        {
            return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.open"))));
        }
        // Guarded: nothing is inserted once the month is filed, whatever
        // was read above; the unique index holds one open request.
        let unfiled = not(exists(
            return_versions::table
                .filter(return_versions::firm_id.eq(firm_id))
                .filter(return_versions::period.eq(&key)),
        ));
        let source = firms::table
            .filter(firms::id.eq(firm_id))
            .filter(unfiled)
            .select((
                firms::id,
                diesel::dsl::sql::<diesel::sql_types::Text>("")
                    .bind::<diesel::sql_types::Text, _>(key.clone()),
                diesel::dsl::sql::<diesel::sql_types::Date>("")
                    .bind::<diesel::sql_types::Date, _>(month.due()),
                diesel::dsl::sql::<diesel::sql_types::Date>("")
                    .bind::<diesel::sql_types::Date, _>(date),
                diesel::dsl::sql::<diesel::sql_types::Text>("")
                    .bind::<diesel::sql_types::Text, _>(reason.clone()),
                diesel::dsl::sql::<diesel::sql_types::BigInt>("")
                    .bind::<diesel::sql_types::BigInt, _>(requested_by),
                diesel::dsl::sql::<diesel::sql_types::Timestamp>("")
                    .bind::<diesel::sql_types::Timestamp, _>(now),
                diesel::dsl::sql::<diesel::sql_types::Text>("")
                    .bind::<diesel::sql_types::Text, _>(ExtensionStatus::Pending.as_str()),
            ));
        let inserted = diesel::insert_into(extensions::table)
            .values(source)
            .into_columns((
                extensions::firm_id,
                extensions::period,
                extensions::due_before,
                extensions::requested_due,
                extensions::reason,
                extensions::requested_by,
                extensions::requested_at,
                extensions::status,
            ))
            .execute(conn)?;
        if inserted == 0 {
            return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.filed"))));
        }
        let extension: Extension = extensions::table
            .filter(extensions::firm_id.eq(firm_id))
            .filter(extensions::period.eq(&key))
            .filter(extensions::status.eq(ExtensionStatus::Pending))
            .select(Extension::as_select())
            .first(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ExtensionRequested,
                object_type: "extension",
                object_id: &extension.id.to_string(),
                detail: &format!(
                    "{} firm {firm_id} period {key}: due {} -> {date} asked",
                    extension.reference(),
                    month.due()
                ),
            },
        )?;
        Ok(Ok(extension))
    });
    match asked {
        // Two requests at once: the index kept the first.
        Err(AppError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
            Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.open"))))
        }
        other => other,
    }
}

/// Regulator staff decide request `id`: grant `date` (any date the rules
/// allow, not only the one asked) or refuse, with `reason` (required to
/// refuse). The firm's approvers are emailed the decision.
#[tracing::instrument(skip_all, fields(extension = id))]
#[allow(clippy::too_many_arguments)]
pub fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    decided_by: i64,
    id: i64,
    decision: Decision,
    date: &str,
    reason: &str,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Result<Extension, Invalid>> {
    let mut invalid = Invalid::default();
    let granted = match decision {
        Decision::Grant => parse_date(date)
            .map_err(|key| invalid.push(DATE_FIELD, key))
            .ok(),
        Decision::Refuse => None,
    };
    let reason = reason_of(reason, decision == Decision::Refuse)
        .map_err(|key| invalid.push("reason", key))
        .ok();
    let Some(reason) = reason.filter(|_| invalid.is_empty()) else {
        return Ok(Err(invalid));
    };
    write_tx(conn, |conn| {
        let found = find(conn, id)?;
        let ext = &found.extension;
        if ext.status != ExtensionStatus::Pending {
            return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.decided"))));
        }
        if let Some(date) = granted {
            if let Err(why) = check_new_due(date, found.month.due(), found.month.base) {
                return Ok(Err(Invalid::one(DATE_FIELD, why)));
            }
            if found.filed > 0 {
                return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.filed_grant"))));
            }
        }
        let status = match decision {
            Decision::Grant => ExtensionStatus::Granted,
            Decision::Refuse => ExtensionStatus::Refused,
        };
        let unfiled = not(exists(
            return_versions::table
                .filter(return_versions::firm_id.eq(ext.firm_id))
                .filter(return_versions::period.eq(&ext.period)),
        ));
        let target = extensions::table
            .filter(extensions::id.eq(id))
            .filter(extensions::status.eq(ExtensionStatus::Pending));
        let set = (
            extensions::status.eq(status),
            extensions::granted_due.eq(granted),
            extensions::decision_reason.eq((!reason.is_empty()).then_some(reason.as_str())),
            extensions::decided_by.eq(Some(decided_by)),
            extensions::decided_at.eq(Some(now)),
        );
        let changed = match decision {
            Decision::Grant => diesel::update(target.filter(unfiled))
                .set(set)
                .execute(conn)?,
            Decision::Refuse => diesel::update(target).set(set).execute(conn)?,
        };
        if changed == 0 {
            return Ok(Err(Invalid::one(DATE_FIELD, msg!("ext.err.decided"))));
        }
        let decided: Extension = extensions::table
            .find(id)
            .select(Extension::as_select())
            .first(conn)?;
        let reference = decided.reference();
        let (action, detail) = match granted {
            Some(date) => (
                Action::ExtensionGranted,
                format!("{reference}: due {} -> {date}", found.month.due()),
            ),
            None => (Action::ExtensionRefused, format!("{reference}: refused")),
        };
        audit::record(
            conn,
            now,
            actor,
            Event {
                action,
                object_type: "extension",
                object_id: &id.to_string(),
                detail: &detail,
            },
        )?;
        let approvers = notify::firm_users(conn, decided.firm_id, &[Role::Approver])?;
        let link = links.return_page(&decided.period);
        let due = granted.unwrap_or(found.month.due());
        notify::send_each(conn, &approvers, now, |to, lang| {
            workflow_messages::extension_decided(
                to,
                lang,
                workflow_messages::ExtensionDecision {
                    firm: &found.firm,
                    period: &decided.period,
                    reference: &reference,
                    granted: granted.is_some(),
                    due,
                    reason: &reason,
                },
                &link,
            )
        })?;
        Ok(Ok(decided))
    })
}
