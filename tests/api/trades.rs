//! Trade-detail uploads: every accepted encoding and header language, every
//! kind of bad row named by row and column, malformed and hostile files
//! refused without a 500, preview and figures, reconciliation at
//! submission, and the firm and CSRF boundaries.

mod hostile;
pub mod support;

use diesel::prelude::*;
use incident_portal::db::schema::return_versions;
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures, prepare};
use crate::on_both_backends;
use support::{HEADER, good_csv, japanese_csv, problems, upload};

async fn files_in_every_encoding_are_attached(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let expected = Some((3, 300_000, 250_000));

    let page = upload(
        &app,
        &mut firm.reporter,
        "trades.csv",
        good_csv().as_bytes(),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location(),
        Some("/returns/2025-04/trades?done=uploaded")
    );
    assert_eq!(support::staged_totals(&app, firm.id), expected);

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(japanese_csv().as_bytes());
    let page = upload(&app, &mut firm.reporter, "bom.csv", &bom).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(support::staged_totals(&app, firm.id), expected);
    assert_eq!(
        support::staged_rows(&app),
        3,
        "the earlier upload was replaced"
    );

    let japanese = japanese_csv();
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&japanese);
    assert!(!unmappable);
    let page = upload(&app, &mut firm.reporter, "エクセル.csv", &sjis).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(support::staged_totals(&app, firm.id), expected);
    let shown = firm.reporter.get("/returns/2025-04/trades").await;
    assert!(shown.body.contains("shift_jis"), "{}", shown.body);
    assert!(
        shown
            .text("#upload-rows")
            .contains("3 trades: 2 sells, 1 buys")
    );

    // The template downloads as UTF-8 with a BOM and is itself accepted.
    let (status, content_type, template) = firm
        .reporter
        .get_bytes("/returns/2025-04/trades/template.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"));
    assert!(template.starts_with(format!("\u{feff}{HEADER}").as_bytes()));
    let page = upload(&app, &mut firm.reporter, "template.csv", &template).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(support::staged_totals(&app, firm.id), Some((1, 250_000, 0)));
    let form = firm.reporter.get("/returns/2025-04").await;
    assert!(
        form.body.contains("href=\"/returns/2025-04/trades\""),
        "linked from the form"
    );
}

