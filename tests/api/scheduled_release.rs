//! Scheduled releases: frozen when the admin confirms, public at their time
//! and not a moment before, released exactly once however many instances
//! race for it, and cancellable before their time.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use incident_portal::domain::time::to_tokyo;
use incident_portal::services::publication_release::{self, Outcome};
use incident_portal::services::publications;
use incident_portal::services::{Actor, scheduled_releases};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publications::{draft, seed};

/// Schedules draft `id` for `at` as an admin confirming it as it stands.
fn schedule(app: &TestApp, id: i64, at: NaiveDateTime) -> Outcome {
    let mut conn = app.pool.get().unwrap();
    let shown = publication_release::to_confirm(&mut conn, id).unwrap();
    publication_release::schedule(
        &mut conn,
        &Actor::system("test"),
        id,
        &shown.sha256,
        at,
        app.clock.now(),
    )
    .unwrap()
}

fn released_events(app: &TestApp, id: i64) -> i64 {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("publication.released"))
        .filter(audit_events::object_id.eq(id.to_string()))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn public_status(app: &TestApp, path: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_scheduled_release_is_public_at_its_time_and_not_before(app: TestApp) {
    seed(&app);
    let id = draft(&app, "Embargoed", "2025-06-10T09:00:00+09:00");
    let at = app.clock.now() + Duration::hours(2);
    assert_eq!(schedule(&app, id, at), Outcome::Scheduled { at });
    let frozen = {
        let mut conn = app.pool.get().unwrap();
        publications::find(&mut conn, id).unwrap().csv_en.unwrap()
    };
    let before_time = [at - Duration::hours(2), at - Duration::seconds(1)];
    for now in before_time {
        let mut conn = app.pool.get().unwrap();
        assert_eq!(
            scheduled_releases::release_due(&mut conn, now).unwrap(),
            Vec::<i64>::new()
        );
        assert!(publications::find_released(&mut conn, id).is_err());
        assert!(publications::released(&mut conn).unwrap().is_empty());
        for path in [format!("/statistics/{id}"), format!("/statistics/{id}/csv")] {
            assert_eq!(
                public_status(&app, &path).await,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let list = reqwest::get(format!("{}/statistics", app.address))
            .await
            .unwrap();
        assert!(!list.text().await.unwrap().contains("Embargoed"));
    }
    // At its time, two instances race to release it: it is released once.
    app.clock.advance(Duration::hours(2));
    let now = app.clock.now();
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                scheduled_releases::release_due(&mut conn, now).unwrap()
            })
        })
        .collect();
    let released: Vec<i64> = racers.into_iter().flat_map(|r| r.join().unwrap()).collect();
    assert_eq!(released, vec![id]);
    assert_eq!(released_events(&app, id), 1);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        scheduled_releases::release_due(&mut conn, now).unwrap(),
        Vec::<i64>::new()
    );
    let p = publications::find_released(&mut conn, id).unwrap();
    assert_eq!(p.released_at, Some(at));
    assert_eq!(
        p.csv_en.as_deref(),
        Some(frozen.as_str()),
        "as frozen when scheduled"
    );
    assert_eq!(
        public_status(&app, &format!("/statistics/{id}")).await,
        StatusCode::OK
    );
    let csv = reqwest::get(format!("{}/statistics/{id}/csv", app.address))
        .await
        .unwrap();
    assert_eq!(csv.bytes().await.unwrap(), frozen.as_bytes());
}

