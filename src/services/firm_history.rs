//! A firm as regulator staff see it: every version it has filed, newest
//! period first, with who reviewed each. The one query of a firm's history,
//! for the firm's page and the review page of any of its versions.

use diesel::prelude::*;

use super::accounts;
use crate::db::DbConn;
use crate::db::models::{Firm, Version};
use crate::db::schema::{return_versions, users};
use crate::error::AppResult;

/// One version in a firm's history, with who reviewed it.
pub struct HistoryLine {
    pub version: Version,
    pub reviewer: Option<String>,
}

/// Every version the firm has filed, by period (newest first), then
/// version number (newest first).
pub fn versions(conn: &mut DbConn, firm_id: i64) -> QueryResult<Vec<HistoryLine>> {
    let versions: Vec<(Version, Option<String>)> = return_versions::table
        .left_join(users::table.on(users::id.nullable().eq(return_versions::reviewed_by)))
        .filter(return_versions::firm_id.eq(firm_id))
        .order((
            return_versions::period.desc(),
            return_versions::version_no.desc(),
        ))
        .select((Version::as_select(), users::display_name.nullable()))
        .load(conn)?;
    Ok(versions
        .into_iter()
        .map(|(version, reviewer)| HistoryLine { version, reviewer })
        .collect())
}

/// The firm `firm_id` (not found: `AppError::NotFound`) and its history.
pub fn of_firm(conn: &mut DbConn, firm_id: i64) -> AppResult<(Firm, Vec<HistoryLine>)> {
    let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
    Ok((firm, versions(conn, firm_id)?))
}
