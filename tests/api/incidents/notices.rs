//! Incident notices under a moving clock: the reminder before a stage is
//! due and the overdue notice after, each exactly once however many
//! scheduler passes run at once (three at every step, and on two more
//! instances of the portal), to the firm's approvers and the regulator's
//! staff only, none once the stage is sent or the incident reclassified;
//! the staff told of each stage's first version once. And the dashboard's
//! incident figures, current after a send and as time alone passes.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::schema::incident_notices;
use incident_portal::domain::incident::IncidentStage::{Final, Initial, Intermediate};
use incident_portal::domain::incident_deadline::DelayUnit::{BusinessDays, Hours};
use incident_portal::domain::incident_deadline::Trigger::{Classification, Previous};
use incident_portal::services::incidents;

use super::deadlines::{form_at, later_form, open_incident, rule, send_stage, set_rules};
use super::lifecycle::firm_actor;
use crate::helpers::{Browser, PASSWORD, Page, TestApp};
use crate::on_both_backends;
use crate::review::support::{FOOTER_EN, hrefs, redact, run_concurrently, sent, tick};

/// The recipients of `emails`, sorted.
fn recipients(emails: &[(String, String)]) -> Vec<String> {
    let mut to: Vec<String> = emails.iter().map(|(t, _)| t.clone()).collect();
    to.sort();
    to
}

/// Every (incident, stage, kind) claimed, sorted.
fn claimed(app: &TestApp) -> Vec<(i64, String, String)> {
    let mut conn = app.pool.get().unwrap();
    let mut rows: Vec<(i64, String, String)> = incident_notices::table
        .select((
            incident_notices::incident_id,
            incident_notices::stage,
            incident_notices::kind,
        ))
        .load(&mut conn)
        .unwrap();
    rows.sort();
    rows
}

fn claimed_at(app: &TestApp, kind: &str) -> Vec<NaiveDateTime> {
    let mut conn = app.pool.get().unwrap();
    incident_notices::table
        .filter(incident_notices::kind.eq(kind))
        .select(incident_notices::sent_at)
        .load(&mut conn)
        .unwrap()
}

