//! Why each amendment was made: kept beside the version its approver
//! filed (from the second version on), read back for the receipt, the
//! comparison and the analyst's version page. The exports read it in
//! their own page queries (`exports/pages.rs`, `exports/copy.rs`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{Version, VersionDetails};
use crate::db::schema::version_amendments;
use crate::domain::amendment::{Amendment, AmendmentReason};

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
