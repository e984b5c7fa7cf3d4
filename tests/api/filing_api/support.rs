//! An API client as a firm's or the regulator's system would be one: its
//! token, and requests with it.

use diesel::prelude::*;
use incident_portal::db::models::User;
use incident_portal::db::schema::users;
use incident_portal::domain::Role;
use incident_portal::services::Actor;
use incident_portal::services::api_clients::{self, Registration};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_support::{TestKey, get_token, seed_firm_client};
use crate::helpers::TestApp;

/// A client with a live token.
pub struct ApiClient {
    pub base: String,
    pub id: String,
    pub token: String,
    pub key: TestKey,
    language: &'static str,
}

/// One answer: status, the media type, the body as text and as JSON.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub json: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        headers,
        body,
        json,
    }
}

impl ApiClient {
    pub fn with_language(&self, language: &'static str) -> ApiClient {
        ApiClient {
            base: self.base.clone(),
            id: self.id.clone(),
            token: self.token.clone(),
            key: self.key.clone(),
            language,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Accept-Language", self.language)
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Any request with a body of `kind` and an `Idempotency-Key`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: &str,
        kind: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut request = self.request(method, path).header("Idempotency-Key", key);
        if let Some(kind) = kind {
            request = request.header("Content-Type", kind);
        }
        answer(request.body(body).send().await.unwrap()).await
    }

    pub async fn put_json(&self, path: &str, key: &str, body: &Value) -> Answer {
        self.send(
            "put",
            path,
            key,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// A JSON body by `method`, naming `if_match` when given.
    pub async fn json_if_match(
        &self,
        method: &str,
        path: &str,
        key: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut request = self
            .request(method, path)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json");
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        answer(request.body(body.to_string()).send().await.unwrap()).await
    }

    /// The same client with a new token got at `now` (after the clock
    /// moved past the old one's life).
    pub async fn renewed(&self, now: chrono::NaiveDateTime) -> ApiClient {
        ApiClient {
            token: get_token(&self.base, now, &self.id, &self.key, None).await,
            ..self.with_language(self.language)
        }
    }

    /// A POST with no body, naming `if_match` when given.
    pub async fn post(&self, path: &str, key: &str, if_match: Option<&str>) -> Answer {
        let mut request = self
            .request(reqwest::Method::POST, path)
            .header("Idempotency-Key", key);
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        answer(request.send().await.unwrap()).await
    }
}

/// An active client of `firm` (registered by its first approver), with a
/// token for every scope it may have.
pub async fn firm_client(app: &TestApp, firm: i64) -> ApiClient {
    let now = app.clock.now();
    let (id, key) = seed_firm_client(&app.pool, now, firm, TestKey::es256());
    let token = get_token(&app.address, now, &id, &key, None).await;
    ApiClient {
        base: app.address.clone(),
        id,
        token,
        key,
        language: "en",
    }
}

/// The regulator's client, registered by the portal's only admin (which
/// takes effect at once), with a `stats:read` token.
pub async fn staff_client(app: &TestApp) -> ApiClient {
    let now = app.clock.now();
    let key = TestKey::ed25519();
    let admin: User = {
        let mut conn = app.pool.get().unwrap();
        users::table
            .filter(users::role.eq(Role::Admin))
            .select(User::as_select())
            .first(&mut conn)
            .unwrap()
    };
    let jwk = key.public_jwk().to_string();
    let registered = {
        let mut conn = app.pool.get().unwrap();
        api_clients::register(
            &mut conn,
            &Actor::system("test"),
            &admin,
            &Registration {
                name: "Analytics",
                public_jwk: &jwk,
            },
            now,
        )
        .unwrap()
        .unwrap()
    };
    let token = get_token(&app.address, now, &registered.client_id, &key, None).await;
    ApiClient {
        base: app.address.clone(),
        id: registered.client_id,
        token,
        key,
        language: "en",
    }
}

/// A whole return that meets every rule (April 2025): 12 accesses, 800 yen
/// bought at home, nothing unusual.
pub fn complete_document() -> Value {
    let done = json!({"status": "done"});
    json!({
        "figures": {
            "unauthorized_accesses": 12,
            "affected_accounts": 10,
            "fraudulent_trades": 3,
            "sale_amount": 900,
            "purchase_amount": 800
        },
        "purchase_by_market": {"domestic": 800, "china_hk": 0, "us": 0, "other": 0},
        "vectors": {"phishing": 12, "credential_stuffing": 0, "malware": 0, "sim_swap": 0, "insider": 0, "unknown": 0},
        "detection": {"customer_enquiry": 2, "own_monitoring": 1, "other": 0},
        "losses": {
            "customer_losses": 0,
            "compensation_paid": 0,
            "accounts_compensated": 0,
            "compensation_policy": "considering"
        },
        "remediation": {
            "checklist": {
                "mfa_mandatory": done, "passkeys_offered": done, "login_notifications": done,
                "trading_restrictions": done, "accounts_frozen": done, "passwords_reset": done,
                "takedown_requested": done, "police_notified": done, "customers_notified": done
            },
            "narrative": "Passkeys offered to every customer."
        },
        "contact": {"name": "Hanako Sato", "phone": "+81 3-1234-5678", "email": "compliance@alpha.example"}
    })
}
