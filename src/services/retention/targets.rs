//! What the retention purge clears: the one list of purge targets.
//!
//! Every contact field and free-text narrative kept of a month past
//! retention, for firms not under a legal hold:
//!
//! - `return_versions`: `remediation`, `approver_note`, `review_note`,
//!   `nil_explanation` (the version's month);
//! - `version_details`: `contact_name`, `contact_phone`, `contact_email`,
//!   `detected_other_text`, `warnings_explanation` (its version's month);
//!   `compensation_policy` is a code (`full`/`partial`/`considering`), not
//!   free text, and stays;
//! - `returns.draft_json` (drafts, of any state): the same contact and
//!   narrative fields of the form (`remediation`, `detected_other_text`,
//!   `warnings_explanation`, `contact_*`);
//! - `incident_versions.document` and `incident_drafts.document`: the
//!   report's `actions`, `containment`, `cause`, `root_cause` and
//!   `remediation` (the incident's month, `incidents.period`);
//! - `incident_messages.body`: the incident's thread;
//! - `incidents.reclassified_reason`: why it was found not reportable;
//! - `review_comments.body` and `review_answers.body`: the review threads
//!   on a version (its month);
//! - `version_amendments.reason_text`: the approver's words on why a
//!   version amends the one before (the reason's code stays).
//!
//! A field is replaced by the [`Marker`] of the day; an empty field or one
//! already a marker is left as it is, so a second run changes nothing.
//! Figures, codes, dates, receipts (`receipt_no`, `content_sha256`), the
//! period summary, publications and the audit trail are never touched.
//!
//! To purge another table, write a function of the [`Purge`] shape that
//! clears its fields within the [`Scope`] (see [`return_versions`] for
//! plain text columns) and add a [`Target`] for it to [`TARGETS`]: the run
//! counts it, and its audit event names it.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    incident_drafts, incident_messages, incident_versions, incidents, legal_holds, return_versions,
    returns, review_answers, review_comments, version_amendments, version_details,
};
use crate::domain::incident::{Report, ReportForm};
use crate::domain::retention::{MARKER_LIKE, Marker};
use crate::services::incidents::stored;
use crate::services::return_form::{CONTACT, FiguresForm};

/// What one run purges: months up to `last_period` (`YYYY-MM`), of firms
/// under no legal hold, replaced by `marker`.
pub struct Scope {
    pub last_period: String,
    pub marker: String,
}

/// Clears one table's fields within the scope; the number of fields cleared.
pub type Purge = fn(&mut DbConn, &Scope) -> QueryResult<usize>;

pub struct Target {
    /// The name the audit event gives the count under.
    pub name: &'static str,
    pub purge: Purge,
}

/// Every purge target, in the order a run clears them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "return_versions",
        purge: return_versions,
    },
    Target {
        name: "version_details",
        purge: version_details,
    },
    Target {
        name: "return_drafts",
        purge: return_drafts,
    },
    Target {
        name: "incident_versions",
        purge: incident_versions,
    },
    Target {
        name: "incident_drafts",
        purge: incident_drafts,
    },
    Target {
        name: "incident_messages",
        purge: incident_messages,
    },
    Target {
        name: "incidents",
        purge: incidents,
    },
    Target {
        name: "review_comments",
        purge: review_comments,
    },
    Target {
        name: "review_answers",
        purge: review_answers,
    },
    Target {
        name: "version_amendments",
        purge: version_amendments,
    },
];

/// The draft form's fields that are contact details or narratives.
const DRAFT_FIELDS: [&str; 3] = ["remediation", "detected_other_text", "warnings_explanation"];

/// Replaces each purgeable text with the marker; how many were.
fn clear_texts<'a>(texts: impl IntoIterator<Item = &'a mut String>, marker: &str) -> usize {
    let mut cleared = 0;
    for text in texts {
        if Marker::is_purgeable(text) {
            marker.clone_into(text);
            cleared += 1;
        }
    }
    cleared
}

/// Sets `$column` of the rows of `$table` matching `$scope` to the marker,
/// where it holds text that is not a marker yet.
macro_rules! clear_column {
    ($conn:expr, $scope:expr, $table:ident, $column:ident, $filter:expr) => {
        diesel::update(
            $table::table
                .filter($filter)
                .filter($table::$column.ne(""))
                .filter($table::$column.not_like(MARKER_LIKE)),
        )
        .set($table::$column.eq(&$scope.marker))
        .execute($conn)?
    };
}

/// Firms under a legal hold in force.
macro_rules! held_firms {
    () => {
        legal_holds::table
            .filter(legal_holds::lifted_at.is_null())
            .select(legal_holds::firm_id)
    };
}

/// Versions of months in scope.
macro_rules! versions_in_scope {
    ($scope:expr) => {
        return_versions::table
            .filter(return_versions::period.le(&$scope.last_period))
            .filter(return_versions::firm_id.ne_all(held_firms!()))
            .select(return_versions::id)
    };
}

/// Incidents of months in scope.
macro_rules! incidents_in_scope {
    ($scope:expr) => {
        incidents::table
            .filter(incidents::period.le(&$scope.last_period))
            .filter(incidents::firm_id.ne_all(held_firms!()))
            .select(incidents::id)
    };
}

fn return_versions(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    macro_rules! in_scope {
        () => {
            return_versions::period
                .le(&s.last_period)
                .and(return_versions::firm_id.ne_all(held_firms!()))
        };
    }
    Ok(
        clear_column!(conn, s, return_versions, remediation, in_scope!())
            + clear_column!(conn, s, return_versions, approver_note, in_scope!())
            + clear_column!(conn, s, return_versions, review_note, in_scope!())
            + clear_column!(conn, s, return_versions, nil_explanation, in_scope!()),
    )
}

