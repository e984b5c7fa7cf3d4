//! The regulator's FSA-shaped table, from the summary kept current by each
//! submission.

use diesel::prelude::*;
use incident_portal::db::schema::period_summary;
use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_summary_matches_versions, figures};
use crate::helpers::{file, table_row as row};
use crate::on_both_backends;

async fn the_table_adds_up_latest_versions(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    let mut c = app.firm_with_users(&mut admin, "Charlie").await;

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
    // Firm C files a nil return: it reports, but has no fraudulent trades.
    crate::helpers::file_nil(&mut c, "2025-04").await;
    // Firm B amends upward: only its latest version counts.
    file(
        &mut b,
        "2025-04",
        &figures("350", "260", "80", "3,500,000", "2,600,000", ""),
    )
    .await;

    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.texts("#fsa-table thead th"),
        ["Month of occurrence", "2025-03", "2025-04", "Total"]
    );
    assert_eq!(
        row(&page, "Firms with fraudulent trades"),
        ["1", "2", "2"],
        "A counted once in the total"
    );
    assert_eq!(row(&page, "Unauthorized accesses"), ["100", "550", "650"]);
    assert_eq!(row(&page, "Fraudulent trades"), ["40", "140", "180"]);
    assert_eq!(
        row(&page, "Sale amount (JPY)"),
        ["¥1,000,000", "¥5,500,000", "¥6,500,000"]
    );
    assert_eq!(
        row(&page, "Purchase amount (JPY)"),
        ["¥800,000", "¥4,100,000", "¥4,900,000"]
    );
    assert_eq!(
        row(&page, "Returns awaiting review"),
        ["1", "3", "4"],
        "nothing accepted yet: every latest version is marked"
    );

    // The numbers come from the summary table, kept in step with versions.
    let mut conn = app.pool.get().unwrap();
    let (accesses, reporting): (i64, i64) = period_summary::table
        .find("2025-04")
        .select((
            period_summary::unauthorized_accesses,
            period_summary::firms_reporting,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((accesses, reporting), (550, 3));

    // A firm that later reports no trades for a month drops out of the count.
    file(&mut a, "2025-03", &figures("100", "90", "0", "0", "0", "")).await;
    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(row(&page, "Firms with fraudulent trades"), ["0", "2", "2"]);
    assert_eq!(row(&page, "Fraudulent trades"), ["0", "140", "140"]);
    // The total is kept per range until a figure in the range changes: C
    // amends its nil return, and the total counts it at once.
    file(&mut c, "2025-04", &figures("5", "5", "1", "10", "10", "")).await;
    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(row(&page, "Firms with fraudulent trades"), ["0", "3", "3"]);
    let page = admin.get("/dashboard?from=2025-04&to=2025-04").await;
    assert_eq!(row(&page, "Firms with fraudulent trades"), ["3", "3"]);
    assert_summary_matches_versions(&app);
    // Range: one month only, and months with nothing show zero.
    let page = admin.get("/dashboard?from=2025-01&to=2025-01").await;
    assert_eq!(row(&page, "Unauthorized accesses"), ["0", "0"]);
}

async fn an_empty_portal_says_so(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let page = admin.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No returns have been filed yet."));
}

/// The page kept whole per session (`web::dashboard_pages`) is never
/// older than a fresh rendering: it follows a filing, the viewer's
/// language, and is never another person's page.
async fn a_kept_dashboard_follows_filings_language_and_viewer(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut analyst = app.analyst(&mut admin).await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut a,
        "2025-04",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    let range = "/dashboard?from=2025-04&to=2025-04";
    let first = analyst.get(range).await;
    let again = analyst.get(range).await;
    assert_eq!(
        first.body, again.body,
        "the same page twice, nothing changed"
    );
    assert_eq!(row(&again, "Unauthorized accesses"), ["100", "100"]);
    let admins = admin.get(range).await;
    assert_ne!(admins.body, again.body, "each person's page is their own");
    assert_eq!(
        admins.texts(".who"),
        ["First Admin · Administrator"],
        "the admin's own name, not the analyst's"
    );

    file(
        &mut a,
        "2025-04",
        &figures("150", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    let after = analyst.get(range).await;
    assert_eq!(row(&after, "Unauthorized accesses"), ["150", "150"]);

    analyst.choose_language("ja").await;
    let ja = analyst.get(range).await;
    assert!(ja.body.contains("<html lang=\"ja\">"), "Japanese at once");
    analyst.choose_language("en").await;
    let en = analyst.get(range).await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert_eq!(row(&en, "Unauthorized accesses"), ["150", "150"]);
}

on_both_backends!(
    the_table_adds_up_latest_versions,
    an_empty_portal_says_so,
    a_kept_dashboard_follows_filings_language_and_viewer
);
