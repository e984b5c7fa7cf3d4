//! A firm user never sees another firm's data; each role reaches only its
//! own routes.

use diesel::prelude::*;
use incident_portal::db::schema::return_versions;
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures};
use crate::on_both_backends;

async fn firm_a_cannot_read_firm_b(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    let secret = figures(
        "777",
        "700",
        "333",
        "98,765,432",
        "12,345,678",
        "Bravo's confidential plan",
    );
    crate::helpers::prepare(&mut b.reporter, "2025-04", &secret).await;
    let form = b.approver.get("/returns/2025-04/approve").await;
    let done = b
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &secret)
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let b_version: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .filter(return_versions::firm_id.eq(b.id))
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };

    for browser in [&mut a.approver, &mut a.reporter] {
        // Routes that take an id: the version by id is staff-only.
        let page = browser.get(&format!("/review/versions/{b_version}")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        // Routes scoped by the caller's firm: B's version is not A's.
        let page = browser.get("/returns/2025-04/versions/1").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        let page = browser.get("/returns/2025-04").await;
        assert_eq!(page.status, StatusCode::OK);
        for leak in ["777", "98,765,432", "Bravo", "confidential plan"] {
            assert!(!page.body.contains(leak), "{leak} leaked to firm A");
        }
        let list = browser.get("/returns").await;
        assert!(!list.body.contains("Bravo"));
        for path in [
            "/dashboard",
            "/review",
            "/review?period=2025-04",
            "/admin/firms",
            "/admin/users",
        ] {
            assert_eq!(
                browser.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
    }
    // A's draft cannot touch B's return either: it lands on A's own.
    let form = a.approver.get("/returns/2025-04").await;
    a.approver
        .submit_form(
            &form,
            "/returns/2025-04/draft",
            &figures("1", "1", "0", "0", "0", ""),
        )
        .await;
    let mut conn = app.pool.get().unwrap();
    let b_versions: i64 = return_versions::table
        .filter(return_versions::firm_id.eq(b.id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(b_versions, 1);
}

async fn staff_and_firm_routes_are_kept_apart(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    crate::helpers::file_nil(&mut firm, "2025-04").await;
    let mut analyst = app.analyst(&mut admin).await;

    // Staff see every firm's returns but have no firm pages.
    for path in [
        "/returns",
        "/returns/2025-04",
        "/returns/2025-04/versions/1",
    ] {
        assert_eq!(
            analyst.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            admin.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let review = analyst.get("/review?period=2025-04").await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("Alpha Securities"));
    let id: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    let version = analyst.get(&format!("/review/versions/{id}")).await;
    assert_eq!(version.status, StatusCode::OK);
    assert_eq!(
        analyst.get("/review/versions/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        analyst.get("/review/versions/abc").await.status,
        StatusCode::NOT_FOUND
    );
    // Only admins manage firms and users.
    for path in ["/admin/firms", "/admin/users"] {
        assert_eq!(
            analyst.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(admin.get(path).await.status, StatusCode::OK, "{path}");
    }
    let page = analyst.get("/admin/firms").await;
    assert!(page.body.contains("You do not have permission"));
    // The home page sends each role to its start.
    assert_eq!(analyst.get("/").await.location(), Some("/dashboard"));
    assert_eq!(firm.approver.get("/").await.location(), Some("/returns"));
}

on_both_backends!(
    firm_a_cannot_read_firm_b,
    staff_and_firm_routes_are_kept_apart,
    staff_see_a_firms_history,
);

/// Staff see a firm's page: every version with its review; firms do not.
async fn staff_see_a_firms_history(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    crate::helpers::file(
        &mut firm,
        "2025-04",
        &figures("5", "5", "1", "10", "10", ""),
    )
    .await;
    crate::helpers::file(
        &mut firm,
        "2025-04",
        &figures("6", "6", "1", "10", "10", ""),
    )
    .await;
    crate::helpers::file_nil(&mut firm, "2025-03").await;
    let mut analyst = app.analyst(&mut admin).await;
    let page = analyst.get(&format!("/review/firms/{}", firm.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.texts("#firm-versions tbody tr th");
    assert_eq!(rows, ["2025-04", "2025-04", "2025-03"], "newest first");
    assert_eq!(
        page.texts("#firm-versions tbody tr td a"),
        ["v2", "v1", "v1"]
    );
    assert_eq!(
        analyst.get("/review/firms/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        firm.approver
            .get(&format!("/review/firms/{}", firm.id))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
