//! Time travel for the regulator's table: the figures as they stood at a
//! past moment, computed from the versions submitted by then (the latest
//! such version of each firm-month). The range filter and the index on
//! `return_versions (period, firm_id, submitted_at)` keep the read to the
//! months shown.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::SummaryRow;
use crate::db::schema::{return_versions, version_details};
use crate::services::audit_log::tokyo_day_start;
use crate::services::summary::Breakdown;

/// One firm-month version, as much of it as the table needs.
type Line = (
    i64,
    String,
    i32,
    i64,
    i64,
    i64,
    i64,
    i64,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Its purchases by market and attack vectors, when it has details.
type Split = Option<(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)>;

fn breakdown(split: Split) -> Breakdown {
    split.map_or_else(Breakdown::default, |(d, c, u, o, p, s, m, w, i, n)| {
        Breakdown {
            purchase_by_market: [d, c, u, o],
            vectors: [p, s, m, w, i, n],
        }
    })
}

/// Parses a Tokyo date-time (`2025-04-16T18:00`, seconds optional), an
/// RFC 3339 date-time with its offset (`2025-04-16T18:00:00+09:00`) or a
/// date (`2025-04-16`, meaning the end of that day) into the UTC instant it
/// names. `None` when it is none of them.
pub fn parse_moment(input: &str) -> Option<NaiveDateTime> {
    let input = input.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(input) {
        return Some(at.naive_utc());
    }
    if let Ok(date) = NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        let next = date.succ_opt()?;
        return tokyo_day_start(next).checked_sub_signed(chrono::Duration::microseconds(1));
    }
    let local = NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let day_start = tokyo_day_start(local.date());
    let since_midnight = local.time().signed_duration_since(NaiveTime::MIN);
    day_start.checked_add_signed(since_midnight)
}

/// The table's rows for periods `[from, to]` (keys `YYYY-MM`) as they stood
/// at `at` (UTC), oldest first, and the number of distinct firms with
/// fraudulent trades in the range. Months nobody had reported are absent.
pub fn rows(
    conn: &mut DbConn,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<(Vec<SummaryRow>, i64)> {
    let lines: Vec<(Line, Split)> = return_versions::table
        .left_join(version_details::table)
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .filter(return_versions::submitted_at.le(at))
        .order((
            return_versions::period.asc(),
            return_versions::firm_id.asc(),
            return_versions::version_no.asc(),
        ))
        .select((
            (
                return_versions::firm_id,
                return_versions::period,
                return_versions::version_no,
                return_versions::unauthorized_accesses,
                return_versions::affected_accounts,
                return_versions::fraudulent_trades,
                return_versions::sale_amount_jpy,
                return_versions::purchase_amount_jpy,
                return_versions::submitted_at,
                return_versions::reviewed_at,
            ),
            (
                version_details::purchase_domestic_jpy,
                version_details::purchase_china_hk_jpy,
                version_details::purchase_us_jpy,
                version_details::purchase_other_jpy,
                version_details::vector_phishing,
                version_details::vector_credential_stuffing,
                version_details::vector_malware,
                version_details::vector_sim_swap,
                version_details::vector_insider,
                version_details::vector_unknown,
            )
                .nullable(),
        ))
        .load(conn)?;
    // Ordered by version within a firm-month: the last one seen wins.
    let mut latest: BTreeMap<(String, i64), (Line, Split)> = BTreeMap::new();
    for line in lines {
        latest.insert((line.0.1.clone(), line.0.0), line);
    }
    let mut by_period: BTreeMap<String, SummaryRow> = BTreeMap::new();
    let mut firms_hit = BTreeSet::new();
    for ((period, firm), (line, split)) in latest {
        let split = breakdown(split);
        let (_, _, _, accesses, accounts, trades, sale, purchase, submitted_at, reviewed_at) = line;
        let row = by_period
            .entry(period.clone())
            .or_insert_with(|| SummaryRow {
                period,
                firms_with_fraudulent_trades: 0,
                firms_reporting: 0,
                unauthorized_accesses: 0,
                affected_accounts: 0,
                fraudulent_trades: 0,
                sale_amount_jpy: 0,
                purchase_amount_jpy: 0,
                updated_at: submitted_at,
                awaiting_review: 0,
                purchase_domestic_jpy: 0,
                purchase_china_hk_jpy: 0,
                purchase_us_jpy: 0,
                purchase_other_jpy: 0,
                vector_phishing: 0,
                vector_credential_stuffing: 0,
                vector_malware: 0,
                vector_sim_swap: 0,
                vector_insider: 0,
                vector_unknown: 0,
                revision: 0,
            });
        row.firms_reporting += 1;
        if trades > 0 {
            row.firms_with_fraudulent_trades += 1;
            firms_hit.insert(firm);
        }
        row.unauthorized_accesses += accesses;
        row.affected_accounts += accounts;
        row.fraudulent_trades += trades;
        row.sale_amount_jpy += sale;
        row.purchase_amount_jpy += purchase;
        row.updated_at = row.updated_at.max(submitted_at);
        let [d, c, u, o] = split.purchase_by_market;
        row.purchase_domestic_jpy += d;
        row.purchase_china_hk_jpy += c;
        row.purchase_us_jpy += u;
        row.purchase_other_jpy += o;
        let [p, s, m, w, i, n] = split.vectors;
        row.vector_phishing += p;
        row.vector_credential_stuffing += s;
        row.vector_malware += m;
        row.vector_sim_swap += w;
        row.vector_insider += i;
        row.vector_unknown += n;
        // Not yet reviewed at that moment.
        if reviewed_at.is_none_or(|r| r > at) {
            row.awaiting_review += 1;
        }
    }
    let firms = i64::try_from(firms_hit.len()).unwrap_or(i64::MAX);
    Ok((by_period.into_values().collect(), firms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn a_tokyo_time_is_nine_hours_ahead() {
        assert_eq!(
            parse_moment("2025-04-16T18:00"),
            Some(utc(2025, 4, 16, 9, 0))
        );
        assert_eq!(
            parse_moment("2025-04-16T08:30:00"),
            Some(utc(2025, 4, 15, 23, 30))
        );
    }

    #[test]
    fn a_date_means_the_end_of_that_tokyo_day() {
        let end = parse_moment("2025-04-16").unwrap();
        assert!(end < utc(2025, 4, 16, 15, 0));
        assert!(end > utc(2025, 4, 16, 14, 59));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(parse_moment("16 April"), None);
        assert_eq!(parse_moment("2025-13-01"), None);
        assert_eq!(parse_moment(""), None);
    }
}
