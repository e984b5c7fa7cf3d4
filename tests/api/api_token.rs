//! The token endpoint (client credentials with a `private_key_jwt`
//! assertion) and the bearer tokens it grants: granted for a valid
//! assertion (ES256, Ed25519), refused for everything else — wrong
//! audience, expired, too long-lived, replayed (also twice at once),
//! unknown or retired key, `alg: none`, HS256 keyed with the public key,
//! unconfirmed or suspended client; throttled; a suspended client's and a
//! retired key's tokens stop at once, an expired token is refused, and a
//! session cookie is never a credential.

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::{api_clients, audit_events};
use incident_portal::services::api_tokens::{self, ErrorCode, TokenRequest};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE, RETRY_AFTER, WWW_AUTHENTICATE};

use crate::api_support::{
    JWT_BEARER, TestKey, get_token, json, register_firm_client, request_token, seed_firm_client,
    token_url,
};
use crate::helpers::TestApp;
use crate::on_both_backends;

/// `GET /api/v1/whoami` with `token`: status, `WWW-Authenticate`, body.
pub async fn whoami(app: &TestApp, token: &str) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/whoami", app.address))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = json(response).await;
    (status, challenge, body)
}

/// The answer to a token request: status and JSON body.
async fn ask(app: &TestApp, assertion: &str) -> (StatusCode, serde_json::Value) {
    let response = request_token(&app.address, assertion, None).await;
    (response.status(), json(response).await)
}

/// A firm (one approver, one reporter) with an active client signing
/// with `key`: the firm's id and the client id.
async fn firm_with_client(app: &TestApp, key: TestKey) -> (i64, String, TestKey) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let (client_id, key) = seed_firm_client(&app.pool, app.clock.now(), firm.id, key);
    (firm.id, client_id, key)
}

async fn a_valid_assertion_gets_a_token_with_es256_and_with_ed25519(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let now = app.clock.now();
    for key in [TestKey::es256(), TestKey::ed25519()] {
        let alg = key.alg();
        let (client_id, key) = seed_firm_client(&app.pool, now, firm.id, key);
        let assertion = key.assertion(now, &client_id, &token_url(&app.address), "jti-1", 120);
        let response = request_token(&app.address, &assertion, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{alg}");
        assert_eq!(
            response.headers().get(CACHE_CONTROL).unwrap(),
            "no-store",
            "{alg}"
        );
        let body = json(response).await;
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 600);
        assert_eq!(
            body["scope"],
            "returns:read returns:draft incidents:read incidents:report"
        );
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(token.len(), 43, "256 random bits");
        let (status, _, who) = whoami(&app, token).await;
        assert_eq!(status, StatusCode::OK, "{alg}: {who}");
        assert_eq!(who["client_id"], client_id.as_str());
        assert_eq!(who["firm_id"], firm.id);
        assert_eq!(
            who["scopes"],
            serde_json::json!([
                "returns:read",
                "returns:draft",
                "incidents:read",
                "incidents:report"
            ])
        );
    }
    // The grant is audited in the client's name, for the approver it acts for.
    let mut conn = app.pool.get().unwrap();
    let issued: Vec<(String, Option<i64>)> = audit_events::table
        .filter(audit_events::action.eq("api.token_issued"))
        .select((audit_events::actor, audit_events::actor_user_id))
        .load(&mut conn)
        .unwrap();
    assert_eq!(issued.len(), 2);
    assert!(
        issued
            .iter()
            .all(|(actor, user)| actor.starts_with("api-client:pc_") && user.is_some())
    );
    // Only the token's hash is stored.
    let stored: Vec<String> = incident_portal::db::schema::api_tokens::table
        .select(incident_portal::db::schema::api_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 64));
}