async fn an_admin_schedules_from_the_release_page_and_may_cancel(app: TestApp) {
    seed(&app);
    let id = draft(&app, "Embargoed", "2025-06-10T09:00:00+09:00");
    let mut admin = app.setup_admin().await;
    let path = format!("/admin/publications/{id}/schedule");
    let page = admin
        .get(&format!("/admin/publications/{id}/release"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let local = |t: NaiveDateTime| to_tokyo(t).format("%Y-%m-%dT%H:%M").to_string();
    // Times that have passed, are not times, sort as text before today's
    // (years past 9999 or before 1), lie too far ahead or run too long:
    // kept, with the message beside the field and at the top.
    let past = local(app.clock.now() - Duration::hours(1));
    let huge = "9".repeat(200);
    for (typed, message) in [
        (past.as_str(), "must be in the future"),
        ("next tuesday", "Enter a date and time"),
        ("+10000-01-01T09:00", "Enter a date and time"),
        ("-0001-01-01T09:00", "Enter a date and time"),
        ("9999-12-31T23:59", "at most a year ahead"),
        (huge.as_str(), "too long"),
    ] {
        let again = admin.submit_form(&page, &path, &[("at", typed)]).await;
        assert_eq!(
            again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            again.body
        );
        let beside = again.text("#at-error");
        assert!(beside.contains(message), "{typed}: {beside}");
        assert!(again.text("#error-summary").contains(message));
        assert_eq!(again.input_value("at").as_deref(), Some(typed));
    }
    // A stale confirmation keeps the time typed, with the reason.
    let soon = local(app.clock.now() + Duration::hours(2));
    let stale = admin
        .submit_form(&page, &path, &[("at", &soon), ("content_sha256", "0")])
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(stale.input_value("at").as_deref(), Some(soon.as_str()));
    let at = app.clock.now() + Duration::days(1);
    let scheduled = admin.submit_form(&page, &path, &[("at", &local(at))]).await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );
    let shown = admin.get(&format!("/admin/publications/{id}")).await;
    assert!(
        shown
            .text("#scheduled")
            .contains("Scheduled to be released at")
    );
    assert_eq!(
        public_status(&app, &format!("/statistics/{id}")).await,
        StatusCode::NOT_FOUND
    );
    let list = admin.get("/admin/publications").await;
    assert!(list.body.contains("Scheduled"));
    // Its release page now leads to its own page, not to a public 404.
    let check = admin
        .get(&format!("/admin/publications/{id}/release"))
        .await;
    assert_eq!(
        check.location(),
        Some(format!("/admin/publications/{id}").as_str())
    );
    // Cancelled before its time: a draft again, still not public.
    let unschedule = format!("/admin/publications/{id}/unschedule");
    let cancelled = admin.submit_form(&shown, &unschedule, &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let shown = admin.get(cancelled.location().unwrap()).await;
    assert!(shown.text("#publication-notice").contains("draft again"));
    // Cancelling again (a replay) cancels nothing, and says so.
    let again = admin.submit_form(&shown, &unschedule, &[]).await;
    let told = admin.get(again.location().unwrap()).await;
    assert!(
        told.text("#publication-notice").contains("not scheduled"),
        "{}",
        told.body
    );
    let mut conn = app.pool.get().unwrap();
    let p = publications::find(&mut conn, id).unwrap();
    assert_eq!(p.status, incident_portal::domain::PublicationStatus::Draft);
    assert!(p.csv_en.is_none() && p.released_at.is_none());
    assert_eq!(
        scheduled_releases::release_due(&mut conn, at + Duration::days(1)).unwrap(),
        Vec::<i64>::new()
    );
}

/// Two more instances on the same database, each with its scheduler: the
/// release is on neither before its time, on both soon after, released
/// once.
async fn two_instances_release_it_once_at_its_time(app: TestApp) {
    seed(&app);
    let id = draft(&app, "Embargoed", "2025-06-10T09:00:00+09:00");
    let at = app.clock.now() + Duration::minutes(30);
    assert_eq!(schedule(&app, id, at), Outcome::Scheduled { at });
    let instances = [app.another_instance(true), app.another_instance(true)];
    let status = |base: &str| {
        let url = format!("{base}/statistics/{id}");
        async move { reqwest::get(url).await.unwrap().status() }
    };
    // The schedulers pass several times before the time: nothing shows.
    app.clock
        .advance(Duration::minutes(30) - Duration::seconds(1));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    for base in &instances {
        assert_eq!(
            status(base).await,
            StatusCode::NOT_FOUND,
            "{base} before its time"
        );
    }
    assert_eq!(released_events(&app, id), 0);
    app.clock.advance(Duration::seconds(1));
    for base in &instances {
        let mut shown = status(base).await;
        for _ in 0..40 {
            if shown == StatusCode::OK {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
            shown = status(base).await;
        }
        assert_eq!(shown, StatusCode::OK, "{base} at its time");
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        released_events(&app, id),
        1,
        "released once by both schedulers"
    );
}

on_both_backends!(
    two_instances_release_it_once_at_its_time,
    a_scheduled_release_is_public_at_its_time_and_not_before,
    an_admin_schedules_from_the_release_page_and_may_cancel,
);
