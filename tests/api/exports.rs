//! Internal CSV exports: every firm-month version and the trade detail, by
//! range, streamed, quoted per RFC 4180, formula-neutralised, staff only,
//! audited.

use diesel::prelude::*;
use incident_portal::db::schema::return_versions;
use reqwest::StatusCode;

mod support;

use support::{export_events, file, records, seed_trades, version_id};

use crate::helpers::{TestApp, figures};
use crate::on_both_backends;

async fn versions_export_lists_every_version_in_range(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    file(
        &mut a,
        "2025-02",
        &figures("50", "40", "20", "500,000", "400,000", ""),
    )
    .await;
    file(
        &mut a,
        "2025-03",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    file(
        &mut a,
        "2025-04",
        &figures("200", "150", "60", "2,000,000", "1,500,000", ""),
    )
    .await;
    file(
        &mut b,
        "2025-04",
        &figures("300", "250", "70", "3,000,000", "2,500,000", ""),
    )
    .await;
    file(
        &mut a,
        "2025-04",
        &figures("250", "200", "65", "2,500,000", "2,000,000", ""),
    )
    .await;
    // A review note a spreadsheet would take for a formula, with a comma
    // and quotes to escape.
    let first_april = version_id(&app, a.id, "2025-04", 1);
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(return_versions::table.find(first_april))
            .set(return_versions::review_note.eq(Some("=SUM(A1), \"quoted\"")))
            .execute(&mut conn)
            .unwrap();
    }
    let analyst = app.analyst(&mut admin).await;
    app.grant_export(&mut admin, "analyst@fsa.example", "export")
        .await;
    let path = "/review/exports/versions.csv?from=2025-03&to=2025-04";
    let (status, kind, bytes) = analyst.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let rows = records(&bytes);
    assert_eq!(
        rows[0][..8],
        [
            "firm_id",
            "firm_name",
            "registration_no",
            "period",
            "version_no",
            "receipt_no",
            "status",
            "is_nil"
        ]
    );
    assert_eq!(rows[0].len(), 21, "the amendment chain's four columns last");
    let got: Vec<(String, String, String, String)> = rows[1..]
        .iter()
        .map(|r| (r[1].clone(), r[3].clone(), r[4].clone(), r[8].clone()))
        .collect();
    let (alpha, bravo) = ("Alpha Securities".to_owned(), "Bravo Securities".to_owned());
    let s = |x: &str| x.to_owned();
    assert_eq!(
        got,
        [
            (alpha.clone(), s("2025-03"), s("1"), s("100")),
            (alpha.clone(), s("2025-04"), s("1"), s("200")),
            (bravo, s("2025-04"), s("1"), s("300")),
            (alpha, s("2025-04"), s("2"), s("250")),
        ],
        "every version in range (February left out), amendments included"
    );
    assert_eq!(rows[2][6], "submitted");
    assert_eq!(rows[2][11], "2000000");
    assert!(rows[2][5].len() > 4, "a receipt number");
    assert_eq!(rows[2][13], "2025-05-20T10:00:00.000000Z");
    assert_eq!(rows[2][16], "'=SUM(A1), \"quoted\"");
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains(",\"'=SUM(A1), \"\"quoted\"\"\",,false,,\r\n"),
        "{text}"
    );
    // Audited, with the range.
    assert_eq!(
        export_events(&app),
        [(
            s("analyst@fsa.example"),
            s("versions.csv"),
            s("from=2025-03 to=2025-04 contacts=no")
        )]
    );
    // No range: everything. A bad month: refused.
    let (_, _, bytes) = analyst.get_bytes("/review/exports/versions.csv").await;
    assert_eq!(records(&bytes).len(), 6);
    let (status, _, _) = analyst
        .get_bytes("/review/exports/versions.csv?from=March")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Firm users may not export, not even their own firm's.
    for browser in [&a.reporter, &a.approver, &b.approver] {
        let (status, _, _) = browser.get_bytes(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = admin.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK, "admins may");
}

async fn trades_export_pages_through_every_row(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut a,
        "2025-02",
        &figures("50", "40", "20", "500,000", "400,000", ""),
    )
    .await;
    file(
        &mut a,
        "2025-04",
        &figures("200", "150", "60", "2,000,000", "1,500,000", ""),
    )
    .await;
    let (feb, april) = (
        version_id(&app, a.id, "2025-02", 1),
        version_id(&app, a.id, "2025-04", 1),
    );
    // More rows than one batch, so the keyset pages are walked.
    let total = 10_003_i32;
    seed_trades(&app, april, feb, total);
    let analyst = app.analyst(&mut admin).await;
    app.grant_export(&mut admin, "analyst@fsa.example", "export")
        .await;
    let path = "/review/exports/trades.csv?from=2025-03&to=2025-04";
    let (status, kind, bytes) = analyst.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let rows = records(&bytes);
    assert_eq!(
        rows[0],
        [
            "firm_id",
            "firm_name",
            "registration_no",
            "period",
            "receipt_no",
            "version_no",
            "row_no",
            "trade_date",
            "side",
            "security_code",
            "market",
            "quantity",
            "amount_jpy",
            "account_ref"
        ]
    );
    assert_eq!(
        rows.len() - 1,
        usize::try_from(total).unwrap(),
        "February's row left out"
    );
    let numbers: Vec<i32> = rows[1..].iter().map(|r| r[6].parse().unwrap()).collect();
    assert_eq!(
        numbers,
        (1..=total).collect::<Vec<_>>(),
        "each row once, in order"
    );
    assert_eq!(rows[1][1], "Alpha Securities");
    assert_eq!(rows[1][3], "2025-04");
    assert_eq!(rows[1][7], "2025-04-03");
    assert_eq!(
        (rows[1][9].as_str(), rows[1][13].as_str()),
        ("12,34", "'@SUM(1+1)")
    );
    assert_eq!(
        (rows[2][9].as_str(), rows[2][13].as_str()),
        ("'+7203", "'-acct \"x\"")
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains(",\"12,34\",domestic,100,1,'@SUM(1+1)\r\n"),
        "{}",
        &text[..600]
    );
    assert!(text.contains(",'+7203,domestic,100,2,\"'-acct \"\"x\"\"\"\r\n"));
    assert_eq!(export_events(&app).len(), 1);
    assert_eq!(export_events(&app)[0].1, "trades.csv");
    let (status, _, _) = a.approver.get_bytes(path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        export_events(&app).len(),
        1,
        "a refused export is not recorded as one"
    );
}

on_both_backends!(
    versions_export_lists_every_version_in_range,
    trades_export_pages_through_every_row
);
