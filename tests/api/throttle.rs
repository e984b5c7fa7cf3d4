//! Throttling and lockout, kept in the database: per account typed, per
//! client address, per second-factor sign-in.

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

const ADMIN: &str = "admin@fsa.example";

fn count(app: &TestApp, action: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn repeated_failures_wait_then_lock(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    for _ in 0..3 {
        let page = browser.sign_in(ADMIN, "wrong password here").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits: the answer comes before it is checked.
    let page = browser.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("wait"), "{}", page.body);
    assert_eq!(
        page.input_value("email").as_deref(),
        Some(ADMIN),
        "nothing typed is lost"
    );
    app.clock.advance(Duration::seconds(2));
    let page = browser.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.location(), Some("/login/verify"), "the wait is over");

    // Ten failures in a row lock the account for 15 minutes.
    let mut attacker = app.browser();
    for _ in 0..10 {
        app.clock.advance(Duration::minutes(16));
        let page = attacker.sign_in(ADMIN, "wrong password here").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(count(&app, "auth.account_locked"), 1);
    app.clock.advance(Duration::minutes(10));
    let page = attacker.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "locked");
    app.clock.advance(Duration::minutes(6));
    let page = attacker.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(
        page.location(),
        Some("/login/verify"),
        "unlocked after 15 minutes"
    );
    assert!(count(&app, "auth.sign_in_throttled") >= 2);
}

async fn unknown_accounts_throttle_the_same(app: TestApp) {
    let mut browser = app.browser();
    for _ in 0..3 {
        let page = browser
            .sign_in("nobody@fsa.example", "wrong password here")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = browser
        .sign_in("nobody@fsa.example", "wrong password here")
        .await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "no way to tell who exists"
    );
}

async fn one_address_trying_many_accounts_waits(app: TestApp) {
    let mut browser = app.browser();
    for i in 0..30 {
        let page = browser
            .sign_in(&format!("user{i}@fsa.example"), "wrong password here")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let page = browser
        .sign_in("user99@fsa.example", "wrong password here")
        .await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "credential stuffing slowed"
    );
}

async fn second_factor_attempts_are_limited(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser.sign_in(ADMIN, PASSWORD).await;
    let form = browser.get("/login/verify").await;
    for _ in 0..3 {
        let page = browser
            .submit_form(&form, "/login/verify/totp", &[("code", "000000")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("not right"));
    }
    let code = app.next_code(ADMIN);
    app.clock.advance(Duration::seconds(-30));
    let page = browser
        .submit_form(&form, "/login/verify/totp", &[("code", &code)])
        .await;
    assert!(
        page.body.contains("Wait a little"),
        "even a right code waits"
    );
    // Keep guessing (waiting out each delay): the pending sign-in ends.
    let mut ended = false;
    for _ in 0..10 {
        // Past each doubling wait (64 s at most here), well within the
        // 15-minute life of a pending sign-in: the lock is what ends it.
        app.clock.advance(Duration::seconds(70));
        let page = browser
            .submit_form(&form, "/login/verify/totp", &[("code", "000000")])
            .await;
        if page.location() == Some("/login") {
            ended = true;
            break;
        }
    }
    assert!(ended, "the pending sign-in was ended");
    assert_eq!(
        count(&app, "auth.account_locked"),
        1,
        "by the second-factor lock"
    );
    assert_eq!(
        browser.get("/login/verify").await.location(),
        Some("/login")
    );
}

on_both_backends!(
    repeated_failures_wait_then_lock,
    unknown_accounts_throttle_the_same,
    one_address_trying_many_accounts_waits,
    second_factor_attempts_are_limited,
);
