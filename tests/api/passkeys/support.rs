//! What the passkey tests share: a portal at http://localhost:PORT (WebAuthn
//! takes a host name, never an IP address) on the harness's database and
//! clock, a software authenticator, and the ceremonies as the page's script
//! runs them.

use std::net::TcpListener;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;
use incident_portal::config::{Config, MailConfig};
use incident_portal::db::schema::{audit_events, passkeys};
use incident_portal::server;
use reqwest::StatusCode;
use serde_json::Value;
use webauthn_authenticator_rs::prelude::{RegisterPublicKeyCredential, Url, WebauthnAuthenticator};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{Browser, PASSWORD, Page, TestApp};

pub const ADMIN: &str = "admin@fsa.example";

/// The portal at http://localhost:PORT over the harness's database.
pub struct Portal {
    pub app: TestApp,
    pub base: String,
    pub origin: Url,
}

impl Portal {
    pub async fn start(app: TestApp) -> Portal {
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
            security: incident_portal::config::Security {
                key_file: Some(app.key_file.clone()),
                ..Default::default()
            },
            limits: Default::default(),
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

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub fn audited(&self, action: &str, detail: &str) -> i64 {
        let mut conn = self.app.pool.get().unwrap();
        audit_events::table
            .filter(audit_events::action.eq(action))
            .filter(audit_events::detail.eq(detail))
            .count()
            .get_result(&mut conn)
            .unwrap()
    }

    pub fn passkey_ids(&self) -> Vec<i64> {
        let mut conn = self.app.pool.get().unwrap();
        passkeys::table
            .select(passkeys::id)
            .order(passkeys::id)
            .load(&mut conn)
            .unwrap()
    }
}

/// A software authenticator with one credential for the portal.
pub struct Key {
    pub device: SoftPasskey,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
}

pub fn csrf_of(page: &Page, widget: &str) -> String {
    let selector = scraper::Selector::parse(widget).unwrap();
    let html = page.html();
    let found = html.select(&selector).next();
    let csrf = found.and_then(|w| w.value().attr("data-csrf").map(str::to_owned));
    csrf.unwrap_or_else(|| panic!("no {widget} with data-csrf in:\n{}", page.body))
}

/// Step 1 of a ceremony, as the script asks: the options as JSON.
pub async fn options(b: &mut Browser, csrf: &str, answer_path: &str) -> Value {
    let page = b
        .post(&format!("{answer_path}/options"), &[("csrf", csrf)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "options: {}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

/// Step 2: the authenticator's answer, posted as the script's form does.
pub async fn post_answer(b: &mut Browser, path: &str, csrf: &str, credential: &str) -> Page {
    b.post(path, &[("csrf", csrf), ("credential", credential)])
        .await
}

/// Creates a passkey from `page` (enrolment or the passkeys page).
pub async fn register(p: &Portal, b: &mut Browser, page: &Page, name: &str) -> (Key, Page) {
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
pub async fn admin_with_passkey(p: &Portal) -> (Browser, Key) {
    let token = p.app.setup_token();
    let mut admin = p.browser();
    let form = admin.get(&format!("/setup/{token}")).await;
    let fields = [
        ("email", ADMIN),
        ("display_name", "First Admin"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let page = admin
        .submit_form(&form, &format!("/setup/{token}"), &fields)
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

/// The authenticator's answer to these request options, as JSON.
pub fn assert_with(p: &Portal, key: &mut Key, options: Value) -> String {
    let answer = key
        .device
        .do_authentication(p.origin.clone(), serde_json::from_value(options).unwrap())
        .unwrap();
    serde_json::to_string(&answer).unwrap()
}

/// Password, then the passkey: the answer page.
pub async fn password_then_passkey(p: &Portal, b: &mut Browser, key: &mut Key) -> Page {
    let page = b.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.location(), Some("/login/verify"), "{}", page.body);
    let verify = b.get("/login/verify").await;
    let csrf = csrf_of(&verify, "#passkey-verify");
    let options = options(b, &csrf, "/login/verify/passkey").await;
    let answer = assert_with(p, key, options);
    post_answer(b, "/login/verify/passkey", &csrf, &answer).await
}

/// A passkey alone from the sign-in page. The soft authenticator keeps no
/// discoverable credentials, so the test plays that part: it names its
/// credential and returns the user handle, as a platform authenticator does.
pub async fn passkey_alone(p: &Portal, b: &mut Browser, key: &mut Key) -> (String, String) {
    let login = b.get("/login").await;
    let csrf = csrf_of(&login, "#passkey-login");
    let mut options = options(b, &csrf, "/login/passkey").await;
    assert_eq!(
        options["publicKey"]["allowCredentials"],
        serde_json::json!([])
    );
    let id = URL_SAFE_NO_PAD.encode(&key.credential_id);
    options["publicKey"]["allowCredentials"] =
        serde_json::json!([{ "type": "public-key", "id": id }]);
    let mut answer: Value = serde_json::from_str(&assert_with(p, key, options)).unwrap();
    answer["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(&key.user_handle).into();
    (csrf, answer.to_string())
}

/// A step-up with the passkey, coming back to the passkeys page.
pub async fn step_up(p: &Portal, b: &mut Browser, key: &mut Key) {
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
