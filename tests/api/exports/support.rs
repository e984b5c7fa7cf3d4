//! What the export tests share: filing, downloading raw bytes, reading the
//! CSV, finding versions and export audit events.

use chrono::NaiveDate;
use diesel::prelude::*;
use incident_portal::db::DbConn;
use incident_portal::db::schema::{audit_events, return_versions, trade_details};

use crate::helpers::TestApp;

pub use crate::helpers::file;

/// The records after the BOM, header first (the first line, a `#`
/// comment, skipped as a consumer told of it does).
pub fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    assert!(body.starts_with(b"# "), "the first line is a comment");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

pub fn version_id(app: &TestApp, firm: i64, period: &str, no: i32) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .filter(return_versions::firm_id.eq(firm))
        .filter(return_versions::period.eq(period))
        .filter(return_versions::version_no.eq(no))
        .select(return_versions::id)
        .first(&mut conn)
        .unwrap()
}

pub fn export_events(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("export.downloaded"))
        .order(audit_events::id.asc())
        .select((
            audit_events::actor,
            audit_events::object_id,
            audit_events::detail,
        ))
        .load(&mut conn)
        .unwrap()
}

/// `total` trade rows behind version `april` (the first two hostile to
/// spreadsheets) and one behind `feb`.
pub fn seed_trades(app: &TestApp, april: i64, feb: i64, total: i32) {
    let date = NaiveDate::from_ymd_opt(2025, 4, 3).unwrap();
    {
        let mut conn = app.pool.get().unwrap();
        let mut rows = Vec::new();
        for n in 1..=total {
            let (code, account) = match n {
                1 => ("12,34", "@SUM(1+1)"),
                2 => ("+7203", "-acct \"x\""),
                _ => ("7203", "acct-0001"),
            };
            rows.push((
                trade_details::version_id.eq(april),
                trade_details::row_no.eq(n),
                trade_details::trade_date.eq(date),
                trade_details::side.eq("sell"),
                trade_details::security_code.eq(code),
                trade_details::market.eq("domestic"),
                trade_details::quantity.eq(100_i64),
                trade_details::amount_jpy.eq(i64::from(n)),
                trade_details::account_ref.eq(account),
            ));
        }
        rows.push((
            trade_details::version_id.eq(feb),
            trade_details::row_no.eq(1),
            trade_details::trade_date.eq(date),
            trade_details::side.eq("buy"),
            trade_details::security_code.eq("9999"),
            trade_details::market.eq("us"),
            trade_details::quantity.eq(1_i64),
            trade_details::amount_jpy.eq(1_i64),
            trade_details::account_ref.eq("feb"),
        ));
        for chunk in rows.chunks(1_000) {
            let insert = diesel::insert_into(trade_details::table).values(chunk);
            // Batch inserts need the concrete backend.
            match &mut *conn {
                DbConn::Sqlite(c) => insert.execute(c),
                DbConn::Pg(c) => insert.execute(c),
            }
            .unwrap();
        }
    }
}
