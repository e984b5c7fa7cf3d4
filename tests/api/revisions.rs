//! The revision history: each month as every release printed it, with the
//! change, on a public page and as a tidy CSV; drafts and scheduled
//! releases never in it; hostile queries answered, not crashed.

use incident_portal::services::publication_release::Outcome;
use incident_portal::services::publish;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publications::{draft, release, seed};

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = reqwest::get(format!("{}{path}", app.address))
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn each_month_as_each_release_printed_it(app: TestApp) {
    seed(&app);
    let first = draft(&app, "First", "2025-06-10T09:00:00+09:00");
    let now = app.clock.now();
    let mut conn = app.pool.get().unwrap();
    assert!(matches!(
        release(&mut conn, first, now),
        Outcome::Released { .. }
    ));
    // The second release counts firm 104's late May.
    let second = publish::publish(
        &mut conn,
        "Second",
        None,
        "2025-06-30T00:00:00+09:00",
        true,
        now,
    )
    .unwrap();
    assert!(second.released);
    // A draft is never part of the history.
    draft(&app, "Unreleased draft", "2025-06-30T00:00:00+09:00");
    drop(conn);

    let (status, body) = get(&app, "/statistics/revisions?measure=unauthorized_accesses").await;
    assert_eq!(status, StatusCode::OK);
    let page = scraper::Html::parse_document(&body);
    let text = |sel: &str| -> Vec<String> {
        page.select(&scraper::Selector::parse(sel).unwrap())
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let heads = text("#revisions thead th");
    assert!(
        heads[1].contains("First") && heads[2].contains("Second"),
        "{heads:?}"
    );
    assert!(!body.contains("Unreleased draft"));
    let cells = |row: scraper::ElementRef| -> Vec<String> {
        row.select(&scraper::Selector::parse("th, td").unwrap())
            .map(|e| e.text().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let may = page
        .select(&scraper::Selector::parse("#revisions tbody tr").unwrap())
        .map(cells)
        .find(|r| r[0] == "2025-05")
        .unwrap();
    assert_eq!(may, ["2025-05", "135", "195 (+60)"]);
    // For one month: every figure, as each release printed it.
    let (status, body) = get(&app, "/statistics/revisions?month=2025-05").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("2025-05: each figure as each release printed it"));
    // The tidy CSV: one line per release, month and figure.
    let (status, csv) = get(&app, "/statistics/revisions.csv").await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0].trim_start_matches('\u{feff}'),
        "release_date,period,measure,value"
    );
    // The first release: March to May; the second (the command's
    // default): March to June. Five figures each.
    assert_eq!(lines.len(), 1 + (3 + 4) * 5);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(",2025-05,unauthorized_accesses,195"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(",2025-03,unauthorized_accesses,x"))
    );
    // Hostile queries: answered with the default view.
    for q in [
        "?measure=%3Cscript%3E",
        "?month=9999-99",
        "?month=2025-13&measure=",
        "?measure=x%00y",
    ] {
        let (status, body) = get(&app, &format!("/statistics/revisions{q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(!body.contains("<script>"), "{q}");
    }
}

on_both_backends!(each_month_as_each_release_printed_it);
