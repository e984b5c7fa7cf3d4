//! Obligations start when a firm starts: a firm's first reporting month is
//! set when it is added (default: the current month), changed by an admin
//! (audited), and no month before it counts as missing on the
//! completeness page, the board, the reminders or the overdue lists. The
//! firm's own list shows each month's due date and marks what is overdue.
//! Under the suite's clock (2025-05-20 in Tokyo), April was due on 12 May.

use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use incident_portal::services::reminders;
use reqwest::StatusCode;

use crate::helpers::{Browser, Page, TestApp, figures};
use crate::on_both_backends;
use crate::review::support::{file, sent, utc};

/// Sets `firm_id`'s first reporting month on the admin's firm page.
async fn set_first(admin: &mut Browser, firm_id: i64, month: &str) -> Page {
    let path = format!("/admin/firms/{firm_id}/first-period");
    let form = admin.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    admin
        .submit_form(&form, &path, &[("first_period", month)])
        .await
}

fn state_cell(page: &Page, period: &str) -> String {
    page.text(&format!("tr[data-period=\"{period}\"] td"))
}

async fn a_new_firm_is_not_overdue_before_its_first_month(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut old = app.firm_with_users(&mut admin, "Alpha").await;
    let mut newco = app.firm_with_users(&mut admin, "Newco").await;
    let done = set_first(&mut admin, newco.id, "2025-05").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let firms = admin.get("/admin/firms").await;
    assert!(
        firms
            .texts("td.first-period")
            .iter()
            .any(|t| t.starts_with("2025-05")),
        "{}",
        firms.body
    );
    {
        let mut conn = app.pool.get().unwrap();
        let detail: Vec<String> = audit_events::table
            .filter(audit_events::action.eq("firm.first_period_changed"))
            .select(audit_events::detail)
            .load(&mut conn)
            .unwrap();
        assert_eq!(detail, ["first reporting month 2024-01 -> 2025-05"]);
    }
    let staff_page = admin.get(&format!("/review/firms/{}", newco.id)).await;
    assert!(staff_page.text("p.first-period").ends_with("2025-05"));
    // A month that cannot be read, or years ahead, is refused (422), kept.
    let bad = set_first(&mut admin, newco.id, "2027-01").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.input_value("first_period").as_deref(), Some("2027-01"));
    assert!(bad.field_error("first_period").is_some());

    // Completeness: April's missing return is Alpha's alone.
    let page = admin
        .get("/review/completeness?from=2025-04&to=2025-05")
        .await;
    assert_eq!(
        page.text("tr[data-period=\"2025-04\"] td.missing"),
        "1",
        "{}",
        page.body
    );
    assert_eq!(page.text("tr[data-period=\"2025-05\"] td.not-due"), "2");
    assert_eq!(page.texts("table.overdue tbody th"), ["Alpha Securities"]);

    // The board for April leaves Newco out; May has both.
    let april = admin.get("/review/board?period=2025-04").await;
    let firms_on_board = april.texts("table.board tbody th");
    assert_eq!(firms_on_board, ["Alpha Securities"]);
    assert_eq!(april.text(".count-missing strong"), "1");
    let may = admin.get("/review/board?period=2025-05").await;
    assert_eq!(may.texts("table.board tbody th").len(), 2);

    // Reminders for April (three days before its due date) go to Alpha only.
    {
        let mut conn = app.pool.get().unwrap();
        reminders::run_due(
            &mut conn,
            utc(2025, 5, 9, 1),
            &incident_portal::web::mail_links::for_portal(&app.address),
        )
        .unwrap();
    }
    let mut to: Vec<String> = sent(&app, "due on 2025-05-12")
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    to.sort();
    assert_eq!(to, ["approver@alpha.example", "reporter@alpha.example"]);

    // Newco's own list: April is not required, nor overdue.
    let list = newco.approver.get("/returns").await;
    assert!(state_cell(&list, "2025-04").starts_with("Not required"));
    assert!(list.texts("tr[data-period=\"2025-04\"].overdue").is_empty());
    // A return filed for an earlier month still counts as filed.
    file(
        &app,
        &mut newco,
        "2025-04",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    let page = admin
        .get("/review/completeness?from=2025-04&to=2025-04")
        .await;
    assert_eq!(page.text("tr[data-period=\"2025-04\"] td.late"), "1");
    let _ = &mut old;
}

async fn a_firm_added_today_starts_this_month(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/firms").await;
    // The field is there, filled with the current month.
    assert_eq!(form.input_value("first_period").as_deref(), Some("2025-05"));
    let done = admin
        .submit_form(
            &form,
            "/admin/firms",
            &[
                ("name", "Today Securities"),
                ("registration_no", "関東財務局長（金商）第999号"),
                ("lei", ""),
                ("first_period", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = admin
        .get("/review/completeness?from=2024-06&to=2025-05")
        .await;
    assert_eq!(
        page.texts("td.missing")
            .iter()
            .filter(|t| *t != "0")
            .count(),
        0,
        "no month counts the new firm as missing: {}",
        page.body
    );
    assert!(page.body.contains("class=\"overdue-none\""));
}

async fn the_firms_list_shows_due_dates_and_overdue(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &app,
        &mut firm,
        "2025-03",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    let list = firm.approver.get("/returns").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.text("tr[data-period=\"2025-04\"] td.due"),
        "2025-05-12"
    );
    assert_eq!(
        list.text("tr[data-period=\"2025-05\"] td.due"),
        "2025-06-10"
    );
    // April: nothing filed, past its due date.
    assert_eq!(
        list.text("tr[data-period=\"2025-04\"].overdue strong.overdue-mark"),
        "Overdue"
    );
    // March was filed; May is not due yet.
    for period in ["2025-03", "2025-05"] {
        assert!(
            list.texts(&format!("tr[data-period=\"{period}\"].overdue"))
                .is_empty(),
            "{period}"
        );
    }
}

on_both_backends!(
    a_new_firm_is_not_overdue_before_its_first_month,
    a_firm_added_today_starts_this_month,
    the_firms_list_shows_due_dates_and_overdue,
);