async fn assertions_out_of_line_are_refused(app: TestApp) {
    let (_, client_id, key) = firm_with_client(&app, TestKey::es256()).await;
    let now = app.clock.now();
    let aud = token_url(&app.address);
    let refused = |description: &str| serde_json::json!({"error": "invalid_client", "error_description": description});
    // A wrong audience (another server's token URL).
    let wrong_aud = key.assertion(
        now,
        &client_id,
        "https://other.example/api/v1/token",
        "a",
        120,
    );
    assert_eq!(
        ask(&app, &wrong_aud).await,
        (
            StatusCode::UNAUTHORIZED,
            refused("The assertion's aud must be this token endpoint's URL.")
        )
    );
    // Expired, and valid for too long.
    let expired = key.assertion(now - Duration::minutes(3), &client_id, &aud, "b", 120);
    assert_eq!(
        ask(&app, &expired).await.1["error_description"],
        "The assertion has expired (or has no exp)."
    );
    let too_long = key.assertion(now, &client_id, &aud, "c", 600);
    assert_eq!(
        ask(&app, &too_long).await.1["error_description"],
        "The assertion's exp may be at most 5 minutes ahead."
    );
    // `alg: none`, and HS256 keyed with the public key as the secret.
    let claims = TestKey::claims(now, &client_id, &aud, "d", 120);
    let unsigned = format!(
        "{}.{}.",
        base64_url(&serde_json::json!({"alg": "none"}).to_string()),
        base64_url(&claims.to_string())
    );
    assert_eq!(ask(&app, &unsigned).await.0, StatusCode::UNAUTHORIZED);
    let public = key.public_jwk().to_string();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        ask(&app, &hs256).await,
        (
            StatusCode::UNAUTHORIZED,
            refused("The client assertion must be signed with ES256 or EdDSA.")
        )
    );
    // Signed with a key the client does not have, with and without a kid.
    let stranger = TestKey::es256();
    let unknown_kid = stranger.assertion(now, &client_id, &aud, "e", 120);
    let no_kid = stranger.sign(
        &serde_json::json!({"alg": "ES256"}),
        &TestKey::claims(now, &client_id, &aud, "f", 120),
    );
    for forged in [unknown_kid, no_kid] {
        assert_eq!(
            ask(&app, &forged).await,
            (
                StatusCode::UNAUTHORIZED,
                refused("The client assertion could not be verified.")
            )
        );
    }
    // The client's own key without a kid is found among its keys.
    let own_no_kid = key.sign(
        &serde_json::json!({"alg": "ES256"}),
        &TestKey::claims(now, &client_id, &aud, "g", 120),
    );
    assert_eq!(ask(&app, &own_no_kid).await.0, StatusCode::OK);
    // A replay of an assertion already used.
    let once = key.assertion(now, &client_id, &aud, "h", 120);
    assert_eq!(ask(&app, &once).await.0, StatusCode::OK);
    assert_eq!(
        ask(&app, &once).await,
        (
            StatusCode::UNAUTHORIZED,
            refused("This assertion (its jti) has already been used.")
        )
    );
    // The form itself.
    let post = |form: Vec<(&'static str, String)>| {
        let url = token_url(&app.address);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, json(response).await)
        }
    };
    let (status, body) = post(vec![("client_assertion", once.clone())]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, body) = post(vec![
        ("grant_type", "password".into()),
        ("client_assertion_type", JWT_BEARER.into()),
        ("client_assertion", once.clone()),
    ])
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let fresh = key.assertion(now, &client_id, &aud, "i", 120);
    let (status, body) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_assertion_type", JWT_BEARER.into()),
        ("client_assertion", fresh.clone()),
        ("scope", "stats:read".into()),
    ])
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let (status, body) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_assertion_type", JWT_BEARER.into()),
        ("client_assertion", fresh),
        ("scope", "returns:read".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "returns:read");
    let (_, _, who) = whoami(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(who["scopes"], serde_json::json!(["returns:read"]));
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

async fn the_same_jti_twice_at_once_gets_one_token(app: TestApp) {
    let (_, client_id, key) = firm_with_client(&app, TestKey::ed25519()).await;
    let now = app.clock.now();
    for round in 0..4 {
        let assertion = key.assertion(
            now,
            &client_id,
            &token_url(&app.address),
            &format!("twice-{round}"),
            120,
        );
        let (a, b) = tokio::join!(
            request_token(&app.address, &assertion, None),
            request_token(&app.address, &assertion, None)
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNAUTHORIZED],
            "round {round}"
        );
    }
}

