//! The firm's incident pages as a person (and an attacker) uses them:
//! mistakes beside their fields with everything typed kept, hostile values
//! in every field never a 500, a skipped stage refused, a draft sent once
//! however many times its form is posted at once, a replayed approval
//! refused, another firm kept out; each send and reclassification made
//! through the forms audited once, under the person who made it.

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, incident_versions, users};
use incident_portal::domain::incident::FIELDS;
use reqwest::StatusCode;

use super::lifecycle::{initial_form, tokyo};
use crate::helpers::{Browser, TestApp};
use crate::on_both_backends;

/// The initial notification as typed in the form (every field).
fn typed() -> Vec<(&'static str, String)> {
    let form = initial_form();
    FIELDS
        .iter()
        .map(|f| (*f, form.value(f).to_owned()))
        .collect()
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Moves the portal's clock to 23:30 on Friday 1 May 2026, before anyone
/// signs in.
fn friday_night(app: &TestApp) {
    app.clock
        .advance(tokyo("2026-05-01T23:30") - app.clock.now());
}

fn versions(app: &TestApp, incident: i64) -> i64 {
    let mut conn = app.pool.get().unwrap();
    incident_versions::table
        .filter(incident_versions::incident_id.eq(incident))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// The audit events of `action`, oldest first: (the acting user's id, the
/// actor as recorded, the object's id, the detail).
fn audited(app: &TestApp, action: &str) -> Vec<(Option<i64>, String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::id.asc())
        .select((
            audit_events::actor_user_id,
            audit_events::actor,
            audit_events::object_id,
            audit_events::detail,
        ))
        .load(&mut conn)
        .unwrap()
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut conn)
        .unwrap()
}

