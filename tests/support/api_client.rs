//! A firm's system as the filing API sees it: a key pair (ES256 or
//! Ed25519), its public JWK, client assertions signed with it (RFC 7523),
//! an active client seeded through the services (registered by an approver,
//! confirmed by a second person), and a token got over HTTP.
//!
//! Shared by the test binaries that call the API (included with `#[path]`);
//! each uses a part of it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::db::DbPool;
use incident_portal::db::models::User;
use incident_portal::db::schema::users;
use incident_portal::domain::role::Role;
use incident_portal::services::Actor;
use incident_portal::services::api_clients::{self, Registration};
use p256::ecdsa::signature::Signer;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The token endpoint's path (its URL is the portal's address + this).
pub const TOKEN_PATH: &str = "/api/v1/token";
/// RFC 7523's assertion type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A private key a client's system keeps.
#[derive(Clone)]
pub enum TestKey {
    Es256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    /// A new P-256 key.
    pub fn es256() -> TestKey {
        loop {
            // A random scalar is valid but for a chance of about 2^-128.
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&random_bytes()) {
                return TestKey::Es256(key);
            }
        }
    }

    /// A new Ed25519 key.
    pub fn ed25519() -> TestKey {
        TestKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&random_bytes()))
    }

    /// The JWS `alg` it signs with.
    pub fn alg(&self) -> &'static str {
        match self {
            TestKey::Es256(_) => "ES256",
            TestKey::Ed25519(_) => "EdDSA",
        }
    }

    /// The public key as a JWK (what an approver pastes).
    pub fn public_jwk(&self) -> serde_json::Value {
        match self {
            TestKey::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                serde_json::json!({
                    "kty": "EC", "crv": "P-256",
                    "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
                })
            }
            TestKey::Ed25519(key) => serde_json::json!({
                "kty": "OKP", "crv": "Ed25519",
                "x": b64(key.verifying_key().as_bytes()),
            }),
        }
    }

    /// The private key as a JWK (what must never be pasted).
    pub fn private_jwk(&self) -> serde_json::Value {
        let mut jwk = self.public_jwk();
        let d = match self {
            TestKey::Es256(key) => b64(&key.to_bytes()),
            TestKey::Ed25519(key) => b64(key.as_bytes()),
        };
        jwk["d"] = serde_json::Value::String(d);
        jwk
    }

    /// The RFC 7638 thumbprint, worked out here on its own: the portal's
    /// `kid` for this key.
    pub fn kid(&self) -> String {
        let jwk = self.public_jwk();
        let canonical = match self {
            TestKey::Es256(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
                jwk["x"], jwk["y"]
            ),
            TestKey::Ed25519(_) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":{}}}"#, jwk["x"]),
        };
        b64(&Sha256::digest(canonical.as_bytes()))
    }

    /// A compact JWS of `claims` under `header`, signed with this key.
    pub fn sign(&self, header: &serde_json::Value, claims: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = match self {
            TestKey::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
            TestKey::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(input.as_bytes()).to_bytes().to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }

    /// The claims of an assertion: `iss` = `sub` = `client_id`, `aud`,
    /// `jti`, `iat` = `now`, `exp` = `now` + `exp_in_secs`.
    pub fn claims(
        now: NaiveDateTime,
        client_id: &str,
        aud: &str,
        jti: &str,
        exp_in_secs: i64,
    ) -> serde_json::Value {
        let now = now.and_utc().timestamp();
        serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
            "iat": now, "exp": now + exp_in_secs,
        })
    }

    /// A client assertion as a client's system makes it, at the portal's
    /// `now` (tests run on a clock of their own), with this key's `kid`.
    pub fn assertion(
        &self,
        now: NaiveDateTime,
        client_id: &str,
        aud: &str,
        jti: &str,
        exp_in_secs: i64,
    ) -> String {
        let header = serde_json::json!({"alg": self.alg(), "typ": "JWT", "kid": self.kid()});
        self.sign(
            &header,
            &TestKey::claims(now, client_id, aud, jti, exp_in_secs),
        )
    }
}

/// The token endpoint's URL for a portal at `address` (its public URL).
pub fn token_url(address: &str) -> String {
    format!("{address}{TOKEN_PATH}")
}

fn user(pool: &DbPool, id: i64) -> User {
    let mut conn = pool.get().unwrap();
    incident_portal::services::accounts::get_user(&mut conn, id)
        .unwrap()
        .unwrap()
}

