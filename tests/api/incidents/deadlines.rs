//! Each stage's due time, for every trigger and unit: computed when its
//! trigger happens (across midnight, a weekend, Golden Week 2026 and the
//! New Year holidays), frozen on the incident (an admin's later change
//! moves nothing computed but reaches the next trigger), lateness frozen
//! on each version, four eyes per stage; and the admin's settings page.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use incident_portal::domain::incident::{
    IncidentSource, IncidentStage, IncidentStatus, ReportForm,
};
use incident_portal::domain::incident_deadline::{DeadlineRule, DelayUnit, Trigger};
use incident_portal::services::incidents::{self, FirmActor, Outcome, Target};
use incident_portal::services::{Actor, incident_figures, incident_notices, incident_rules};
use reqwest::StatusCode;

use super::lifecycle::{firm_actor, tokyo};
use crate::helpers::TestApp;
use crate::on_both_backends;

/// An initial report of an incident the firm became aware of at `aware`
/// and classified at `classified` (Tokyo wall-clock times).
pub fn form_at(aware: &str, classified: &str) -> ReportForm {
    ReportForm {
        aware_at: aware.into(),
        classified_at: classified.into(),
        occurred_on: aware[..10].into(),
        kind: "unauthorized_access".into(),
        vector: "phishing".into(),
        accounts: "12".into(),
        trades: "3".into(),
        amount_jpy: "4500000".into(),
        ongoing: "yes".into(),
        actions: "Locked the accounts.".into(),
        customers_told: "no".into(),
        police_told: "no".into(),
        ..ReportForm::default()
    }
}

/// The form of a later stage, from an initial one.
pub fn later_form(mut form: ReportForm, stage: IncidentStage) -> ReportForm {
    form.containment = "Accounts frozen.".into();
    form.cause = "Phishing site imitating our login.".into();
    if stage == IncidentStage::Final {
        form.root_cause = "Passwords reused from another site.".into();
        form.losses_jpy = "0".into();
        form.compensation_jpy = "4500000".into();
        form.remediation = "Passkeys at sign-in.".into();
        form.remediation_by = "2026-12-01".into();
    }
    form
}

pub fn rule(
    stage: IncidentStage,
    trigger: Trigger,
    unit: DelayUnit,
    amount: i32,
    remind_hours: i32,
    four_eyes: bool,
) -> DeadlineRule {
    DeadlineRule::new(stage, trigger, unit, amount, remind_hours, four_eyes).unwrap()
}

/// Saves `rules` as the admin would (through the service).
pub fn set_rules(app: &TestApp, rules: &[DeadlineRule]) {
    let mut conn = app.pool.get().unwrap();
    let actor = Actor {
        user_id: None,
        label: "admin@fsa.example".into(),
        ip: "127.0.0.1".into(),
    };
    incident_rules::save(&mut conn, &actor, app.clock.now(), rules).unwrap();
}

