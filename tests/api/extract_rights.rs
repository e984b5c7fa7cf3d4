//! Controlled extracts: exporting is a right an admin grants per staff
//! user on the users page (audited); without it the export is refused and
//! not offered. Contact details go out only to a user with that right too
//! who ticks them. Every export's first line says who, when and which
//! filters, and the audit trail records the filters and the contacts.

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, users};
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, figures, file};
use crate::on_both_backends;

fn events(app: &TestApp, action: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::id.asc())
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap()
}

fn right_of(app: &TestApp, email: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::export_right)
        .first(&mut conn)
        .unwrap()
}

fn export_links(page: &crate::helpers::Page) -> usize {
    page.html()
        .select(&scraper::Selector::parse("#exports a").unwrap())
        .count()
}

async fn filed(app: &TestApp, admin: &mut Browser) {
    let mut a = app.firm_with_users(admin, "Alpha").await;
    file(
        &mut a,
        "2025-04",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
}

async fn an_export_without_the_right_is_refused_and_not_offered(app: TestApp) {
    let mut admin = app.setup_admin().await;
    filed(&app, &mut admin).await;
    let mut analyst = app.analyst(&mut admin).await;
    let dashboard = analyst.get("/dashboard").await;
    assert_eq!(export_links(&dashboard), 0, "no export link offered");
    assert!(dashboard.body.contains("id=\"exports-none\""));
    for path in [
        "/review/exports/versions.csv",
        "/review/exports/trades.csv?from=2025-04",
    ] {
        let (status, _, _) = analyst.get_bytes(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(events(&app, "export.downloaded").is_empty());
    // Granted: offered, but not with contact details, which are refused.
    app.grant_export(&mut admin, "analyst@fsa.example", "export")
        .await;
    let dashboard = analyst.get("/dashboard").await;
    assert_eq!(export_links(&dashboard), 2);
    assert!(!dashboard.body.contains("id=\"export-contacts\""));
    let (status, _, _) = analyst
        .get_bytes("/review/exports/versions.csv?contacts=yes")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = analyst.get_bytes("/review/exports/versions.csv").await;
    assert_eq!(status, StatusCode::OK);
    // Revoked: refused at once.
    app.grant_export(&mut admin, "analyst@fsa.example", "none")
        .await;
    let (status, _, _) = analyst.get_bytes("/review/exports/versions.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(events(&app, "export.downloaded").len(), 1);
}

async fn contacts_go_out_only_with_the_right_and_when_ticked(app: TestApp) {
    let mut admin = app.setup_admin().await;
    filed(&app, &mut admin).await;
    let mut analyst = app.analyst(&mut admin).await;
    app.grant_export(&mut admin, "analyst@fsa.example", "export_contacts")
        .await;
    let dashboard = analyst.get("/dashboard").await;
    assert!(dashboard.body.contains("id=\"export-contacts\""));
    let read = |bytes: &[u8]| -> (String, Vec<Vec<String>>) {
        let text = std::str::from_utf8(bytes)
            .unwrap()
            .strip_prefix('\u{feff}')
            .unwrap();
        let (first, rest) = text.split_once("\r\n").unwrap();
        let rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(rest.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (first.to_owned(), rows)
    };
    // Not ticked: no contact columns.
    let (_, _, bytes) = analyst
        .get_bytes("/review/exports/versions.csv?from=2025-04&to=2025-04")
        .await;
    let (first, rows) = read(&bytes);
    assert_eq!(
        first,
        format!(
            "# Exported by {} <analyst@fsa.example> at 2025-05-20T10:00:00Z (UTC); \
             filters: from=2025-04 to=2025-04 contacts=no",
            display_name(&app)
        )
    );
    assert_eq!(rows[0].len(), 21);
    assert!(!rows[0].contains(&"contact_email".to_owned()));
    // Ticked: the contact columns, filled from the version.
    let (_, _, bytes) = analyst
        .get_bytes("/review/exports/versions.csv?from=2025-04&to=2025-04&contacts=yes")
        .await;
    let (first, rows) = read(&bytes);
    assert!(
        first.ends_with("filters: from=2025-04 to=2025-04 contacts=yes"),
        "{first}"
    );
    assert_eq!(
        rows[0][21..],
        ["contact_name", "contact_phone", "contact_email"]
    );
    assert_eq!(rows[1].len(), 24);
    assert!(rows[1][23].contains('@'), "{:?}", rows[1]);
    assert_eq!(
        events(&app, "export.downloaded"),
        [
            "from=2025-04 to=2025-04 contacts=no",
            "from=2025-04 to=2025-04 contacts=yes"
        ]
    );
}

fn display_name(app: &TestApp) -> String {
    let mut conn = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq("analyst@fsa.example"))
        .select(users::display_name)
        .first(&mut conn)
        .unwrap()
}

async fn an_admin_grants_and_revokes_on_the_users_page(app: TestApp) {
    let mut admin = app.setup_admin().await;
    filed(&app, &mut admin).await;
    let _analyst = app.analyst(&mut admin).await;
    let page = admin.get("/admin/users").await;
    let selects = page
        .html()
        .select(&scraper::Selector::parse("select[name=right]").unwrap())
        .count();
    assert_eq!(
        selects, 2,
        "one per staff user (admin, analyst), none for firm users"
    );
    app.grant_export(&mut admin, "analyst@fsa.example", "export_contacts")
        .await;
    assert_eq!(right_of(&app, "analyst@fsa.example"), "export_contacts");
    app.grant_export(&mut admin, "analyst@fsa.example", "none")
        .await;
    assert_eq!(right_of(&app, "analyst@fsa.example"), "none");
    assert_eq!(
        events(&app, "user.export_right_changed"),
        [
            "analyst@fsa.example: none -> export_contacts",
            "analyst@fsa.example: export_contacts -> none"
        ]
    );
    // A firm user cannot be given the right; a value off the list is refused.
    let firm_user: i64 = {
        let mut conn = app.pool.get().unwrap();
        users::table
            .filter(users::email.eq("approver@alpha.example"))
            .select(users::id)
            .first(&mut conn)
            .unwrap()
    };
    let page = admin.get("/admin/users").await;
    let refused = admin
        .submit_form(
            &page,
            &format!("/users/{firm_user}/export-right"),
            &[("right", "export")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let bad = admin
        .submit_form(
            &page,
            &format!("/users/{firm_user}/export-right"),
            &[("right", "all\u{0}")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(right_of(&app, "approver@alpha.example"), "none");
    // Without the CSRF token: refused.
    let forged = admin
        .post(
            &format!("/users/{firm_user}/export-right"),
            &[("right", "export")],
        )
        .await;
    assert!(forged.status.is_client_error());
    assert_eq!(events(&app, "user.export_right_changed").len(), 2);
}

on_both_backends!(
    an_export_without_the_right_is_refused_and_not_offered,
    contacts_go_out_only_with_the_right_and_when_ticked,
    an_admin_grants_and_revokes_on_the_users_page
);
