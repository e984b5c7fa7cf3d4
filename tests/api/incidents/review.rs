//! The regulator's side of incidents on both backends: the register's
//! filters and order, triage moves, the thread's visibility and its
//! emails, campaigns across firms, and the timeline.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::models::User;
use incident_portal::db::schema::{
    audit_events, email_outbox, incident_deadlines, incident_messages, incident_triage, incidents,
    users,
};
use incident_portal::domain::incident::{IncidentSource, IncidentStage, ReportForm, Triage};
use incident_portal::error::AppError;
use incident_portal::services::incident_review::{
    self, CampaignChoice, Filter, Happening, StateFilter,
};
use incident_portal::services::incidents::{self as firm_incidents, Outcome, Target};
use incident_portal::services::mail_links::MailLinks;
use incident_portal::services::{Actor, incident_thread};
use reqwest::StatusCode;

use super::lifecycle::{firm_actor, initial_form, tokyo};
use crate::helpers::{Browser, Firm, Page, TestApp};
use crate::on_both_backends;

/// Where the pages' clock stands in these tests: Sunday 10 May 2026,
/// 12:00 in Tokyo.
pub const NOW: &str = "2026-05-10T12:00";

/// Moves the portal's clock to `NOW` (before anyone signs in, so no
/// session outlives the jump).
pub fn move_clock_to_now(app: &TestApp) {
    let target = tokyo(NOW);
    app.clock.advance(target - app.clock.now());
}

/// Sends a new incident's initial stage as `email` (a firm user) at
/// `at` (Tokyo); its id.
pub fn send_initial(app: &TestApp, email: &str, form: &ReportForm, at: &str) -> i64 {
    let (who, actor) = firm_actor(app, email);
    let mut conn = app.pool.get().unwrap();
    let outcome = firm_incidents::send(
        &mut conn,
        &actor,
        who,
        Target::New,
        IncidentStage::Initial,
        form,
        tokyo(at),
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    match outcome {
        Outcome::Sent { incident_id, .. } | Outcome::Drafted { incident_id } => incident_id,
    }
}

pub fn user(app: &TestApp, email: &str) -> (User, Actor) {
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
    (user, actor)
}

pub fn links(app: &TestApp) -> MailLinks {
    incident_portal::web::mail_links::for_portal(&app.address)
}

/// An initial report of another kind, vector and month (May 2026).
fn bravo_form() -> ReportForm {
    ReportForm {
        aware_at: "2026-05-08T08:00".into(),
        classified_at: "2026-05-08T09:00".into(),
        occurred_on: "2026-05-07".into(),
        kind: "fraudulent_trading".into(),
        vector: "malware".into(),
        ..initial_form()
    }
}

/// Emails written after `after` (an outbox id): (to, subject, text, html).
fn emails_since(app: &TestApp, after: i64) -> Vec<(String, String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::id.gt(after))
        .order(email_outbox::id.asc())
        .select((
            email_outbox::to_addr,
            email_outbox::subject,
            email_outbox::body_text,
            email_outbox::body_html,
        ))
        .load(&mut conn)
        .unwrap()
}

fn outbox_mark(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .select(diesel::dsl::max(email_outbox::id))
        .first::<Option<i64>>(&mut conn)
        .unwrap()
        .unwrap_or(0)
}

fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::id.asc())
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap()
}

fn triage_of(app: &TestApp, id: i64) -> Triage {
    let mut conn = app.pool.get().unwrap();
    incidents::table
        .find(id)
        .select(incidents::triage)
        .first(&mut conn)
        .unwrap()
}

/// The incident ids of a register page's table, top to bottom.
fn listed(page: &Page) -> Vec<i64> {
    let html = page.html();
    let rows = scraper::Selector::parse("tr[data-incident-id]").unwrap();
    html.select(&rows)
        .map(|r| r.value().attr("data-incident-id").unwrap().parse().unwrap())
        .collect()
}

/// Admin, analyst and two firms, signed in with the clock at `NOW`.
async fn people(app: &TestApp) -> (Browser, Browser, Firm, Firm) {
    move_clock_to_now(app);
    let mut admin = app.setup_admin().await;
    let alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let analyst = app.analyst(&mut admin).await;
    (admin, analyst, alpha, bravo)
}

