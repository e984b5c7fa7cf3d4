//! The monthly return reconciled with the firm's incidents, on both
//! backends: the return's pages list the incidents that began in its month
//! (sent ones only, the firm's own, that month's), and the return raises
//! RET-W004 (accounts), RET-W005 (trades) and RET-W006 (a nil return over
//! incidents), each refused at submission until explained.

use diesel::prelude::*;
use incident_portal::db::models::Version;
use incident_portal::db::schema::{incident_deadlines, return_versions, version_details};
use incident_portal::domain::incident::{IncidentSource, IncidentStage, ReportForm};
use incident_portal::domain::period::Period;
use incident_portal::services::incidents::{self, Outcome, Target};
use incident_portal::services::returns::{self, Approval};
use incident_portal::services::{Invalid, tokens};
use reqwest::StatusCode;

use super::lifecycle::{firm_actor, initial_form, tokyo};
use crate::helpers::{self, Firm, Page, TestApp, figures, prepare};
use crate::on_both_backends;

const APRIL: &str = "2025-04";

fn april() -> Period {
    Period::parse(APRIL).unwrap()
}

/// An initial notification of an incident that began on `occurred_on`,
/// affecting `accounts` accounts with `trades` fraudulent trades.
fn report(occurred_on: &str, accounts: &str, trades: &str) -> ReportForm {
    let day = &occurred_on[..10];
    ReportForm {
        occurred_on: day.into(),
        aware_at: format!("{day}T21:00"),
        classified_at: format!("{day}T22:00"),
        accounts: accounts.into(),
        trades: trades.into(),
        ..initial_form()
    }
}

/// `email`'s firm sends an incident (the day after it began); its id.
fn send(app: &TestApp, email: &str, form: &ReportForm) -> (i64, Outcome) {
    let (who, actor) = firm_actor(app, email);
    let mut conn = app.pool.get().unwrap();
    let outcome = incidents::send(
        &mut conn,
        &actor,
        who,
        Target::New,
        IncidentStage::Initial,
        form,
        tokyo("2025-05-01T12:00"),
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    let id = match outcome {
        Outcome::Sent { incident_id, .. } | Outcome::Drafted { incident_id } => incident_id,
    };
    (id, outcome)
}

fn sent(app: &TestApp, email: &str, form: &ReportForm) -> i64 {
    let (id, outcome) = send(app, email, form);
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
    id
}

/// The approver submits the prepared draft of `period` through the
/// service (as a forged form would reach it), with the attestation.
fn submit(app: &TestApp, approver: &str, period: &str) -> Result<Version, Invalid> {
    let (who, actor) = firm_actor(app, approver);
    let period = Period::parse(period).unwrap();
    let mut conn = app.pool.get().unwrap();
    let sha = returns::draft_sha256_now(&mut conn, who.firm_id, period).unwrap();
    let approval = Approval {
        attested: true,
        note: String::new(),
        prepared_sha256: sha,
        ..Approval::default()
    };
    returns::submit(
        &mut conn,
        &actor,
        who.firm_id,
        period,
        &approval,
        &tokens::new_token(),
        app.clock.now(),
    )
    .unwrap()
}

fn keys(invalid: &Invalid) -> Vec<(&'static str, &'static str)> {
    invalid.0.iter().map(|(f, k)| (*f, k.name())).collect()
}

fn versions(app: &TestApp, firm_id: i64, period: &str) -> Vec<Version> {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period))
        .order(return_versions::version_no.asc())
        .select(Version::as_select())
        .load(&mut conn)
        .unwrap()
}

/// The incidents listed on a page: (id, link, cells).
fn listed(page: &Page) -> Vec<(String, String, Vec<String>)> {
    let html = page.html();
    let row = scraper::Selector::parse("#month-incidents-table tbody tr").unwrap();
    let link = scraper::Selector::parse("th a").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    html.select(&row)
        .map(|tr| {
            let a = tr.select(&link).next().expect("a link per incident");
            (
                tr.value().attr("data-incident").unwrap().to_owned(),
                a.value().attr("href").unwrap().to_owned(),
                tr.select(&cell)
                    .map(|td| td.text().collect::<String>().trim().to_owned())
                    .collect(),
            )
        })
        .collect()
}

