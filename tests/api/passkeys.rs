//! Passkeys over HTTP with a software authenticator in the test: enrolment
//! at the end of a first sign-in, sign-in after the password and with a
//! passkey alone, the refusals (replay, forgery, another session's
//! challenge, expiry), and renaming and removing with a step-up.
//!
//! WebAuthn takes a host name, never an IP address, so each test runs a
//! second portal on the harness's database and clock whose public URL is
//! http://localhost:PORT.

use std::net::TcpListener;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use diesel::prelude::*;
use incident_portal::config::{Config, MailConfig};
use incident_portal::db::schema::{audit_events, passkeys, settings};
use incident_portal::server;
use reqwest::StatusCode;
use serde_json::Value;
use webauthn_authenticator_rs::prelude::{RegisterPublicKeyCredential, Url, WebauthnAuthenticator};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{Browser, PASSWORD, Page, TestApp};

const ADMIN: &str = "admin@fsa.example";

/// The portal at http://localhost:PORT over the harness's database.
struct Portal {
    app: TestApp,
    base: String,
    origin: Url,
}

impl Portal {
    async fn start(app: TestApp) -> Portal {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let public_url = format!("http://localhost:{port}");
        let config = Config {
            database_url: app.db_url.clone(),
            bind: format!("127.0.0.1:{port}"),
            public_url: public_url.clone(),
            data_dir: std::env::temp_dir(),
            pool_size: 4,
            workers: 1,
            mail: MailConfig::Memory(Default::default()),
            mail_worker: false,
        };
        let server = server::start(
            Arc::new(config),
            app.pool.clone(),
            app.clock.clone(),
            listener,
        );
        actix_web::rt::spawn(server.unwrap());
        let origin = Url::parse(&public_url).unwrap();
        Portal {
            app,
            base: format!("http://127.0.0.1:{port}"),
            origin,
        }
    }

    fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    fn audited(&self, action: &str, detail: &str) -> i64 {
        let mut conn = self.app.pool.get().unwrap();
        audit_events::table
            .filter(audit_events::action.eq(action))
            .filter(audit_events::detail.eq(detail))
            .count()
            .get_result(&mut conn)
            .unwrap()
    }

    fn passkey_ids(&self) -> Vec<i64> {
        let mut conn = self.app.pool.get().unwrap();
        passkeys::table
            .select(passkeys::id)
            .order(passkeys::id)
            .load(&mut conn)
            .unwrap()
    }
}

/// A software authenticator with one credential for the portal.
struct Key {
    device: SoftPasskey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
}

fn csrf_of(page: &Page, widget: &str) -> String {
    let selector = scraper::Selector::parse(widget).unwrap();
    let html = page.html();
    let found = html.select(&selector).next();
    let csrf = found.and_then(|w| w.value().attr("data-csrf").map(str::to_owned));
    csrf.unwrap_or_else(|| panic!("no {widget} with data-csrf in:\n{}", page.body))
}

/// Step 1 of a ceremony, as the script asks: the options as JSON.
async fn options(b: &mut Browser, csrf: &str, answer_path: &str) -> Value {
    let page = b
        .post(&format!("{answer_path}/options"), &[("csrf", csrf)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "options: {}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// Creates a passkey from `page` (enrolment or the passkeys page).
async fn register(p: &Portal, b: &mut Browser, page: &Page, name: &str) -> (Key, Page) {
    let csrf = csrf_of(page, "#passkey-enrol");
    let options = options(b, &csrf, "/account/passkeys/register").await;
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(selection["residentKey"], "preferred");
    let mut device = SoftPasskey::new(true);
    let answer: RegisterPublicKeyCredential = device
        .do_registration(
            p.origin.clone(),
            serde_json::from_value(options.clone()).unwrap(),
        )
        .unwrap();
    let user_handle = URL_SAFE_NO_PAD.decode(options["publicKey"]["user"]["id"].as_str().unwrap());
    let key = Key {
        device,
        credential_id: answer.raw_id.clone(),
        user_handle: user_handle.unwrap(),
    };
    let json = serde_json::to_string(&answer).unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("credential", &json),
        ("name", name),
    ];
    let done = b.post("/account/passkeys/register", &fields).await;
    (key, done)
}

/// The first admin through the setup link, enrolling a passkey.
async fn admin_with_passkey(p: &Portal) -> (Browser, Key) {
    let token = p.app.setup_token();
    let mut admin = p.browser();
    let form = admin.get(&format!("/setup/{token}")).await;
    let fields = [
        ("email", ADMIN),
        ("display_name", "First Admin"),
        ("password", PASSWORD),
    ];
    let page = admin
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                fields[0],
                fields[1],
                fields[2],
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.location(), Some("/account/enrol"), "{}", page.body);
    let enrol = admin.get("/account/enrol").await;
    let (key, done) = register(p, &mut admin, &enrol, "").await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "passkey enrolled: {}",
        done.body
    );
    assert_eq!(
        done.texts(".recovery-code").len(),
        10,
        "recovery codes shown once"
    );
    (admin, key)
}

