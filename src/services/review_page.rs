//! Everything the analyst's page of one version shows, read in one
//! read-only snapshot, each row once: the version with its firm and
//! four-eyes statement, the firm's history (from which its other versions,
//! the version before it and the month before it are taken), the details
//! of it and of the version before, the people behind it, its trade
//! detail added up by the database, and the firm's incidents that began
//! in its month (listed as they stand; its checks take them as they stood
//! when it was filed).

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::audit::Action;
use super::firm_history::{self, HistoryLine};
use super::four_eyes::{Basis, VersionPeople};
use super::review_file::{self, TradeReconciliation};
use crate::db::models::{Firm, Incident, Version, VersionDetails};
use crate::db::schema::{
    audit_events, firms, return_versions, users, version_details, version_preparers,
};
use crate::db::{Backend, DbConn};
use crate::domain::details::{self, Warning};
use crate::domain::period::Period;
use crate::error::AppError;

/// The analyst's page of one version, as read.
pub struct ReviewPage {
    pub firm: Firm,
    pub version: Version,
    /// The versions of the same return, oldest first.
    pub siblings: Vec<Version>,
    /// Who submitted it: display name and email (`None`: imported).
    pub submitter: Option<(String, String)>,
    /// Who reviewed it, by display name.
    pub reviewer: Option<String>,
    pub details: Option<VersionDetails>,
    pub people: VersionPeople,
    pub checks: Vec<Warning>,
    /// `None`: no trade detail was filed with it.
    pub trades: Option<TradeReconciliation>,
    /// The version before it of the same return, with its details.
    pub previous: Option<(Version, Option<VersionDetails>)>,
    /// Every version the firm has filed, newest period first.
    pub history: Vec<HistoryLine>,
    /// The firm's incidents that began in the version's month, as they
    /// stand now.
    pub incidents: Vec<Incident>,
    /// A nil version's warnings (message keys) and their explanation.
    pub nil_explanation: Option<(String, String)>,
    /// Why this version amends the one before (none for a first version).
    pub amendment: Option<crate::domain::amendment::Amendment>,
}

/// The four-eyes statement recorded on a version: who attested, the
/// approver's note, the basis and the exemption's date.
type Statement = (Option<i64>, String, String, Option<NaiveDate>);

