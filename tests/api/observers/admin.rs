//! The admin's side: an observer invited like any user, the scope set and
//! edited (CSRF-protected, audited, mistakes shown beside their fields with
//! what was typed kept, a stale form refused), and the list of every page
//! observers read, filterable by observer.

use reqwest::StatusCode;

use super::support::{Scope, audited, file, invite, set_scope, signed_in, submit_scope};
use crate::helpers::TestApp;
use crate::on_both_backends;

const ADMIN_ID: i64 = 1;

async fn the_admin_sets_and_edits_a_scope_audited_and_csrf_protected(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let id = invite(&app, &mut admin, "police@npa.example").await;
    let list = admin.get("/admin/observers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text("#observers").contains("police@npa.example"));
    assert!(list.text("#observers").contains("No access set"));
    // Not an observer (the admin themself), or no such user: 404.
    assert_eq!(
        admin.get("/admin/observers/1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/admin/observers/x").await.status,
        StatusCode::NOT_FOUND
    );
    // No CSRF token: refused, nothing saved.
    let forged = admin
        .post(
            &format!("/admin/observers/{id}"),
            &[
                ("expires_on", "2025-12-31"),
                ("aggregates_only", "on"),
                ("revision", "0"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Mistakes: beside their fields, everything typed kept.
    let form = admin.get(&format!("/admin/observers/{id}")).await;
    let bad = Scope {
        firms: &[alpha.id, 987_654],
        aggregates_only: false,
        from: "2025-13",
        to: "2025-04\u{0}",
        expires_on: "2025-05-19",
    };
    let page = submit_scope(&mut admin, &form, id, &bad).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.field_error("expires_on").unwrap().contains("past"));
    assert!(page.field_error("firms").unwrap().contains("list"));
    assert_eq!(page.input_value("period_from").as_deref(), Some("2025-13"));
    assert_eq!(
        page.input_value("expires_on").as_deref(),
        Some("2025-05-19")
    );
    assert!(page.body.contains(&format!(
        "id=\"firm-{}\" name=\"firm-{}\" value=\"on\" checked",
        alpha.id, alpha.id
    )));
    let huge = "9".repeat(100_000);
    let hostile = Scope {
        firms: &[],
        aggregates_only: false,
        from: &huge,
        to: "-1",
        expires_on: &huge,
    };
    let page = submit_scope(&mut admin, &form, id, &hostile).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("period_from").is_some());
    assert!(audited(&app, "observer.scope_set", ADMIN_ID).is_empty());
    // A good scope: saved, audited.
    let good = Scope {
        firms: &[alpha.id],
        aggregates_only: false,
        from: "2025-02",
        to: "2025-04",
        expires_on: "2025-06-30",
    };
    let first = admin.get(&format!("/admin/observers/{id}")).await;
    let saved = submit_scope(&mut admin, &first, id, &good).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/admin/observers"));
    let events = audited(&app, "observer.scope_set", ADMIN_ID);
    assert_eq!(
        events,
        [(
            "user".to_owned(),
            id.to_string(),
            format!(
                "firms {} months 2025-02..2025-04 until 2025-06-30",
                alpha.id
            )
        )]
    );
    let list = admin.get("/admin/observers").await;
    assert!(
        list.text("#observers").contains("Alpha Securities"),
        "{}",
        list.body
    );
    // The form a second time is based on the first save; the first form,
    // now stale, is refused with what it held kept.
    let edit = admin.get(&format!("/admin/observers/{id}")).await;
    assert_eq!(edit.input_value("period_from").as_deref(), Some("2025-02"));
    let narrower = Scope {
        to: "2025-03",
        ..good
    };
    let done = submit_scope(&mut admin, &edit, id, &narrower).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let aggregates = Scope {
        firms: &[],
        aggregates_only: true,
        from: "",
        to: "",
        expires_on: "2025-09-30",
    };
    let stale = submit_scope(&mut admin, &first, id, &aggregates).await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stale.body
    );
    assert!(stale.text("#error-summary").contains("changed this scope"));
    assert_eq!(
        stale.input_value("expires_on").as_deref(),
        Some("2025-09-30")
    );
    assert_eq!(audited(&app, "observer.scope_set", ADMIN_ID).len(), 2);
    // Aggregates only, from the current form.
    let page = set_scope(&mut admin, id, &aggregates).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = admin.get("/admin/observers").await;
    assert!(
        list.text("#observers")
            .contains("Published statistics only")
    );
}

async fn every_observer_view_is_audited_and_listed_to_admins_by_observer(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let version = file(&app, &mut alpha, "2025-04", "9").await;
    let police = invite(&app, &mut admin, "police@npa.example").await;
    let jsda = invite(&app, &mut admin, "jsda@jsda.example").await;
    let scope = Scope {
        firms: &[alpha.id],
        aggregates_only: false,
        from: "2025-04",
        to: "2025-04",
        expires_on: "2025-12-31",
    };
    set_scope(&mut admin, police, &scope).await;
    set_scope(&mut admin, jsda, &scope).await;
    let mut p = signed_in(&app, police);
    let mut j = signed_in(&app, jsda);
    assert_eq!(
        p.get(&format!("/observer/versions/{version}")).await.status,
        StatusCode::OK
    );
    assert_eq!(p.get("/observer/dashboard").await.status, StatusCode::OK);
    assert_eq!(j.get("/observer").await.status, StatusCode::OK);
    // A refused read is no view.
    assert_eq!(
        j.get("/observer/versions/999999").await.status,
        StatusCode::NOT_FOUND
    );
    let all = admin.get("/admin/observer-views").await;
    assert_eq!(all.status, StatusCode::OK);
    let rows = all.texts("#observer-views tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].contains("jsda@jsda.example") && rows[0].contains("access page"));
    assert!(rows[1].contains("police@npa.example") && rows[1].contains("Live figures"));
    assert!(rows[2].contains(&format!("Version {version}")));
    assert!(
        rows[2].contains("2025-05-20"),
        "when, in Tokyo time: {}",
        rows[2]
    );
    let one = admin
        .get(&format!("/admin/observer-views?observer={police}"))
        .await;
    let rows = one.texts("#observer-views tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.contains("police@npa.example")));
    let odd = admin.get("/admin/observer-views?observer=%00x").await;
    assert_eq!(odd.status, StatusCode::OK, "an odd filter shows every view");
    // Analysts do not see the list; observers do not either.
    assert_eq!(
        p.get("/admin/observer-views").await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_backends!(
    the_admin_sets_and_edits_a_scope_audited_and_csrf_protected,
    every_observer_view_is_audited_and_listed_to_admins_by_observer,
);