async fn firms(app: &TestApp) -> (Firm, Firm, helpers::Browser) {
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let beta = app.firm_with_users(&mut admin, "Beta").await;
    (alpha, beta, admin)
}

async fn the_returns_pages_list_the_months_sent_incidents_only(app: TestApp) {
    let (mut alpha, _beta, mut admin) = firms(&app).await;
    let counted = sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-20", "120", "30"),
    );
    // Reclassified as not reportable: left out.
    let reclassified = sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-22", "7", "1"),
    );
    let (who, actor) = firm_actor(&app, "approver@alpha.example");
    {
        let mut conn = app.pool.get().unwrap();
        incidents::reclassify(
            &mut conn,
            &actor,
            who,
            reclassified,
            "A customer's own mistake, not an attack.",
            tokyo("2025-05-02T09:00"),
        )
        .unwrap()
        .unwrap();
    }
    // Another month's, and another firm's: left out.
    let march = sent(
        &app,
        "reporter@alpha.example",
        &report("2025-03-30", "50", "5"),
    );
    let beta_april = sent(
        &app,
        "reporter@beta.example",
        &report("2025-04-10", "9", "2"),
    );
    // A draft nobody sent yet (the initial stage needing four eyes): left out.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(incident_deadlines::table.filter(incident_deadlines::stage.eq("initial")))
            .set(incident_deadlines::four_eyes.eq(true))
            .execute(&mut conn)
            .unwrap();
    }
    let (draft, outcome) = send(
        &app,
        "reporter@alpha.example",
        &report("2025-04-25", "1000", "900"),
    );
    assert!(matches!(outcome, Outcome::Drafted { .. }), "{outcome:?}");

    prepare(
        &mut alpha.reporter,
        APRIL,
        &figures("150", "120", "30", "1000", "800", ""),
    )
    .await;
    let expected = vec![(
        counted.to_string(),
        format!("/incidents/{counted}"),
        vec![
            "Unauthorized account access".to_owned(),
            "Initial notification".to_owned(),
            "120".to_owned(),
            "30".to_owned(),
        ],
    )];
    let tasks = alpha.reporter.get("/returns/2025-04").await;
    assert_eq!(tasks.status, StatusCode::OK);
    assert_eq!(listed(&tasks), expected, "the task list");
    assert_eq!(tasks.text("#month-incidents-accounts"), "120");
    assert_eq!(tasks.text("#month-incidents-trades"), "30");
    for other in [reclassified, march, beta_april, draft] {
        assert!(
            !tasks.body.contains(&format!("/incidents/{other}\"")),
            "incident {other} is not April's sent incident of Alpha"
        );
    }
    let approve = alpha.approver.get("/returns/2025-04/approve").await;
    assert_eq!(approve.status, StatusCode::OK);
    assert_eq!(listed(&approve), expected, "the approver's page");

    // The month before lists March's only.
    let march_tasks = alpha.reporter.get("/returns/2025-03").await;
    assert_eq!(
        listed(&march_tasks)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect::<Vec<_>>(),
        [march.to_string()]
    );

    // Covered by the figures: it files without an explanation.
    let filed = helpers::approve(&mut alpha.approver, APRIL).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let version = versions(&app, alpha.id, APRIL).pop().unwrap();
    let mut analyst = app.analyst(&mut admin).await;
    let review = analyst
        .get(&format!("/review/versions/{}", version.id))
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_eq!(
        listed(&review),
        vec![(
            counted.to_string(),
            format!("/review/incidents/{counted}"),
            expected[0].2.clone(),
        )],
        "the analyst's view links to the regulator's page of the incident"
    );
    assert_eq!(
        review.texts(".checks-none").len(),
        1,
        "no incident warning on a covering return: {}",
        review.text(".checks")
    );
}

