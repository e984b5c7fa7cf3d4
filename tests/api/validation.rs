//! Bad input: a saved draft comes back with what was typed and the
//! message beside each field (the preparer sees every rule on each save),
//! and nothing is filed.

use diesel::prelude::*;
use incident_portal::db::schema::return_versions;
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures};
use crate::on_both_backends;

fn versions(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// Saves `typed` as the draft and opens the form again, as the redirect
/// after a save does.
async fn saved(
    preparer: &mut crate::helpers::Browser,
    typed: &[(&str, &str)],
) -> crate::helpers::Page {
    crate::helpers::prepare(preparer, "2025-04", typed).await;
    crate::helpers::sections(preparer, "2025-04").await
}

async fn bad_figures_come_back_with_messages(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let long = "x".repeat(4001);
    let typed = figures("-5", "twelve", "0", "1,000", "", &long);
    let page = saved(&mut firm.reporter, &typed).await;
    // Nothing typed is lost.
    assert_eq!(
        page.input_value("unauthorized_accesses").as_deref(),
        Some("-5")
    );
    assert_eq!(
        page.input_value("affected_accounts").as_deref(),
        Some("twelve")
    );
    assert_eq!(page.input_value("sale_amount").as_deref(), Some("1,000"));
    assert_eq!(page.input_value("remediation").map(|v| v.len()), Some(4001));
    // Each message beside its field, tied to it for screen readers.
    assert!(
        page.field_error("unauthorized_accesses")
            .unwrap()
            .contains("negative")
    );
    assert!(
        page.field_error("affected_accounts")
            .unwrap()
            .contains("whole number")
    );
    assert!(
        page.field_error("purchase_amount")
            .unwrap()
            .contains("Enter a value")
    );
    assert!(
        page.field_error("remediation")
            .unwrap()
            .contains("too long")
    );
    let html = page.html();
    let input = html
        .select(&scraper::Selector::parse("#unauthorized_accesses").unwrap())
        .next()
        .unwrap();
    assert_eq!(input.value().attr("aria-invalid"), Some("true"));
    assert!(
        input
            .value()
            .attr("aria-describedby")
            .unwrap()
            .contains("unauthorized_accesses-error")
    );
    // And listed at the top with links to the fields.
    let links = page.texts(".error-summary a");
    assert!(links.len() >= 4, "{links:?}");
    assert!(page.body.contains("href=\"#unauthorized_accesses\""));
    assert_eq!(versions(&app), 0);
}

async fn amounts_need_trades_and_trades_need_accesses(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("10", "5", "0", "5,000,000", "0", "");
    let page = saved(&mut firm.reporter, &typed).await;
    assert!(
        page.field_error("sale_amount")
            .unwrap()
            .contains("no fraudulent trades")
    );

    let typed = figures("3", "3", "7", "5,000", "0", "");
    let page = saved(&mut firm.reporter, &typed).await;
    assert!(
        page.field_error("fraudulent_trades")
            .unwrap()
            .contains("cannot exceed")
    );
    assert_eq!(versions(&app), 0);

    // A draft may hold figures that do not yet agree with each other.
    let form = firm.approver.get("/returns/2025-04").await;
    let saved = firm
        .approver
        .submit_form(&form, "/returns/2025-04/draft", &typed)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // Drafts save anything, even text where a number goes; submitting it
    // then lists every problem.
    let typed = figures("ten", "", "", "", "", "");
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/draft", &typed)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let again = crate::helpers::sections(&mut firm.approver, "2025-04").await;
    assert_eq!(
        again.input_value("unauthorized_accesses").as_deref(),
        Some("ten")
    );
    assert!(
        again
            .field_error("unauthorized_accesses")
            .unwrap()
            .contains("whole number")
    );
}

async fn admin_forms_explain_mistakes(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/firms").await;
    let page = admin
        .submit_form(
            &form,
            "/admin/firms",
            &[
                ("name", ""),
                ("registration_no", "関東財務局長（金商）第1号"),
                ("lei", "5493001KJTIIGC8Y1R13"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("name").is_some());
    assert!(page.field_error("lei").unwrap().contains("check digits"));
    assert_eq!(
        page.input_value("lei").as_deref(),
        Some("5493001KJTIIGC8Y1R13")
    );
    let ok = admin
        .submit_form(
            &form,
            "/admin/firms",
            &[
                ("name", "Sakura"),
                ("registration_no", "関東財務局長（金商）第1号"),
                ("lei", "5493001kjtiigc8y1r12"),
            ],
        )
        .await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "a valid LEI, typed in lower case"
    );
    let dup = admin
        .submit_form(
            &form,
            "/admin/firms",
            &[
                ("name", "Other"),
                ("registration_no", "関東財務局長(金商)第1号"),
                ("lei", ""),
            ],
        )
        .await;
    assert_eq!(
        dup.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "same number, half-width brackets"
    );
    assert!(
        dup.field_error("registration_no")
            .unwrap()
            .contains("already exists")
    );

    let form = admin.get("/admin/users").await;
    let page = admin
        .submit_form(
            &form,
            "/admin/users",
            &[
                ("email", "a@b.example\r\nBcc: x@evil.example"),
                ("display_name", "X"),
                ("role", "approver"),
                ("firm_id", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("email").is_some(),
        "header injection refused"
    );
    assert!(
        page.field_error("firm_id").is_some(),
        "a firm role needs a firm"
    );
    assert_eq!(page.input_value("display_name").as_deref(), Some("X"));
}

on_both_backends!(
    bad_figures_come_back_with_messages,
    amounts_need_trades_and_trades_need_accesses,
    admin_forms_explain_mistakes,
);