/// The page of version `version_id` (`None`: no such version), read in one
/// snapshot (on PostgreSQL repeatable read, read only).
pub fn load(conn: &mut DbConn, version_id: i64) -> Result<Option<ReviewPage>, AppError> {
    conn.transaction::<_, AppError, _>(|conn| {
        if conn.backend() == Backend::Postgres {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        Ok(read(conn, version_id)?)
    })
}

fn read(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<ReviewPage>> {
    let Some((version, firm, statement)) = return_versions::table
        .inner_join(firms::table)
        .filter(return_versions::id.eq(version_id))
        .select((
            Version::as_select(),
            Firm::as_select(),
            (
                return_versions::attested_by,
                return_versions::approver_note,
                return_versions::four_eyes_basis,
                return_versions::exempt_decided_on,
            ),
        ))
        .first::<(Version, Firm, Statement)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let history = firm_history::versions(conn, firm.id)?;
    let mut siblings: Vec<Version> = history
        .iter()
        .filter(|h| h.version.return_id == version.return_id)
        .map(|h| h.version.clone())
        .collect();
    siblings.sort_by_key(|s| s.version_no);
    let before = siblings
        .iter()
        .filter(|s| s.version_no < version.version_no)
        .max_by_key(|s| s.version_no)
        .cloned();
    let reviewer = history
        .iter()
        .find(|h| h.version.id == version.id)
        .and_then(|h| h.reviewer.clone());

    let ids: Vec<i64> = std::iter::once(version.id)
        .chain(before.as_ref().map(|b| b.id))
        .collect();
    let mut all_details: Vec<VersionDetails> = version_details::table
        .filter(version_details::version_id.eq_any(&ids))
        .select(VersionDetails::as_select())
        .load(conn)?;
    let mut take_details = |id: i64| {
        all_details
            .iter()
            .position(|d| d.version_id == id)
            .map(|at| all_details.swap_remove(at))
    };
    let details = take_details(version.id);
    let previous = before.map(|b| {
        let d = take_details(b.id);
        (b, d)
    });

    let (people, submitter) = people(
        conn,
        &version,
        previous.as_ref().map(|(p, _)| p.id),
        details.as_ref(),
        statement,
    )?;
    let mut checks = review_file::checks(
        &version,
        details.as_ref(),
        review_file::month_before(&version, &history),
    );
    let (incidents, nil_explanation) = match Period::parse(&version.period) {
        Ok(period) => {
            let then = super::reconcile::totals_as_at(conn, firm.id, period, version.submitted_at)?;
            let figures = (!version.is_nil)
                .then_some((version.unauthorized_accesses, version.fraudulent_trades));
            checks.extend(details::incident_warnings(figures, &then));
            (
                super::incidents::in_month(conn, firm.id, period)?,
                super::submission::nil_explanation_of(conn, version.id)?,
            )
        }
        Err(_) => (Vec::new(), None),
    };
    let trades = review_file::trade_totals(conn, version.id)?
        .map(|totals| review_file::reconcile(&totals, &version));
    let amendment = super::amendments::of_version(conn, version.id)?;
    Ok(Some(ReviewPage {
        amendment,
        firm,
        version,
        siblings,
        submitter,
        reviewer,
        details,
        people,
        checks,
        trades,
        previous,
        history,
        incidents,
        nil_explanation,
    }))
}

/// The people behind `version` (with the submitter's name and email):
/// its recorded preparers and statement, falling back to what versions
/// filed before those were recorded keep in their details, and the users
/// who saved its draft since the version before it (`previous`) was filed.
fn people(
    conn: &mut DbConn,
    version: &Version,
    previous: Option<i64>,
    details: Option<&VersionDetails>,
    (attested_by, approver_note, basis, decided): Statement,
) -> QueryResult<(VersionPeople, Option<(String, String)>)> {
    let recorded_as = details.map(|d| d.four_eyes.clone());
    // Before preparers had a table: "prepared by user <id>".
    let legacy_preparer = recorded_as
        .as_deref()
        .and_then(|f| f.strip_prefix("prepared by user "))
        .and_then(|id| id.trim().parse::<i64>().ok());
    let legacy_attester = details.and_then(|d| d.attested_by);

    let preparers: Vec<String> = version_preparers::table
        .inner_join(users::table.on(users::id.eq(version_preparers::user_id)))
        .filter(version_preparers::version_id.eq(version.id))
        .order(users::display_name.asc())
        .select(users::display_name)
        .load(conn)?;

    // Every name the block shows, in one read.
    let wanted: Vec<i64> = [
        version.submitted_by,
        attested_by,
        legacy_attester,
        legacy_preparer,
    ]
    .into_iter()
    .flatten()
    .collect();
    let named: Vec<(i64, String, String)> = users::table
        .filter(users::id.eq_any(&wanted))
        .select((users::id, users::display_name, users::email))
        .load(conn)?;
    let name = |id: Option<i64>| {
        id.and_then(|id| named.iter().find(|(uid, _, _)| *uid == id))
            .map(|(_, name, _)| name.clone())
    };
    let submitter = version
        .submitted_by
        .and_then(|id| named.iter().find(|(uid, _, _)| *uid == id))
        .map(|(_, name, email)| (name.clone(), email.clone()));

    let saved_by = draft_savers(conn, version, previous)?;
    let people = VersionPeople {
        preparers: if preparers.is_empty() {
            name(legacy_preparer).into_iter().collect()
        } else {
            preparers
        },
        submitter: name(version.submitted_by),
        attested_by: name(attested_by).or_else(|| name(legacy_attester)),
        approver_note,
        basis: Basis::from_stored(&basis, decided),
        saved_by,
        recorded_as,
    };
    Ok((people, submitter))
}

/// Distinct users who saved the draft `version` was filed from (since the
/// version before it was filed), in the order they first saved it, by the
/// order of the audit trail (times can tie).
fn draft_savers(
    conn: &mut DbConn,
    version: &Version,
    previous: Option<i64>,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = std::iter::once(version.id)
        .chain(previous)
        .map(|id| id.to_string())
        .collect();
    let submissions: Vec<(String, i64)> = audit_events::table
        .filter(
            audit_events::action
                .eq_any([Action::Submitted.as_str(), Action::SubmittedNil.as_str()]),
        )
        .filter(audit_events::object_type.eq("version"))
        .filter(audit_events::object_id.eq_any(&ids))
        .order(audit_events::id.asc())
        .select((audit_events::object_id, audit_events::id))
        .load(conn)?;
    let submitted = |id: i64| {
        let id = id.to_string();
        submissions
            .iter()
            .find(|(object, _)| *object == id)
            .map(|(_, event)| *event)
    };
    let until = submitted(version.id);
    let since = previous.and_then(submitted);
    let mut saves = audit_events::table
        .inner_join(users::table.on(audit_events::actor_user_id.eq(users::id.nullable())))
        .filter(audit_events::action.eq(Action::DraftSaved.as_str()))
        .filter(audit_events::object_type.eq("return"))
        .filter(audit_events::object_id.eq(version.return_id.to_string()))
        .into_boxed();
    if let Some(until) = until {
        saves = saves.filter(audit_events::id.lt(until));
    }
    if let Some(since) = since {
        saves = saves.filter(audit_events::id.gt(since));
    }
    let savers: Vec<(i64, String)> = saves
        .order(audit_events::id.asc())
        .select((users::id, users::display_name))
        .load(conn)?;
    let mut seen = Vec::new();
    let mut saved_by = Vec::new();
    for (id, name) in savers {
        if !seen.contains(&id) {
            seen.push(id);
            saved_by.push(name);
        }
    }
    Ok(saved_by)
}