/// Waits (up to ten seconds) until `count` emails match `needle`.
async fn wait_for(app: &TestApp, needle: &str, count: usize) {
    for _ in 0..200 {
        if sent(app, needle).len() >= count {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{count} emails about {needle:?}: {:?}", sent(app, needle));
}

async fn reminders_and_overdue_notices_go_out_once_to_the_right_people(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let _analyst = app.analyst(&mut admin).await;
    let (reporter, reporter_actor) = firm_actor(&app, "reporter@alpha.example");
    let (approver, approver_actor) = firm_actor(&app, "approver@alpha.example");
    let who = (reporter, &reporter_actor);
    // The intermediate report 72 h after the initial, reminded 12 h before.
    set_rules(
        &app,
        &[
            rule(Initial, Classification, Hours, 4, 0, false),
            rule(Intermediate, Previous, Hours, 72, 12, false),
            rule(Final, Previous, BusinessDays, 20, 72, false),
        ],
    );
    // Tuesday 20 May 2025, 19:00 in Tokyo.
    let t0 = app.clock.now();
    let form = form_at("2025-05-20T17:00", "2025-05-20T18:00");
    let a = open_incident(&app, who, &form, t0);
    let b = open_incident(&app, who, &form, t0);
    let c = open_incident(&app, who, &form, t0);

    // The staff are told of each initial report once.
    run_concurrently(&app);
    let told = sent(&app, "initial report received");
    assert_eq!(
        recipients(&told),
        [
            "admin@fsa.example",
            "admin@fsa.example",
            "admin@fsa.example",
            "analyst@fsa.example",
            "analyst@fsa.example",
            "analyst@fsa.example",
        ]
    );
    let (subject, text) = app.last_email_to("analyst@fsa.example");
    assert_eq!(
        subject,
        format!(
            "Incident Reporting Portal: incident #{c}, initial report received from Alpha Securities"
        )
    );
    assert_eq!(
        redact(&app, &text, &[]),
        format!(
            "Alpha Securities sent the initial report on incident #{c} (unauthorized access) at {{time}}.\n\n\
             Version 1\n\
             Due at {{time}}: on time\n\n\
             Open the incident in the register:\n{{origin}}/review/incidents/{c}{FOOTER_EN}"
        )
    );

    // B is reclassified at once; C's intermediate comes an hour later.
    {
        let mut conn = app.pool.get().unwrap();
        incidents::reclassify(
            &mut conn,
            &approver_actor,
            approver,
            b,
            "A test of our own monitoring.",
            t0,
        )
        .unwrap()
        .unwrap();
    }
    tick(&app, 1);
    send_stage(
        &app,
        who,
        c,
        Intermediate,
        &later_form(form.clone(), Intermediate),
        app.clock.now(),
    );

    // A's reminder goes out 60 h in, not before.
    tick(&app, 58);
    assert!(sent(&app, "report due at").is_empty());
    tick(&app, 1);
    let reminded = sent(&app, "report due at");
    assert_eq!(
        recipients(&reminded),
        [
            "admin@fsa.example",
            "analyst@fsa.example",
            "approver@alpha.example"
        ],
        "the firm's approvers and the staff: not the reporter, not another firm"
    );
    assert!(reminded.iter().all(|(_, s)| s
        == &format!(
            "Incident Reporting Portal: incident #{a}, intermediate report due at 2025-05-23 19:00 JST"
        )));
    assert_eq!(claimed_at(&app, "before"), [t0 + Duration::hours(60)]);
    let (_, text) = app.last_email_to("approver@alpha.example");
    assert_eq!(
        redact(&app, &text, &[]),
        format!(
            "The intermediate report on incident #{a} of Alpha Securities (unauthorized access) is due at {{time}} and has not been sent yet.\n\n\
             Incident deadlines are counted in hours: send what you know now, and update it later.\n\n\
             Open the incident:\n{{origin}}/incidents/{a}{FOOTER_EN}"
        )
    );
    let (_, text) = app.last_email_to("admin@fsa.example");
    assert!(
        text.contains("The firm's approvers have been told too.")
            && text.ends_with(&format!(
                "Open the incident in the register:\n{}/review/incidents/{a}{FOOTER_EN}",
                app.address
            )),
        "{text}"
    );

    // Overdue from the due time on (19:00 in Tokyo on Friday 23 May, an
    // hour the returns' reminders never use), once.
    tick(&app, 11);
    assert!(sent(&app, "overdue").is_empty());
    tick(&app, 1);
    let overdue = sent(&app, "report overdue");
    assert_eq!(
        recipients(&overdue),
        [
            "admin@fsa.example",
            "analyst@fsa.example",
            "approver@alpha.example"
        ]
    );
    assert_eq!(
        overdue[0].1,
        format!("Incident Reporting Portal: incident #{a}, intermediate report overdue")
    );
    assert_eq!(claimed_at(&app, "passed"), [t0 + Duration::hours(72)]);
    let (_, text) = app.last_email_to("approver@alpha.example");
    assert!(
        redact(&app, &text, &[]).starts_with(&format!(
            "The intermediate report on incident #{a} of Alpha Securities (unauthorized access) was due at {{time}} and has not been sent.\n\n"
        )),
        "{text}"
    );
    tick(&app, 24);
    assert_eq!(sent(&app, "report due at").len(), 3, "no repeat");
    assert_eq!(sent(&app, "report overdue").len(), 3, "no repeat");
    assert!(
        sent(&app, "incident #")
            .iter()
            .all(|(to, _)| !to.ends_with("bravo.example") && to != "reporter@alpha.example")
    );

    // A's intermediate, late: the staff are told once, with its lateness;
    // an update of it is no new arrival.
    send_stage(
        &app,
        who,
        a,
        Intermediate,
        &later_form(form.clone(), Intermediate),
        app.clock.now(),
    );
    tick(&app, 1);
    let (subject, text) = app.last_email_to("analyst@fsa.example");
    assert_eq!(
        subject,
        format!(
            "Incident Reporting Portal: incident #{a}, intermediate report received from Alpha Securities"
        )
    );
    assert!(
        text.contains("Version 2\nDue at 2025-05-23 19:00 JST: late"),
        "{text}"
    );
    send_stage(
        &app,
        who,
        a,
        Intermediate,
        &later_form(form, Intermediate),
        app.clock.now(),
    );
    tick(&app, 2);
    assert_eq!(
        recipients(&sent(&app, "intermediate report received")),
        [
            "admin@fsa.example",
            "admin@fsa.example",
            "analyst@fsa.example",
            "analyst@fsa.example"
        ],
        "C's and A's, once each"
    );
    let s = |x: &str| x.to_owned();
    assert_eq!(
        claimed(&app),
        [
            (a, s("initial"), s("sent")),
            (a, s("intermediate"), s("before")),
            (a, s("intermediate"), s("passed")),
            (a, s("intermediate"), s("sent")),
            (b, s("initial"), s("sent")),
            (c, s("initial"), s("sent")),
            (c, s("intermediate"), s("sent")),
        ],
        "nothing for B once reclassified, nor for C's intermediate sent in time"
    );
}

async fn two_more_instances_send_each_notice_once(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _analyst = app.analyst(&mut admin).await;
    let (reporter, actor) = firm_actor(&app, "reporter@alpha.example");
    // The seeded rules: the intermediate 72 h after the initial, reminded
    // 12 h before.
    let t0 = app.clock.now();
    let a = open_incident(
        &app,
        (reporter, &actor),
        &form_at("2025-05-20T17:00", "2025-05-20T18:00"),
        t0,
    );
    // Inside the reminder's window, two instances start: each scheduler
    // passes at once, and three passes run here too.
    app.clock.advance(Duration::hours(61));
    let _first = [app.another_instance(true), app.another_instance(true)];
    run_concurrently(&app);
    wait_for(&app, "report due at", 3).await;
    wait_for(&app, "initial report received", 2).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        recipients(&sent(&app, "report due at")),
        [
            "admin@fsa.example",
            "analyst@fsa.example",
            "approver@alpha.example"
        ]
    );
    assert_eq!(sent(&app, "initial report received").len(), 2);

    // Past the due time, two more start.
    app.clock.advance(Duration::hours(12));
    let _second = [app.another_instance(true), app.another_instance(true)];
    run_concurrently(&app);
    wait_for(&app, "report overdue", 3).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sent(&app, "report overdue").len(), 3);
    assert_eq!(sent(&app, "report due at").len(), 3);
    let s = |x: &str| x.to_owned();
    assert_eq!(
        claimed(&app),
        [
            (a, s("initial"), s("sent")),
            (a, s("intermediate"), s("before")),
            (a, s("intermediate"), s("passed")),
        ]
    );
}