/// Signs `answer`'s challenge source: the authenticator's assertion.
fn assert_with(p: &Portal, key: &mut Key, options: Value) -> String {
    let answer = key
        .device
        .do_authentication(p.origin.clone(), serde_json::from_value(options).unwrap())
        .unwrap();
    serde_json::to_string(&answer).unwrap()
}

/// Password, then the passkey: the answer page.
async fn password_then_passkey(p: &Portal, b: &mut Browser, key: &mut Key) -> Page {
    let page = b.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.location(), Some("/login/verify"), "{}", page.body);
    let verify = b.get("/login/verify").await;
    let csrf = csrf_of(&verify, "#passkey-verify");
    let options = options(b, &csrf, "/login/verify/passkey").await;
    let answer = assert_with(p, key, options);
    b.post(
        "/login/verify/passkey",
        &[("csrf", &csrf), ("credential", &answer)],
    )
    .await
}

/// A passkey alone from the sign-in page. The soft authenticator keeps no
/// discoverable credentials, so the test plays that part: it names its
/// credential and returns the user handle, as a platform authenticator does.
async fn passkey_alone(p: &Portal, b: &mut Browser, key: &mut Key) -> (String, String) {
    let login = b.get("/login").await;
    let csrf = csrf_of(&login, "#passkey-login");
    let mut options = options(b, &csrf, "/login/passkey").await;
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        serde_json::json!([])
    );
    options["publicKey"]["allowCredentials"] = serde_json::json!([{ "type": "public-key", "id": URL_SAFE_NO_PAD.encode(&key.credential_id) }]);
    let mut answer: Value = serde_json::from_str(&assert_with(p, key, options)).unwrap();
    answer["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(&key.user_handle).into();
    (csrf, answer.to_string())
}

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
    let done = b
        .post(
            "/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
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
    let replay = other
        .post(
            "/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(replay.location(), Some("/login?passkey=expired"));
    options(&mut other, &csrf, "/login/passkey").await;
    let replay = other
        .post(
            "/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
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
    let done = second
        .post(verify, &[("csrf", &csrf_second), ("credential", &answer)])
        .await;
    assert_eq!(done.location(), Some("/login/verify?passkey=failed"));

    // A forged signature.
    let mine = options(&mut second, &csrf_second, verify).await;
    let mut forged: Value = serde_json::from_str(&assert_with(&p, &mut key, mine)).unwrap();
    let signature = forged["response"]["signature"].as_str().unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    forged["response"]["signature"] = URL_SAFE_NO_PAD.encode(&bytes).into();
    let fields = [
        ("csrf", csrf_second.as_str()),
        ("credential", &forged.to_string()),
    ];
    let done = second.post(verify, &fields).await;
    assert_eq!(done.location(), Some("/login/verify?passkey=failed"));

    // The genuine answer once, then replayed.
    let mine = options(&mut second, &csrf_second, verify).await;
    let answer = assert_with(&p, &mut key, mine);
    let done = second
        .post(verify, &[("csrf", &csrf_second), ("credential", &answer)])
        .await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);
    options(&mut first, &csrf_first, verify).await;
    let replay = first
        .post(verify, &[("csrf", &csrf_first), ("credential", &answer)])
        .await;
    assert_eq!(replay.location(), Some("/login/verify?passkey=failed"));
    assert_eq!(
        first.get("/account").await.location(),
        Some("/login/verify")
    );
    assert_eq!(p.audited("auth.second_factor_failed", "passkey"), 3);

    // Not JSON at all: a bad request, not a fault.
    let bad = first
        .post(
            verify,
            &[("csrf", &csrf_first), ("credential", "{not json")],
        )
        .await;
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
    let done = b
        .post(
            "/login/verify/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(done.location(), Some("/login/verify?passkey=expired"));

    let mut alone = p.browser();
    let (csrf, answer) = passkey_alone(&p, &mut alone, &mut key).await;
    p.app.clock.advance(Duration::minutes(6));
    let done = alone
        .post(
            "/login/passkey",
            &[("csrf", &csrf), ("credential", &answer)],
        )
        .await;
    assert_eq!(done.location(), Some("/login?passkey=expired"));
}

/// A step-up with the passkey, coming back to the passkeys page.
async fn step_up(p: &Portal, b: &mut Browser, key: &mut Key) {
    let page = b.get("/account/reauth?next=/account/passkeys").await;
    let csrf = csrf_of(&page, "#passkey-reauth");
    let options = options(b, &csrf, "/account/reauth/passkey").await;
    let answer = assert_with(p, key, options);
    let fields = [
        ("csrf", csrf.as_str()),
        ("credential", &answer),
        ("next", "/account/passkeys"),
    ];
    let done = b.post("/account/reauth/passkey", &fields).await;
    assert_eq!(done.location(), Some("/account/passkeys"), "{}", done.body);
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
