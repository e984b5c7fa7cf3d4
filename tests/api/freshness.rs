//! What the portal keeps in memory between requests (sessions, the
//! dashboard's figures, the list of releases) follows the database: a
//! change committed by this process shows on the next request (the other
//! tests), and a change made by another instance on the same database —
//! here written straight to it, as another process would — within
//! `fresh::RECHECK`.

use diesel::prelude::*;
use incident_portal::db::schema::{period_summary, sessions};
use incident_portal::web::fresh::RECHECK;
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures, file, table_row as row};
use crate::on_both_backends;

/// Waits out the longest an instance answers from memory.
async fn past_recheck() {
    actix_web::rt::time::sleep(RECHECK + std::time::Duration::from_millis(150)).await;
}

async fn figures_changed_by_another_instance_show_within_the_recheck_time(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut firm,
        "2025-04",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    let page = admin.get("/dashboard?from=2025-04&to=2025-04").await;
    assert_eq!(row(&page, "Unauthorized accesses"), ["100", "100"]);
    // Another instance moves the summary (no commit in this process).
    let mut conn = app.pool.get().unwrap();
    diesel::update(period_summary::table.find("2025-04"))
        .set(period_summary::unauthorized_accesses.eq(130))
        .execute(&mut conn)
        .unwrap();
    past_recheck().await;
    let page = admin.get("/dashboard?from=2025-04&to=2025-04").await;
    assert_eq!(
        row(&page, "Unauthorized accesses"),
        ["130", "130"],
        "read again from the database after the recheck time"
    );
}

async fn a_session_ended_by_another_instance_stops_within_the_recheck_time(app: TestApp) {
    let mut admin = app.setup_admin().await;
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
    // Signed out on another instance: the row is gone from the database.
    let mut conn = app.pool.get().unwrap();
    let ended = diesel::delete(sessions::table).execute(&mut conn).unwrap();
    assert!(ended >= 1);
    past_recheck().await;
    let page = admin.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        Some("/login"),
        "the session no longer works"
    );
}

/// Routes are grouped under their first segment: an address below a known
/// prefix that matches no route still gets the portal's own 404 page.
async fn an_unknown_address_under_a_known_prefix_gets_the_error_page(app: TestApp) {
    let mut browser = app.browser();
    for path in [
        "/statistics/1/csv/ja/extra",
        "/static/other.css",
        "/review/nothing",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.body.contains("<main"),
            "the styled error page for {path}"
        );
    }
}

on_both_backends!(
    figures_changed_by_another_instance_show_within_the_recheck_time,
    a_session_ended_by_another_instance_stops_within_the_recheck_time,
    an_unknown_address_under_a_known_prefix_gets_the_error_page,
);