async fn the_dashboard_counts_open_and_overdue_incidents_as_time_passes(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let (reporter, actor) = firm_actor(&app, "reporter@alpha.example");
    let counts = |page: &Page| {
        (
            page.text("#incidents-open"),
            page.text("#incidents-overdue"),
        )
    };
    let page = admin.get("/dashboard").await;
    assert_eq!(counts(&page), ("0".into(), "0".into()));
    assert_eq!(
        hrefs(&page, "#incidents a"),
        ["/review/incidents", "/review/incidents?state=overdue"]
    );
    let weeks = page.texts("#incidents-weekly tbody th");
    assert_eq!(weeks.len(), 13, "twelve weeks and the total");
    assert_eq!(weeks[0], "2025-03-03 (week 10)");
    assert_eq!(
        weeks[11], "2025-05-19 (week 21)",
        "the current week, from Monday"
    );
    assert_eq!(page.texts("#chart-incidents .bars rect").len(), 12);
    assert!(page.text("#chart-incidents-desc").contains("0 incidents"));

    // Sent in this process: the next request shows it.
    let t0 = app.clock.now();
    let form = form_at("2025-05-20T17:00", "2025-05-20T18:00");
    open_incident(&app, (reporter, &actor), &form, t0);
    // One in preparation (its initial needs four eyes) never counts.
    set_rules(
        &app,
        &[
            rule(Initial, Classification, Hours, 4, 0, true),
            rule(Intermediate, Previous, Hours, 72, 12, true),
            rule(Final, Previous, BusinessDays, 20, 72, true),
        ],
    );
    open_incident(&app, (reporter, &actor), &form, t0);
    let page = admin.get("/dashboard").await;
    assert_eq!(counts(&page), ("1".into(), "0".into()));
    assert_eq!(page.texts("#incidents-weekly tbody td")[11], "1");
    assert_eq!(
        page.texts("#incidents-weekly tbody td")[12],
        "1",
        "the total"
    );

    // Time alone, with nothing written: due at 72 h, overdue just after
    // (the admin signs in again a minute before: the session has expired).
    let due = t0 + Duration::hours(72);
    let page = dashboard_at(&app, &mut admin, due - Duration::minutes(1)).await;
    assert_eq!(counts(&page), ("1".into(), "0".into()));
    app.clock.advance(Duration::minutes(1));
    let page = admin.get("/dashboard").await;
    assert_eq!(
        counts(&page),
        ("1".into(), "0".into()),
        "due, not yet overdue"
    );
    app.clock.advance(Duration::minutes(1));
    let page = admin.get("/dashboard").await;
    assert_eq!(
        counts(&page),
        ("1".into(), "1".into()),
        "the figures kept a moment ago no longer hold"
    );

    // Monday 00:00 in Tokyo (15:00 UTC on Sunday) begins a new week.
    let monday = NaiveDate::from_ymd_opt(2025, 5, 25)
        .unwrap()
        .and_hms_opt(15, 0, 0)
        .unwrap();
    let page = dashboard_at(&app, &mut admin, monday - Duration::minutes(1)).await;
    assert_eq!(
        page.texts("#incidents-weekly tbody th")[11],
        "2025-05-19 (week 21)"
    );
    app.clock.advance(Duration::minutes(1));
    let page = admin.get("/dashboard").await;
    let weeks = page.texts("#incidents-weekly tbody th");
    assert_eq!(weeks[10], "2025-05-19 (week 21)");
    assert_eq!(weeks[11], "2025-05-26 (week 22)");
    let opened = page.texts("#incidents-weekly tbody td");
    assert_eq!((opened[10].as_str(), opened[11].as_str()), ("1", "0"));
    assert_eq!(counts(&page), ("1".into(), "1".into()));
}

/// The dashboard at `at`, signed in afresh (which takes the clock 30
/// seconds: the authenticator's next code).
async fn dashboard_at(app: &TestApp, admin: &mut Browser, at: NaiveDateTime) -> Page {
    app.clock
        .advance(at - Duration::seconds(30) - app.clock.now());
    app.sign_in_fully(admin, "admin@fsa.example", PASSWORD)
        .await;
    assert_eq!(app.clock.now(), at);
    let page = admin.get("/dashboard").await;
    assert_eq!(page.status, reqwest::StatusCode::OK, "{}", page.body);
    page
}

on_both_backends!(
    reminders_and_overdue_notices_go_out_once_to_the_right_people,
    two_more_instances_send_each_notice_once,
    the_dashboard_counts_open_and_overdue_incidents_as_time_passes,
);
