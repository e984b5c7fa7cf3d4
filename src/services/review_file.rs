//! What the analyst reads beside a version before deciding: the checks
//! the domain's rules raise on its figures (re-run as at its submission),
//! its trade detail reconciled with its figures, the version before it,
//! the firm's history of versions and reviews, and the queue of versions
//! awaiting review.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::{Firm, Version, VersionDetails};
use crate::db::schema::{firms, return_versions, returns, trade_details, users};
use crate::domain::VersionStatus;
use crate::domain::details::{Checked, Previous, Warning, warnings_of};
use crate::domain::period::Period;

/// The warnings the domain's rules raise on `v` (with its details), the
/// previous month taken as the firm had filed it when `v` was submitted.
pub fn checks(
    conn: &mut DbConn,
    v: &Version,
    details: Option<&VersionDetails>,
) -> QueryResult<Vec<Warning>> {
    let previous = Period::parse(&v.period).ok().map(|p| p.prev().to_string());
    let previous: Option<Version> = match previous {
        Some(prev) => return_versions::table
            .filter(return_versions::firm_id.eq(v.firm_id))
            .filter(return_versions::period.eq(prev))
            .filter(return_versions::submitted_at.le(v.submitted_at))
            .order(return_versions::version_no.desc())
            .select(Version::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    let values = Checked {
        accesses: v.unauthorized_accesses,
        affected: v.affected_accounts,
        trades: v.fraudulent_trades,
        sale: v.sale_amount_jpy,
        purchase: v.purchase_amount_jpy,
        losses: details.map_or(0, |d| d.customer_losses_jpy),
        compensation: details.map_or(0, |d| d.compensation_paid_jpy),
    };
    Ok(warnings_of(
        &values,
        previous.map(|p| Previous {
            accesses: p.unauthorized_accesses,
            trades: p.fraudulent_trades,
            sale: p.sale_amount_jpy,
            purchase: p.purchase_amount_jpy,
        }),
    ))
}

/// A version's trade detail against its figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TradeCheck {
    pub rows: i64,
    pub sell: i64,
    pub buy: i64,
}

impl TradeCheck {
    /// (rows, sells, buys) each as (file total, figure, equal).
    pub fn against(&self, v: &Version) -> [(i64, i64, bool); 3] {
        [
            (self.rows, v.fraudulent_trades),
            (self.sell, v.sale_amount_jpy),
            (self.buy, v.purchase_amount_jpy),
        ]
        .map(|(file, figure)| (file, figure, file == figure))
    }
}

/// The totals of the trade detail filed with `version_id` (`None`: none).
pub fn trade_check(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<TradeCheck>> {
    let rows: Vec<(String, i64)> = trade_details::table
        .filter(trade_details::version_id.eq(version_id))
        .select((trade_details::side, trade_details::amount_jpy))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut check = TradeCheck::default();
    for (side, amount) in rows {
        check.rows += 1;
        if side.eq_ignore_ascii_case("buy") {
            check.buy = check.buy.saturating_add(amount);
        } else {
            check.sell = check.sell.saturating_add(amount);
        }
    }
    Ok(Some(check))
}

/// The version before `v` of the same return, with its details.
pub fn previous_version(
    conn: &mut DbConn,
    v: &Version,
) -> QueryResult<Option<(Version, Option<VersionDetails>)>> {
    let before: Option<Version> = return_versions::table
        .filter(return_versions::return_id.eq(v.return_id))
        .filter(return_versions::version_no.lt(v.version_no))
        .order(return_versions::version_no.desc())
        .select(Version::as_select())
        .first(conn)
        .optional()?;
    match before {
        Some(b) => {
            let details = super::submission::details_of(conn, b.id)?;
            Ok(Some((b, details)))
        }
        None => Ok(None),
    }
}

/// One version in a firm's history, with who reviewed it.
pub struct HistoryLine {
    pub version: Version,
    pub reviewer: Option<String>,
}

/// Every version the firm has filed, newest period first, newest version
/// first within a period.
pub fn firm_history(conn: &mut DbConn, firm_id: i64) -> QueryResult<Vec<HistoryLine>> {
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

/// Whether a history line was sent back to the firm.
pub fn was_returned(v: &Version) -> bool {
    v.status == VersionStatus::Returned
}

/// Every version awaiting review (the latest of its return, status
/// submitted), oldest submission first, optionally of one month and one
/// firm.
pub fn awaiting(
    conn: &mut DbConn,
    period: Option<Period>,
    firm_id: Option<i64>,
) -> QueryResult<Vec<(Firm, Version)>> {
    let mut query = returns::table
        .inner_join(
            return_versions::table.on(return_versions::return_id
                .eq(returns::id)
                .and(return_versions::version_no.eq(returns::current_version))),
        )
        .inner_join(firms::table.on(firms::id.eq(returns::firm_id)))
        .filter(return_versions::status.eq("submitted"))
        .into_boxed();
    if let Some(period) = period {
        query = query.filter(returns::period.eq(period.to_string()));
    }
    if let Some(firm_id) = firm_id {
        query = query.filter(returns::firm_id.eq(firm_id));
    }
    query
        .order((
            return_versions::submitted_at.asc(),
            return_versions::id.asc(),
        ))
        .select((Firm::as_select(), Version::as_select()))
        .load(conn)
}
