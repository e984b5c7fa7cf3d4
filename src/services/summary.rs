//! The per-period aggregate the regulator's table reads. It is changed in
//! the same transaction as every version that changes the latest figures of
//! a firm-month, so a dashboard read never scans returns.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::DbConn;
use crate::db::models::{SummaryRow, Version, VersionDetails};
use crate::db::schema::{firm_trade_months, firms, period_summary};
use crate::domain::details::ReturnDetails;

/// Purchases by market (domestic, China/HK, US, other) and cases by attack
/// vector (phishing, credential stuffing, malware, SIM swap, insider,
/// unknown), in the order of `version_details`. A version without details
/// (imported, nil) has all zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub purchase_by_market: [i64; 4],
    pub vectors: [i64; 6],
}

impl From<&VersionDetails> for Breakdown {
    fn from(d: &VersionDetails) -> Self {
        Breakdown {
            purchase_by_market: [
                d.purchase_domestic_jpy,
                d.purchase_china_hk_jpy,
                d.purchase_us_jpy,
                d.purchase_other_jpy,
            ],
            vectors: [
                d.vector_phishing,
                d.vector_credential_stuffing,
                d.vector_malware,
                d.vector_sim_swap,
                d.vector_insider,
                d.vector_unknown,
            ],
        }
    }
}

impl From<&ReturnDetails> for Breakdown {
    fn from(d: &ReturnDetails) -> Self {
        Breakdown {
            purchase_by_market: d.purchase_by_market.map(|y| y.value()),
            vectors: d.vectors.map(|c| c.value()),
        }
    }
}

impl From<&SummaryRow> for Breakdown {
    fn from(r: &SummaryRow) -> Self {
        Breakdown {
            purchase_by_market: [
                r.purchase_domestic_jpy,
                r.purchase_china_hk_jpy,
                r.purchase_us_jpy,
                r.purchase_other_jpy,
            ],
            vectors: [
                r.vector_phishing,
                r.vector_credential_stuffing,
                r.vector_malware,
                r.vector_sim_swap,
                r.vector_insider,
                r.vector_unknown,
            ],
        }
    }
}

/// What one firm's latest version adds to its period's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contribution {
    pub accesses: i64,
    pub accounts: i64,
    pub trades: i64,
    pub sale: i64,
    pub purchase: i64,
    /// Submitted and not yet reviewed.
    pub awaiting: bool,
    pub breakdown: Breakdown,
}

impl Contribution {
    /// A version's contribution; `details` are its stored details, if any.
    pub fn of(v: &Version, details: Option<&VersionDetails>) -> Self {
        Contribution {
            accesses: v.unauthorized_accesses,
            accounts: v.affected_accounts,
            trades: v.fraudulent_trades,
            sale: v.sale_amount_jpy,
            purchase: v.purchase_amount_jpy,
            awaiting: v.status == crate::domain::VersionStatus::Submitted,
            breakdown: details.map(Breakdown::from).unwrap_or_default(),
        }
    }
}

fn ensure_row(conn: &mut DbConn, period: &str, now: NaiveDateTime) -> QueryResult<usize> {
    // The one backend-specific statement: an insert that tolerates a
    // concurrent insert of the same period.
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO period_summary (period, updated_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(period)
        .bind::<Timestamp, _>(now)
        .execute(pg),
        DbConn::Sqlite(lite) => {
            diesel::sql_query("INSERT OR IGNORE INTO period_summary (period, updated_at) VALUES (?, ?)")
                .bind::<Text, _>(period)
                .bind::<Timestamp, _>(now)
                .execute(lite)
        }
    }
}

/// Replaces `old` (the firm's previous latest version, if any) by `new` in
/// the period's totals, and in the firm's months with fraudulent trades.
pub fn apply(
    conn: &mut DbConn,
    firm_id: i64,
    period: &str,
    old: Option<Contribution>,
    new: Contribution,
    now: NaiveDateTime,
) -> QueryResult<()> {
    ensure_row(conn, period, now)?;
    let before = old.unwrap_or_default();
    let had_trades = i64::from(old.is_some_and(|o| o.trades > 0));
    let has_trades = i64::from(new.trades > 0);
    let newly_reporting = i64::from(old.is_none());
    let awaiting = i64::from(new.awaiting) - i64::from(before.awaiting);
    let (b, a) = (&before.breakdown, &new.breakdown);
    let market = |i: usize| a.purchase_by_market[i] - b.purchase_by_market[i];
    let vector = |i: usize| a.vectors[i] - b.vectors[i];
    use period_summary as ps;
    diesel::update(period_summary::table.find(period))
        .set((
            period_summary::firms_with_fraudulent_trades
                .eq(period_summary::firms_with_fraudulent_trades + (has_trades - had_trades)),
            period_summary::firms_reporting.eq(period_summary::firms_reporting + newly_reporting),
            period_summary::unauthorized_accesses
                .eq(period_summary::unauthorized_accesses + (new.accesses - before.accesses)),
            period_summary::affected_accounts
                .eq(period_summary::affected_accounts + (new.accounts - before.accounts)),
            period_summary::fraudulent_trades
                .eq(period_summary::fraudulent_trades + (new.trades - before.trades)),
            period_summary::sale_amount_jpy
                .eq(period_summary::sale_amount_jpy + (new.sale - before.sale)),
            period_summary::purchase_amount_jpy
                .eq(period_summary::purchase_amount_jpy + (new.purchase - before.purchase)),
            period_summary::awaiting_review.eq(period_summary::awaiting_review + awaiting),
            period_summary::updated_at.eq(now),
            ps::purchase_domestic_jpy.eq(ps::purchase_domestic_jpy + market(0)),
            ps::purchase_china_hk_jpy.eq(ps::purchase_china_hk_jpy + market(1)),
            ps::purchase_us_jpy.eq(ps::purchase_us_jpy + market(2)),
            ps::purchase_other_jpy.eq(ps::purchase_other_jpy + market(3)),
            ps::vector_phishing.eq(ps::vector_phishing + vector(0)),
            ps::vector_credential_stuffing.eq(ps::vector_credential_stuffing + vector(1)),
            ps::vector_malware.eq(ps::vector_malware + vector(2)),
            ps::vector_sim_swap.eq(ps::vector_sim_swap + vector(3)),
            ps::vector_insider.eq(ps::vector_insider + vector(4)),
            ps::vector_unknown.eq(ps::vector_unknown + vector(5)),
            ps::revision.eq(ps::revision + 1),
        ))
        .execute(conn)?;
    match (had_trades, has_trades) {
        (0, 1) => mark_trade_month(conn, firm_id, period)?,
        (1, 0) => diesel::delete(firm_trade_months::table.find((firm_id, period))).execute(conn)?,
        _ => 0,
    };
    Ok(())
}