async fn each_incident_warning_needs_an_explanation(app: TestApp) {
    let (mut alpha, _beta, mut admin) = firms(&app).await;
    sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-20", "100", "30"),
    );
    sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-21", "20", "0"),
    );
    sent(
        &app,
        "reporter@alpha.example",
        &report("2025-03-11", "10", "30"),
    );

    // RET-W004: 120 accounts affected, 100 unauthorized accesses reported.
    let april_figures = figures("100", "90", "40", "1000", "800", "");
    prepare(&mut alpha.reporter, APRIL, &april_figures).await;
    let section = alpha
        .reporter
        .get("/returns/2025-04/sections/figures")
        .await;
    let beside = section
        .field_error("unauthorized_accesses")
        .unwrap_or_default();
    assert!(
        beside.contains("RET-W004"),
        "the warning sits beside the accesses: {beside:?}"
    );
    assert!(
        section.field_error("fraudulent_trades").is_none(),
        "40 trades cover the incidents' 30"
    );
    let page = alpha.approver.get("/returns/2025-04/approve").await;
    assert!(page.text("#approve-warnings").contains("RET-W004"));
    assert!(page.texts("#approval").is_empty(), "no submit form yet");
    assert!(page.field_error("warnings_explanation").is_some());
    let refused = submit(&app, "approver@alpha.example", APRIL).unwrap_err();
    assert_eq!(
        keys(&refused),
        [
            ("unauthorized_accesses", "warn.incident_accounts"),
            ("warnings_explanation", "err.explanation.required"),
        ]
    );
    assert!(versions(&app, alpha.id, APRIL).is_empty());
    let mut explained = april_figures.clone();
    explained.push((
        "warnings_explanation",
        "One incident counted accounts reached by the same access twice.",
    ));
    prepare(&mut alpha.reporter, APRIL, &explained).await;
    let filed = helpers::approve(&mut alpha.approver, APRIL).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let april_version = versions(&app, alpha.id, APRIL).pop().unwrap();

    // RET-W005: 30 fraudulent trades in March's incident, 20 reported.
    let march_figures = figures("100", "90", "20", "1000", "800", "");
    prepare(&mut alpha.reporter, "2025-03", &march_figures).await;
    let section = alpha
        .reporter
        .get("/returns/2025-03/sections/figures")
        .await;
    let beside = section.field_error("fraudulent_trades").unwrap_or_default();
    assert!(beside.contains("RET-W005"), "{beside:?}");
    assert!(section.field_error("unauthorized_accesses").is_none());
    let refused = submit(&app, "approver@alpha.example", "2025-03").unwrap_err();
    assert_eq!(
        keys(&refused),
        [
            ("fraudulent_trades", "warn.incident_trades"),
            ("warnings_explanation", "err.explanation.required"),
        ]
    );
    let mut explained = march_figures.clone();
    explained.push((
        "warnings_explanation",
        "Ten trades were cancelled by the exchange before settlement.",
    ));
    prepare(&mut alpha.reporter, "2025-03", &explained).await;
    let march_version = submit(&app, "approver@alpha.example", "2025-03").unwrap();

    let mut conn = app.pool.get().unwrap();
    let stored: Vec<(i64, String, String)> = version_details::table
        .filter(version_details::version_id.eq_any([april_version.id, march_version.id]))
        .order(version_details::version_id.asc())
        .select((
            version_details::version_id,
            version_details::warnings,
            version_details::warnings_explanation,
        ))
        .load(&mut conn)
        .unwrap();
    drop(conn);
    assert_eq!(stored.len(), 2);
    let of = |id: i64| stored.iter().find(|(v, _, _)| *v == id).unwrap();
    assert_eq!(of(april_version.id).1, "warn.incident_accounts");
    assert_eq!(of(march_version.id).1, "warn.incident_trades");

    // The analyst sees the check re-run, and the explanation.
    let mut analyst = app.analyst(&mut admin).await;
    let review = analyst
        .get(&format!("/review/versions/{}", april_version.id))
        .await;
    assert!(
        review.text(".checks").contains(
            "The incidents that began this month affected more accounts than the unauthorized accesses reported"
        ),
        "{}",
        review.text(".checks")
    );
    assert!(review.body.contains("One incident counted accounts"));
}

