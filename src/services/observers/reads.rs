//! What an observer reads: the versions their live scope covers, each
//! without the contact person, the submitter, the review note or the trade
//! detail (taken out here, before any page sees the version).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{Version, VersionDetails};
use crate::db::schema::{firms, return_versions, version_details};
use crate::domain::VersionStatus;
use crate::domain::observer_scope::{ObserverScope, Reach};

/// A version as observers may see it: who submitted and reviewed it, the
/// regulator's note and the submission key taken out.
fn withheld(mut v: Version) -> Version {
    v.submitted_by = None;
    v.reviewed_by = None;
    v.reviewed_at = None;
    v.review_note = None;
    v.idempotency_key = None;
    v
}

/// A version's details as observers may see them: the contact person, the
/// attester and the four-eyes record taken out.
fn withheld_details(mut d: VersionDetails) -> VersionDetails {
    d.contact_name = String::new();
    d.contact_phone = String::new();
    d.contact_email = String::new();
    d.attested_by = None;
    d.four_eyes = String::new();
    d
}

/// One version in the observer's list.
pub struct Line {
    pub id: i64,
    pub firm: String,
    pub period: String,
    pub version_no: i32,
    pub status: VersionStatus,
    pub submitted_at: NaiveDateTime,
}

/// The versions a live firm scope covers, by firm, month and version.
pub fn covered(
    conn: &mut DbConn,
    scope: &ObserverScope,
    today: NaiveDate,
) -> QueryResult<Vec<Line>> {
    let Reach::Firms {
        firms: ids,
        from,
        to,
    } = &scope.reach
    else {
        return Ok(vec![]);
    };
    if !scope.is_live(today) {
        return Ok(vec![]);
    }
    let rows: Vec<(i64, String, String, i32, VersionStatus, NaiveDateTime)> =
        return_versions::table
            .inner_join(firms::table)
            .filter(return_versions::firm_id.eq_any(ids))
            .filter(return_versions::period.ge(from.to_string()))
            .filter(return_versions::period.le(to.to_string()))
            .order((
                firms::name,
                return_versions::period.desc(),
                return_versions::version_no.desc(),
            ))
            .select((
                return_versions::id,
                firms::name,
                return_versions::period,
                return_versions::version_no,
                return_versions::status,
                return_versions::submitted_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, firm, period, version_no, status, submitted_at)| Line {
                id,
                firm,
                period,
                version_no,
                status,
                submitted_at,
            },
        )
        .collect())
}

/// One version as an observer reads it: built here only, with what
/// observers never see already taken out.
pub struct Observed {
    pub version: Version,
    pub firm_name: String,
    pub details: Option<VersionDetails>,
    /// The return's other versions (id, number), oldest first.
    pub siblings: Vec<(i64, i32)>,
}

/// The version `id` if the live scope covers its firm and month; `None`
/// otherwise, the same answer as for a version that does not exist.
pub fn version(
    conn: &mut DbConn,
    scope: &ObserverScope,
    id: i64,
    today: NaiveDate,
) -> QueryResult<Option<Observed>> {
    let found: Option<(Version, String)> = return_versions::table
        .inner_join(firms::table)
        .filter(return_versions::id.eq(id))
        .select((Version::as_select(), firms::name))
        .first(conn)
        .optional()?;
    let Some((version, firm_name)) = found else {
        return Ok(None);
    };
    if !scope.covers(version.firm_id, &version.period, today) {
        return Ok(None);
    }
    let details = version_details::table
        .find(version.id)
        .select(VersionDetails::as_select())
        .first(conn)
        .optional()?
        .map(withheld_details);
    let siblings = return_versions::table
        .filter(return_versions::firm_id.eq(version.firm_id))
        .filter(return_versions::period.eq(&version.period))
        .order(return_versions::version_no)
        .select((return_versions::id, return_versions::version_no))
        .load(conn)?;
    Ok(Some(Observed {
        version: withheld(version),
        firm_name,
        details,
        siblings,
    }))
}
