//! Passkeys over HTTP with a software authenticator in the test: enrolment
//! at the end of a first sign-in, sign-in after the password and with a
//! passkey alone, the refusals (replay, forgery, another session's
//! challenge, expiry), and renaming and removing with a step-up.
//!
//! WebAuthn takes a host name, never an IP address, so each test runs a
//! second portal on the harness's database and clock whose public URL is
//! http://localhost:PORT.

pub mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::settings;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};
use support::{
    ADMIN, Portal, admin_with_passkey, assert_with, csrf_of, options, passkey_alone,
    password_then_passkey, post_answer, register, step_up,
};

async fn first_sign_in_enrols_a_passkey(app: TestApp) {
    let p = Portal::start(app).await;
    let (mut admin, _key) = admin_with_passkey(&p).await;
    assert_eq!(
        admin.get("/account").await.status,
        StatusCode::OK,
        "a full session"
    );
    let list = admin.get("/account/passkeys").await;
    assert_eq!(
        list.texts(".passkey-name"),
        ["Passkey 1"],
        "the default name"
    );
    assert_eq!(p.audited("user.factor_added", "passkey"), 1);
    // The one script, from our origin (no inline script anywhere).
    assert!(
        list.body
            .contains(r#"<script src="/static/passkey.js" defer></script>"#)
    );
    let script = admin.get("/static/passkey.js").await;
    assert_eq!(
        script.header("content-type"),
        Some("application/javascript; charset=utf-8")
    );
    assert!(script.body.contains("navigator.credentials"));
    // A second passkey: the first is excluded.
    let csrf = csrf_of(&list, "#passkey-enrol");
    let again = options(&mut admin, &csrf, "/account/passkeys/register").await;
    assert_eq!(
        again["publicKey"]["excludeCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn password_then_passkey_signs_in(app: TestApp) {
    let p = Portal::start(app).await;
    let (_admin, mut key) = admin_with_passkey(&p).await;
    let mut b = p.browser();
    let done = password_then_passkey(&p, &mut b, &mut key).await;
    assert_eq!(done.location(), Some("/"), "signed in: {}", done.body);
    assert_eq!(b.get("/account").await.status, StatusCode::OK);
    let list = b.get("/account/passkeys").await;
    assert!(!list.body.contains("Not yet"), "last use recorded");
}

async fn passkey_alone_signs_in(app: TestApp) {
    let p = Portal::start(app).await;
    let (_admin, mut key) = admin_with_passkey(&p).await;
    let mut b = p.browser();
    let (csrf, answer) = passkey_alone(&p, &mut b, &mut key).await;
    let done = post_answer(&mut b, "/login/passkey", &csrf, &answer).await;
    assert_eq!(done.location(), Some("/"), "signed in: {}", done.body);
    assert_eq!(
        b.get("/account").await.status,
        StatusCode::OK,
        "a full session at once"
    );
    assert_eq!(p.audited("auth.sign_in", "passkey"), 1);
    // The same answer again elsewhere: no ceremony, then a new challenge.
    let mut other = p.browser();
    let csrf = csrf_of(&other.get("/login").await, "#passkey-login");
    let replay = post_answer(&mut other, "/login/passkey", &csrf, &answer).await;
    assert_eq!(replay.location(), Some("/login?passkey=expired"));
    options(&mut other, &csrf, "/login/passkey").await;
    let replay = post_answer(&mut other, "/login/passkey", &csrf, &answer).await;
    assert_eq!(replay.location(), Some("/login?passkey=failed"));
    assert_eq!(
        other.get("/account").await.location(),
        Some("/login"),
        "not signed in"
    );
    assert_eq!(p.audited("auth.second_factor_failed", "passkey sign-in"), 2);
}

async fn replayed_forged_and_foreign_answers_are_refused(app: TestApp) {
    let p = Portal::start(app).await;
    let (_admin, mut key) = admin_with_passkey(&p).await;
    let mut first = p.browser();
    first.sign_in(ADMIN, PASSWORD).await;
    let csrf_first = csrf_of(&first.get("/login/verify").await, "#passkey-verify");
    let mut second = p.browser();
    second.sign_in(ADMIN, PASSWORD).await;
    let csrf_second = csrf_of(&second.get("/login/verify").await, "#passkey-verify");
    let verify = "/login/verify/passkey";

    // A challenge from another session.
    let theirs = options(&mut first, &csrf_first, verify).await;
    options(&mut second, &csrf_second, verify).await;
    let answer = assert_with(&p, &mut key, theirs);
    let done = post_answer(&mut second, verify, &csrf_second, &answer).await;
    assert_eq!(done.location(), Some("/login/verify?passkey=failed"));

    // A forged signature.
    let mine = options(&mut second, &csrf_second, verify).await;
    let mut forged: Value = serde_json::from_str(&assert_with(&p, &mut key, mine)).unwrap();
    let signature = forged["response"]["signature"].as_str().unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    forged["response"]["signature"] = URL_SAFE_NO_PAD.encode(&bytes).into();
    let done = post_answer(&mut second, verify, &csrf_second, &forged.to_string()).await;
    assert_eq!(done.location(), Some("/login/verify?passkey=failed"));

    // The genuine answer once, then replayed.
    let mine = options(&mut second, &csrf_second, verify).await;
    let answer = assert_with(&p, &mut key, mine);
    let done = post_answer(&mut second, verify, &csrf_second, &answer).await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    options(&mut first, &csrf_first, verify).await;
    let replay = post_answer(&mut first, verify, &csrf_first, &answer).await;
    assert_eq!(replay.location(), Some("/login/verify?passkey=failed"));
    assert_eq!(
        first.get("/account").await.location(),
        Some("/login/verify")
    );
    assert_eq!(p.audited("auth.second_factor_failed", "passkey"), 3);

    // Not JSON at all: a bad request, not a fault.
    let bad = post_answer(&mut first, verify, &csrf_first, "{not json").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn an_expired_ceremony_is_refused(app: TestApp) {
    let p = Portal::start(app).await;
    let (_admin, mut key) = admin_with_passkey(&p).await;
    let mut b = p.browser();
    b.sign_in(ADMIN, PASSWORD).await;
    let csrf = csrf_of(&b.get("/login/verify").await, "#passkey-verify");
    let options = options(&mut b, &csrf, "/login/verify/passkey").await;
    let answer = assert_with(&p, &mut key, options);
    p.app.clock.advance(Duration::minutes(6));
    let done = post_answer(&mut b, "/login/verify/passkey", &csrf, &answer).await;
    assert_eq!(done.location(), Some("/login/verify?passkey=expired"));

    let mut alone = p.browser();
    let (csrf, answer) = passkey_alone(&p, &mut alone, &mut key).await;
    p.app.clock.advance(Duration::minutes(6));
    let done = post_answer(&mut alone, "/login/passkey", &csrf, &answer).await;
    assert_eq!(done.location(), Some("/login?passkey=expired"));
}

async fn rename_and_remove_need_a_step_up(app: TestApp) {
    let p = Portal::start(app).await;
    let (mut admin, mut key) = admin_with_passkey(&p).await;
    let mut elsewhere = p.browser();
    let done = password_then_passkey(&p, &mut elsewhere, &mut key).await;
    assert_eq!(done.location(), Some("/"));
    let list = admin.get("/account/passkeys").await;
    let (_phone, added) = register(&p, &mut admin, &list, "Phone").await;
    assert_eq!(
        added.location(),
        Some("/account/passkeys?done=added"),
        "{}",
        added.body
    );
    assert_eq!(
        elsewhere.get("/account").await.location(),
        Some("/login"),
        "other sessions end"
    );
    let ids = p.passkey_ids();
    let page = admin.get("/account/passkeys").await;
    assert_eq!(page.texts(".passkey-name"), ["Passkey 1", "Phone"]);

    p.app.clock.advance(Duration::minutes(11));
    let rename = format!("/account/passkeys/{}/rename", ids[0]);
    let stale = admin
        .submit_form(&page, &rename, &[("name", "Laptop")])
        .await;
    assert_eq!(
        stale.location(),
        Some("/account/reauth?next=/account/passkeys")
    );
    step_up(&p, &mut admin, &mut key).await;
    assert_eq!(p.audited("auth.reauthenticated", "passkey"), 1);

    let done = admin
        .submit_form(&page, &rename, &[("name", "Laptop")])
        .await;
    assert_eq!(done.location(), Some("/account/passkeys?done=renamed"));
    let empty = admin.submit_form(&page, &rename, &[("name", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let remove = format!("/account/passkeys/{}/remove", ids[1]);
    let done = admin.submit_form(&page, &remove, &[]).await;
    assert_eq!(done.location(), Some("/account/passkeys?done=removed"));
    let page = admin.get("/account/passkeys").await;
    assert_eq!(page.texts(".passkey-name"), ["Laptop"]);
    assert_eq!(p.audited("user.factor_removed", "passkey"), 1);
}

async fn the_last_factor_cannot_be_removed(app: TestApp) {
    let p = Portal::start(app).await;
    let (mut admin, _key) = admin_with_passkey(&p).await;
    let page = admin.get("/account/passkeys").await;
    let remove = format!("/account/passkeys/{}/remove", p.passkey_ids()[0]);
    let refused = admin.submit_form(&page, &remove, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text(".error-summary").contains("only way"),
        "{}",
        refused.body
    );

    // With an authenticator app that staff may not use: still refused.
    let enrol = admin.get("/account/enrol").await;
    let secret = enrol.html();
    let selector = scraper::Selector::parse("#totp-secret").unwrap();
    let secret = secret
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("data-secret")
        .unwrap();
    let code = incident_portal::services::totp::code_at(secret, p.app.clock.now()).unwrap();
    let done = admin
        .submit_form(&enrol, "/account/enrol/totp", &[("code", &code)])
        .await;
    assert_eq!(done.location(), Some("/account"), "{}", done.body);
    let policy = |value: &str| {
        let mut conn = p.app.pool.get().unwrap();
        diesel::update(settings::table.filter(settings::key.eq("totp_staff")))
            .set(settings::value.eq(value))
            .execute(&mut conn)
            .unwrap();
    };
    policy("forbidden");
    let refused = admin.submit_form(&page, &remove, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Allowed again: the authenticator app remains, so the passkey may go.
    policy("allowed");
    let done = admin.submit_form(&page, &remove, &[]).await;
    assert_eq!(done.location(), Some("/account/passkeys?done=removed"));
    assert!(p.passkey_ids().is_empty());
}

crate::on_both_backends!(
    first_sign_in_enrols_a_passkey,
    password_then_passkey_signs_in,
    passkey_alone_signs_in,
    replayed_forged_and_foreign_answers_are_refused,
    an_expired_ceremony_is_refused,
    rename_and_remove_need_a_step_up,
    the_last_factor_cannot_be_removed,
);