async fn an_unconfirmed_or_suspended_client_gets_no_token_and_its_tokens_stop(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let now = app.clock.now();
    let aud = token_url(&app.address);
    let pending_key = TestKey::es256();
    let (_, pending) = register_firm_client(&app.pool, now, firm.id, "Pending", &pending_key);
    let (status, body) = ask(&app, &pending_key.assertion(now, &pending, &aud, "p", 120)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["error_description"],
        "The client is not active: it awaits confirmation or is suspended."
    );

    let (client_id, key) = seed_firm_client(&app.pool, now, firm.id, TestKey::es256());
    let token = get_token(&app.address, now, &client_id, &key, None).await;
    assert_eq!(
        whoami(&app, &token).await.0,
        StatusCode::OK,
        "kept in memory now"
    );
    let row_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        api_clients::table
            .filter(api_clients::client_id.eq(&client_id))
            .select(api_clients::id)
            .first(&mut conn)
            .unwrap()
    };
    let mut approver = firm.approver;
    let page = approver.get(&format!("/api-clients/{row_id}")).await;
    let done = approver
        .submit_form(&page, &format!("/api-clients/{row_id}/suspend"), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (status, challenge, _) = whoami(&app, &token).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a suspended client's token stops at once"
    );
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer realm=\"api\", error=\"invalid_token\"")
    );
    let (status, _) = ask(&app, &key.assertion(now, &client_id, &aud, "after", 120)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut conn = app.pool.get().unwrap();
    let refused: i64 = audit_events::table
        .filter(audit_events::action.eq("api.token_refused"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(refused, 2, "a signed refusal is audited");
}

async fn a_retired_key_signs_no_more_and_its_tokens_stop(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let now = app.clock.now();
    let aud = token_url(&app.address);
    let (client_id, old) = seed_firm_client(&app.pool, now, firm.id, TestKey::es256());
    let old_token = get_token(&app.address, now, &client_id, &old, None).await;
    let row_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        api_clients::table
            .filter(api_clients::client_id.eq(&client_id))
            .select(api_clients::id)
            .first(&mut conn)
            .unwrap()
    };
    // The rotation: the approver who registered it adds a new key…
    let new = TestKey::ed25519();
    let page = firm.approver.get(&format!("/api-clients/{row_id}")).await;
    let added = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{row_id}/keys"),
            &[("public_jwk", &new.public_jwk().to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // …both sign during the rotation…
    let new_token = get_token(&app.address, now, &client_id, &new, None).await;
    get_token(&app.address, now, &client_id, &old, None).await;
    // …and the old one is retired.
    let page = firm.approver.get(&format!("/api-clients/{row_id}")).await;
    let old_row: i64 = {
        use incident_portal::db::schema::api_client_keys;
        let mut conn = app.pool.get().unwrap();
        api_client_keys::table
            .filter(api_client_keys::kid.eq(old.kid()))
            .select(api_client_keys::id)
            .first(&mut conn)
            .unwrap()
    };
    let retired = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{row_id}/keys/{old_row}/retire"),
            &[],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER, "{}", retired.body);
    let (status, body) = ask(&app, &old.assertion(now, &client_id, &aud, "old", 120)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert_eq!(whoami(&app, &old_token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(&app, &new_token).await.0, StatusCode::OK);
    get_token(&app.address, now, &client_id, &new, None).await;
}

async fn an_expired_token_and_a_session_cookie_are_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let (client_id, key) = seed_firm_client(&app.pool, app.clock.now(), firm.id, TestKey::es256());
    let token = get_token(&app.address, app.clock.now(), &client_id, &key, None).await;
    assert_eq!(whoami(&app, &token).await.0, StatusCode::OK);
    app.clock.advance(Duration::minutes(10));
    let (status, challenge, body) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer realm=\"api\", error=\"invalid_token\"")
    );
    assert_eq!(body["type"], "/api/v1/problems/invalid-token");
    assert_eq!(body["status"], 401);
    // A signed-in browser's cookie is no credential here: no token, no
    // error code (RFC 6750 §3.1), a problem document in its language.
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/whoami", app.address))
        .header(COOKIE, firm.approver.cookie_header())
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers().get(WWW_AUTHENTICATE).unwrap(),
        "Bearer realm=\"api\""
    );
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body = json(response).await;
    assert_eq!(body["title"], "認証が必要です");
    // Nor at the token endpoint: a cookie and a CSRF token are not a grant.
    let mut approver = firm.approver;
    let page = approver.get("/account").await;
    let csrf = page.input_value("csrf").unwrap();
    let posted = approver.post("/api/v1/token", &[("csrf", &csrf)]).await;
    assert_eq!(posted.status, StatusCode::BAD_REQUEST);
    assert!(posted.body.contains("invalid_request"), "{}", posted.body);
    // A malformed or unknown bearer token.
    for bad in ["", "not-a-token", &"Q".repeat(43)] {
        assert_eq!(
            whoami(&app, bad).await.0,
            StatusCode::UNAUTHORIZED,
            "{bad:?}"
        );
    }
}