async fn the_register_filters_and_puts_the_overdue_first(app: TestApp) {
    let (_admin, mut analyst, alpha, bravo) = people(&app).await;
    // Alpha's first: its intermediate report was due on 4 May, 23:30.
    let overdue = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    // Bravo's: the intermediate is due on 11 May, 10:00.
    let awaited = send_initial(
        &app,
        "reporter@bravo.example",
        &bravo_form(),
        "2026-05-08T10:00",
    );
    // Bravo's April breach, recorded after Alpha's (a higher id) but sent
    // on 30 April: its intermediate report was due on 3 May, 10:00, the
    // longest overdue, so it comes before Alpha's.
    let oldest = send_initial(
        &app,
        "reporter@bravo.example",
        &ReportForm {
            aware_at: "2026-04-30T08:00".into(),
            classified_at: "2026-04-30T09:00".into(),
            occurred_on: "2026-04-29".into(),
            kind: "system_breach".into(),
            vector: "credential_stuffing".into(),
            ..initial_form()
        },
        "2026-04-30T10:00",
    );
    assert!(oldest > overdue, "recorded second");
    // Alpha's second, reclassified: nothing awaited.
    let closed = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-02T09:00",
    );
    {
        let (approver, actor) = firm_actor(&app, "approver@alpha.example");
        let mut conn = app.pool.get().unwrap();
        firm_incidents::reclassify(
            &mut conn,
            &actor,
            approver,
            closed,
            "A customer's own transfer.",
            tokyo("2026-05-03T10:00"),
        )
        .unwrap()
        .unwrap();
    }
    // A draft (the initial stage needing four eyes) is invisible.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(incident_deadlines::table.find(IncidentStage::Initial))
            .set(incident_deadlines::four_eyes.eq(true))
            .execute(&mut conn)
            .unwrap();
    }
    let draft = send_initial(
        &app,
        "reporter@bravo.example",
        &bravo_form(),
        "2026-05-09T10:00",
    );

    let now = tokyo(NOW);
    let ids = |filter: Filter| -> Vec<i64> {
        let mut conn = app.pool.get().unwrap();
        incident_review::register(&mut conn, &filter, now)
            .unwrap()
            .into_iter()
            .map(|l| l.incident.id)
            .collect()
    };
    // The stages overdue, as their incidents keep them: Bravo's April
    // breach since 3 May, Alpha's since 4 May.
    {
        let mut conn = app.pool.get().unwrap();
        let mut due = |id: i64| -> Option<NaiveDateTime> {
            incidents::table
                .find(id)
                .select(incidents::next_due_at)
                .first(&mut conn)
                .unwrap()
        };
        assert_eq!(due(oldest), Some(tokyo("2026-05-03T10:00")));
        assert_eq!(due(overdue), Some(tokyo("2026-05-04T23:30")));
    }
    assert_eq!(
        ids(Filter::default()),
        vec![oldest, overdue, awaited, closed],
        "the oldest overdue first, then by the next due time, then those awaiting nothing"
    );
    let state = |state| Filter {
        state,
        ..Filter::default()
    };
    assert_eq!(ids(state(StateFilter::Overdue)), vec![oldest, overdue]);
    assert_eq!(
        ids(state(StateFilter::Open)),
        vec![oldest, overdue, awaited]
    );
    assert_eq!(ids(state(StateFilter::Closed)), vec![closed]);

    // The page: the same order and count, and each filter.
    let page = analyst.get("/review/incidents").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(listed(&page), vec![oldest, overdue, awaited, closed]);
    assert_eq!(page.text(".incident-count"), "4 incidents");
    assert!(!listed(&page).contains(&draft), "a draft is not listed");
    for id in [oldest, overdue] {
        assert_eq!(
            page.texts(&format!("tr[data-incident-id=\"{id}\"] .tag")),
            vec!["Overdue"]
        );
    }
    for (query, expected) in [
        ("state=overdue", vec![oldest, overdue]),
        ("state=open", vec![oldest, overdue, awaited]),
        ("state=closed", vec![closed]),
        (format!("firm={}", bravo.id).as_str(), vec![oldest, awaited]),
        (
            format!("firm={}&state=closed", alpha.id).as_str(),
            vec![closed],
        ),
        ("kind=fraudulent_trading", vec![awaited]),
        ("kind=system_breach", vec![oldest]),
        ("vector=phishing", vec![overdue, closed]),
        ("period=2026-05", vec![awaited]),
        ("period=2026-04&state=open", vec![oldest, overdue]),
        // Values no form offers let everything through; never a failure.
        (
            "state=nonsense&kind=%00&vector=x&firm=abc",
            vec![oldest, overdue, awaited, closed],
        ),
    ] {
        let page = analyst.get(&format!("/review/incidents?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        assert_eq!(listed(&page), expected, "{query}");
    }
    let page = analyst.get("/review/incidents?period=2026-13").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.field_error("period").is_some(),
        "a month that does not parse is named"
    );
    assert_eq!(page.input_value("period").as_deref(), Some("2026-13"));
    assert_eq!(page.text(".incident-count"), "4 incidents");
    let page = analyst.get("/review/incidents?state=overdue").await;
    assert_eq!(page.text(".incident-count"), "2 incidents");
    let page = analyst
        .get(&format!(
            "/review/incidents?state=overdue&firm={}",
            alpha.id
        ))
        .await;
    assert_eq!(page.text(".incident-count"), "1 incident");

    // The draft's page and forms are not there for staff.
    for path in [
        format!("/review/incidents/{draft}"),
        "/review/incidents/999999".to_owned(),
    ] {
        assert_eq!(
            analyst.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let form = analyst.get(&format!("/review/incidents/{overdue}")).await;
    let refused = analyst
        .submit_form(
            &form,
            &format!("/review/incidents/{draft}/triage"),
            &[("from", "received"), ("to", "assessing")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let refused = analyst
        .submit_form(
            &form,
            &format!("/review/incidents/{draft}/messages"),
            &[("body", "Hello?"), ("visibility", "firm")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

async fn triage_moves_only_as_allowed_and_asking_needs_a_request(app: TestApp) {
    let (_admin, mut analyst, mut alpha, _bravo) = people(&app).await;
    let id = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let path = format!("/review/incidents/{id}");
    let triage = format!("{path}/triage");
    let page = analyst.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.text(".incident-triage"), "Received");
    let offered: Vec<String> = {
        let html = page.html();
        let radios = scraper::Selector::parse("input[name=to]").unwrap();
        html.select(&radios)
            .map(|r| r.value().attr("value").unwrap().to_owned())
            .collect()
    };
    assert_eq!(offered, ["assessing", "more_information", "closed"]);

    // A jump the rules do not allow: refused, nothing moves.
    let jump = analyst
        .submit_form(&page, &triage, &[("to", "accepted")])
        .await;
    assert_eq!(jump.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        jump.field_error("to").as_deref(),
        Some("This move is not allowed from the incident's current triage.")
    );
    assert_eq!(triage_of(&app, id), Triage::Received);
    let none = analyst.submit_form(&page, &triage, &[]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.field_error("to").as_deref(), Some("Choose one."));

    // Asking for more information needs the request, kept when refused.
    let mark = outbox_mark(&app);
    let empty = analyst
        .submit_form(
            &page,
            &triage,
            &[("to", "more_information"), ("request", "   ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        empty.field_error("request").as_deref(),
        Some("Enter a value.")
    );
    assert_eq!(triage_of(&app, id), Triage::Received);
    // A request with another move is refused rather than sent or lost.
    let stray = analyst
        .submit_form(
            &page,
            &triage,
            &[("to", "assessing"), ("request", "Send the logs.")],
        )
        .await;
    assert_eq!(stray.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stray.field_error("request").is_some());
    assert_eq!(stray.text("textarea#request"), "Send the logs.");
    assert!(emails_since(&app, mark).is_empty(), "nothing was sent");

    let request = "Please send the list of affected accounts <by Friday>.";
    let done = analyst
        .submit_form(
            &page,
            &triage,
            &[("to", "more_information"), ("request", request)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        Some(format!("{path}?done=triaged#triage-section").as_str())
    );
    assert_eq!(triage_of(&app, id), Triage::MoreInformation);
    let log: Vec<Triage> = {
        let mut conn = app.pool.get().unwrap();
        incident_triage::table
            .filter(incident_triage::incident_id.eq(id))
            .order(incident_triage::id.asc())
            .select(incident_triage::state)
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(log, [Triage::Received, Triage::MoreInformation]);
    // The request went through the thread: visible to the firm, emailed to
    // its approver only.
    let thread = {
        let mut conn = app.pool.get().unwrap();
        incident_thread::for_firm(&mut conn, id).unwrap()
    };
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].body, request);
    assert!(thread[0].from_regulator && thread[0].firm_visible);
    let sent = emails_since(&app, mark);
    let to: Vec<&str> = sent.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(to, ["approver@alpha.example"]);
    assert_eq!(
        sent[0].1,
        format!("Incident #{id}: a message from the regulator")
    );
    assert!(sent[0].2.contains(request), "{}", sent[0].2);
    assert!(sent[0].2.contains(&format!("/incidents/{id}#thread")));
    assert!(sent[0].3.contains("by Friday"), "{}", sent[0].3);
    assert!(!sent[0].3.contains("<by Friday>"), "escaped in HTML");
    assert_eq!(
        audit_details(&app, "incident.triaged"),
        ["from=received to=more_information"]
    );
    let notes = audit_details(&app, "incident.message_sent");
    assert_eq!(notes.len(), 1);
    assert!(notes[0].ends_with("from=regulator visible"), "{}", notes[0]);
    assert!(!notes[0].contains("affected"), "the body is never audited");

    // A form from before the move is stale, even for a move allowed now.
    let stale = analyst
        .submit_form(&page, &triage, &[("to", "assessing")])
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.field_error("to").unwrap().contains("Someone moved"));
    assert_eq!(triage_of(&app, id), Triage::MoreInformation);
    let page = analyst.get(&path).await;
    let done = analyst
        .submit_form(&page, &triage, &[("to", "accepted")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(triage_of(&app, id), Triage::Accepted);

    // Firms cannot triage; a GET on the route goes back to the page.
    let csrf = alpha
        .approver
        .get("/account")
        .await
        .input_value("csrf")
        .unwrap();
    let refused = alpha
        .approver
        .post(
            &triage,
            &[("csrf", &csrf), ("from", "accepted"), ("to", "closed")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let back = analyst.get(&triage).await;
    assert_eq!(back.location(), Some(path.as_str()));
}

async fn a_firm_never_sees_an_internal_note(app: TestApp) {
    let (mut admin, mut analyst, mut alpha, mut bravo) = people(&app).await;
    let id = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let path = format!("/review/incidents/{id}");
    let messages = format!("{path}/messages");
    let mark = outbox_mark(&app);
    let page = analyst.get(&path).await;
    // No choice is made for the analyst: missing, it is asked for, and
    // what was typed stays.
    let unchosen = analyst
        .submit_form(&page, &messages, &[("body", "INTERNAL-SECRET draft")])
        .await;
    assert_eq!(unchosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        unchosen.field_error("visibility").as_deref(),
        Some("Choose one.")
    );
    assert_eq!(unchosen.text("textarea#body"), "INTERNAL-SECRET draft");
    let empty = analyst
        .submit_form(&page, &messages, &[("body", ""), ("visibility", "firm")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.field_error("body").as_deref(), Some("Enter a value."));
    assert!(emails_since(&app, mark).is_empty());

    let internal = analyst
        .submit_form(
            &page,
            &messages,
            &[
                ("body", "INTERNAL-SECRET: same kit as the Bravo case?"),
                ("visibility", "internal"),
            ],
        )
        .await;
    assert_eq!(internal.status, StatusCode::SEE_OTHER, "{}", internal.body);
    assert!(
        emails_since(&app, mark).is_empty(),
        "an internal note is never mailed"
    );
    // The approver reads Japanese: the email is in it.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(users::table.filter(users::email.eq("approver@alpha.example")))
            .set(users::locale.eq("ja"))
            .execute(&mut conn)
            .unwrap();
    }
    let visible = analyst
        .submit_form(
            &page,
            &messages,
            &[
                ("body", "Please confirm the mule accounts."),
                ("visibility", "firm"),
            ],
        )
        .await;
    assert_eq!(visible.status, StatusCode::SEE_OTHER);
    assert_eq!(
        visible.location(),
        Some(format!("{path}?done=message#thread").as_str())
    );
    let sent = emails_since(&app, mark);
    let to: Vec<&str> = sent.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(to, ["approver@alpha.example"], "the firm's approvers only");
    assert_eq!(
        sent[0].1,
        format!("インシデント #{id}：当局からのメッセージ")
    );
    assert!(sent[0].2.contains("Please confirm the mule accounts."));

    // Staff see both, the note marked; the firm's thread has one.
    let staff_page = analyst.get(&path).await;
    assert_eq!(staff_page.texts(".thread-message").len(), 2);
    assert_eq!(
        staff_page.texts(".thread-message.internal .tag"),
        ["Internal note"]
    );
    let (firm_lines, staff_lines, firm_timeline) = {
        let mut conn = app.pool.get().unwrap();
        (
            incident_thread::for_firm(&mut conn, id).unwrap(),
            incident_thread::for_staff(&mut conn, id).unwrap(),
            incident_review::timeline(&mut conn, id, false).unwrap(),
        )
    };
    assert_eq!(staff_lines.len(), 2);
    assert_eq!(firm_lines.len(), 1);
    assert!(
        firm_lines
            .iter()
            .all(|m| !m.body.contains("INTERNAL-SECRET"))
    );
    assert!(!format!("{firm_timeline:?}").contains("INTERNAL-SECRET"));

    // The firm answers: kept visible, emailed to the analyst who wrote.
    let mark = outbox_mark(&app);
    let csrf = alpha
        .reporter
        .get("/account")
        .await
        .input_value("csrf")
        .unwrap();
    let reply = format!("/incidents/{id}/messages");
    let answered = alpha
        .reporter
        .post(
            &reply,
            &[("csrf", &csrf), ("body", "Attached: 12 accounts.")],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert_eq!(
        answered.location(),
        Some(format!("/incidents/{id}#thread").as_str())
    );
    let sent = emails_since(&app, mark);
    let to: Vec<&str> = sent.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(to, ["analyst@fsa.example"], "the staff in the thread");
    assert_eq!(
        sent[0].1,
        format!("Incident #{id}: Alpha Securities answered")
    );
    assert!(
        sent[0]
            .2
            .contains(&format!("/review/incidents/{id}#thread"))
    );
    // A mistake comes back on the firm's page with the thread: never the
    // internal note.
    let typed = "x".repeat(4001);
    let mistake = alpha
        .reporter
        .post(&reply, &[("csrf", &csrf), ("body", &typed)])
        .await;
    assert_eq!(mistake.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        mistake.field_error("body").as_deref(),
        Some("The text is too long.")
    );
    assert_eq!(mistake.text("textarea#body"), typed);
    assert!(mistake.body.contains("Please confirm the mule accounts."));
    assert!(mistake.body.contains("Attached: 12 accounts."));
    assert!(!mistake.body.contains("INTERNAL-SECRET"));
    assert_eq!(
        alpha.reporter.get(&reply).await.location(),
        Some(format!("/incidents/{id}#thread").as_str())
    );

    // No email anyone got carries the note.
    for (to, subject, text, html) in emails_since(&app, 0) {
        assert!(
            !(subject + &text + &html).contains("INTERNAL-SECRET"),
            "an email to {to} carries the internal note"
        );
    }

    // Another firm: the incident is not there, nor its reply route.
    let csrf = bravo
        .approver
        .get("/account")
        .await
        .input_value("csrf")
        .unwrap();
    for body in ["Let me in.", ""] {
        let refused = bravo
            .approver
            .post(&reply, &[("csrf", &csrf), ("body", body)])
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{body:?}");
    }
    assert_eq!(
        bravo.approver.get(&path).await.status,
        StatusCode::FORBIDDEN
    );
    {
        let (stranger, actor) = user(&app, "approver@bravo.example");
        let (bravo_who, _) = firm_actor(&app, "approver@bravo.example");
        let mut conn = app.pool.get().unwrap();
        assert!(matches!(
            firm_incidents::of_firm(&mut conn, bravo_who.firm_id, id),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            incident_thread::post(
                &mut conn,
                &actor,
                &stranger,
                id,
                "Hello",
                true,
                tokyo(NOW),
                &links(&app)
            ),
            Err(AppError::NotFound)
        ));
    }
    // Staff reach no firm's reply route.
    let csrf = admin.get("/account").await.input_value("csrf").unwrap();
    let refused = admin
        .post(&reply, &[("csrf", &csrf), ("body", "Staff here.")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stored: i64 = {
        let mut conn = app.pool.get().unwrap();
        incident_messages::table
            .filter(incident_messages::incident_id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(stored, 3, "two from the analyst, one from the firm");
    let details = audit_details(&app, "incident.message_sent");
    assert_eq!(details.len(), 3);
    assert!(details[0].ends_with("from=regulator internal"));
    assert!(details[1].ends_with("from=regulator visible"));
    assert!(details[2].ends_with("from=firm visible"));
    assert!(details.iter().all(|d| !d.contains("SECRET")));
}

async fn a_firm_answer_goes_to_every_analyst_when_nobody_follows(app: TestApp) {
    let (_admin, _analyst, _alpha, _bravo) = people(&app).await;
    let id = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let (reporter, actor) = user(&app, "reporter@alpha.example");
    let mark = outbox_mark(&app);
    let mut conn = app.pool.get().unwrap();
    incident_thread::post(
        &mut conn,
        &actor,
        &reporter,
        id,
        "We found twelve more accounts.",
        false,
        tokyo(NOW),
        &links(&app),
    )
    .unwrap()
    .unwrap();
    drop(conn);
    let to: Vec<String> = emails_since(&app, mark).into_iter().map(|e| e.0).collect();
    assert_eq!(to, ["analyst@fsa.example"], "the analysts, not the admin");
    let lines = {
        let mut conn = app.pool.get().unwrap();
        incident_thread::for_firm(&mut conn, id).unwrap()
    };
    assert!(
        lines[0].firm_visible,
        "a firm's answer is always visible to it"
    );
}

async fn campaigns_link_incidents_of_two_firms(app: TestApp) {
    let (_admin, mut analyst, _alpha, _bravo) = people(&app).await;
    let a = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let b = send_initial(
        &app,
        "reporter@bravo.example",
        &bravo_form(),
        "2026-05-08T10:00",
    );
    let campaign = |id: i64| format!("/review/incidents/{id}/campaign");
    let page = analyst.get(&format!("/review/incidents/{a}")).await;
    let neither = analyst
        .submit_form(&page, &campaign(a), &[("action", "link")])
        .await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        neither.field_error("campaign").as_deref(),
        Some("Choose one.")
    );
    let long = "長".repeat(201);
    let too_long = analyst
        .submit_form(
            &page,
            &campaign(a),
            &[("action", "link"), ("new_campaign", &long)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.field_error("new_campaign").is_some());
    assert_eq!(
        too_long.input_value("new_campaign").as_deref(),
        Some(long.as_str())
    );

    let name = "Mule ring, May 2026";
    let done = analyst
        .submit_form(
            &page,
            &campaign(a),
            &[("action", "link"), ("new_campaign", name)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let campaign_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        incidents::table
            .find(a)
            .select(incidents::campaign_id)
            .first::<Option<i64>>(&mut conn)
            .unwrap()
            .expect("linked")
    };
    let page = analyst.get(&format!("/review/incidents/{b}")).await;
    let both = analyst
        .submit_form(
            &page,
            &campaign(b),
            &[
                ("action", "link"),
                ("campaign", &campaign_id.to_string()),
                ("new_campaign", "Another"),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(both.field_error("campaign").unwrap().contains("not both"));
    let unknown = analyst
        .submit_form(
            &page,
            &campaign(b),
            &[("action", "link"), ("campaign", "999999")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = analyst
        .submit_form(
            &page,
            &campaign(b),
            &[("action", "link"), ("campaign", &campaign_id.to_string())],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let page = analyst
        .get(&format!("/review/campaigns/{campaign_id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.text("h1"), format!("Campaign: {name}"));
    let mut both_ids = listed(&page);
    both_ids.sort_unstable();
    assert_eq!(both_ids, [a, b]);
    assert_eq!(page.text(".campaign-count"), "2 incidents from 2 firms");
    assert_eq!(
        page.text(".campaign-firms"),
        "Firms: Alpha Securities, Bravo Securities"
    );
    let register = analyst.get("/review/incidents").await;
    assert_eq!(
        register.texts(&format!("tr[data-incident-id=\"{b}\"] td a")),
        [name]
    );

    // Unlinked, B leaves the campaign; A stays.
    let page = analyst.get(&format!("/review/incidents/{b}")).await;
    assert_eq!(page.text(".campaign-linked a"), name);
    let done = analyst
        .submit_form(&page, &campaign(b), &[("action", "unlink")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = analyst
        .get(&format!("/review/campaigns/{campaign_id}"))
        .await;
    assert_eq!(listed(&page), [a]);
    assert_eq!(page.text(".campaign-count"), "1 incident from 1 firm");
    assert_eq!(
        audit_details(&app, "incident.campaign_linked"),
        [
            format!("campaign={campaign_id} created"),
            format!("campaign={campaign_id}"),
            format!("unlinked campaign={campaign_id}"),
        ]
    );
    {
        let mut conn = app.pool.get().unwrap();
        let (_, lines) = incident_review::campaign(&mut conn, campaign_id, tokyo(NOW)).unwrap();
        assert_eq!(lines.len(), 1);
        let (firm_user, firm_actor) = user(&app, "approver@alpha.example");
        assert!(matches!(
            incident_review::link_campaign(
                &mut conn,
                &firm_actor,
                &firm_user,
                a,
                CampaignChoice::Unlink,
                tokyo(NOW)
            ),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            incident_review::campaign(&mut conn, 999_999, tokyo(NOW)),
            Err(AppError::NotFound)
        ));
    }
    assert_eq!(
        analyst.get("/review/campaigns/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_timeline_tells_each_step_and_who_took_it(app: TestApp) {
    let (_admin, mut analyst, _alpha, _bravo) = people(&app).await;
    let id = send_initial(
        &app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let (reporter, reporter_actor) = firm_actor(&app, "reporter@alpha.example");
    let (approver, approver_actor) = firm_actor(&app, "approver@alpha.example");
    let later: NaiveDateTime = tokyo("2026-05-05T10:00");
    {
        let mut form = initial_form();
        form.containment = "Accounts frozen.".into();
        form.cause = "A phishing site imitating our login.".into();
        let mut conn = app.pool.get().unwrap();
        firm_incidents::send(
            &mut conn,
            &reporter_actor,
            reporter,
            Target::Existing {
                incident_id: id,
                based_on: 1,
            },
            IncidentStage::Intermediate,
            &form,
            later,
            IncidentSource::Portal,
        )
        .unwrap()
        .unwrap();
        let firm_incidents::Draft(draft, _, _) =
            firm_incidents::draft(&mut conn, id).unwrap().unwrap();
        firm_incidents::approve(
            &mut conn,
            &approver_actor,
            approver,
            id,
            &firm_incidents::draft_sha(&draft),
            later,
            IncidentSource::Api,
        )
        .unwrap()
        .unwrap();
        let (staff, actor) = user(&app, "analyst@fsa.example");
        incident_review::triage(
            &mut conn,
            &actor,
            &staff,
            id,
            incident_review::TriageMove {
                from: Triage::Received,
                to: Triage::Assessing,
                request: "",
            },
            later + Duration::hours(1),
            &links(&app),
        )
        .unwrap()
        .unwrap();
        incident_thread::post(
            &mut conn,
            &actor,
            &staff,
            id,
            "INTERNAL-SECRET hunch",
            false,
            later + Duration::hours(2),
            &links(&app),
        )
        .unwrap()
        .unwrap();
        firm_incidents::reclassify(
            &mut conn,
            &approver_actor,
            approver,
            id,
            "The trades were the customer's own.",
            later + Duration::hours(3),
        )
        .unwrap()
        .unwrap();
    }
    let (staff_view, firm_view) = {
        let mut conn = app.pool.get().unwrap();
        (
            incident_review::timeline(&mut conn, id, true).unwrap(),
            incident_review::timeline(&mut conn, id, false).unwrap(),
        )
    };
    let shape: Vec<String> = staff_view
        .iter()
        .map(|e| match &e.what {
            Happening::Version {
                version_no,
                sent_by_one,
                on_time,
                prepared_by,
                sent_by,
                ..
            } => format!(
                "v{version_no} by {sent_by} one={sent_by_one} on_time={on_time} prepared={prepared_by:?}"
            ),
            Happening::Triage { state, by } => format!("triage {state} by {by}"),
            Happening::Reclassified { reason, by } => format!("reclassified by {by}: {reason}"),
            Happening::Message(m) => format!("message internal={}", !m.firm_visible),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "v1 by reporter one=true on_time=true prepared=[]",
            "triage received by reporter",
            "v2 by approver one=false on_time=false prepared=[\"reporter\"]",
            "triage assessing by analyst",
            "message internal=true",
            "reclassified by approver: The trades were the customer's own.",
        ]
    );
    assert_eq!(firm_view.len(), staff_view.len() - 1, "no internal note");

    // The page: the latest report in full, each stage's due time, the
    // timeline in words.
    let page = analyst.get(&format!("/review/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.text("#report-title"),
        "Latest report: Intermediate report, version 2"
    );
    let fields: Vec<String> = {
        let html = page.html();
        let rows = scraper::Selector::parse("#incident-report tr").unwrap();
        html.select(&rows)
            .map(|r| r.value().attr("data-field").unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        fields,
        [
            "aware_at",
            "classified_at",
            "occurred_on",
            "kind",
            "vector",
            "accounts",
            "trades",
            "amount_jpy",
            "ongoing",
            "actions",
            "customers_told",
            "police_told",
            "containment",
            "cause",
        ],
        "every field the intermediate stage asks for"
    );
    assert_eq!(
        page.texts("#incident-report tr[data-field=amount_jpy] td"),
        ["¥45,000,000"]
    );
    assert_eq!(
        page.texts("#incident-report tr[data-field=aware_at] td"),
        ["2026-05-01 21:40 JST"]
    );
    let dues: Vec<String> = page.texts("#incident-dues tbody tr");
    assert_eq!(dues.len(), 3);
    assert!(dues[0].contains("2026-05-02 03:00 JST") && dues[0].contains("Sent on time"));
    assert!(dues[1].contains("2026-05-04 23:30 JST") && dues[1].contains("Sent late"));
    let timeline = page.texts("#timeline > li");
    assert!(timeline[2].contains("Intermediate report, version 2, sent by approver"));
    assert!(timeline[2].contains("Four eyes: prepared by reporter"));
    assert!(timeline[2].contains("Due 2026-05-04 23:30 JST: late"));
    assert!(timeline[2].contains("Sent through the filing API"));
    assert!(timeline[4].contains("Internal note by analyst"));
    assert!(timeline[5].contains("The trades were the customer's own."));
    assert_eq!(
        page.text(".incident-status"),
        "Reclassified as not reportable"
    );
}

on_both_backends!(
    the_register_filters_and_puts_the_overdue_first,
    triage_moves_only_as_allowed_and_asking_needs_a_request,
    a_firm_never_sees_an_internal_note,
    a_firm_answer_goes_to_every_analyst_when_nobody_follows,
    campaigns_link_incidents_of_two_firms,
    the_timeline_tells_each_step_and_who_took_it,
);

/// For the authorization matrix: an incident of firm Alpha, sent by its
/// reporter, linked by the admin to a campaign: (incident id, campaign id).
pub fn alpha_incident_in_a_campaign(app: &TestApp) -> (i64, i64) {
    let id = send_initial(
        app,
        "reporter@alpha.example",
        &initial_form(),
        "2026-05-01T23:30",
    );
    let (admin, actor) = user(app, "admin@fsa.example");
    let mut conn = app.pool.get().unwrap();
    incident_review::link_campaign(
        &mut conn,
        &actor,
        &admin,
        id,
        CampaignChoice::New("Matrix".into()),
        tokyo("2026-05-02T10:00"),
    )
    .unwrap()
    .unwrap();
    let campaign_id = incidents::table
        .find(id)
        .select(incidents::campaign_id)
        .first::<Option<i64>>(&mut conn)
        .unwrap()
        .unwrap();
    (id, campaign_id)
}
