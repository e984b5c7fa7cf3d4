//! Deadline extensions and timeliness over time. Under the suite's clock
//! (2025-05-20 in Tokyo) April's returns were due on 12 May and May's are
//! due on 10 June (the 10th, a Tuesday). An extension granted for May
//! moves that firm's due date on its list, the board, completeness and the
//! reminders, and is frozen on the version filed under it.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use incident_portal::db::models::Extension;
use incident_portal::db::schema::{email_outbox, extensions};
use incident_portal::services::reminders;
use reqwest::StatusCode;

use crate::helpers::{Browser, Firm, PASSWORD, Page, TestApp, figures, file_nil};
use crate::on_both_backends;
use crate::review::support::{audit_actions, file, latest, utc};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The newest request of `firm_id`.
fn newest(app: &TestApp, firm_id: i64) -> Extension {
    let mut conn = app.pool.get().unwrap();
    extensions::table
        .filter(extensions::firm_id.eq(firm_id))
        .order(extensions::id.desc())
        .select(Extension::as_select())
        .first(&mut conn)
        .unwrap()
}

/// The approver asks for `date` as `period`'s new due date.
async fn ask(approver: &mut Browser, period: &str, date: &str, reason: &str) -> Page {
    let path = format!("/returns/{period}/extension");
    let form = approver.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    approver
        .submit_form(&form, &path, &[("new_due_date", date), ("reason", reason)])
        .await
}

/// Staff grant or refuse request `id`.
async fn decide(staff: &mut Browser, id: i64, decision: &str, date: &str, reason: &str) -> Page {
    let path = format!("/review/extensions/{id}");
    let form = staff.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    staff
        .submit_form(
            &form,
            &path,
            &[
                ("decision", decision),
                ("new_due_date", date),
                ("reason", reason),
            ],
        )
        .await
}

/// Asks and has it granted for `granted`; the request.
async fn extended(
    app: &TestApp,
    firm: &mut Firm,
    staff: &mut Browser,
    period: &str,
    granted: &str,
) -> Extension {
    let asked = ask(&mut firm.approver, period, granted, "Core system migration").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let id = newest(app, firm.id).id;
    let done = decide(staff, id, "grant", granted, "").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    newest(app, firm.id)
}

/// Emails to `to` whose subject contains `needle`.
fn emails_to(app: &TestApp, to: &str, needle: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::to_addr.eq(to))
        .filter(email_outbox::subject.like(format!("%{needle}%")))
        .order(email_outbox::id.asc())
        .select(email_outbox::body_text)
        .load(&mut conn)
        .unwrap()
}

fn reminders_at(app: &TestApp, now: chrono::NaiveDateTime) {
    let mut conn = app.pool.get().unwrap();
    let links = incident_portal::web::mail_links::for_portal(&app.address);
    reminders::run_due(&mut conn, now, &links).unwrap();
}

/// The `data-state` of `firm`'s row on the board.
fn board_state(board: &Page, firm: &str) -> String {
    let tr = scraper::Selector::parse("table.board tbody tr").unwrap();
    let td = scraper::Selector::parse("td.state").unwrap();
    board
        .html()
        .select(&tr)
        .find(|r| r.text().collect::<String>().trim().starts_with(firm))
        .and_then(|r| r.select(&td).next())
        .and_then(|td| td.value().attr("data-state").map(str::to_owned))
        .unwrap_or_else(|| panic!("{firm} on the board:\n{}", board.body))
}

