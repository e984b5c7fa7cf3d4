//! What the analyst reads beside a version before deciding: the checks
//! the domain's rules raise on its figures (as at its submission), its
//! trade detail reconciled with its figures, and the queue of versions
//! awaiting review.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::firm_history::HistoryLine;
use super::trades::{self, Expected, Totals};
use crate::db::DbConn;
use crate::db::models::{Firm, Version, VersionDetails};
use crate::db::schema::{firms, return_versions, returns, trade_details};
use crate::domain::VersionStatus;
use crate::domain::details::{Checked, Previous, Warning, warnings_of};
use crate::domain::period::Period;

/// The warnings the domain's rules raise on `v` (with its details), the
/// previous month taken as the firm had filed it when `v` was submitted
/// (`month_before`: its latest version submitted by then).
pub fn checks(
    v: &Version,
    details: Option<&VersionDetails>,
    month_before: Option<&Version>,
) -> Vec<Warning> {
    let values = Checked {
        accesses: v.unauthorized_accesses,
        affected: v.affected_accounts,
        trades: v.fraudulent_trades,
        sale: v.sale_amount_jpy,
        purchase: v.purchase_amount_jpy,
        losses: details.map_or(0, |d| d.customer_losses_jpy),
        compensation: details.map_or(0, |d| d.compensation_paid_jpy),
    };
    warnings_of(
        &values,
        month_before.map(|p| Previous {
            accesses: p.unauthorized_accesses,
            trades: p.fraudulent_trades,
            sale: p.sale_amount_jpy,
            purchase: p.purchase_amount_jpy,
        }),
    )
}

/// The version of the month before `v`'s, as the firm had filed it when
/// `v` was submitted, among the firm's versions (`history`).
pub fn month_before<'a>(v: &Version, history: &'a [HistoryLine]) -> Option<&'a Version> {
    let prev = Period::parse(&v.period).ok()?.prev().to_string();
    history
        .iter()
        .map(|h| &h.version)
        .filter(|h| h.period == prev && h.submitted_at <= v.submitted_at)
        .max_by_key(|h| h.version_no)
}

/// A version's trade detail against its figures, by the same rule as an
/// upload at submission (`trades::compare`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeReconciliation {
    /// How many trade rows were filed.
    pub rows: i64,
    /// Each figure as (form field, file total, figure, equal): trades,
    /// sales, purchases.
    pub lines: [(&'static str, i64, i64, bool); 3],
}

/// Reconciles the totals of a version's trade detail with its figures.
pub fn reconcile(totals: &Totals, v: &Version) -> TradeReconciliation {
    let figures = Expected::from(v);
    let differ: Vec<&str> = match trades::compare(totals, figures) {
        Ok(()) => Vec::new(),
        Err(mismatch) => mismatch.fields.iter().map(|(field, _)| *field).collect(),
    };
    let line = |field: &'static str, file: i64, figure: i64| {
        (field, file, figure, !differ.contains(&field))
    };
    TradeReconciliation {
        rows: totals.rows,
        lines: [
            line("fraudulent_trades", totals.rows, figures.trades),
            line("sale_amount", totals.sell, figures.sale),
            line("purchase_amount", totals.buy, figures.purchase),
        ],
    }
}

/// The totals of the trade detail filed with `version_id`, added up by the
/// database (`None`: none was filed).
pub fn trade_totals(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<Totals>> {
    // Amounts were checked to add up within i64 when the file was taken.
    let (rows, sell, buy): (i64, i64, i64) = trade_details::table
        .filter(trade_details::version_id.eq(version_id))
        .select(sql::<(BigInt, BigInt, BigInt)>(
            "COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN LOWER(side) = 'buy' THEN 0 ELSE amount_jpy END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN LOWER(side) = 'buy' THEN amount_jpy ELSE 0 END), 0) AS BIGINT)",
        ))
        .first(conn)?;
    Ok((rows > 0).then(|| Totals {
        rows,
        sell,
        buy,
        ..Totals::default()
    }))
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