async fn a_firm_client_is_tied_to_its_firm_and_its_approver(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let a = app.firm_with_users(&mut admin, "Alpha").await;
    let b = app.firm_with_users(&mut admin, "Bravo").await;
    let now = app.clock.now();
    let (a_client, a_key) = seed_firm_client(&app.pool, now, a.id, TestKey::es256());
    let (b_client, b_key) = seed_firm_client(&app.pool, now, b.id, TestKey::ed25519());
    let aud = token_url(&app.address);
    // One firm's key does not sign for the other firm's client.
    let crossed = a_key.assertion(now, &b_client, &aud, "x", 120);
    assert_eq!(ask(&app, &crossed).await.0, StatusCode::UNAUTHORIZED);
    let a_token = get_token(&app.address, now, &a_client, &a_key, None).await;
    let b_token = get_token(&app.address, now, &b_client, &b_key, None).await;
    assert_eq!(whoami(&app, &a_token).await.2["firm_id"], a.id);
    assert_eq!(whoami(&app, &b_token).await.2["firm_id"], b.id);
    // The client acts for the approver who registered it: once that person
    // is disabled, its token stops and it gets no other.
    let approver_id = {
        let mut conn = app.pool.get().unwrap();
        incident_portal::services::accounts::find_user_by_email(&mut conn, "approver@alpha.example")
            .unwrap()
            .unwrap()
            .id
    };
    let users = admin.get("/admin/users").await;
    let disabled = admin
        .submit_form(
            &users,
            &format!("/users/{approver_id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    assert_eq!(whoami(&app, &a_token).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = ask(&app, &a_key.assertion(now, &a_client, &aud, "y", 120)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(whoami(&app, &b_token).await.0, StatusCode::OK);
}

/// The throttles, at the service (each caller an address of its own, no
/// traffic): bad signatures naming a client count against the address
/// only, so no one else can make a client wait; an address that keeps
/// failing waits (429 with its wait); a client's own signed failures make
/// it wait; a client holds at most `LIVE_TOKENS` tokens.
async fn token_requests_are_throttled_per_address_and_per_client(app: TestApp) {
    let (_, client_id, key) = firm_with_client(&app, TestKey::es256()).await;
    let now = app.clock.now();
    let aud = token_url(&app.address);
    let mut conn = app.pool.get().unwrap();
    let mut ask = |assertion: &str, ip: &str| {
        let request = TokenRequest {
            assertion,
            scope: None,
            client_id: None,
            audience: &aud,
            ip,
        };
        api_tokens::grant(&mut conn, &request, now).unwrap()
    };
    let stranger = TestKey::es256();
    for n in 0..40 {
        let forged = stranger.assertion(now, &client_id, &aud, &format!("f{n}"), 120);
        let refusal = ask(&forged, &format!("10.0.0.{n}")).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::InvalidClient);
    }
    assert!(
        ask(
            &key.assertion(now, &client_id, &aud, "ok-1", 120),
            "10.1.0.1"
        )
        .is_ok()
    );
    // One address failing again and again.
    let mut waited = None;
    for n in 0..40 {
        let forged = stranger.assertion(now, &client_id, &aud, &format!("g{n}"), 120);
        let refusal = ask(&forged, "10.2.0.1").unwrap_err();
        if refusal.code == ErrorCode::TemporarilyUnavailable {
            waited = Some((n, refusal.retry_after));
            break;
        }
    }
    let (n, wait) = waited.expect("the address was made to wait");
    assert_eq!(n, 30, "after the free failures");
    assert!(wait.is_some_and(|w| w >= Duration::seconds(1)));
    // The client's own failures (replays) make the client wait.
    let used = key.assertion(now, &client_id, &aud, "used", 120);
    assert!(ask(&used, "10.3.0.1").is_ok());
    let mut throttled = false;
    for n in 0..15 {
        let refusal = ask(&used, &format!("10.4.0.{n}")).unwrap_err();
        if refusal.code == ErrorCode::TemporarilyUnavailable {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "ten signed failures make the client wait");
    drop(conn);
    // At most twenty live tokens per client (another client, no failures).
    let (_, other, other_key) = {
        let firm_id: i64 = {
            let mut conn = app.pool.get().unwrap();
            api_clients::table
                .select(api_clients::firm_id)
                .first::<Option<i64>>(&mut conn)
                .unwrap()
                .unwrap()
        };
        let (id, k) = seed_firm_client(&app.pool, now, firm_id, TestKey::ed25519());
        (firm_id, id, k)
    };
    let mut conn = app.pool.get().unwrap();
    for n in 0..=api_tokens::LIVE_TOKENS {
        let assertion = other_key.assertion(now, &other, &aud, &format!("t{n}"), 120);
        let request = TokenRequest {
            assertion: &assertion,
            scope: None,
            client_id: Some(&other),
            audience: &aud,
            ip: "10.5.0.1",
        };
        let outcome = api_tokens::grant(&mut conn, &request, now).unwrap();
        if n < api_tokens::LIVE_TOKENS {
            assert!(outcome.is_ok(), "token {n}");
        } else {
            let refusal = outcome.unwrap_err();
            assert_eq!(refusal.code, ErrorCode::TemporarilyUnavailable);
            assert_eq!(refusal.retry_after, Some(Duration::minutes(10)));
        }
    }
    drop(conn);
    // Over HTTP, a wait is a 429 with Retry-After.
    let mut last = None;
    for n in 0..40 {
        let forged = stranger.assertion(now, &client_id, &aud, &format!("h{n}"), 120);
        let response = request_token(&app.address, &forged, None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            last = response
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned());
            break;
        }
    }
    assert!(
        last.is_some_and(|s| s.parse::<i64>().unwrap() >= 1),
        "429 with Retry-After"
    );
}

on_both_backends!(
    a_valid_assertion_gets_a_token_with_es256_and_with_ed25519,
    assertions_out_of_line_are_refused,
    the_same_jti_twice_at_once_gets_one_token,
    an_unconfirmed_or_suspended_client_gets_no_token_and_its_tokens_stop,
    a_retired_key_signs_no_more_and_its_tokens_stop,
    an_expired_token_and_a_session_cookie_are_refused,
    a_firm_client_is_tied_to_its_firm_and_its_approver,
    token_requests_are_throttled_per_address_and_per_client,
);
