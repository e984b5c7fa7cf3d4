//! The purge itself: exactly the old months' contact fields and narratives,
//! everything else kept; pages and exports after it; a second run; the
//! day's claim across instances.

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, return_versions};
use incident_portal::services::retention;
use reqwest::StatusCode;

use super::support::{
    CONTACT, MARKER, MESSAGE, NEW, OLD, REMEDIATION, draft, incident_texts, kept,
    one_year_and_purge_day, run, seed, version_texts,
};
use crate::helpers::{Browser, PASSWORD, TestApp};
use crate::on_both_backends;

pub fn purge_details(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("retention.purged"))
        .order(audit_events::id)
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap()
}

async fn the_purge_replaces_every_contact_and_narrative_of_old_months_only(app: TestApp) {
    let s = seed(&app).await;
    let before = kept(&app);
    let newer = (
        version_texts(&app, s.alpha.id, NEW),
        incident_texts(&app, s.new_incident),
        draft(&app, s.alpha.id, NEW),
    );
    one_year_and_purge_day(&app);
    assert!(run(&app).unwrap() > 0);

    let old = version_texts(&app, s.alpha.id, OLD);
    assert_eq!(old.len(), 9);
    assert!(old.iter().all(|t| t == MARKER), "{old:?}");
    let old = incident_texts(&app, s.old_incident);
    assert!(old.iter().all(|t| t == MARKER), "{old:?}");
    let old_draft = draft(&app, s.alpha.id, OLD);
    for field in [
        "contact_name",
        "contact_phone",
        "contact_email",
        "remediation",
    ] {
        assert_eq!(old_draft.get(field), MARKER, "{field}");
    }
    assert_eq!(old_draft.get("unauthorized_accesses"), "12");
    assert_eq!(old_draft.get("compensation_policy"), "considering");
    // Nothing newer.
    let now = (
        version_texts(&app, s.alpha.id, NEW),
        incident_texts(&app, s.new_incident),
        draft(&app, s.alpha.id, NEW),
    );
    assert_eq!(now, newer);
    assert_eq!(now.2.get("contact_name"), CONTACT);
    // Figures, receipts, the summary and the releases, as they were.
    assert_eq!(kept(&app), before);
    // One audit event, of counts and months, none of the data.
    let details = purge_details(&app);
    assert_eq!(details.len(), 1);
    assert!(
        details[0].contains("months up to 2025-03"),
        "{}",
        details[0]
    );
    assert!(details[0].contains("firms held: none"), "{}", details[0]);
    for data in [CONTACT, REMEDIATION, MESSAGE] {
        assert!(!details[0].contains(data));
    }
    let (ok, said) = crate::audit::cli(&app);
    assert!(ok, "verify-audit: {said}");
}

async fn a_second_run_purges_nothing_and_audits_nothing(app: TestApp) {
    let s = seed(&app).await;
    one_year_and_purge_day(&app);
    assert!(run(&app).unwrap() > 0);
    let purged = version_texts(&app, s.alpha.id, OLD);
    let mut conn = app.pool.get().unwrap();
    let again = retention::purge(&mut conn, app.clock.now()).unwrap();
    assert_eq!(again.purged(), 0, "{again:?}");
    assert_eq!(run(&app), None, "the day is done");
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(run(&app), Some(0), "the next day finds nothing new");
    assert_eq!(version_texts(&app, s.alpha.id, OLD), purged);
    assert_eq!(purge_details(&app).len(), 1);
    let (ok, said) = crate::audit::cli(&app);
    assert!(ok, "verify-audit: {said}");
}

async fn the_day_is_claimed_once_across_instances(app: TestApp) {
    let now = app.clock.now();
    let barrier = std::sync::Barrier::new(2);
    let claimed: Vec<bool> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (pool, barrier) = (app.pool.clone(), &barrier);
                scope.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    barrier.wait();
                    retention::run_daily(&mut conn, now).unwrap().is_some()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(claimed.iter().filter(|c| **c).count(), 1, "{claimed:?}");
    assert_eq!(run(&app), None);
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(run(&app), Some(0));
}

async fn pages_show_the_removal_as_a_sentence_and_exports_write_the_marker(app: TestApp) {
    let s = seed(&app).await;
    one_year_and_purge_day(&app);
    run(&app).unwrap();
    let version: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .filter(return_versions::firm_id.eq(s.alpha.id))
            .filter(return_versions::period.eq(OLD))
            .select(diesel::dsl::max(return_versions::id))
            .first::<Option<i64>>(&mut conn)
            .unwrap()
            .unwrap()
    };
    let mut staff: Browser = app.browser();
    app.sign_in_fully(&mut staff, "admin@fsa.example", PASSWORD)
        .await;
    for path in [
        format!("/review/versions/{version}"),
        format!("/review/incidents/{}", s.old_incident),
    ] {
        let page = staff.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("under the retention rule."),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("[removed"), "{path}");
        assert!(!page.body.contains(CONTACT) && !page.body.contains(MESSAGE));
    }
    staff.choose_language("ja").await;
    let page = staff.get(&format!("/review/versions/{version}")).await;
    assert!(page.body.contains("保存期間の定めにより"), "{}", page.body);
    assert!(!page.body.contains("[removed"));
    let csv = staff
        .get("/review/exports/versions.csv?from=2025-03&to=2025-04")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(MARKER), "{}", csv.body);
    assert!(
        csv.body.contains("Please confirm the sale amount."),
        "April's note is kept"
    );
}

on_both_backends!(
    the_purge_replaces_every_contact_and_narrative_of_old_months_only,
    a_second_run_purges_nothing_and_audits_nothing,
    the_day_is_claimed_once_across_instances,
    pages_show_the_removal_as_a_sentence_and_exports_write_the_marker,
);
