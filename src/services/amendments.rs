//! Why each amendment was made: kept beside the version its approver
//! filed (from the second version on), read back for the receipt, the
//! comparison and the analyst's version page. The exports read it in
//! their own page queries (`exports/pages.rs`, `exports/copy.rs`). A
//! draft sent through the filing API proposes it (its `amendment`), and
//! is checked for it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{Version, VersionDetails};
use crate::db::schema::{returns, version_amendments};
use crate::domain::amendment::{self, Amendment, AmendmentReason};
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::Invalid;
use crate::services::return_form::FiguresForm;
use crate::services::submission::{self, Assessment};

/// Keeps `amendment` as the reason of version `version_id` (inside the
/// caller's transaction).
pub fn store(
    conn: &mut DbConn,
    version_id: i64,
    amendment: &Amendment,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(version_amendments::table)
        .values((
            version_amendments::version_id.eq(version_id),
            version_amendments::reason.eq(amendment.reason),
            version_amendments::reason_text.eq(&amendment.text),
            version_amendments::recorded_at.eq(now),
        ))
        .execute(conn)
}

/// The reason version `version_id` was filed with (none for a first
/// version, an import, or a version filed before reasons were asked).
pub fn of_version(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<Amendment>> {
    let found: Option<(AmendmentReason, String)> = version_amendments::table
        .find(version_id)
        .select((version_amendments::reason, version_amendments::reason_text))
        .first(conn)
        .optional()?;
    Ok(found.map(|(reason, text)| Amendment { reason, text }))
}

/// A version with its details (none for versions filed before the
/// complete return, and for imports) and why it amends the one before.
pub type Compared = (Version, Option<VersionDetails>, Option<Amendment>);

/// A version as the comparison of two needs it.
pub fn compared(conn: &mut DbConn, version: Version) -> QueryResult<Compared> {
    let details = super::submission::details_of(conn, version.id)?;
    let amendment = of_version(conn, version.id)?;
    Ok((version, details, amendment))
}

/// Whether the firm-month has a version already (so the next amends it).
pub fn amending(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<bool> {
    let current: Option<i32> = returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select(returns::current_version)
        .first(conn)
        .optional()?;
    Ok(current.is_some_and(|v| v > 0))
}

/// What a draft lacks as an amendment (`amending`): the reason and its
/// words as the approver's page asks for them (rules RET-E023, RET-E024),
/// by the draft's fields. Nothing for a first version.
pub fn draft_problems(form: &FiguresForm, amending: bool) -> Invalid {
    if !amending {
        return Invalid::default();
    }
    let parsed = Amendment::parse(
        form.get(amendment::REASON_FIELD),
        form.get(amendment::TEXT_FIELD),
    );
    Invalid(parsed.err().unwrap_or_default())
}

/// Every check of a draft sent through the filing API, where the preparer
/// gives the amendment's reason: the return's rules and, for an
/// amendment, its reason.
pub fn assess_draft(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
) -> AppResult<Assessment> {
    let mut assessment = submission::assess(conn, firm_id, period, form)?;
    let amending = amending(conn, firm_id, period)?;
    assessment.errors.0.extend(draft_problems(form, amending).0);
    Ok(assessment)
}