/// Sends the initial notification through the form; returns the incident.
async fn send_initial(browser: &mut Browser) -> i64 {
    let form = browser.get("/incidents/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let done = browser
        .submit_form(&form, "/incidents/new", &borrowed(&typed()))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done.location().unwrap().to_owned();
    assert!(location.ends_with("?sent=initial"), "{location}");
    location
        .trim_start_matches("/incidents/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn mistakes_are_shown_beside_their_fields_and_nothing_is_lost(app: TestApp) {
    friday_night(&app);
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let form = alpha.reporter.get("/incidents/new").await;
    let mut fields = typed();
    for (name, value) in fields.iter_mut() {
        match *name {
            "accounts" => *value = String::new(),
            "kind" => *value = "hijack".into(),
            "aware_at" => *value = "2099-01-01 10:00".into(),
            "actions" => *value = "Locked <script>alert(1)</script> accounts".into(),
            _ => {}
        }
    }
    let page = alpha
        .reporter
        .submit_form(&form, "/incidents/new", &borrowed(&fields))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.field_error("accounts").as_deref(),
        Some("Enter a value. (INC-E001)"),
        "{}",
        page.body
    );
    assert_eq!(
        page.field_error("kind").as_deref(),
        Some("This value is not accepted. (INC-E008)")
    );
    assert_eq!(
        page.field_error("aware_at").as_deref(),
        Some("This time is later than now. (INC-E003)")
    );
    // Everything typed comes back, the hostile text escaped.
    assert_eq!(page.input_value("trades").as_deref(), Some("30"));
    assert_eq!(
        page.input_value("aware_at").as_deref(),
        Some("2099-01-01 10:00")
    );
    assert!(
        page.body
            .contains("Locked &#60;script&#62;alert(1)&#60;/script&#62; accounts"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert"));
    let mut conn = app.pool.get().unwrap();
    let count: i64 = incident_portal::db::schema::incidents::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 0, "nothing recorded");
}

async fn hostile_values_in_every_field_never_get_a_server_error(app: TestApp) {
    friday_night(&app);
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let incident = send_initial(&mut alpha.reporter).await;
    let hostile = [
        "",
        " ",
        "\u{0}",
        "\u{202E}evil",
        "'; DROP TABLE incidents; --",
        "99999999999999999999999999",
        "-1",
        "９９",
        "2026-02-30 10:00",
        "2026-13-01",
        "yes\nno",
        &"x".repeat(5000),
    ];
    for path in [
        "/incidents/new".to_owned(),
        format!("/incidents/{incident}/stages/initial"),
        format!("/incidents/{incident}/stages/intermediate"),
        format!("/incidents/{incident}/stages/final"),
        format!("/incidents/{incident}/stages/bogus"),
        format!("/incidents/{incident}/reclassify"),
        format!("/incidents/{incident}/approve"),
    ] {
        let form = alpha.approver.get(&format!("/incidents/{incident}")).await;
        for value in hostile {
            let mut fields: Vec<(&str, &str)> = FIELDS.iter().map(|f| (*f, value)).collect();
            fields.extend([
                ("based_on", value),
                ("reason", value),
                ("draft_sha256", value),
            ]);
            let page = alpha.approver.submit_form(&form, &path, &fields).await;
            assert!(
                !page.status.is_server_error(),
                "{path} with {value:?}: {} {}",
                page.status,
                page.body
            );
        }
    }
    assert_eq!(versions(&app, incident), 1, "nothing hostile was recorded");
}

async fn a_skipped_stage_and_another_firm_are_refused(app: TestApp) {
    friday_night(&app);
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let incident = send_initial(&mut alpha.reporter).await;
    // The final report before the intermediate one: not now.
    let form = alpha
        .approver
        .get(&format!("/incidents/{incident}/stages/final"))
        .await;
    assert_eq!(
        form.status,
        StatusCode::SEE_OTHER,
        "the form is not offered"
    );
    let page = alpha.approver.get(&format!("/incidents/{incident}")).await;
    let mut fields = typed();
    fields.push(("based_on", "1".to_owned()));
    let refused = alpha
        .approver
        .submit_form(
            &page,
            &format!("/incidents/{incident}/stages/final"),
            &borrowed(&fields),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text("#form-notice").contains("cannot be sent now"),
        "{}",
        refused.body
    );
    assert_eq!(versions(&app, incident), 1);
    // Another firm: not found, on every route.
    let page = bravo.approver.get("/incidents").await;
    for path in [
        format!("/incidents/{incident}"),
        format!("/incidents/{incident}/stages/initial"),
    ] {
        assert_eq!(
            bravo.approver.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        format!("/incidents/{incident}/stages/initial"),
        format!("/incidents/{incident}/approve"),
        format!("/incidents/{incident}/reclassify"),
    ] {
        let answer = bravo
            .approver
            .submit_form(&page, &path, &borrowed(&fields))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert!(
        !bravo
            .approver
            .get("/incidents")
            .await
            .body
            .contains(&format!("#{incident} "))
    );
}

async fn a_draft_is_sent_once_however_often_it_is_posted(app: TestApp) {
    friday_night(&app);
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let incident = send_initial(&mut alpha.reporter).await;
    // The reporter prepares the intermediate report (four eyes).
    let form = alpha
        .reporter
        .get(&format!("/incidents/{incident}/stages/intermediate"))
        .await;
    assert_eq!(
        form.input_value("accounts").as_deref(),
        Some("120"),
        "prefilled"
    );
    let mut fields = typed();
    for (name, value) in fields.iter_mut() {
        match *name {
            "containment" => *value = "Accounts frozen.".into(),
            "cause" => *value = "A phishing site.".into(),
            _ => {}
        }
    }
    let saved = alpha
        .reporter
        .submit_form(
            &form,
            &format!("/incidents/{incident}/stages/intermediate"),
            &borrowed(&fields),
        )
        .await;
    assert_eq!(
        saved.location(),
        Some(format!("/incidents/{incident}?saved=intermediate").as_str())
    );
    // The reporter's own page offers no way to send it.
    let own = alpha.reporter.get(&format!("/incidents/{incident}")).await;
    assert!(
        own.text("#cannot-send").contains("Only an approver"),
        "{}",
        own.body
    );
    // The approver's page shows the draft whole; eight posts of its form at once.
    let page = alpha.approver.get(&format!("/incidents/{incident}")).await;
    assert!(page.text("#draft").contains("A phishing site."));
    let mut copies = Vec::new();
    for _ in 0..8 {
        let mut copy = app.browser();
        copy.cookies = alpha.approver.cookies.clone();
        copies.push(copy);
    }
    let posts = copies.into_iter().map(|mut copy| {
        let page = &page;
        async move {
            copy.submit_form(page, &format!("/incidents/{incident}/approve"), &[])
                .await
        }
    });
    let answers = futures_util::future::join_all(posts).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        versions(&app, incident),
        2,
        "one version, however many posts"
    );
    // A replay of the same form later: refused, nothing recorded.
    let replay = alpha
        .approver
        .submit_form(&page, &format!("/incidents/{incident}/approve"), &[])
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert!(
        replay.text("#refusal").contains("changed"),
        "{}",
        replay.body
    );
    assert_eq!(versions(&app, incident), 2);
    // Saved by the reporter, sent by the approver: each audited once,
    // under its own person, however many posts there were.
    let (reporter, approver) = (
        user_id(&app, "reporter@alpha.example"),
        user_id(&app, "approver@alpha.example"),
    );
    let id = incident.to_string();
    assert_eq!(
        audited(&app, "incident.drafted"),
        vec![(
            Some(reporter),
            "reporter@alpha.example".to_owned(),
            id.clone(),
            "stage=intermediate".to_owned()
        )]
    );
    let sent = audited(&app, "incident.sent");
    assert_eq!(sent.len(), 2, "the initial and one intermediate: {sent:?}");
    let (by, actor, object, detail) = &sent[1];
    assert_eq!(
        (*by, actor.as_str(), object.as_str()),
        (Some(approver), "approver@alpha.example", id.as_str())
    );
    assert!(
        detail.starts_with("stage=intermediate version=2 on_time=true due=")
            && detail.ends_with(" sent_by_one=false"),
        "{detail}"
    );
}

/// The initial notification sent through the form, by one person, and the
/// incident reclassified through the approver's form: each writes its
/// audit event, under the person and with the stage; a reclassification
/// refused (a reporter's, or one without a reason) writes none.
async fn a_send_and_a_reclassification_through_the_forms_are_audited(app: TestApp) {
    friday_night(&app);
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let incident = send_initial(&mut alpha.reporter).await;
    let (reporter, approver) = (
        user_id(&app, "reporter@alpha.example"),
        user_id(&app, "approver@alpha.example"),
    );
    let id = incident.to_string();
    // Classified at 23:00 in Tokyo: due four hours later, 18:00 UTC.
    assert_eq!(
        audited(&app, "incident.sent"),
        vec![(
            Some(reporter),
            "reporter@alpha.example".to_owned(),
            id.clone(),
            "stage=initial version=1 on_time=true due=2026-05-01T18:00:00Z sent_by_one=true"
                .to_owned()
        )]
    );

    let path = format!("/incidents/{incident}/reclassify");
    let reason = "The logins were the customers' own, from a new office.";
    let page = alpha.reporter.get(&format!("/incidents/{incident}")).await;
    let refused = alpha
        .reporter
        .submit_form(&page, &path, &[("reason", reason)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "a reporter");
    let page = alpha.approver.get(&format!("/incidents/{incident}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let refused = alpha
        .approver
        .submit_form(&page, &path, &[("reason", "  ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("reason").is_some(), "{}", refused.body);
    assert!(audited(&app, "incident.reclassified").is_empty());

    let done = alpha
        .approver
        .submit_form(&page, &path, &[("reason", reason)])
        .await;
    assert_eq!(
        done.location(),
        Some(format!("/incidents/{incident}?reclassified=1").as_str()),
        "{}",
        done.body
    );
    assert_eq!(
        audited(&app, "incident.reclassified"),
        vec![(
            Some(approver),
            "approver@alpha.example".to_owned(),
            id,
            "stage=initial".to_owned()
        )]
    );
    assert_eq!(audited(&app, "incident.sent").len(), 1, "nothing more sent");
}

on_both_backends!(
    mistakes_are_shown_beside_their_fields_and_nothing_is_lost,
    hostile_values_in_every_field_never_get_a_server_error,
    a_skipped_stage_and_another_firm_are_refused,
    a_draft_is_sent_once_however_often_it_is_posted,
    a_send_and_a_reclassification_through_the_forms_are_audited,
);
