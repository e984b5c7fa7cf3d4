//! A firm as regulator staff see it: the firm and every version it has
//! filed, newest period first.

use diesel::prelude::*;

use super::accounts;
use crate::db::DbConn;
use crate::db::models::{Firm, Version};
use crate::db::schema::return_versions;
use crate::error::AppResult;

/// The firm `firm_id` (not found: `AppError::NotFound`) and its versions by
/// period (newest first), then version number (newest first).
pub fn of_firm(conn: &mut DbConn, firm_id: i64) -> AppResult<(Firm, Vec<Version>)> {
    let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
    let versions = return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .order((
            return_versions::period.desc(),
            return_versions::version_no.desc(),
        ))
        .select(Version::as_select())
        .load(conn)?;
    Ok((firm, versions))
}