fn version_details(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    macro_rules! in_scope {
        () => {
            version_details::version_id.eq_any(versions_in_scope!(s))
        };
    }
    Ok(
        clear_column!(conn, s, version_details, contact_name, in_scope!())
            + clear_column!(conn, s, version_details, contact_phone, in_scope!())
            + clear_column!(conn, s, version_details, contact_email, in_scope!())
            + clear_column!(conn, s, version_details, detected_other_text, in_scope!())
            + clear_column!(conn, s, version_details, warnings_explanation, in_scope!()),
    )
}

/// Drafts are a stored form: each is read, cleared and written back only
/// if unchanged since it was read.
fn return_drafts(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    let drafts: Vec<(i64, Option<String>)> = returns::table
        .filter(returns::period.le(&s.last_period))
        .filter(returns::firm_id.ne_all(held_firms!()))
        .filter(returns::draft_json.is_not_null())
        .select((returns::id, returns::draft_json))
        .load(conn)?;
    let mut cleared = 0;
    for (id, json) in drafts {
        let Some(json) = json else { continue };
        let mut form: FiguresForm = stored(&json)?;
        let n = clear_texts(
            form.0
                .iter_mut()
                .filter(|(k, _)| {
                    CONTACT.contains(&k.as_str()) || DRAFT_FIELDS.contains(&k.as_str())
                })
                .map(|(_, v)| v),
            &s.marker,
        );
        if n > 0 {
            cleared += n * write_back_draft(conn, id, &json, &form)?;
        }
    }
    Ok(cleared)
}

fn write_back_draft(
    conn: &mut DbConn,
    id: i64,
    was: &str,
    form: &FiguresForm,
) -> QueryResult<usize> {
    diesel::update(returns::table.find(id).filter(returns::draft_json.eq(was)))
        .set(returns::draft_json.eq(json(form)?))
        .execute(conn)
}

fn report_texts(r: &mut Report) -> [&mut String; 5] {
    [
        &mut r.actions,
        &mut r.containment,
        &mut r.cause,
        &mut r.root_cause,
        &mut r.remediation,
    ]
}

fn form_texts(r: &mut ReportForm) -> [&mut String; 5] {
    [
        &mut r.actions,
        &mut r.containment,
        &mut r.cause,
        &mut r.root_cause,
        &mut r.remediation,
    ]
}

fn incident_versions(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    let rows: Vec<(i64, String)> = incident_versions::table
        .filter(incident_versions::incident_id.eq_any(incidents_in_scope!(s)))
        .select((incident_versions::id, incident_versions::document))
        .load(conn)?;
    let mut cleared = 0;
    for (id, document) in rows {
        let mut report: Report = stored(&document)?;
        let n = clear_texts(report_texts(&mut report), &s.marker);
        if n > 0 {
            cleared += n * diesel::update(
                incident_versions::table
                    .find(id)
                    .filter(incident_versions::document.eq(&document)),
            )
            .set(incident_versions::document.eq(json(&report)?))
            .execute(conn)?;
        }
    }
    Ok(cleared)
}

fn incident_drafts(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    let rows: Vec<(i64, String)> = incident_drafts::table
        .filter(incident_drafts::incident_id.eq_any(incidents_in_scope!(s)))
        .select((incident_drafts::incident_id, incident_drafts::document))
        .load(conn)?;
    let mut cleared = 0;
    for (id, document) in rows {
        let mut form: ReportForm = stored(&document)?;
        let n = clear_texts(form_texts(&mut form), &s.marker);
        if n > 0 {
            cleared += n * diesel::update(
                incident_drafts::table
                    .find(id)
                    .filter(incident_drafts::document.eq(&document)),
            )
            .set(incident_drafts::document.eq(json(&form)?))
            .execute(conn)?;
        }
    }
    Ok(cleared)
}

fn incident_messages(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    Ok(clear_column!(
        conn,
        s,
        incident_messages,
        body,
        incident_messages::incident_id.eq_any(incidents_in_scope!(s))
    ))
}

fn incidents(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    diesel::update(
        incidents::table
            .filter(incidents::period.le(&s.last_period))
            .filter(incidents::firm_id.ne_all(held_firms!()))
            .filter(incidents::reclassified_reason.ne(""))
            .filter(incidents::reclassified_reason.not_like(MARKER_LIKE)),
    )
    .set(incidents::reclassified_reason.eq(&s.marker))
    .execute(conn)
}

fn review_comments(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    Ok(clear_column!(
        conn,
        s,
        review_comments,
        body,
        review_comments::version_id.eq_any(versions_in_scope!(s))
    ))
}

fn review_answers(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    Ok(clear_column!(
        conn,
        s,
        review_answers,
        body,
        review_answers::comment_id.eq_any(
            review_comments::table
                .filter(review_comments::version_id.eq_any(versions_in_scope!(s)))
                .select(review_comments::id)
        )
    ))
}

fn version_amendments(conn: &mut DbConn, s: &Scope) -> QueryResult<usize> {
    Ok(clear_column!(
        conn,
        s,
        version_amendments,
        reason_text,
        version_amendments::version_id.eq_any(versions_in_scope!(s))
    ))
}

fn json<T: serde::Serialize>(value: &T) -> QueryResult<String> {
    serde_json::to_string(value).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}