async fn a_nil_return_over_incidents_is_refused_until_explained(app: TestApp) {
    let (mut alpha, _beta, mut admin) = firms(&app).await;
    let incident = sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-20", "120", "30"),
    );

    // Marking nil shows the month's incidents and asks why.
    let tasks = alpha.reporter.get("/returns/2025-04").await;
    let confirm = alpha
        .reporter
        .submit_form(&tasks, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.texts("#nil-incidents").len() == 1);
    assert_eq!(listed(&confirm).len(), 1);
    assert!(confirm.input_value("warnings_explanation").is_some());
    // A bad explanation is refused beside the field, what was typed kept.
    let bad = "x".repeat(2001);
    let refused = alpha
        .reporter
        .submit_form(
            &confirm,
            "/returns/2025-04/nil",
            &[("confirm", "yes"), ("warnings_explanation", &bad)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("warnings_explanation").is_some());
    assert_eq!(refused.input_value("warnings_explanation").unwrap(), bad);
    // Marked nil without an explanation (a draft may be incomplete).
    let marked = alpha
        .reporter
        .submit_form(&confirm, "/returns/2025-04/nil", &[("confirm", "yes")])
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);

    // The task list holds the explanation field, and says why.
    let tasks = alpha.reporter.get("/returns/2025-04").await;
    assert!(tasks.text("#nil-warnings").contains("RET-W006"));
    let required = tasks.field_error("warnings_explanation").unwrap();
    assert!(required.contains("RET-E019"), "{required}");
    let check = alpha.reporter.get("/returns/2025-04/check").await;
    assert!(check.text("#error-summary").contains("RET-W006"));
    assert!(
        check.texts("#mark-ready").is_empty(),
        "cannot be handed over"
    );

    // The approver cannot file it: no submit form, the reason beside the
    // explanation, and a forged submission is refused the same way.
    let review = alpha.approver.get("/returns/2025-04/approve").await;
    assert!(review.texts("#approval").is_empty());
    assert!(review.text("#approve-warnings").contains("RET-W006"));
    assert!(review.field_error("warnings_explanation").is_some());
    assert!(review.texts("#approve-explain-link").len() == 1);
    assert_eq!(listed(&review).len(), 1);
    let sha = {
        let mut conn = app.pool.get().unwrap();
        returns::draft_sha256_now(&mut conn, alpha.id, april()).unwrap()
    };
    let forged = alpha
        .approver
        .submit_form(
            &review,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("submission_key", &tokens::new_token()),
                ("prepared_sha256", &sha),
            ],
        )
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        forged.body
    );
    assert!(
        forged
            .text("#error-summary")
            .contains("but the return is nil"),
        "{}",
        forged.text("#error-summary")
    );
    let beside = forged.field_error("warnings_explanation").unwrap();
    assert!(beside.contains("RET-E019"), "{beside}");
    let refused = submit(&app, "approver@alpha.example", APRIL).unwrap_err();
    assert_eq!(
        keys(&refused),
        [
            ("nil_return", "warn.incidents_nil"),
            ("warnings_explanation", "err.explanation.required"),
        ],
        "RET-W004 and RET-W005 do not fire on a nil return"
    );
    assert!(versions(&app, alpha.id, APRIL).is_empty(), "nothing filed");

    // An empty explanation is refused beside the field; a real one is kept
    // on the nil draft.
    let empty = alpha
        .reporter
        .submit_form(
            &tasks,
            "/returns/2025-04/nil/explanation",
            &[("warnings_explanation", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.field_error("warnings_explanation").is_some());
    let why = "The accounts belong to our subsidiary, which files its own return.";
    let saved = alpha
        .reporter
        .submit_form(
            &tasks,
            "/returns/2025-04/nil/explanation",
            &[("warnings_explanation", why)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let tasks = alpha.reporter.get("/returns/2025-04").await;
    assert!(tasks.texts("#nil-draft").len() == 1, "still nil");
    assert_eq!(tasks.input_value("warnings_explanation").unwrap(), why);
    assert!(tasks.field_error("warnings_explanation").is_none());

    // Now the approver files it, and the explanation stays with it.
    let review = alpha.approver.get("/returns/2025-04/approve").await;
    assert_eq!(review.text("#approve-explanation"), why);
    let filed = helpers::approve(&mut alpha.approver, APRIL).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let version = versions(&app, alpha.id, APRIL).pop().unwrap();
    assert!(version.is_nil);
    let (warnings, explanation): (String, String) = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .find(version.id)
            .select((
                return_versions::nil_warnings,
                return_versions::nil_explanation,
            ))
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(warnings, "warn.incidents_nil");
    assert_eq!(explanation, why);
    let own = alpha
        .reporter
        .get(&format!("/returns/2025-04/versions/{}", version.version_no))
        .await;
    assert!(own.body.contains(why));
    let mut analyst = app.analyst(&mut admin).await;
    let review = analyst
        .get(&format!("/review/versions/{}", version.id))
        .await;
    assert!(review.body.contains(why));
    assert!(
        review
            .text(".checks")
            .contains("The firm reported incidents that began this month, but the return is nil")
    );
    assert_eq!(
        listed(&review)[0].1,
        format!("/review/incidents/{incident}")
    );
}

async fn no_warning_when_the_return_covers_the_incidents(app: TestApp) {
    let (mut alpha, mut beta, _admin) = firms(&app).await;
    sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-20", "100", "30"),
    );
    sent(
        &app,
        "reporter@alpha.example",
        &report("2025-04-21", "20", "0"),
    );
    // Beta's March incident is not Alpha's: Alpha's nil March needs nothing.
    sent(
        &app,
        "reporter@beta.example",
        &report("2025-03-05", "5", "5"),
    );

    // Exactly the incidents' totals: 120 accounts, 30 trades.
    prepare(
        &mut alpha.reporter,
        APRIL,
        &figures("120", "120", "30", "1000", "800", ""),
    )
    .await;
    let page = alpha.approver.get("/returns/2025-04/approve").await;
    assert!(page.texts("#approve-warnings").is_empty(), "{}", page.body);
    assert_eq!(page.texts("#approval").len(), 1);
    let filed = helpers::approve(&mut alpha.approver, APRIL).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let version = versions(&app, alpha.id, APRIL).pop().unwrap();
    let warnings: String = {
        let mut conn = app.pool.get().unwrap();
        version_details::table
            .find(version.id)
            .select(version_details::warnings)
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(warnings, "");

    // A nil month without incidents of the firm's own is filed as before.
    helpers::file_nil(&mut alpha, "2025-03").await;
    let march = versions(&app, alpha.id, "2025-03").pop().unwrap();
    assert!(march.is_nil);
    // Beta's nil March, over its own incident, asks why.
    let tasks = beta.reporter.get("/returns/2025-03").await;
    let confirm = beta
        .reporter
        .submit_form(&tasks, "/returns/2025-03/nil", &[])
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "asks why: {}", confirm.body);
    assert_eq!(listed(&confirm).len(), 1);
    assert!(confirm.input_value("warnings_explanation").is_some());
}

on_both_backends!(
    the_returns_pages_list_the_months_sent_incidents_only,
    each_incident_warning_needs_an_explanation,
    a_nil_return_over_incidents_is_refused_until_explained,
    no_warning_when_the_return_covers_the_incidents,
);
