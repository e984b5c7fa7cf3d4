//! Security headers and the error page.

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn every_response_carries_security_headers(app: TestApp) {
    let mut admin = app.setup_admin().await;
    for path in [
        "/login",
        "/dashboard",
        "/no-such-page",
        "/static/portal.css",
    ] {
        let page = admin.get(path).await;
        let csp = page.header("content-security-policy").unwrap_or_default();
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "script-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(
            page.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            page.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
    }
    assert_eq!(
        admin.get("/dashboard").await.header("cache-control"),
        Some("no-store")
    );
    // No inline script or style anywhere a signed-in user goes.
    let page = admin.get("/admin/users").await;
    assert!(!page.body.contains("<script>") && !page.body.contains("style="));
}

async fn errors_render_a_page_with_a_reference(app: TestApp) {
    let mut browser = app.browser();
    let page = browser.get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("The page was not found"));
    assert!(page.body.contains("Reference for support"));
    // The page follows the browser's language.
    let client = reqwest::Client::new();
    let ja = client
        .get(format!("{}/no-such-page", app.address))
        .header("accept-language", "ja,en;q=0.5")
        .send()
        .await
        .unwrap();
    let body = ja.text().await.unwrap();
    assert!(body.contains("lang=\"ja\"") && body.contains("ページが見つからない"));
    // A body too large for a form is refused with 413, not 500.
    let big = "x".repeat(incident_portal::web::FORM_LIMIT + 1);
    let page = browser.post("/login", &[("email", big.as_str())]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    // It says what happened and links back to the form.
    assert!(
        page.body.contains("Nothing from this form was saved"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"error-back\" href=\"/login\""),
        "{}",
        page.body
    );
}

on_both_backends!(
    every_response_carries_security_headers,
    errors_render_a_page_with_a_reference,
    host_headers_are_never_reflected,
    control_characters_do_not_reach_the_audit_trail,
);

/// Links the portal sends are built from its configured address, never from
/// the Host or X-Forwarded-Host a client sends.
async fn host_headers_are_never_reflected(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    let form = browser.get("/password/forgot").await;
    let csrf = form.input_value("csrf").unwrap();
    let cookie = browser.cookie_header();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/password/forgot", app.address))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("email", "admin@fsa.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(!body.contains("evil.example"));
    let (_, mail) = app.last_email_to("admin@fsa.example");
    assert!(
        mail.contains(&format!("{}/password/reset/", app.address)),
        "{mail}"
    );
    assert!(!mail.contains("evil.example"));
}

/// CR/LF typed into a field cannot forge a log or audit line.
async fn control_characters_do_not_reach_the_audit_trail(app: TestApp) {
    use diesel::prelude::*;
    use incident_portal::db::schema::audit_events;
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser
        .sign_in(
            "x@y.example\r\n2025-01-01 INFO auth.sign_in admin",
            "wrong password!",
        )
        .await;
    let mut conn = app.pool.get().unwrap();
    let details: Vec<String> = audit_events::table
        .filter(audit_events::action.eq("auth.sign_in_failed"))
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap();
    assert_eq!(details.len(), 1);
    assert!(
        !details[0].contains('\r') && !details[0].contains('\n'),
        "{:?}",
        details[0]
    );
}
