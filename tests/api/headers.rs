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
    let big = "x".repeat(100_000);
    let page = browser.post("/login", &[("email", big.as_str())]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
}

on_both_backends!(
    every_response_carries_security_headers,
    errors_render_a_page_with_a_reference
);
