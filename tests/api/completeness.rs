//! Filing completeness per period (on time, late, nil, missing, not yet
//! due) and the list of firms overdue, under the suite's fixed clock
//! (2025-05-20 in Tokyo: April's returns were due on 12 May, May's are due
//! on 10 June).

use chrono::NaiveDate;
use incident_portal::domain::due_date::due_date;
use incident_portal::domain::period::Period;
use reqwest::StatusCode;

use crate::helpers::{Page, TestApp, figures};
use crate::on_both_backends;
use crate::review::support::file;

fn counts(page: &Page, period: &str) -> Vec<String> {
    ["on-time", "late", "nil", "missing", "not-due"]
        .iter()
        .map(|class| page.text(&format!("tr[data-period=\"{period}\"] td.{class}")))
        .collect()
}

async fn completeness_counts_each_kind_of_filing(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let typed = figures("5", "5", "1", "100", "90", "");
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let _charlie = app.firm_with_users(&mut admin, "Charlie").await;
    file(&app, &mut alpha, "2025-05", &typed).await;
    file(&app, &mut alpha, "2025-04", &typed).await;
    // Alpha amends April: the timeliness stays the first filing's.
    file(&app, &mut alpha, "2025-04", &typed).await;
    crate::helpers::file_nil(&mut bravo, "2025-05").await;

    let page = admin
        .get("/review/completeness?from=2025-04&to=2025-05")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // on time, late, nil, missing, not yet due
    assert_eq!(counts(&page, "2025-04"), ["0", "1", "0", "2", "0"]);
    assert_eq!(counts(&page, "2025-05"), ["1", "0", "1", "0", "1"]);
    assert_eq!(
        page.text("tr[data-period=\"2025-04\"] td.filed"),
        "1 of 3 (33%)"
    );
    assert_eq!(
        page.text("tr[data-period=\"2025-05\"] td.filed"),
        "2 of 3 (66%)"
    );

    // Bravo and Charlie owe April, 8 days after its due date (12 May).
    let april_due = due_date(Period::parse("2025-04").unwrap(), 10);
    assert_eq!(april_due, NaiveDate::from_ymd_opt(2025, 5, 12).unwrap());
    let overdue = page.texts("table.overdue tbody th");
    assert_eq!(overdue, ["Bravo Securities", "Charlie Securities"]);
    assert_eq!(page.texts("table.overdue td.days"), ["8", "8"]);
    assert!(
        page.text("table.overdue tbody tr").contains("2025-04"),
        "{}",
        page.body
    );

    // A range with nothing due yet has no firm overdue.
    let later = admin
        .get("/review/completeness?from=2025-05&to=2025-05")
        .await;
    assert_eq!(counts(&later, "2025-05"), ["1", "0", "1", "0", "1"]);
    assert!(later.body.contains("class=\"overdue-none\""));
    // Firms never see it (the authorization matrix checks every caller).
    let refused = alpha.approver.get("/review/completeness").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

on_both_backends!(completeness_counts_each_kind_of_filing);
