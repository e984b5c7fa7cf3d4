//! Every POST needs the right CSRF token.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, figures};
use crate::on_both_backends;

async fn posts_without_the_right_token_are_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("10", "10", "5", "1000", "900", "");
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &typed).await;
    let form = firm.approver.get("/returns/2025-04/approve").await;
    let key = form.input_value("submission_key").unwrap();

    // No token.
    let mut fields = typed.clone();
    fields.push(("submission_key", &key));
    let page = firm.approver.post("/returns/2025-04/submit", &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("did not come from this portal"));
    // A wrong token.
    let forged = "A".repeat(43);
    let mut fields = typed.clone();
    fields.push(("csrf", &forged));
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &fields)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Another user's valid token.
    let reporter_form = firm.reporter.get("/returns/2025-04").await;
    let theirs = reporter_form.input_value("csrf").unwrap();
    let mut fields = typed.clone();
    fields.push(("csrf", &theirs));
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &fields)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Admin forms and sign-out too.
    let page = admin
        .post("/admin/firms", &[("name", "X"), ("registration_no", "Y")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = admin.post("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.get("/dashboard").await.status,
        StatusCode::OK,
        "still signed in"
    );
    // With the token, it goes through.
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &typed)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn sign_in_needs_the_double_submit_token(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    let page = browser
        .post(
            "/login",
            &[("email", "admin@fsa.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "login CSRF refused");
    // The token must match this browser's own cookie.
    let mut other = app.browser();
    let theirs = other.get("/login").await.input_value("csrf").unwrap();
    browser.get("/login").await;
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", &theirs),
                ("email", "admin@fsa.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let form = browser.get("/login").await;
    let page = browser
        .submit_form(
            &form,
            "/login",
            &[("email", "admin@fsa.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

on_both_backends!(
    posts_without_the_right_token_are_refused,
    sign_in_needs_the_double_submit_token
);
