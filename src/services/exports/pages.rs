//! The keyset-paged reads behind the exports: one page of rows after an
//! id, already turned into text cells, and the last id read.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{BATCH, Range};
use crate::db::DbConn;
use crate::db::schema::{firms, return_versions, trade_details};

fn utc(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

type VersionLine = (
    (i64, i64, String, i32, String, String, bool),
    (i64, i64, i64, i64, i64),
    (NaiveDateTime, bool, Option<NaiveDateTime>, Option<String>),
    (String, String),
);

pub(super) fn versions_page(
    conn: &mut DbConn,
    range: &Range,
    after: i64,
) -> QueryResult<(Vec<Vec<String>>, Option<i64>)> {
    let (from, to) = range.bounds();
    let lines: Vec<VersionLine> = return_versions::table
        .inner_join(firms::table)
        .filter(return_versions::id.gt(after))
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .order(return_versions::id.asc())
        .limit(BATCH)
        .select((
            (
                return_versions::id,
                return_versions::firm_id,
                return_versions::period,
                return_versions::version_no,
                return_versions::receipt_no,
                return_versions::status,
                return_versions::is_nil,
            ),
            (
                return_versions::unauthorized_accesses,
                return_versions::affected_accounts,
                return_versions::fraudulent_trades,
                return_versions::sale_amount_jpy,
                return_versions::purchase_amount_jpy,
            ),
            (
                return_versions::submitted_at,
                return_versions::on_time,
                return_versions::reviewed_at,
                return_versions::review_note,
            ),
            (firms::name, firms::registration_no),
        ))
        .load(conn)?;
    let last = lines.last().map(|l| l.0.0);
    let rows = lines
        .into_iter()
        .map(
            |(
                (_, firm, period, no, receipt, status, nil),
                (acc, accts, tr, sale, buy),
                (sub, on_time, rev, note),
                (name, reg),
            )| {
                vec![
                    firm.to_string(),
                    name,
                    reg,
                    period,
                    no.to_string(),
                    receipt,
                    status,
                    nil.to_string(),
                    acc.to_string(),
                    accts.to_string(),
                    tr.to_string(),
                    sale.to_string(),
                    buy.to_string(),
                    utc(sub),
                    on_time.to_string(),
                    rev.map(utc).unwrap_or_default(),
                    note.unwrap_or_default(),
                ]
            },
        )
        .collect();
    Ok((rows, last))
}

type TradeLine = (
    (
        i64,
        i32,
        NaiveDate,
        String,
        String,
        String,
        i64,
        i64,
        String,
    ),
    (i64, String, String, i32),
    (String, String),
);

pub(super) fn trades_page(
    conn: &mut DbConn,
    range: &Range,
    after: i64,
) -> QueryResult<(Vec<Vec<String>>, Option<i64>)> {
    let (from, to) = range.bounds();
    let lines: Vec<TradeLine> = trade_details::table
        .inner_join(return_versions::table.inner_join(firms::table))
        .filter(trade_details::id.gt(after))
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .order(trade_details::id.asc())
        .limit(BATCH)
        .select((
            (
                trade_details::id,
                trade_details::row_no,
                trade_details::trade_date,
                trade_details::side,
                trade_details::security_code,
                trade_details::market,
                trade_details::quantity,
                trade_details::amount_jpy,
                trade_details::account_ref,
            ),
            (
                return_versions::firm_id,
                return_versions::period,
                return_versions::receipt_no,
                return_versions::version_no,
            ),
            (firms::name, firms::registration_no),
        ))
        .load(conn)?;
    let last = lines.last().map(|l| l.0.0);
    let rows = lines
        .into_iter()
        .map(
            |(
                (_, row, date, side, code, market, qty, amount, account),
                (firm, period, receipt, no),
                (name, reg),
            )| {
                vec![
                    firm.to_string(),
                    name,
                    reg,
                    period,
                    receipt,
                    no.to_string(),
                    row.to_string(),
                    date.format("%Y-%m-%d").to_string(),
                    side,
                    code,
                    market,
                    qty.to_string(),
                    amount.to_string(),
                    account,
                ]
            },
        )
        .collect();
    Ok((rows, last))
}