async fn every_bad_row_is_named_and_nothing_is_attached(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    upload(&app, &mut firm.reporter, "good.csv", good_csv().as_bytes()).await;
    let bad = format!(
        "{HEADER}\n\
         2025-04-01,sell,7203,domestic,1,1000,ACC-0001\n\
         2025-05-01,sell,7203,domestic,1,1000,ACC-0001\n\
         2025-04-01,hold,7203,domestic,1,1000,ACC-0001\n\
         2025-04-01,sell,72-03,domestic,1,1000,ACC-0001\n\
         2025-04-01,sell,7203,moon,1,1000,ACC-0001\n\
         2025-04-01,sell,7203,domestic,0,1000,ACC-0001\n\
         2025-04-01,sell,7203,domestic,1,0,ACC-0001\n\
         2025-04-01,sell,7203,domestic,1,1000,12345678\n\
         2025-04-01,sell,7203,domestic,1,1000,victim@mail.example\n\
         2025-04-01,sell,7203,domestic,1,1000\n"
    );
    let page = upload(&app, &mut firm.reporter, "bad.csv", bad.as_bytes()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("The file was not attached"));
    let got: Vec<(String, String)> = problems(&page)
        .into_iter()
        .map(|(row, column, _)| (row, column))
        .collect();
    let want: Vec<(String, String)> = [
        ("3", "trade_date"),
        ("4", "side"),
        ("5", "security_code"),
        ("6", "market"),
        ("7", "quantity"),
        ("8", "amount_jpy"),
        ("9", "account_ref"),
        ("10", "account_ref"),
        ("11", "—"),
    ]
    .iter()
    .map(|(r, c)| ((*r).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(got, want);
    assert!(page.body.contains("looks like a raw account number"));
    assert!(page.body.contains("looks like an email address"));
    assert!(page.body.contains("outside the month"));
    assert_eq!(
        support::staged_totals(&app, firm.id),
        Some((3, 300_000, 250_000)),
        "the earlier good upload is untouched"
    );
    assert_eq!(support::staged_rows(&app), 3);

    // 150 bad rows: the first 100 problems are listed, and how many more.
    let mut many = format!("{HEADER}\n");
    for _ in 0..150 {
        many.push_str("2025-04-01,sell,7203,domestic,1,1000,a@b\n");
    }
    let page = upload(&app, &mut firm.reporter, "many.csv", many.as_bytes()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problems(&page).len(), 100);
    assert!(
        page.text(".more-problems").contains("50 more problems"),
        "{}",
        page.body
    );
}

async fn preview_figures_and_reconciliation_at_submission(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("10", "5", "2", "300000", "250000", "");
    prepare(&mut firm.reporter, "2025-04", &typed).await;
    upload(&app, &mut firm.reporter, "t.csv", good_csv().as_bytes()).await;
    let page = firm.reporter.get("/returns/2025-04/trades").await;
    let rows = page.texts("#comparison tbody tr");
    assert!(rows[0].contains('3') && rows[0].contains("No"), "{rows:?}");
    assert!(
        rows[1].contains("¥300,000") && rows[1].contains("Yes"),
        "{rows:?}"
    );
    let markets = page.texts("#by-market tbody tr");
    assert!(
        markets[1].contains("¥250,000"),
        "buys by market: {markets:?}"
    );

    // The preparer sees the mismatch beside the figure as they go; the
    // approver is offered no submission, and a forced one is refused.
    let form = crate::helpers::section_of(&mut firm.reporter, "2025-04", "fraudulent_trades").await;
    assert!(
        form.field_error("fraudulent_trades")
            .unwrap()
            .contains("trade detail"),
        "{}",
        form.body
    );
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(review.text("#approve-errors").contains("trade detail"));
    assert_eq!(review.input_value("prepared_sha256"), None);
    let open = firm.approver.get("/returns/2025-04").await;
    let sha = {
        let mut conn = app.pool.get().unwrap();
        let id: i64 = incident_portal::db::schema::returns::table
            .select(incident_portal::db::schema::returns::id)
            .first(&mut conn)
            .unwrap();
        incident_portal::services::four_eyes::current_sha256(&mut conn, id).unwrap()
    };
    let refused = firm
        .approver
        .submit_form(
            &open,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("prepared_sha256", &sha),
                ("submission_key", &"K".repeat(43)),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.text("#error-summary").contains("trade detail"));
    let versions: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(versions, 0);

    // The reporter takes the file's figures; the approver submits them.
    let page = firm.reporter.get("/returns/2025-04/trades").await;
    let taken = firm
        .reporter
        .submit_form(&page, "/returns/2025-04/trades/use-figures", &[])
        .await;
    assert_eq!(taken.location(), Some("/returns/2025-04/trades?done=taken"));
    let form = crate::helpers::section_of(&mut firm.reporter, "2025-04", "fraudulent_trades").await;
    assert_eq!(form.input_value("fraudulent_trades").as_deref(), Some("3"));
    let agreed = figures("10", "5", "3", "300000", "250000", "");
    prepare(&mut firm.reporter, "2025-04", &agreed).await;
    let form = firm.approver.get("/returns/2025-04/approve").await;
    let filed = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &agreed)
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let version_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(support::detail_rows(&app, version_id), 3);
    assert_eq!(support::staged_rows(&app), 0, "moved, not copied");
    assert_eq!(support::staged_totals(&app, firm.id), None);
}

/// Rows are written in batches of 100 (a full batch's statement is kept
/// prepared): 250 rows are two full batches and a part, each row stored
/// once with its row number and values, in the file's order; a second
/// upload of exactly one full batch (no part) replaces them.
async fn full_and_partial_batches_keep_every_row_in_order(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let file = |rows: usize| {
        let mut csv = format!("{HEADER}\n");
        for n in 1..=rows {
            let day = n % 28 + 1;
            let side = if n % 3 == 0 { "buy" } else { "sell" };
            csv.push_str(&format!(
                "2025-04-{day:02},{side},7203,domestic,{n},{},ACC-{n:04}\n",
                n * 1000
            ));
        }
        csv
    };
    let stored = |app: &TestApp| -> Vec<(i32, i64, i64, String)> {
        use incident_portal::db::schema::draft_trades as d;
        let mut conn = app.pool.get().unwrap();
        d::table
            .order(d::row_no)
            .select((d::row_no, d::quantity, d::amount_jpy, d::account_ref))
            .load(&mut conn)
            .unwrap()
    };
    let expected = |rows: usize| -> Vec<(i32, i64, i64, String)> {
        (1..=rows)
            .map(|n| {
                let i = i64::try_from(n).unwrap();
                (
                    i32::try_from(n).unwrap(),
                    i,
                    i * 1000,
                    format!("ACC-{n:04}"),
                )
            })
            .collect()
    };
    let totals = |rows: usize| {
        let (mut sell, mut buy) = (0, 0);
        for n in 1..=i64::try_from(rows).unwrap() {
            if n % 3 == 0 {
                buy += n * 1000
            } else {
                sell += n * 1000
            }
        }
        Some((i64::try_from(rows).unwrap(), sell, buy))
    };

    for rows in [250, 100] {
        let page = upload(
            &app,
            &mut firm.reporter,
            "batches.csv",
            file(rows).as_bytes(),
        )
        .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{rows} rows: {}",
            page.body
        );
        assert_eq!(stored(&app), expected(rows), "{rows} rows");
        assert_eq!(support::staged_totals(&app, firm.id), totals(rows));
    }
}

on_both_backends!(
    files_in_every_encoding_are_attached,
    every_bad_row_is_named_and_nothing_is_attached,
    preview_figures_and_reconciliation_at_submission,
    full_and_partial_batches_keep_every_row_in_order,
);