async fn an_extension_moves_the_due_date_everywhere_and_is_frozen_on_the_version(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let mut analyst = app.analyst(&mut admin).await;

    // Asked for 30 June, granted for 27 June (a Friday).
    let ext = extended(&app, &mut alpha, &mut analyst, "2025-05", "2025-06-27").await;
    assert_eq!(ext.granted_due, Some(day(2025, 6, 27)));
    let reference = format!("EXT-2025-{:06}", ext.id);
    assert_eq!(
        audit_actions(&app, &["extension.requested", "extension.granted"]),
        ["extension.requested", "extension.granted"]
    );
    // The firm's approvers are told, in their language.
    let told = emails_to(&app, "approver@alpha.example", &reference);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("2025-06-27"), "{}", told[0]);
    assert!(emails_to(&app, "reporter@alpha.example", &reference).is_empty());

    // The firm's list and the month's page show the new date.
    let list = alpha.reporter.get("/returns").await;
    let due = list.text("tr[data-period=\"2025-05\"] td.due");
    assert!(due.starts_with("2025-06-27"), "{due}");
    assert!(due.contains(&reference), "{due}");
    let month = alpha.reporter.get("/returns/2025-05/extension").await;
    assert!(month.text("#due-in-force").contains("2025-06-27"));
    assert!(
        month.body.contains("id=\"ext-approver-only\""),
        "{}",
        month.body
    );

    // After 10 June: Bravo is missing and reminded; Alpha is neither.
    reminders_at(&app, utc(2025, 6, 11, 1));
    assert_eq!(
        emails_to(&app, "approver@bravo.example", "overdue").len(),
        1
    );
    assert!(emails_to(&app, "approver@alpha.example", "overdue").is_empty());
    app.clock.advance(Duration::days(23));
    app.sign_in_fully(&mut admin, "admin@fsa.example", PASSWORD)
        .await;
    let board = admin.get("/review/board?period=2025-05").await;
    assert_eq!(board_state(&board, "Alpha"), "not_started");
    assert_eq!(board_state(&board, "Bravo"), "missing");
    assert!(
        board.text("table.board .extended").contains(&reference),
        "{}",
        board.body
    );
    let completeness = admin
        .get("/review/completeness?from=2025-05&to=2025-05")
        .await;
    let cell = |class: &str| completeness.text(&format!("tr[data-period=\"2025-05\"] td.{class}"));
    assert_eq!((cell("missing"), cell("not-due")), ("1".into(), "1".into()));
    assert_eq!(
        completeness.texts("table.overdue tbody th"),
        ["Bravo Securities"]
    );
    // Alpha's overdue reminder waits for the business day after 27 June.
    reminders_at(&app, utc(2025, 6, 28, 1));
    assert!(emails_to(&app, "approver@alpha.example", "overdue").is_empty());
    reminders_at(&app, utc(2025, 6, 30, 1));
    assert_eq!(
        emails_to(&app, "approver@alpha.example", "overdue").len(),
        1
    );

    // Filed on 25 June (after 10 June, by the 27th): on time, under the
    // extension, frozen on the version.
    app.clock.advance(Duration::days(13));
    app.sign_in_fully(&mut alpha.reporter, "reporter@alpha.example", PASSWORD)
        .await;
    app.sign_in_fully(&mut alpha.approver, "approver@alpha.example", PASSWORD)
        .await;
    let v = file(
        &app,
        &mut alpha,
        "2025-05",
        &figures("3", "3", "1", "100", "90", ""),
    )
    .await;
    assert_eq!(v.due_date, day(2025, 6, 27));
    assert!(v.on_time);
    assert_eq!(v.extension_ref.as_deref(), Some(reference.as_str()));
    let receipt = alpha.approver.get("/returns/2025-05/versions/1").await;
    assert_eq!(receipt.text("dd.extension-ref"), reference);
    app.sign_in_fully(&mut admin, "admin@fsa.example", PASSWORD)
        .await;
    let staff_view = admin.get(&format!("/review/versions/{}", v.id)).await;
    assert_eq!(staff_view.text("dd.extension-ref"), reference);
    // An amendment keeps the extension it is filed under.
    let amended = file(
        &app,
        &mut alpha,
        "2025-05",
        &figures("4", "4", "1", "100", "90", ""),
    )
    .await;
    assert_eq!(amended.extension_ref.as_deref(), Some(reference.as_str()));

    // Once filed, no extension can be asked.
    let page = alpha.approver.get("/returns/2025-05/extension").await;
    assert!(
        !page.body.contains("id=\"extension-form\""),
        "{}",
        page.body
    );
    let refused = alpha
        .approver
        .submit_form(
            &page,
            "/returns/2025-05/extension",
            &[("new_due_date", "2025-07-30"), ("reason", "More time")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("new_due_date")
            .unwrap()
            .contains("filed")
    );
}

/// The counts and shares of one month on the timeliness page, in the order
/// on time, with extension, late, missing, then not yet due.
fn month_cells(page: &Page, period: &str) -> Vec<String> {
    ["on-time", "with-extension", "late", "missing", "not-due"]
        .iter()
        .map(|class| {
            page.text(&format!(
                "#timeliness tr[data-period=\"{period}\"] td.{class}"
            ))
        })
        .collect()
}