/// Active approvers of `firm` who have signed up, oldest first.
fn approvers(pool: &DbPool, firm: i64) -> Vec<i64> {
    let mut conn = pool.get().unwrap();
    users::table
        .filter(users::firm_id.eq(firm))
        .filter(users::role.eq(Role::Approver))
        .filter(users::active.eq(true))
        .filter(users::password_hash.is_not_null())
        .order(users::id.asc())
        .select(users::id)
        .load(&mut conn)
        .unwrap()
}

fn an_admin(pool: &DbPool) -> i64 {
    let mut conn = pool.get().unwrap();
    users::table
        .filter(users::role.eq(Role::Admin))
        .order(users::id.asc())
        .select(users::id)
        .first(&mut conn)
        .unwrap()
}

/// Registers a client for `firm` through the services, as its first
/// approver would, with `key`: still pending. Its row id and client id.
pub fn register_firm_client(
    pool: &DbPool,
    now: NaiveDateTime,
    firm: i64,
    name: &str,
    key: &TestKey,
) -> (i64, String) {
    let registrant = user(pool, *approvers(pool, firm).first().expect("an approver"));
    let mut conn = pool.get().unwrap();
    let jwk = key.public_jwk().to_string();
    let registered = api_clients::register(
        &mut conn,
        &Actor::system("test"),
        &registrant,
        &Registration {
            name,
            public_jwk: &jwk,
        },
        now,
    )
    .unwrap()
    .unwrap();
    (registered.id, registered.client_id)
}

/// An ACTIVE client of `firm`: registered by its first approver,
/// confirmed by its second (or, with only one, by an admin). Its client
/// id, and the key it signs with.
pub fn seed_firm_client(
    pool: &DbPool,
    now: NaiveDateTime,
    firm: i64,
    key: TestKey,
) -> (String, TestKey) {
    let (id, client_id) = register_firm_client(pool, now, firm, "Filing system", &key);
    let confirmer = match approvers(pool, firm).get(1) {
        Some(second) => *second,
        None => an_admin(pool),
    };
    let confirmer = user(pool, confirmer);
    let mut conn = pool.get().unwrap();
    api_clients::confirm(&mut conn, &Actor::system("test"), &confirmer, id, now).unwrap();
    (client_id, key)
}

/// An ACTIVE regulator (staff) client: registered by the first admin,
/// confirmed by another admin (with a single admin it is active at once).
/// Its client id, and the key it signs with.
pub fn seed_staff_client(pool: &DbPool, now: NaiveDateTime, key: TestKey) -> (String, TestKey) {
    let admins: Vec<i64> = {
        let mut conn = pool.get().unwrap();
        users::table
            .filter(users::role.eq(Role::Admin))
            .filter(users::active.eq(true))
            .filter(users::password_hash.is_not_null())
            .order(users::id.asc())
            .select(users::id)
            .load(&mut conn)
            .unwrap()
    };
    let registrant = user(pool, admins[0]);
    let mut conn = pool.get().unwrap();
    let jwk = key.public_jwk().to_string();
    let registered = api_clients::register(
        &mut conn,
        &Actor::system("test"),
        &registrant,
        &Registration {
            name: "Statistics reader",
            public_jwk: &jwk,
        },
        now,
    )
    .unwrap()
    .unwrap();
    if let Some(second) = admins.get(1) {
        let confirmer = user(pool, *second);
        api_clients::confirm(
            &mut conn,
            &Actor::system("test"),
            &confirmer,
            registered.id,
            now,
        )
        .unwrap();
    }
    (registered.client_id, key)
}

/// POSTs a token request with `assertion` (and `scope`) to the portal at
/// `address`: the raw response.
pub async fn request_token(
    address: &str,
    assertion: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    reqwest::Client::new()
        .post(token_url(address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A response's body as JSON (`Null` when it is not JSON).
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A token for `client_id` over HTTP, with a fresh jti (panics unless
/// granted).
pub async fn get_token(
    address: &str,
    now: NaiveDateTime,
    client_id: &str,
    key: &TestKey,
    scope: Option<&str>,
) -> String {
    let jti = b64(&random_bytes());
    let assertion = key.assertion(now, client_id, &token_url(address), &jti, 120);
    let response = request_token(address, &assertion, scope).await;
    let status = response.status();
    let body = json(response).await;
    assert_eq!(status, reqwest::StatusCode::OK, "token refused: {body}");
    body["access_token"].as_str().unwrap().to_owned()
}
