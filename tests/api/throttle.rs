//! Throttling and lockout, kept in the database: per account typed, per
//! client address, per second-factor sign-in, per step-up. Attempts are
//! reserved before they are evaluated, so parallel guesses cannot pass the
//! limit; refusals are counted, not written one audit row each.

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
    let retry: i64 = page.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "a 429 says how long to wait");
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

/// Audit rows of `action` and their details.
fn details(app: &TestApp, action: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap()
}

/// `n` sign-ins with `password` for `email`, all at once, each from a
/// browser of its own; their statuses.
async fn parallel_sign_ins(app: &TestApp, email: &str, password: &str, n: usize) -> Vec<u16> {
    let mut ready = Vec::new();
    for _ in 0..n {
        let mut browser = app.browser();
        let form = browser.get("/login").await;
        ready.push((browser, form));
    }
    let attempts = ready.into_iter().map(|(mut browser, form)| async move {
        let page = browser
            .submit_form(&form, "/login", &[("email", email), ("password", password)])
            .await;
        page.status.as_u16()
    });
    futures_util::future::join_all(attempts).await
}

fn tally(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn parallel_wrong_passwords_evaluate_at_most_the_allowed(app: TestApp) {
    let _admin = app.setup_admin().await;
    for (round, n) in [(1, 30), (2, 100)] {
        let before = count(&app, "auth.sign_in_failed");
        let statuses = parallel_sign_ins(&app, ADMIN, "wrong password here", n).await;
        let evaluated = count(&app, "auth.sign_in_failed") - before;
        assert!(
            (1..=3).contains(&evaluated),
            "round {round}: {evaluated} of {n} parallel guesses were evaluated: {statuses:?}"
        );
        assert_eq!(tally(&statuses, 401), usize::try_from(evaluated).unwrap());
        assert_eq!(
            tally(&statuses, 401) + tally(&statuses, 429) + tally(&statuses, 503),
            n,
            "refused, never an error: {statuses:?}"
        );
        // Refusals are counted, not written one by one.
        assert!(
            count(&app, "auth.sign_in_throttled") <= round,
            "one throttle row per key and minute"
        );
        // Past the waits (and the memory of failures) for the next round.
        app.clock.advance(Duration::hours(25));
    }
    let rows = details(&app, "auth.sign_in_throttled");
    assert!(rows.iter().any(|d| d.contains("refused since")), "{rows:?}");
    // The right password still works once the wait is over.
    let page = app.browser().sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.location(), Some("/login/verify"));
}

async fn a_throttled_flood_writes_few_audit_rows(app: TestApp) {
    let mut browser = app.browser();
    for _ in 0..3 {
        browser
            .sign_in("nobody@fsa.example", "wrong password")
            .await;
    }
    for minute in 0..3 {
        for _ in 0..40 {
            let page = browser
                .sign_in("nobody@fsa.example", "wrong password")
                .await;
            assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        }
        if minute < 2 {
            app.clock.advance(Duration::seconds(61));
            // Still waiting: failures keep their place in the doubling.
            let mut conn = app.pool.get().unwrap();
            use incident_portal::db::schema::auth_throttle;
            diesel::update(auth_throttle::table)
                .set(auth_throttle::last_failure_at.eq(app.clock.now()))
                .execute(&mut conn)
                .unwrap();
        }
    }
    let rows = details(&app, "auth.sign_in_throttled");
    assert_eq!(
        rows.len(),
        3,
        "one row per minute for 120 refusals: {rows:?}"
    );
    assert!(rows[1].contains(": 40 refused since"), "{rows:?}");
    assert!(
        rows.iter().all(|d| !d.contains("nobody@fsa.example")),
        "an unknown email is not kept verbatim: {rows:?}"
    );
}

async fn parallel_wrong_codes_evaluate_at_most_the_allowed(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser.sign_in(ADMIN, PASSWORD).await;
    let form = browser.get("/login/verify").await;
    let attempts = (0..40).map(|_| {
        let mut tab = app.browser();
        tab.cookies = browser.cookies.clone();
        let form = &form;
        async move {
            tab.submit_form(form, "/login/verify/totp", &[("code", "000000")])
                .await
                .status
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let evaluated = count(&app, "auth.second_factor_failed");
    assert!(
        (1..=3).contains(&evaluated),
        "{evaluated} of 40 parallel codes were evaluated: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 422), "{statuses:?}");
}

async fn the_password_recheck_is_throttled(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = admin.get("/account/reauth?next=/account/enrol").await;
    for _ in 0..3 {
        let page = admin
            .submit_form(
                &form,
                "/account/reauth",
                &[("password", "wrong password!"), ("code", "000000")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let evaluated = count(&app, "auth.second_factor_failed");
    let page = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", "wrong password!"), ("code", "000000")],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    let code = app.next_code(ADMIN);
    app.clock.advance(Duration::seconds(-30));
    let page = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right pair waits"
    );
    assert_eq!(count(&app, "auth.second_factor_failed"), evaluated);
    assert_eq!(count(&app, "auth.reauthenticated"), 0);
    app.clock.advance(Duration::seconds(40));
    let code = app.next_code(ADMIN);
    let page = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(page.location(), Some("/account/enrol"), "after the wait");
}

async fn the_recheck_next_is_a_local_path(app: TestApp) {
    let mut admin = app.setup_admin().await;
    for hostile in [
        "/account%0Aevil",
        "/account%09x",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
    ] {
        let page = admin.get(&format!("/account/reauth?next={hostile}")).await;
        assert_eq!(page.status, StatusCode::OK, "{hostile}");
        assert_eq!(
            page.input_value("next").as_deref(),
            Some("/account"),
            "{hostile} replaced by the default"
        );
    }
    let form = admin.get("/account/reauth").await;
    for hostile in ["/account\nX-Evil: 1", "/account\tx", "//evil.example"] {
        app.clock.advance(Duration::minutes(1));
        let code = app.next_code(ADMIN);
        let page = admin
            .submit_form(
                &form,
                "/account/reauth",
                &[("password", PASSWORD), ("code", &code), ("next", hostile)],
            )
            .await;
        assert_eq!(page.location(), Some("/account"), "{hostile:?}");
    }
}

async fn an_unknown_typed_email_is_kept_hashed(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser.sign_in("Secret-Passw0rd!", "x").await;
    browser.sign_in(ADMIN, "wrong password here").await;
    let rows = details(&app, "auth.sign_in_failed");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("unknown:"), "{rows:?}");
    assert!(
        !rows[0].to_lowercase().contains("secret-passw0rd"),
        "{rows:?}"
    );
    assert_eq!(rows[1], ADMIN, "an account's own email is kept");
    // The same string hashes the same (rows can still be matched).
    browser.sign_in("secret-passw0rd!", "x").await;
    let rows = details(&app, "auth.sign_in_failed");
    assert_eq!(rows[2], rows[0]);
}

on_both_backends!(
    parallel_wrong_passwords_evaluate_at_most_the_allowed,
    a_throttled_flood_writes_few_audit_rows,
    parallel_wrong_codes_evaluate_at_most_the_allowed,
    the_password_recheck_is_throttled,
    the_recheck_next_is_a_local_path,
    an_unknown_typed_email_is_kept_hashed,
    repeated_failures_wait_then_lock,
    unknown_accounts_throttle_the_same,
    one_address_trying_many_accounts_waits,
    second_factor_attempts_are_limited,
);