/// Sends the initial stage of a new incident at `at`; its id.
pub fn open_incident(
    app: &TestApp,
    who: (FirmActor, &Actor),
    form: &ReportForm,
    at: NaiveDateTime,
) -> i64 {
    let mut conn = app.pool.get().unwrap();
    match incidents::send(
        &mut conn,
        who.1,
        who.0,
        Target::New,
        IncidentStage::Initial,
        form,
        at,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap()
    {
        Outcome::Sent { incident_id, .. } | Outcome::Drafted { incident_id } => incident_id,
    }
}

/// Sends `stage` of an existing incident (based on its latest version).
pub fn send_stage(
    app: &TestApp,
    who: (FirmActor, &Actor),
    incident_id: i64,
    stage: IncidentStage,
    form: &ReportForm,
    at: NaiveDateTime,
) -> Outcome {
    let mut conn = app.pool.get().unwrap();
    let (based_on, _) = incidents::latest(&mut conn, incident_id).unwrap();
    incidents::send(
        &mut conn,
        who.1,
        who.0,
        Target::Existing {
            incident_id,
            based_on,
        },
        stage,
        form,
        at,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap()
}

fn incident(app: &TestApp, firm_id: i64, id: i64) -> incident_portal::db::models::Incident {
    let mut conn = app.pool.get().unwrap();
    incidents::of_firm(&mut conn, firm_id, id).unwrap()
}

/// (due time, on time) of each version, oldest first.
fn lateness(app: &TestApp, id: i64) -> Vec<(NaiveDateTime, bool)> {
    let mut conn = app.pool.get().unwrap();
    incidents::versions(&mut conn, id)
        .unwrap()
        .iter()
        .map(|l| (l.version.due_at, l.version.on_time))
        .collect()
}

async fn each_trigger_and_unit_is_computed_when_its_trigger_happens(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let (reporter, actor) = firm_actor(&app, "reporter@alpha.example");
    let who = (reporter, &actor);
    let one = |stage, trigger, unit, amount| rule(stage, trigger, unit, amount, 0, false);
    use DelayUnit::{BusinessDays, Hours, NoonNextBusinessDay};
    use IncidentStage::{Final, Initial, Intermediate};
    use Trigger::{Awareness, Classification, Previous};

    // Hours, from classification across midnight, and from the initial's
    // submission across a weekend.
    set_rules(
        &app,
        &[
            one(Initial, Classification, Hours, 4),
            one(Intermediate, Previous, Hours, 72),
            one(Final, Previous, BusinessDays, 20),
        ],
    );
    let id = open_incident(
        &app,
        who,
        &form_at("2026-05-01T21:40", "2026-05-01T23:00"),
        tokyo("2026-05-01T23:30"),
    );
    let i = incident(&app, alpha.id, id);
    assert_eq!(i.initial_due_at, Some(tokyo("2026-05-02T03:00")));
    assert_eq!(
        i.intermediate_due_at,
        Some(tokyo("2026-05-04T23:30")),
        "72 h from Friday 23:30 run through the weekend"
    );
    assert_eq!(i.final_due_at, None, "its trigger has not happened");
    // Business days from the previous stage's submission, across Golden
    // Week: the intermediate on Thursday 7 May, then 20 business days.
    send_stage(
        &app,
        who,
        id,
        Intermediate,
        &later_form(
            form_at("2026-05-01T21:40", "2026-05-01T23:00"),
            Intermediate,
        ),
        tokyo("2026-05-07T09:00"),
    );
    let i = incident(&app, alpha.id, id);
    assert_eq!(
        i.final_due_at,
        Some(tokyo("2026-06-05T00:00")),
        "the end of Thursday 4 June"
    );
    assert_eq!(i.next_due_at, i.final_due_at);
    assert_eq!(
        lateness(&app, id),
        [
            (tokyo("2026-05-02T03:00"), true),
            (tokyo("2026-05-04T23:30"), false)
        ],
        "the intermediate came three days late"
    );

    // Business days from awareness across Golden Week (Thursday 30 April:
    // Friday 1 May, then Thursday 7 May) and across the New Year (Tuesday
    // 29 December: Wednesday 30th, then Monday 4 January).
    set_rules(
        &app,
        &[
            one(Initial, Awareness, BusinessDays, 2),
            one(Intermediate, Awareness, BusinessDays, 5),
            one(Final, Previous, BusinessDays, 20),
        ],
    );
    let id = open_incident(
        &app,
        who,
        &form_at("2026-04-30T10:00", "2026-04-30T11:00"),
        tokyo("2026-04-30T12:00"),
    );
    let i = incident(&app, alpha.id, id);
    assert_eq!(i.initial_due_at, Some(tokyo("2026-05-08T00:00")));
    assert_eq!(
        i.intermediate_due_at,
        Some(tokyo("2026-05-13T00:00")),
        "awareness starts every stage that counts from it, when the initial is sent"
    );
    let id = open_incident(
        &app,
        who,
        &form_at("2026-12-29T15:00", "2026-12-29T15:30"),
        tokyo("2026-12-29T16:00"),
    );
    assert_eq!(
        incident(&app, alpha.id, id).initial_due_at,
        Some(tokyo("2027-01-05T00:00"))
    );

    // Noon of the next business day: from a Friday 23:30 it is Monday's;
    // from the eve of the New Year holidays, 4 January's. Sent after it,
    // the version is late, and says so for good.
    set_rules(
        &app,
        &[
            one(Initial, Classification, NoonNextBusinessDay, 0),
            one(Intermediate, Previous, Hours, 72),
            one(Final, Previous, BusinessDays, 20),
        ],
    );
    let id = open_incident(
        &app,
        who,
        &form_at("2026-05-15T22:00", "2026-05-15T23:30"),
        tokyo("2026-05-16T09:00"),
    );
    assert_eq!(
        incident(&app, alpha.id, id).initial_due_at,
        Some(tokyo("2026-05-18T12:00"))
    );
    assert_eq!(lateness(&app, id), [(tokyo("2026-05-18T12:00"), true)]);
    let late = open_incident(
        &app,
        who,
        &form_at("2026-12-30T17:00", "2026-12-30T18:00"),
        tokyo("2027-01-04T13:00"),
    );
    assert_eq!(lateness(&app, late), [(tokyo("2027-01-04T12:00"), false)]);
}

async fn due_times_are_frozen_and_a_change_reaches_only_later_triggers(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let (reporter, actor) = firm_actor(&app, "reporter@alpha.example");
    let who = (reporter, &actor);
    use DelayUnit::{BusinessDays, Hours, NoonNextBusinessDay};
    use IncidentStage::{Final, Initial, Intermediate};
    use Trigger::{Classification, Previous};
    set_rules(
        &app,
        &[
            rule(Initial, Classification, Hours, 4, 0, false),
            rule(Intermediate, Previous, Hours, 72, 12, false),
            rule(Final, Previous, BusinessDays, 20, 72, false),
        ],
    );
    let form = form_at("2026-05-01T21:40", "2026-05-01T23:00");
    let x = open_incident(&app, who, &form, tokyo("2026-05-01T23:30"));
    let before = incident(&app, alpha.id, x);

    // The admin shortens every stage afterwards.
    set_rules(
        &app,
        &[
            rule(Initial, Classification, Hours, 1, 0, false),
            rule(Intermediate, Previous, Hours, 24, 6, false),
            rule(Final, Previous, NoonNextBusinessDay, 0, 2, false),
        ],
    );
    let after = incident(&app, alpha.id, x);
    assert_eq!(
        (after.initial_due_at, after.intermediate_due_at),
        (before.initial_due_at, before.intermediate_due_at),
        "nothing computed moves"
    );
    assert_eq!(after.intermediate_due_at, Some(tokyo("2026-05-04T23:30")));
    assert_eq!(lateness(&app, x), [(tokyo("2026-05-02T03:00"), true)]);

    // A new incident's triggers happen after the change: the new rules.
    let y = open_incident(&app, who, &form, tokyo("2026-05-01T23:50"));
    let y_due = incident(&app, alpha.id, y);
    assert_eq!(y_due.initial_due_at, Some(tokyo("2026-05-02T00:00")));
    assert_eq!(y_due.intermediate_due_at, Some(tokyo("2026-05-02T23:50")));
    assert_eq!(
        lateness(&app, y),
        [(tokyo("2026-05-02T00:00"), true)],
        "sent 10 minutes before the hour it had"
    );

    // The old incident's intermediate is measured against its frozen due
    // time; the trigger it sets (the final's) uses the rule now in force:
    // noon of the next business day after Monday 4 May is Thursday 7 May's.
    send_stage(
        &app,
        who,
        x,
        Intermediate,
        &later_form(form.clone(), Intermediate),
        tokyo("2026-05-04T20:00"),
    );
    let x_after = incident(&app, alpha.id, x);
    assert_eq!(x_after.final_due_at, Some(tokyo("2026-05-07T12:00")));
    assert_eq!(x_after.next_due_at, x_after.final_due_at);
    assert_eq!(
        lateness(&app, x),
        [
            (tokyo("2026-05-02T03:00"), true),
            (tokyo("2026-05-04T23:30"), true)
        ],
        "on time against the 72 h it had when the initial was sent, not the 24 h of now"
    );
    // An update of the same stage keeps the due time and lateness of the
    // earlier versions, and is measured against the same frozen time.
    send_stage(
        &app,
        who,
        x,
        Intermediate,
        &later_form(form, Intermediate),
        tokyo("2026-05-05T08:00"),
    );
    assert_eq!(
        lateness(&app, x),
        [
            (tokyo("2026-05-02T03:00"), true),
            (tokyo("2026-05-04T23:30"), true),
            (tokyo("2026-05-04T23:30"), false)
        ]
    );
    assert_eq!(
        incident(&app, alpha.id, x).final_due_at,
        Some(tokyo("2026-05-07T12:00")),
        "an update is not a trigger"
    );
}

async fn four_eyes_is_set_per_stage(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _analyst = app.analyst(&mut admin).await;
    let (reporter, reporter_actor) = firm_actor(&app, "reporter@alpha.example");
    let (approver, approver_actor) = firm_actor(&app, "approver@alpha.example");
    use DelayUnit::{BusinessDays, Hours};
    use IncidentStage::{Final, Initial, Intermediate};
    use Trigger::{Classification, Previous};
    set_rules(
        &app,
        &[
            rule(Initial, Classification, Hours, 4, 0, true),
            rule(Intermediate, Previous, Hours, 72, 12, false),
            rule(Final, Previous, BusinessDays, 20, 72, true),
        ],
    );
    let form = form_at("2026-05-01T21:40", "2026-05-01T23:00");
    let drafted_at = tokyo("2026-05-01T23:30");
    let mut conn = app.pool.get().unwrap();
    let outcome = incidents::send(
        &mut conn,
        &reporter_actor,
        reporter,
        Target::New,
        Initial,
        &form,
        drafted_at,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    let Outcome::Drafted { incident_id: id } = outcome else {
        panic!("the initial stage needs four eyes: {outcome:?}");
    };
    let draft = incident(&app, alpha.id, id);
    assert_eq!(draft.status, IncidentStatus::Draft);
    assert_eq!(draft.initial_due_at, None, "nothing sent, nothing computed");
    // The regulator sees nothing of it: not on the dashboard, not told.
    let links = incident_portal::web::mail_links::for_portal(&app.address);
    let figures = incident_figures::figures(&mut conn, drafted_at).unwrap();
    assert_eq!((figures.open, figures.overdue), (0, 0));
    assert!(figures.weeks.iter().all(|w| w.opened == 0));
    let report = incident_notices::run_due(&mut conn, drafted_at, &links).unwrap();
    assert_eq!(report.announced, 0);

    // An approver who did not prepare it sends it: open, counted, told.
    let incidents::Draft(row, _, _) = incidents::draft(&mut conn, id).unwrap().unwrap();
    let sent_at = tokyo("2026-05-02T01:00");
    incidents::approve(
        &mut conn,
        &approver_actor,
        approver,
        id,
        &incidents::draft_sha(&row),
        sent_at,
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    let open = incident(&app, alpha.id, id);
    assert_eq!(open.status, IncidentStatus::Open);
    assert_eq!(
        open.initial_due_at,
        Some(tokyo("2026-05-02T03:00")),
        "counted from classification"
    );
    let figures = incident_figures::figures(&mut conn, sent_at).unwrap();
    assert_eq!((figures.open, figures.overdue), (1, 0));
    assert_eq!(figures.weeks.last().map(|w| w.opened), Some(1));
    let report = incident_notices::run_due(&mut conn, sent_at, &links).unwrap();
    assert_eq!(report.announced, 1);
    let versions = incidents::versions(&mut conn, id).unwrap();
    assert!(!versions[0].version.sent_by_one);
    drop(conn);

    // The intermediate needs no second person: the reporter's is sent.
    let outcome = send_stage(
        &app,
        (reporter, &reporter_actor),
        id,
        Intermediate,
        &later_form(form.clone(), Intermediate),
        tokyo("2026-05-02T10:00"),
    );
    assert!(
        matches!(outcome, Outcome::Sent { version_no: 2, .. }),
        "{outcome:?}"
    );
    // The final does again: the reporter's waits for an approver.
    let outcome = send_stage(
        &app,
        (reporter, &reporter_actor),
        id,
        Final,
        &later_form(form, Final),
        tokyo("2026-05-02T11:00"),
    );
    assert_eq!(outcome, Outcome::Drafted { incident_id: id });
    let mut conn = app.pool.get().unwrap();
    let versions = incidents::versions(&mut conn, id).unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[1].version.sent_by_one);
    assert_eq!(incident(&app, alpha.id, id).status, IncidentStatus::Open);
}

async fn the_admin_sets_the_rules_on_a_page(app: TestApp) {
    let mut admin = app.setup_admin().await;
    // The clock stands on Tuesday 20 May 2025: the example is Friday 23rd.
    let page = admin.get("/admin/incident-deadlines").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let layout = admin.get("/admin/calendar").await;
    assert!(
        layout
            .texts("nav a")
            .contains(&"Incident deadlines".to_owned()),
        "linked beside the calendar"
    );
    assert_eq!(
        page.input_value("intermediate_amount").as_deref(),
        Some("72")
    );
    assert_eq!(
        page.input_value("final_remind_hours").as_deref(),
        Some("72")
    );
    assert_eq!(
        page.texts("#initial_trigger option"),
        [
            "Choose…",
            "When the firm became aware",
            "When the firm classified it as reportable"
        ],
        "the initial stage cannot count from a stage before it"
    );
    assert_eq!(
        page.texts("#intermediate_trigger option[selected]"),
        ["When the stage before was first sent"]
    );
    assert_eq!(page.texts("#intermediate_four_eyes[checked]").len(), 1);
    assert!(
        page.text("#incident-deadlines-frozen")
            .contains("do not move")
    );
    assert!(page.body.contains("2025-05-23 23:30 JST"), "{}", page.body);
    assert_eq!(
        page.texts("#incident-deadlines-example-table tbody tr"),
        [
            "Initial report2025-05-23 23:30 JST2025-05-24 03:30 JSTNoneAny firm user, alone",
            "Intermediate report2025-05-24 03:30 JST2025-05-27 03:30 JST2025-05-26 15:30 JSTAn approver who did not prepare it",
            "Final report2025-05-27 03:30 JST2025-06-25 00:00 JST2025-06-22 00:00 JSTAn approver who did not prepare it",
        ]
    );

    // Mistakes: each beside its field, what was typed kept, nothing saved.
    let typed = [
        ("initial_trigger", "previous"),
        ("initial_unit", "hours"),
        ("initial_amount", "4"),
        ("initial_remind_hours", "0"),
        ("intermediate_trigger", "previous"),
        ("intermediate_unit", "hours"),
        ("intermediate_amount", "seventy"),
        ("intermediate_remind_hours", "12"),
        ("intermediate_four_eyes", "yes"),
        ("final_trigger", "previous"),
        ("final_unit", "business_days"),
        ("final_amount", "20"),
        ("final_remind_hours", "900"),
        ("final_four_eyes", "yes"),
    ];
    let refused = admin
        .submit_form(&page, "/admin/incident-deadlines", &typed)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_error("initial_trigger").as_deref(),
        Some("The initial report has no stage before it: choose awareness or classification.")
    );
    assert_eq!(
        refused.field_error("intermediate_amount").as_deref(),
        Some("Enter a whole number, such as 1,234.")
    );
    assert_eq!(
        refused.field_error("final_remind_hours").as_deref(),
        Some("Enter a whole number of hours from 0 to 720.")
    );
    assert_eq!(refused.texts("#error-summary li").len(), 3);
    assert!(refused.field_error("initial_amount").is_none());
    assert_eq!(
        refused.input_value("intermediate_amount").as_deref(),
        Some("seventy")
    );
    assert_eq!(
        refused.input_value("final_remind_hours").as_deref(),
        Some("900")
    );
    assert_eq!(
        refused.texts("#final_unit option[selected]"),
        ["Business days (due at the end of the last one)"]
    );
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        incident_rules::of(&mut conn, IncidentStage::Intermediate)
            .unwrap()
            .amount,
        72
    );

    // Put right and saved: audited with each rule before and after.
    let mut fixed = typed.to_vec();
    fixed[0] = ("initial_trigger", "awareness");
    fixed[6] = ("intermediate_amount", "48");
    fixed[12] = ("final_remind_hours", "24");
    fixed.retain(|(k, _)| *k != "intermediate_four_eyes");
    let saved = admin
        .submit_form(&refused, "/admin/incident-deadlines", &fixed)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/admin/incident-deadlines?saved=1"));
    let rules = incident_rules::all(&mut conn).unwrap();
    assert_eq!(
        rules[0],
        rule(
            IncidentStage::Initial,
            Trigger::Awareness,
            DelayUnit::Hours,
            4,
            0,
            false
        )
    );
    assert_eq!(
        rules[1],
        rule(
            IncidentStage::Intermediate,
            Trigger::Previous,
            DelayUnit::Hours,
            48,
            12,
            false
        )
    );
    assert_eq!((rules[2].remind_hours, rules[2].four_eyes), (24, true));
    let details: Vec<String> = audit_events::table
        .filter(audit_events::action.eq("incident.deadlines_changed"))
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        details,
        [
            "initial: classification 4 hours remind=0h four_eyes=false -> awareness 4 hours remind=0h four_eyes=false; \
          intermediate: previous 72 hours remind=12h four_eyes=true -> previous 48 hours remind=12h four_eyes=false; \
          final: previous 20 business_days remind=72h four_eyes=true -> previous 20 business_days remind=24h four_eyes=true"
        ]
    );
    let shown = admin.get("/admin/incident-deadlines?saved=1").await;
    assert_eq!(
        shown.text("p.notice[role=status]"),
        "The rules are saved. They apply to triggers from now on."
    );
    assert_eq!(
        shown.texts("#incident-deadlines-example-table tbody tr")[1],
        "Intermediate report2025-05-24 03:30 JST2025-05-26 03:30 JST2025-05-25 15:30 JSTAny firm user, alone",
        "the example follows the rules saved"
    );
    // Saving the same rules again changes nothing and records nothing.
    let again = admin
        .submit_form(&shown, "/admin/incident-deadlines", &fixed)
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let count: i64 = audit_events::table
        .filter(audit_events::action.eq("incident.deadlines_changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 1);
}

on_both_backends!(
    each_trigger_and_unit_is_computed_when_its_trigger_happens,
    due_times_are_frozen_and_a_change_reaches_only_later_triggers,
    four_eyes_is_set_per_stage,
    the_admin_sets_the_rules_on_a_page,
);
