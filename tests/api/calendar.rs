//! The reporting calendar: the board's states under a fixed clock (not
//! started, draft, on time, late, missing, returned, accepted), the
//! admin's due-day setting (new submissions only; versions keep their
//! frozen due date) and due dates over Golden Week and the New Year.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::db::Backend;
use incident_portal::db::schema::audit_events;
use incident_portal::domain::due_date::due_date;
use incident_portal::domain::period::Period;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, figures, prepare};
use crate::on_both_backends;
use crate::review::support::{file, hrefs};

fn state_of(board: &crate::helpers::Page, firm: &str) -> String {
    let row = board
        .texts("table.board tbody tr")
        .into_iter()
        .find(|r| r.starts_with(firm))
        .unwrap_or_else(|| panic!("{firm} on the board:\n{}", board.body));
    board
        .html()
        .select(&scraper::Selector::parse("table.board tbody tr").unwrap())
        .find(|tr| tr.text().collect::<String>().trim().starts_with(firm))
        .and_then(|tr| {
            tr.select(&scraper::Selector::parse("td.state").unwrap())
                .next()
                .and_then(|td| td.value().attr("data-state").map(str::to_owned))
        })
        .unwrap_or(row)
}

fn count_of(board: &crate::helpers::Page, slug: &str) -> String {
    board.text(&format!(".count-{slug} strong"))
}

