//! Sign-in, sessions, sign-out, forced password change.

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

fn audit_actions(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(&mut conn)
        .unwrap()
}

async fn sign_in_sets_a_strict_session_cookie(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    let page = browser.sign_in("admin@fsa.example", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "host-only cookie");
    assert!(audit_actions(&app).contains(&"auth.sign_in".to_owned()));
}

async fn wrong_password_and_unknown_email_look_the_same(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    let wrong = browser
        .sign_in("admin@fsa.example", "wrong password here")
        .await;
    let unknown = browser
        .sign_in("nobody@fsa.example", "wrong password here")
        .await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(
            page.body
                .contains("The email address or password is not correct.")
        );
        assert!(!browser.cookies.contains_key("__Host-session"));
    }
    assert_eq!(
        wrong.input_value("email").as_deref(),
        Some("admin@fsa.example")
    );
    let failures = audit_actions(&app)
        .iter()
        .filter(|a| *a == "auth.sign_in_failed")
        .count();
    assert_eq!(failures, 2, "each failure audited");
}

async fn sign_in_issues_a_new_session_and_sign_out_ends_it(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    // A session id planted before sign-in is never adopted.
    browser
        .cookies
        .insert("__Host-session".into(), "x".repeat(43));
    let page = browser.sign_in("admin@fsa.example", PASSWORD).await;
    let pending = browser.cookies.get("__Host-session").cloned().unwrap();
    assert_ne!(pending, "x".repeat(43));
    assert_eq!(page.location(), Some("/login/verify"));
    // The password alone opens nothing.
    for path in ["/dashboard", "/admin/users", "/account"] {
        assert_eq!(
            browser.get(path).await.location(),
            Some("/login/verify"),
            "{path}"
        );
    }
    let form = browser.get("/login/verify").await;
    let code = app.next_code("admin@fsa.example");
    browser
        .submit_form(&form, "/login/verify/totp", &[("code", &code)])
        .await;
    let issued = browser.cookies.get("__Host-session").cloned().unwrap();
    assert_ne!(issued, pending, "a new session id once fully signed in");
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    let mut stale = app.browser();
    stale.cookies.insert("__Host-session".into(), pending);
    assert_eq!(
        stale.get("/dashboard").await.location(),
        Some("/login"),
        "the pending id is dead"
    );

    let stolen = issued.clone();
    let page = browser.get("/dashboard").await;
    let signed_out = browser.submit_form(&page, "/logout", &[]).await;
    assert_eq!(signed_out.location(), Some("/login"));
    // The old cookie no longer works anywhere: the session is gone server-side.
    let mut thief = app.browser();
    thief.cookies.insert("__Host-session".into(), stolen);
    let page = thief.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login"));
}

async fn sessions_expire_when_idle(app: TestApp) {
    let mut admin = app.setup_admin().await;
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
    app.clock.advance(Duration::minutes(31));
    let page = admin.get("/dashboard").await;
    assert_eq!(
        page.location(),
        Some("/login"),
        "idle timeout is 30 minutes"
    );
}

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    let mut browser = app.browser();
    for path in [
        "/",
        "/returns",
        "/returns/2025-04",
        "/dashboard",
        "/review",
        "/admin/firms",
        "/admin/users",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location(), Some("/login"), "{path}");
    }
    assert_eq!(browser.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(browser.get("/readyz").await.status, StatusCode::OK);
}

on_both_backends!(
    sign_in_sets_a_strict_session_cookie,
    wrong_password_and_unknown_email_look_the_same,
    sign_in_issues_a_new_session_and_sign_out_ends_it,
    sessions_expire_when_idle,
    anonymous_visitors_are_sent_to_sign_in,
    changing_the_password,
    posting_after_expiry_leads_to_sign_in,
);

/// Changing one's password needs the current one, ends the other sessions
/// and tells the user by email.
async fn changing_the_password(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut laptop = app.browser();
    app.sign_in_fully(&mut laptop, "admin@fsa.example", PASSWORD)
        .await;
    let form = admin.get("/account/password").await;
    assert_eq!(form.status, StatusCode::OK);
    let new = "another long passphrase 2025";
    let wrong = admin
        .submit_form(
            &form,
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("password", new),
                ("password_confirm", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.field_error("current_password").is_some());
    let done = admin
        .submit_form(
            &form,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", new),
                ("password_confirm", new),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get("/dashboard").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        laptop.get("/dashboard").await.location(),
        Some("/login"),
        "the others end"
    );
    let (subject, _) = app.last_email_to("admin@fsa.example");
    assert!(subject.to_lowercase().contains("password"), "{subject}");
    let mut fresh = app.browser();
    app.sign_in_fully(&mut fresh, "admin@fsa.example", new)
        .await;
}

/// A form posted after the session expired always leads to sign-in (never
/// a 403 or a 500), whichever check runs first.
async fn posting_after_expiry_leads_to_sign_in(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let form = firm.reporter.get("/returns/2025-04").await;
    app.clock.advance(chrono::Duration::minutes(31));
    for _ in 0..5 {
        let page = firm
            .reporter
            .submit_form(
                &form,
                "/returns/2025-04/draft",
                &[("unauthorized_accesses", "3")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), Some("/login"));
    }
}
