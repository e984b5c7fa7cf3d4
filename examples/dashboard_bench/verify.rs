//! The checks after each load: the period summary equals a recomputation
//! from the latest version (and details) of every firm-month, and every
//! portal version's trade count equals its trade-detail rows.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use incident_portal::db::DbConn;
use incident_portal::db::models::SummaryRow;
use incident_portal::db::schema::period_summary;

use crate::export::Failure;

/// The period summary recomputed from the latest version (and its details)
/// of every firm-month.
#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Recomputed {
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = BigInt)]
    firms_with_trades: i64,
    #[diesel(sql_type = BigInt)]
    firms_reporting: i64,
    #[diesel(sql_type = BigInt)]
    accesses: i64,
    #[diesel(sql_type = BigInt)]
    accounts: i64,
    #[diesel(sql_type = BigInt)]
    trades: i64,
    #[diesel(sql_type = BigInt)]
    sale: i64,
    #[diesel(sql_type = BigInt)]
    purchase: i64,
    #[diesel(sql_type = BigInt)]
    awaiting: i64,
    #[diesel(sql_type = BigInt)]
    domestic: i64,
    #[diesel(sql_type = BigInt)]
    china_hk: i64,
    #[diesel(sql_type = BigInt)]
    us: i64,
    #[diesel(sql_type = BigInt)]
    other: i64,
    #[diesel(sql_type = BigInt)]
    phishing: i64,
    #[diesel(sql_type = BigInt)]
    stuffing: i64,
}

const RECOMPUTE: &str = "SELECT r.period AS period, \
    CAST(SUM(CASE WHEN v.fraudulent_trades > 0 THEN 1 ELSE 0 END) AS BIGINT) AS firms_with_trades, \
    CAST(COUNT(*) AS BIGINT) AS firms_reporting, \
    CAST(SUM(v.unauthorized_accesses) AS BIGINT) AS accesses, \
    CAST(SUM(v.affected_accounts) AS BIGINT) AS accounts, \
    CAST(SUM(v.fraudulent_trades) AS BIGINT) AS trades, \
    CAST(SUM(v.sale_amount_jpy) AS BIGINT) AS sale, \
    CAST(SUM(v.purchase_amount_jpy) AS BIGINT) AS purchase, \
    CAST(SUM(CASE WHEN v.status = 'submitted' THEN 1 ELSE 0 END) AS BIGINT) AS awaiting, \
    CAST(COALESCE(SUM(d.purchase_domestic_jpy), 0) AS BIGINT) AS domestic, \
    CAST(COALESCE(SUM(d.purchase_china_hk_jpy), 0) AS BIGINT) AS china_hk, \
    CAST(COALESCE(SUM(d.purchase_us_jpy), 0) AS BIGINT) AS us, \
    CAST(COALESCE(SUM(d.purchase_other_jpy), 0) AS BIGINT) AS other, \
    CAST(COALESCE(SUM(d.vector_phishing), 0) AS BIGINT) AS phishing, \
    CAST(COALESCE(SUM(d.vector_credential_stuffing), 0) AS BIGINT) AS stuffing \
    FROM returns r \
    JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version \
    LEFT JOIN version_details d ON d.version_id = v.id \
    GROUP BY r.period ORDER BY r.period";

/// Checks the summary against a recomputation, and the trade rows against
/// the figures of the versions they belong to. Returns the periods checked.
pub fn verify(conn: &mut DbConn) -> Result<usize, Failure> {
    let expected: Vec<Recomputed> = diesel::sql_query(RECOMPUTE).load(conn)?;
    let actual: Vec<Recomputed> = period_summary::table
        .order(period_summary::period.asc())
        .select(SummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r: SummaryRow| Recomputed {
            period: r.period,
            firms_with_trades: r.firms_with_fraudulent_trades,
            firms_reporting: r.firms_reporting,
            accesses: r.unauthorized_accesses,
            accounts: r.affected_accounts,
            trades: r.fraudulent_trades,
            sale: r.sale_amount_jpy,
            purchase: r.purchase_amount_jpy,
            awaiting: r.awaiting_review,
            domestic: r.purchase_domestic_jpy,
            china_hk: r.purchase_china_hk_jpy,
            us: r.purchase_us_jpy,
            other: r.purchase_other_jpy,
            phishing: r.vector_phishing,
            stuffing: r.vector_credential_stuffing,
        })
        .collect();
    if expected != actual {
        let first = expected
            .iter()
            .zip(&actual)
            .find(|(e, a)| e != a)
            .map(|(e, a)| format!("recomputed {e:?}\n  summary {a:?}"))
            .unwrap_or_else(|| format!("{} vs {} periods", expected.len(), actual.len()));
        return Err(format!("period_summary does not match a recomputation: {first}").into());
    }
    let mismatched: i64 = diesel::sql_query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM return_versions v \
         WHERE v.source = 'portal' AND v.fraudulent_trades <> \
         (SELECT COUNT(*) FROM trade_details t WHERE t.version_id = v.id)",
    )
    .get_result::<Count>(conn)?
    .n;
    if mismatched != 0 {
        return Err(format!("{mismatched} versions disagree with their trade rows").into());
    }
    // Each firm's months with trades, both ways: none missing, none extra.
    let drifted: i64 = diesel::sql_query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ( \
           SELECT r.firm_id, r.period FROM returns r \
           JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version \
           WHERE v.fraudulent_trades > 0 \
           EXCEPT SELECT firm_id, period FROM firm_trade_months) missing",
    )
    .get_result::<Count>(conn)?
    .n + diesel::sql_query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ( \
               SELECT firm_id, period FROM firm_trade_months EXCEPT \
               SELECT r.firm_id, r.period FROM returns r \
               JOIN return_versions v ON v.return_id = r.id AND v.version_no = r.current_version \
               WHERE v.fraudulent_trades > 0) extra",
    )
    .get_result::<Count>(conn)?
    .n;
    if drifted != 0 {
        return Err(
            format!("firm_trade_months differs from the versions in {drifted} rows").into(),
        );
    }
    Ok(expected.len())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}
