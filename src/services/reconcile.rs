//! The monthly return reconciled with the firm's incidents: the month's
//! incidents as they stood when a version was filed (for the analyst's
//! checks, which are re-run as at submission), and the explanation a nil
//! return needs over a month with incidents, written by a preparer on the
//! nil draft (a nil draft has no section pages). The warnings themselves
//! are `domain::details::incident_warnings`, raised by `submission`.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::return_form::FiguresForm;
use super::returns::{lock_existing, write_draft};
use super::{Actor, four_eyes, submission};
use crate::db::schema::{incident_versions, incidents};
use crate::db::{DbConn, write_tx};
use crate::domain::details::{self, IncidentTotals};
use crate::domain::incident::Report;
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::i18n::Key;

/// The firm's incidents that began in `period`, added up as they stood at
/// `at`: each incident's latest version sent by then (its month and
/// figures as that version said), unless it had been reclassified as not
/// reportable by then. Drafts nobody sent have no version and never count.
pub fn totals_as_at(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    at: NaiveDateTime,
) -> QueryResult<IncidentTotals> {
    let rows: Vec<(i64, String, Option<NaiveDateTime>)> = incident_versions::table
        .inner_join(incidents::table)
        .filter(incidents::firm_id.eq(firm_id))
        .filter(incident_versions::submitted_at.le(at))
        .order((
            incident_versions::incident_id.asc(),
            incident_versions::version_no.desc(),
        ))
        .select((
            incident_versions::incident_id,
            incident_versions::document,
            incidents::reclassified_at,
        ))
        .load(conn)?;
    let mut seen = HashSet::new();
    let mut counted = Vec::new();
    for (incident_id, document, reclassified_at) in rows {
        // Newest first: the first row of an incident is its latest.
        if !seen.insert(incident_id) || reclassified_at.is_some_and(|r| r <= at) {
            continue;
        }
        let report: Report = serde_json::from_str(&document)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        if Period::from_date(report.occurred_on) == period {
            counted.push((report.accounts, report.trades));
        }
    }
    Ok(IncidentTotals::of(counted))
}

/// What became of a nil return's explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Explained {
    Saved,
    /// The draft is no longer the nil draft the page showed: nothing saved.
    Stale,
    /// What was typed breaks a rule (the message beside the field).
    Refused(Key),
}

/// A preparer writes (or rewrites) why the month is nil although the firm
/// reported incidents that began in it, on the nil draft the page showed
/// (`shown_sha256`). Over a month with incidents an empty explanation is
/// refused, as submitting would be. Saving it is preparing: the preparer
/// is recorded for four eyes, and the change audited.
pub fn explain_nil(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    typed: &str,
    shown_sha256: &str,
    now: NaiveDateTime,
) -> AppResult<Explained> {
    let text = match details::explanation(typed) {
        Ok(text) => text,
        Err(key) => return Ok(Explained::Refused(key)),
    };
    write_tx(conn, |conn| {
        let Some(row) = lock_existing(conn, firm_id, period, now)? else {
            return Ok(Explained::Stale);
        };
        if row.draft_json.is_none()
            || !four_eyes::stored_draft(conn, row.id)?.is_nil()
            || four_eyes::current_sha256(conn, row.id)? != shown_sha256
        {
            return Ok(Explained::Stale);
        }
        let mut form = FiguresForm::nil();
        if !text.is_empty() {
            form.set("warnings_explanation", text);
        }
        if let Err(invalid) = submission::check_nil(conn, firm_id, period, &form)? {
            let key = invalid
                .for_field("warnings_explanation")
                .unwrap_or(msg!("err.explanation.required"));
            return Ok(Explained::Refused(key));
        }
        write_draft(conn, actor, &row, &form, now)?;
        Ok(Explained::Saved)
    })
}