/// Records that the firm's latest figures for `period` show fraudulent
/// trades (an insert that tolerates the row being there).
fn mark_trade_month(conn: &mut DbConn, firm_id: i64, period: &str) -> QueryResult<usize> {
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            "INSERT INTO firm_trade_months (firm_id, period) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(firm_id)
        .bind::<Text, _>(period)
        .execute(pg),
        DbConn::Sqlite(lite) => {
            diesel::sql_query("INSERT OR IGNORE INTO firm_trade_months (firm_id, period) VALUES (?, ?)")
                .bind::<BigInt, _>(firm_id)
                .bind::<Text, _>(period)
                .execute(lite)
        }
    }
}

/// A period's latest version was accepted or returned: one fewer awaits
/// review.
pub fn reviewed(conn: &mut DbConn, period: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(period_summary::table.find(period))
        .set((
            period_summary::awaiting_review.eq(period_summary::awaiting_review - 1),
            period_summary::updated_at.eq(now),
            period_summary::revision.eq(period_summary::revision + 1),
        ))
        .execute(conn)
}

/// Summary rows for periods in `[from, to]` (keys `YYYY-MM`), oldest first.
pub fn rows(conn: &mut DbConn, from: &str, to: &str) -> QueryResult<Vec<SummaryRow>> {
    period_summary::table
        .filter(period_summary::period.ge(from))
        .filter(period_summary::period.le(to))
        .order(period_summary::period.asc())
        .select(SummaryRow::as_select())
        .load(conn)
}

/// The first and last period that have any figures.
pub fn bounds(conn: &mut DbConn) -> QueryResult<Option<(String, String)>> {
    use diesel::dsl::{max, min};
    let (first, last): (Option<String>, Option<String>) = period_summary::table
        .select((min(period_summary::period), max(period_summary::period)))
        .first(conn)?;
    Ok(first.zip(last))
}

/// Firms with fraudulent trades in any period of the range, each counted
/// once (a firm hit in three months is one firm in the total column): per
/// firm, one seek into its months with trades, so the count grows with the
/// number of firms, not with the months or versions filed.
pub fn distinct_firms_with_trades(conn: &mut DbConn, from: &str, to: &str) -> QueryResult<i64> {
    use diesel::dsl::exists;
    firms::table
        .filter(exists(
            firm_trade_months::table
                .filter(firm_trade_months::firm_id.eq(firms::id))
                .filter(firm_trade_months::period.ge(from))
                .filter(firm_trade_months::period.le(to)),
        ))
        .count()
        .get_result(conn)
}

/// The distinct-firms total for `[from, to]` whose summary rows are
/// `rows` (at least those periods; others are ignored). The count is kept
/// per range with the sum of the rows' revisions, which any change to a
/// firm-month in the range increases: a repeated dashboard read costs no
/// scan, and a changed range is counted afresh. Correct across instances,
/// since the key is the database's own state.
pub fn distinct_firms_with_trades_for(
    conn: &mut DbConn,
    cache: &DistinctCache,
    from: &str,
    to: &str,
    rows: &[SummaryRow],
) -> QueryResult<i64> {
    let revisions: i64 = rows
        .iter()
        .filter(|r| r.period.as_str() >= from && r.period.as_str() <= to)
        .map(|r| r.revision)
        .sum();
    let key = (from.to_owned(), to.to_owned());
    if let Some(&(seen, count)) = cache.lock().get(&key)
        && seen == revisions
    {
        return Ok(count);
    }
    let count = distinct_firms_with_trades(conn, from, to)?;
    let mut ranges = cache.lock();
    if ranges.len() >= DISTINCT_CACHE_RANGES {
        ranges.clear();
    }
    ranges.insert(key, (revisions, count));
    Ok(count)
}

/// Ranges remembered at once (a dashboard is read for few ranges).
const DISTINCT_CACHE_RANGES: usize = 256;

/// Distinct-firm counts by range, with the revision sum they were counted
/// at. One per database (kept in the application state).
#[derive(Default)]
pub struct DistinctCache(Mutex<HashMap<(String, String), (i64, i64)>>);

impl DistinctCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), (i64, i64)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