async fn the_timeliness_series_equals_a_hand_worked_case(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let typed = figures("5", "5", "1", "100", "90", "");
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let mut charlie = app.firm_with_users(&mut admin, "Charlie").await;
    let _delta = app.firm_with_users(&mut admin, "Delta").await;
    let mut echo = app.firm_with_users(&mut admin, "Echo").await;
    let mut foxtrot = app.firm_with_users(&mut admin, "Foxtrot").await;
    let mut analyst = app.analyst(&mut admin).await;

    // 20 May. April (due 12 May): Alpha files late, the others never do.
    file(&app, &mut alpha, "2025-04", &typed).await;
    // May (due 10 June): Alpha files on time, Echo a nil return on time.
    file(&app, &mut alpha, "2025-05", &typed).await;
    file_nil(&mut echo, "2025-05").await;
    // Charlie is granted 30 June, Foxtrot 13 June.
    extended(&app, &mut charlie, &mut analyst, "2025-05", "2025-06-30").await;
    extended(&app, &mut foxtrot, &mut analyst, "2025-05", "2025-06-13").await;

    // 20 June: Bravo files late, Charlie within its extension, Foxtrot
    // after its extended date (late even after the extension).
    app.clock.advance(Duration::days(31));
    for (firm, tag) in [
        (&mut bravo, "bravo"),
        (&mut charlie, "charlie"),
        (&mut foxtrot, "foxtrot"),
    ] {
        for role in ["reporter", "approver"] {
            let browser = if role == "reporter" {
                &mut firm.reporter
            } else {
                &mut firm.approver
            };
            app.sign_in_fully(browser, &format!("{role}@{tag}.example"), PASSWORD)
                .await;
        }
        file(&app, firm, "2025-05", &typed).await;
    }

    // 1 July: Delta never filed May; June is not due yet (10 July).
    app.clock.advance(Duration::days(11));
    app.sign_in_fully(&mut admin, "admin@fsa.example", PASSWORD)
        .await;
    let page = admin
        .get("/review/timeliness?from=2025-04&to=2025-06")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        month_cells(&page, "2025-04"),
        ["0 (0%)", "0 (0%)", "1 (17%)", "5 (83%)", "0"]
    );
    // Six firms counted: Alpha and Echo (nil) on time, Charlie with its
    // extension, Bravo and Foxtrot late, Delta missing.
    assert_eq!(
        month_cells(&page, "2025-05"),
        ["2 (33%)", "1 (17%)", "2 (33%)", "1 (17%)", "0"]
    );
    assert_eq!(
        page.text("#timeliness tr[data-period=\"2025-05\"] td.counted"),
        "6"
    );
    assert_eq!(
        month_cells(&page, "2025-06"),
        ["0 (0%)", "0 (0%)", "0 (0%)", "0 (0%)", "6"]
    );
    // The chart says the same: a title, a description, bars with values
    // (percent of the firms counted), and the table of every value.
    assert!(page.body.contains("<title id=\"chart-timeliness-title\">"));
    assert!(page.body.contains("<desc id=\"chart-timeliness-desc\">"));
    let bars: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("#chart-timeliness .bars rect").unwrap())
        .filter_map(|r| r.value().attr("data-value").map(str::to_owned))
        .collect();
    // Series by series (on time, with extension, late, missing), each
    // month by month (April, May, June).
    assert_eq!(
        bars,
        [
            "0", "33", "0", "0", "17", "0", "17", "33", "0", "83", "17", "0"
        ]
    );

    // Charlie's record on its page: June not due, May with extension,
    // April missing.
    let record = admin.get(&format!("/review/firms/{}", charlie.id)).await;
    let standing = |period: &str| {
        record
            .html()
            .select(
                &scraper::Selector::parse(&format!(
                    "#firm-record tr[data-period=\"{period}\"] td.standing"
                ))
                .unwrap(),
            )
            .next()
            .and_then(|td| td.value().attr("data-standing").map(str::to_owned))
            .unwrap_or_default()
    };
    assert_eq!(standing("2025-06"), "not-due");
    assert_eq!(standing("2025-05"), "with-extension");
    assert_eq!(standing("2025-04"), "missing");
    assert!(
        record
            .text("#firm-record tr[data-period=\"2025-05\"]")
            .contains("EXT-2025-")
    );
    // Firms never see the series (the authorization matrix checks every
    // caller).
    let refused = alpha.approver.get("/review/timeliness").await;
    assert_ne!(refused.status, StatusCode::OK);
}

