//! The firm's side of an incident, through the service on both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::db::models::User;
use incident_portal::db::schema::users;
use incident_portal::domain::incident::{
    IncidentSource, IncidentStage, IncidentStatus, ReportForm, parse_tokyo_time,
};
use incident_portal::services::Actor;
use incident_portal::services::incidents::{self, FirmActor, Outcome, Refusal, Target};

use crate::helpers::TestApp;
use crate::on_both_backends;

pub fn tokyo(s: &str) -> NaiveDateTime {
    parse_tokyo_time(s).unwrap()
}

/// An initial report as typed at 23:30 on Friday 1 May 2026.
pub fn initial_form() -> ReportForm {
    ReportForm {
        aware_at: "2026-05-01T21:40".into(),
        classified_at: "2026-05-01T23:00".into(),
        occurred_on: "2026-04-28".into(),
        kind: "unauthorized_access".into(),
        vector: "phishing".into(),
        accounts: "120".into(),
        trades: "30".into(),
        amount_jpy: "45000000".into(),
        ongoing: "yes".into(),
        actions: "Locked the accounts; reset passwords.".into(),
        customers_told: "no".into(),
        police_told: "no".into(),
        ..ReportForm::default()
    }
}

pub fn firm_actor(app: &TestApp, email: &str) -> (FirmActor, Actor) {
    let mut conn = app.pool.get().unwrap();
    let user: User = users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(&mut conn)
        .unwrap();
    let actor = Actor {
        user_id: Some(user.id),
        label: email.to_owned(),
        ip: "127.0.0.1".to_owned(),
    };
    (FirmActor::of(&user).unwrap(), actor)
}

async fn stages_freeze_their_due_times_and_lateness(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let (reporter, reporter_actor) = firm_actor(&app, "reporter@alpha.example");
    let (approver, approver_actor) = firm_actor(&app, "approver@alpha.example");
    let mut conn = app.pool.get().unwrap();
    let sent_at = tokyo("2026-05-01T23:30");
    let outcome = incidents::send(
        &mut conn,
        &reporter_actor,
        reporter,
        Target::New,
        IncidentStage::Initial,
        &initial_form(),
        sent_at,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    let Outcome::Sent {
        incident_id,
        version_no,
    } = outcome
    else {
        panic!("the initial stage is sent by one person: {outcome:?}");
    };
    assert_eq!(version_no, 1);
    let incident = incidents::of_firm(&mut conn, reporter.firm_id, incident_id).unwrap();
    assert_eq!(incident.status, IncidentStatus::Open);
    assert_eq!(incident.period, "2026-04");
    assert_eq!(
        incident.initial_due_at,
        Some(tokyo("2026-05-02T03:00")),
        "4 h after classification"
    );
    assert_eq!(
        incident.intermediate_due_at,
        Some(tokyo("2026-05-04T23:30")),
        "72 h after the initial"
    );
    assert_eq!(incident.final_due_at, None, "its trigger has not happened");
    assert_eq!(incident.next_due_at, incident.intermediate_due_at);

    // The intermediate report needs four eyes: the reporter's is a draft.
    let mut form = initial_form();
    form.containment = "Accounts frozen.".into();
    form.cause = "Phishing site imitating our login.".into();
    form.accounts = "180".into();
    let later = tokyo("2026-05-05T10:00");
    let outcome = incidents::send(
        &mut conn,
        &reporter_actor,
        reporter,
        Target::Existing {
            incident_id,
            based_on: 1,
        },
        IncidentStage::Intermediate,
        &form,
        later,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    assert_eq!(outcome, Outcome::Drafted { incident_id });
    let incidents::Draft(draft, _, editors) =
        incidents::draft(&mut conn, incident_id).unwrap().unwrap();
    assert_eq!(editors.len(), 1);
    let sha = incidents::draft_sha(&draft);
    // The reporter cannot send it, nor a stale view of it.
    assert_eq!(
        incidents::approve(
            &mut conn,
            &reporter_actor,
            reporter,
            incident_id,
            &sha,
            later,
            IncidentSource::Portal
        )
        .unwrap(),
        Err(Refusal::NotApprover)
    );
    assert_eq!(
        incidents::approve(
            &mut conn,
            &approver_actor,
            approver,
            incident_id,
            "0000",
            later,
            IncidentSource::Portal
        )
        .unwrap(),
        Err(Refusal::Stale)
    );
    let no = incidents::approve(
        &mut conn,
        &approver_actor,
        approver,
        incident_id,
        &sha,
        later,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    assert_eq!(no, 2);
    let versions = incidents::versions(&mut conn, incident_id).unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].version.on_time && versions[0].version.sent_by_one);
    assert!(
        !versions[1].version.on_time,
        "due on the 4th at 23:30, sent on the 5th"
    );
    assert!(!versions[1].version.sent_by_one);
    assert_eq!(versions[1].prepared_by.len(), 1, "the reporter prepared it");
    assert_ne!(versions[1].prepared_by[0], versions[1].sent_by);
    let incident = incidents::of_firm(&mut conn, reporter.firm_id, incident_id).unwrap();
    assert_eq!(incident.accounts, 180);
    // Final: by the end of the 20th business day after the intermediate's
    // first submission (Tuesday 5 May, a holiday; the 6th is one too):
    // Wednesday 3 June.
    assert_eq!(incident.final_due_at, Some(tokyo("2026-06-04T00:00")));

    // A stale form (based on version 1) is refused, nothing recorded.
    let stale = incidents::send(
        &mut conn,
        &reporter_actor,
        reporter,
        Target::Existing {
            incident_id,
            based_on: 1,
        },
        IncidentStage::Intermediate,
        &form,
        later,
        IncidentSource::Portal,
    )
    .unwrap();
    assert!(stale.is_err());
    // Reclassified: nothing more is awaited, and nothing more can be sent.
    incidents::reclassify(
        &mut conn,
        &approver_actor,
        approver,
        incident_id,
        "Not a breach after all.",
        later,
    )
    .unwrap()
    .unwrap();
    let incident = incidents::of_firm(&mut conn, reporter.firm_id, incident_id).unwrap();
    assert_eq!(incident.status, IncidentStatus::NotReportable);
    assert_eq!(incident.next_due_at, None);
    assert!(incidents::open_stages(&incident).is_empty());
}

on_both_backends!(stages_freeze_their_due_times_and_lateness,);