async fn decide(app: &TestApp, staff: &mut Browser, id: i64, route: &str) {
    let page = staff.get(&format!("/review/versions/{id}")).await;
    let done = staff
        .submit_form(
            &page,
            &format!("/review/versions/{id}/{route}"),
            &[("reason", "Check the sale amount.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{route}: {}", done.body);
    let _ = app;
}

async fn board_shows_each_firms_state(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let typed = figures("5", "5", "1", "100", "90", "");
    let mut on_time = app.firm_with_users(&mut admin, "Alpha").await;
    let mut accepted = app.firm_with_users(&mut admin, "Bravo").await;
    let mut returned = app.firm_with_users(&mut admin, "Charlie").await;
    let mut drafting = app.firm_with_users(&mut admin, "Delta").await;
    let _idle = app.firm_with_users(&mut admin, "Echo").await;
    file(&app, &mut on_time, "2025-05", &typed).await;
    let b = file(&app, &mut accepted, "2025-05", &typed).await;
    let c = file(&app, &mut returned, "2025-05", &typed).await;
    prepare(&mut drafting.reporter, "2025-05", &typed).await;
    decide(&app, &mut admin, b.id, "accept").await;
    decide(&app, &mut admin, c.id, "return").await;

    // 2025-05-20: before the due date of May's return, Tuesday 10 June.
    let board = admin.get("/review/board?period=2025-05").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.text(".due-date").starts_with("Due date: 2025-06-10"));
    let expect = [
        ("Alpha", "on_time"),
        ("Bravo", "accepted"),
        ("Charlie", "returned"),
        ("Delta", "draft"),
        ("Echo", "not_started"),
    ];
    for (firm, state) in expect {
        assert_eq!(state_of(&board, firm), state, "{firm}");
    }
    for (slug, n) in [
        ("on_time", "1"),
        ("accepted", "1"),
        ("returned", "1"),
        ("draft", "1"),
        ("not_started", "1"),
        ("late", "0"),
        ("missing", "0"),
    ] {
        assert_eq!(count_of(&board, slug), n, "{slug}");
    }
    assert_eq!(
        hrefs(&board, "a[rel=prev]"),
        ["/review/board?period=2025-04"]
    );
    assert_eq!(
        hrefs(&board, "a[rel=next]"),
        ["/review/board?period=2025-06"]
    );

    // After the due date: the draft and the idle firm are missing; a new
    // firm files late.
    app.clock.advance(Duration::days(25));
    app.sign_in_fully(&mut admin, "admin@fsa.example", PASSWORD)
        .await;
    let mut late = app.firm_with_users(&mut admin, "Foxtrot").await;
    file(&app, &mut late, "2025-05", &typed).await;
    let board = admin.get("/review/board?period=2025-05").await;
    let expect = [
        ("Alpha", "on_time"),
        ("Bravo", "accepted"),
        ("Charlie", "returned"),
        ("Delta", "missing"),
        ("Echo", "missing"),
        ("Foxtrot", "late"),
    ];
    for (firm, state) in expect {
        assert_eq!(state_of(&board, firm), state, "{firm}");
    }
    assert_eq!(count_of(&board, "missing"), "2");
    assert_eq!(board.texts("td.state")[3], "Missing");
    let analyst = app.analyst(&mut admin).await;
    let mut analyst = analyst;
    let seen = analyst.get("/review/board?period=2025-05").await;
    assert_eq!(seen.status, StatusCode::OK);
    let firm_view = late.approver.get("/review/board").await;
    assert_eq!(firm_view.status, StatusCode::FORBIDDEN);
}

async fn due_day_applies_to_new_submissions_only(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let page = admin.get("/admin/calendar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.input_value("due_day").as_deref(), Some("10"));
    assert_eq!(page.input_value("reminder_days").as_deref(), Some("3"));
    assert!(page.text(".holiday-source").contains("Cabinet Office"));

    let refused = admin
        .submit_form(
            &page,
            "/admin/calendar",
            &[("due_day", "29"), ("reminder_days", "0")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_error("due_day").as_deref(),
        Some("Enter a whole number from 1 to 28.")
    );
    assert_eq!(
        refused.field_error("reminder_days").as_deref(),
        Some("Enter a whole number from 1 to 20.")
    );
    assert_eq!(
        refused.input_value("due_day").as_deref(),
        Some("29"),
        "what was typed stays"
    );

    // Filed on 2025-05-20 under the 10th: due 2025-05-12, late.
    let typed = figures("5", "5", "1", "100", "90", "");
    let v1 = file(&app, &mut firm, "2025-04", &typed).await;
    assert_eq!(
        (v1.due_date, v1.on_time),
        (NaiveDate::from_ymd_opt(2025, 5, 12).unwrap(), false)
    );

    let saved = admin
        .submit_form(
            &page,
            "/admin/calendar",
            &[("due_day", "25"), ("reminder_days", "5")],
        )
        .await;
    assert_eq!(saved.location(), Some("/admin/calendar?saved=1"));
    let page = admin.get("/admin/calendar?saved=1").await;
    assert_eq!(page.input_value("due_day").as_deref(), Some("25"));
    assert!(
        page.body.contains("2025-05-26"),
        "25 May 2025 is a Sunday: {}",
        page.body
    );

    // The amendment is filed under the 25th (a Sunday, so Monday 26 May);
    // version 1 keeps its frozen due date and timeliness.
    let v2 = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("6", "5", "1", "100", "90", ""),
    )
    .await;
    assert_eq!(
        (v2.due_date, v2.on_time),
        (NaiveDate::from_ymd_opt(2025, 5, 26).unwrap(), true)
    );
    let v1_again = firm.approver.get("/returns/2025-04/versions/1").await;
    assert!(v1_again.body.contains("late"));
    let board = admin.get("/review/board?period=2025-04").await;
    assert!(board.text(".due-date").starts_with("Due date: 2025-05-26"));
    assert_eq!(
        state_of(&board, "Alpha"),
        "late",
        "timeliness of the first filing, frozen"
    );

    let mut conn = app.pool.get().unwrap();
    let detail: String = audit_events::table
        .filter(audit_events::action.eq("calendar.changed"))
        .select(audit_events::detail)
        .first(&mut conn)
        .unwrap();
    assert_eq!(detail, "due day 10 -> 25; reminder days 3 -> 5");
}

async fn golden_week_and_new_year_move_the_due_date(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let period = |s: &str| Period::parse(s).unwrap();
    // Due on the 3rd: 2026-05-03 is a Sunday, 4 and 5 May are holidays and
    // 6 May is the substitute holiday for the 3rd; Thursday 7 May.
    assert_eq!(due_date(period("2026-04"), 3), date(2026, 5, 7));
    // The 10th of January 2026 is a Saturday and the 12th is Coming of Age
    // Day (second Monday): Tuesday 13 January.
    assert_eq!(due_date(period("2025-12"), 10), date(2026, 1, 13));
    // New Year's Day, then the bank closing days 2 and 3 January, then a
    // Sunday: Monday 5 January 2026.
    assert_eq!(due_date(period("2025-12"), 1), date(2026, 1, 5));
    // Golden Week 2025: 3 May is a Saturday, 6 May the substitute holiday.
    assert_eq!(due_date(period("2025-04"), 3), date(2025, 5, 7));

    let board = admin.get("/review/board?period=2025-12").await;
    assert!(
        board.text(".due-date").starts_with("Due date: 2026-01-13"),
        "{}",
        board.text(".due-date")
    );
    let page = admin.get("/admin/calendar").await;
    admin
        .submit_form(
            &page,
            "/admin/calendar",
            &[("due_day", "3"), ("reminder_days", "3")],
        )
        .await;
    let board = admin.get("/review/board?period=2026-04").await;
    assert!(board.text(".due-date").starts_with("Due date: 2026-05-07"));
    let board = admin.get("/review/board?period=2025-04").await;
    assert!(board.text(".due-date").starts_with("Due date: 2025-05-07"));
}

/// The calendar page's coming due dates, seen from New Year 2026.
#[actix_web::test]
async fn upcoming_due_dates_cross_the_new_year() {
    let at = NaiveDate::from_ymd_opt(2025, 12, 15)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap();
    let app = TestApp::spawn_at(Backend::Sqlite, Clock::fixed(at)).await;
    let mut admin = app.setup_admin().await;
    let page = admin.get("/admin/calendar").await;
    let periods = page.texts("table.upcoming tbody th");
    let dues = page.texts("table.upcoming tbody td");
    assert_eq!(periods.len(), 12);
    let row = |i: usize| (periods[i].as_str(), dues[i].as_str());
    assert_eq!(row(0), ("2025-11", "2025-12-10"));
    assert_eq!(row(1), ("2025-12", "2026-01-13"));
    assert_eq!(row(4), ("2026-03", "2026-04-10"));
}

on_both_backends!(
    board_shows_each_firms_state,
    due_day_applies_to_new_submissions_only,
    golden_week_and_new_year_move_the_due_date,
);
