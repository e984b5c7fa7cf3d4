//! The one-time setup link for the first admin.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

async fn setup_link_creates_the_first_admin_once(app: TestApp) {
    let token = app.setup_token();
    let mut browser = app.browser();
    let form = browser.get(&format!("/setup/{token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let done = browser
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                ("email", "Admin@FSA.example"),
                ("display_name", "First Admin"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location(),
        Some("/account/enrol"),
        "a second factor next"
    );
    assert_eq!(
        browser.get("/dashboard").await.location(),
        Some("/account/enrol")
    );
    app.enrol_totp(&mut browser, "admin@fsa.example").await;
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(
        dashboard.status,
        StatusCode::OK,
        "the new admin is signed in"
    );

    // Single use: the link is gone, for this browser and any other.
    let again = app.browser().get(&format!("/setup/{token}")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // And no new link is issued once a user exists.
    let mut conn = app.pool.get().unwrap();
    let next = incident_portal::services::accounts::issue_setup_token(&mut conn, app.clock.now());
    assert!(next.unwrap().is_none());

    // The email was normalised; the admin signs in with it.
    let mut other = app.browser();
    app.sign_in_fully(&mut other, "admin@fsa.example", PASSWORD)
        .await;
}

async fn setup_link_expires_and_rejects_bad_tokens(app: TestApp) {
    let token = app.setup_token();
    app.clock.advance(Duration::hours(25));
    let page = app.browser().get(&format!("/setup/{token}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "expired after 24 h");
    let page = app.browser().get("/setup/not-a-token").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let forged = "A".repeat(43);
    assert_eq!(
        app.browser().get(&format!("/setup/{forged}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn setup_form_keeps_input_and_explains_errors(app: TestApp) {
    let token = app.setup_token();
    let mut browser = app.browser();
    let form = browser.get(&format!("/setup/{token}")).await;
    let page = browser
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                ("email", "not an email"),
                ("display_name", "Hanako Sato"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.input_value("email").as_deref(), Some("not an email"));
    assert_eq!(
        page.input_value("display_name").as_deref(),
        Some("Hanako Sato")
    );
    assert!(page.field_error("email").unwrap().contains("valid email"));
    assert!(
        page.field_error("password")
            .unwrap()
            .contains("12 characters")
    );
    assert!(page.body.contains("There is a problem"));
    // A password is never echoed back.
    assert_eq!(page.input_value("password").as_deref(), Some(""));
}

/// The form's rules (validator, calling the domain's checks) report every
/// field at once: a short password and a confirmation that differs both
/// show, each beside its field, and a blank name too.
async fn setup_form_reports_each_field_rule(app: TestApp) {
    let token = app.setup_token();
    let mut browser = app.browser();
    let form = browser.get(&format!("/setup/{token}")).await;
    let page = browser
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                ("email", "admin@fsa.example"),
                ("display_name", "  "),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.field_error("email"), None);
    assert!(
        page.field_error("display_name")
            .unwrap()
            .contains("Enter a value")
    );
    assert!(
        page.field_error("password")
            .unwrap()
            .contains("12 characters")
    );
    assert!(
        page.field_error("password_confirm")
            .unwrap()
            .contains("do not match")
    );
}

on_both_backends!(
    setup_link_creates_the_first_admin_once,
    setup_link_expires_and_rejects_bad_tokens,
    setup_form_keeps_input_and_explains_errors,
    setup_form_reports_each_field_rule,
);
