//! The dashboard as it stood at a past moment (computed from the versions
//! submitted by then), month-over-month changes, and 億円 on the Japanese
//! page.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures};
use crate::helpers::{file, table_row as row};
use crate::on_both_backends;

/// A GET asking for Japanese.
const ACCESSES: &str = "Unauthorized accesses";

async fn the_table_as_it_stood_at_a_past_moment(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    // 2025-05-20 10:00 UTC (19:00 JST): firm A files March and April.
    // (Steps of ten minutes keep every session alive.)
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
    // At 19:10 JST firm B files April.
    app.clock.advance(Duration::minutes(10));
    file(
        &mut b,
        "2025-04",
        &figures("300", "250", "70", "3,000,000", "2,500,000", ""),
    )
    .await;
    // At 19:20 JST firm A amends April.
    app.clock.advance(Duration::minutes(10));
    file(
        &mut a,
        "2025-04",
        &figures("250", "200", "65", "2,500,000", "2,000,000", ""),
    )
    .await;

    let range = "/dashboard?from=2025-03&to=2025-04";
    let now = admin.get(range).await;
    assert_eq!(row(&now, ACCESSES), ["100", "550", "650"]);
    assert!(
        now.html()
            .select(&scraper::Selector::parse("#as-of-note").unwrap())
            .next()
            .is_none()
    );

    // A minute before B's filing: A's first filings only.
    let page = admin.get(&format!("{range}&as_of=2025-05-20T19:09")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(row(&page, ACCESSES), ["100", "200", "300"]);
    assert_eq!(row(&page, "Fraudulent trades"), ["40", "60", "100"]);
    assert_eq!(
        row(&page, "Sale amount (JPY)"),
        ["¥1,000,000", "¥2,000,000", "¥3,000,000"]
    );
    assert_eq!(row(&page, "Firms with fraudulent trades"), ["1", "1", "1"]);
    assert_eq!(row(&page, "Returns awaiting review"), ["1", "1", "2"]);
    assert!(
        page.text("#as-of-note").contains("2025-05-20 19:09 JST"),
        "{}",
        page.body
    );
    // The moment of B's filing counts (inclusive); A's amendment not yet.
    let page = admin.get(&format!("{range}&as_of=2025-05-20T19:10")).await;
    assert_eq!(row(&page, ACCESSES), ["100", "500", "600"]);
    assert_eq!(row(&page, "Firms with fraudulent trades"), ["1", "2", "2"]);
    assert_eq!(
        row(&page, "Purchase amount (JPY)"),
        ["¥800,000", "¥4,000,000", "¥4,800,000"]
    );
    let page = admin
        .get(&format!("{range}&as_of=2025-05-20T19:19:59"))
        .await;
    assert_eq!(row(&page, ACCESSES), ["100", "500", "600"]);
    // A date means the end of that Tokyo day: the amendment counts.
    let page = admin.get(&format!("{range}&as_of=2025-05-20")).await;
    assert_eq!(row(&page, ACCESSES), ["100", "550", "650"]);
    assert!(
        page.text("#as-of-note").contains("2025-05-20 23:59 JST"),
        "{}",
        page.body
    );
    // Before anything was filed: zeros.
    let page = admin.get(&format!("{range}&as_of=2025-05-19")).await;
    assert_eq!(row(&page, ACCESSES), ["0", "0", "0"]);
    // Nonsense is reported and the current table shown.
    let page = admin.get(&format!("{range}&as_of=yesterday")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#error-summary").contains("As of must be a date"));
    assert_eq!(row(&page, ACCESSES), ["100", "550", "650"]);
}

async fn month_over_month_changes_are_in_words(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut a,
        "2025-03",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    file(
        &mut a,
        "2025-04",
        &figures("70", "60", "40", "2,500,000", "800,000", ""),
    )
    .await;
    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(
        row(&page, "Unauthorized accesses: change on previous month"),
        ["up 100", "down 30", ""],
        "the first month compares with the month before the range"
    );
    assert_eq!(
        row(&page, "Fraudulent trades: change on previous month"),
        ["up 40", "no change", ""]
    );
    assert_eq!(
        row(&page, "Sale amount (JPY): change on previous month"),
        ["up ¥1,000,000", "up ¥1,500,000", ""]
    );
    // The change rows are marked for styling, but their words carry the meaning.
    assert_eq!(
        page.html()
            .select(&scraper::Selector::parse("#fsa-table tr.change").unwrap())
            .count(),
        5
    );
    // The range's exports are offered beside the table.
    assert_eq!(
        page.html()
            .select(&scraper::Selector::parse("#exports a").unwrap())
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect::<Vec<_>>(),
        [
            "/review/exports/versions.csv?from=2025-03&to=2025-04",
            "/review/exports/trades.csv?from=2025-03&to=2025-04"
        ]
    );
    // No 億円 on the English page.
    assert!(!page.body.contains("億円"));
}

async fn the_japanese_page_shows_oku_yen(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    file(
        &mut a,
        "2025-04",
        &figures("1000", "900", "500", "30,000,000,000", "25,000,000,000", ""),
    )
    .await;
    file(
        &mut b,
        "2025-04",
        &figures("847", "800", "236", "20,600,000,000", "19,800,000,000", ""),
    )
    .await;
    admin.choose_language("ja").await;
    let page = admin.get("/dashboard?from=2025-04&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        row(&page, "売却金額（円）"),
        ["¥50,600,000,000（506億円）", "¥50,600,000,000（506億円）"]
    );
    assert_eq!(
        row(&page, "買付金額（円）"),
        ["¥44,800,000,000（448億円）", "¥44,800,000,000（448億円）"]
    );
    assert_eq!(row(&page, "不正アクセス件数"), ["1,847", "1,847"]);
    assert_eq!(row(&page, "不正アクセス件数：前月比"), ["1,847 増", ""]);
}

on_both_backends!(
    the_table_as_it_stood_at_a_past_moment,
    month_over_month_changes_are_in_words,
    the_japanese_page_shows_oku_yen
);