async fn requests_and_decisions_keep_their_rules(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let mut analyst = app.analyst(&mut admin).await;
    let path = "/returns/2025-05/extension";

    // Reporters see the month but only approvers ask.
    let seen = alpha.reporter.get(path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains("id=\"extension-form\""));
    let tried = alpha
        .reporter
        .submit_form(
            &seen,
            path,
            &[("new_due_date", "2025-06-30"), ("reason", "Because")],
        )
        .await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN);

    // Bad values: a message beside the field, what was typed kept.
    for (date, reason, field, needle) in [
        ("2025/06/30", "Migration", "new_due_date", "YYYY-MM-DD"),
        ("-1", "Migration", "new_due_date", "YYYY-MM-DD"),
        ("99999-01-01", "Migration", "new_due_date", "YYYY-MM-DD"),
        ("2025-06-10", "Migration", "new_due_date", "after"),
        ("2025-09-09", "Migration", "new_due_date", "90 days"),
        ("2025-06-30", "", "reason", ""),
        ("2025-06-30", "bell\u{7}", "reason", ""),
    ] {
        let page = ask(&mut alpha.approver, "2025-05", date, reason).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{date} {reason:?}"
        );
        let error = page.field_error(field).unwrap_or_default();
        assert!(
            !error.is_empty() && error.contains(needle),
            "{date}: {error}"
        );
        assert_eq!(page.input_value("new_due_date").as_deref(), Some(date));
    }
    let huge = "x".repeat(2001);
    let page = ask(&mut alpha.approver, "2025-05", "2025-06-30", &huge).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("reason").is_some());

    // 90 days after 10 June is the latest; one open request at a time.
    let stale_form = alpha.approver.get(path).await;
    let asked = ask(&mut alpha.approver, "2025-05", "2025-09-08", "Migration").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    // A form opened before the request was sent.
    let again = alpha
        .approver
        .submit_form(
            &stale_form,
            path,
            &[("new_due_date", "2025-07-01"), ("reason", "Again")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .field_error("new_due_date")
            .unwrap()
            .contains("awaits")
    );
    let first = newest(&app, alpha.id);
    // The database holds one open request per firm and month whatever
    // the code above it does.
    {
        let mut conn = app.pool.get().unwrap();
        let duplicate = diesel::insert_into(extensions::table)
            .values((
                extensions::firm_id.eq(alpha.id),
                extensions::period.eq("2025-05"),
                extensions::due_before.eq(day(2025, 6, 10)),
                extensions::requested_due.eq(day(2025, 6, 20)),
                extensions::reason.eq("race"),
                extensions::requested_by.eq(first.requested_by),
                extensions::requested_at.eq(first.requested_at),
                extensions::status.eq("pending"),
            ))
            .execute(&mut conn);
        assert!(duplicate.is_err());
    }
    // Another firm sees none of it.
    let other = bravo.approver.get(path).await;
    assert!(!other.body.contains(&format!("EXT-2025-{:06}", first.id)));
    assert!(other.body.contains("id=\"extension-form\""));

    // Staff see it in the queue and on the board.
    let queue = analyst.get("/review/extensions").await;
    assert!(queue.text("#ext-pending").contains("Alpha Securities"));
    let board = analyst.get("/review/board?period=2025-05").await;
    assert_eq!(board.text(".pending-extensions strong"), "1");

    // Refusing needs a reason; a grant needs a date after the due date.
    let page = decide(&mut analyst, first.id, "refuse", "", "").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("reason").is_some());
    let page = decide(&mut analyst, first.id, "grant", "2025-06-01", "").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("new_due_date").unwrap().contains("after"));
    let page = decide(&mut analyst, first.id, "maybe", "2025-06-30", "x").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A decision form opened before someone else decided is refused.
    let stale = analyst
        .get(&format!("/review/extensions/{}", first.id))
        .await;
    let done = decide(&mut analyst, first.id, "refuse", "", "Not justified").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let twice = analyst
        .submit_form(
            &stale,
            &format!("/review/extensions/{}", first.id),
            &[
                ("decision", "grant"),
                ("new_due_date", "2025-06-30"),
                ("reason", "On reflection"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice
            .field_error("new_due_date")
            .unwrap()
            .contains("decided")
    );
    assert_eq!(
        twice.input_value("new_due_date").as_deref(),
        Some("2025-06-30")
    );
    let refused = newest(&app, alpha.id);
    assert_eq!(refused.status.as_str(), "refused");
    assert_eq!(refused.granted_due, None);
    let told = emails_to(&app, "approver@alpha.example", "refused");
    assert_eq!(told.len(), 1);
    assert!(told[0].contains("Not justified"), "{}", told[0]);
    assert!(told[0].contains("2025-06-10"), "{}", told[0]);

    // After a refusal the firm may ask again; unknown ids are not found.
    let asked = ask(
        &mut alpha.approver,
        "2025-05",
        "2025-06-20",
        "Staff illness",
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    for id in ["abc", "999999", "-1"] {
        let page = analyst.get(&format!("/review/extensions/{id}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{id}");
    }
    // A month already filed cannot be extended.
    file(
        &app,
        &mut bravo,
        "2025-04",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    let page = ask(&mut bravo.approver, "2025-04", "2025-06-30", "Late").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("new_due_date").unwrap().contains("filed"));
    assert_eq!(latest(&app, bravo.id, "2025-04").extension_ref, None);
}

on_both_backends!(
    an_extension_moves_the_due_date_everywhere_and_is_frozen_on_the_version,
    the_timeliness_series_equals_a_hand_worked_case,
    requests_and_decisions_keep_their_rules,
);
