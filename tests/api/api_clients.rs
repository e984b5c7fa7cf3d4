//! API clients' pages: an approver registers a client (a bad key comes
//! back beside the field with what was pasted), a second approver of the
//! firm confirms it (never the registrant, never an approver of another
//! firm), the admin confirms for a one-approver firm and registers the
//! regulator's own clients; keys rotate (two at once, never none, added
//! only by the person the client acts for); reporters and analysts see
//! none of it; the step-up keeps what was typed; everything is audited.

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::{api_clients, audit_events};
use reqwest::StatusCode;

use crate::api_support::{TestKey, get_token, seed_staff_client};
use crate::api_token::whoami;
use crate::helpers::{Browser, Page, TestApp};
use crate::on_both_backends;

/// Registers a client from `list` (`/firm/api-clients` or
/// `/admin/api-clients`) with `jwk` pasted: the answer.
async fn register(browser: &mut Browser, list: &str, name: &str, jwk: &str) -> Page {
    let form = browser.get(list).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    browser
        .submit_form(&form, list, &[("client_name", name), ("public_jwk", jwk)])
        .await
}

/// The client's page a registration redirected to, and its row id.
fn client_page_id(page: &Page) -> i64 {
    let at = page.location().expect("redirected to the client's page");
    at.strip_prefix("/api-clients/").unwrap().parse().unwrap()
}

async fn press(browser: &mut Browser, id: i64, action: &str) -> Page {
    let page = browser.get(&format!("/api-clients/{id}")).await;
    browser
        .submit_form(&page, &format!("/api-clients/{id}/{action}"), &[])
        .await
}

fn actions(app: &TestApp, client_id: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::object_type.eq("api_client"))
        .filter(audit_events::object_id.eq(client_id))
        .order(audit_events::id.asc())
        .select((audit_events::action, audit_events::actor))
        .load(&mut conn)
        .unwrap()
}

async fn a_second_approver_confirms_what_the_first_registered(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    app.invite(
        &mut firm.approver,
        "/firm/users",
        "second@alpha.example",
        "approver",
        None,
    )
    .await;
    let mut second = app.first_sign_in("second@alpha.example").await;
    let key = TestKey::es256();
    let done = register(
        &mut firm.approver,
        "/firm/api-clients",
        "Back office",
        &key.public_jwk().to_string(),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let id = client_page_id(&done);
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    assert_eq!(page.text("#client-status"), "Awaiting confirmation");
    assert!(
        page.text("#pending-note")
            .contains("another approver of your firm")
    );
    assert!(
        !page.body.contains("Confirm client"),
        "no button for the registrant"
    );
    assert!(
        page.text("#client-keys").contains(&key.kid()),
        "the key's thumbprint shown"
    );
    let client_id = page.text("#client-id");
    // The registrant cannot confirm their own client.
    let own = press(&mut firm.approver, id, "confirm").await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    assert!(
        own.body.contains("another person must confirm it"),
        "{}",
        own.body
    );
    // Nor can an approver of another firm, who cannot even see it.
    let mut other = app.firm_with_users(&mut admin, "Bravo").await;
    assert_eq!(
        other
            .approver
            .get(&format!("/api-clients/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let page = other.approver.get("/account").await;
    let foreign = other
        .approver
        .submit_form(&page, &format!("/api-clients/{id}/confirm"), &[])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(
        !other
            .approver
            .get("/firm/api-clients")
            .await
            .body
            .contains("Back office")
    );
    // The admin does not step in for a firm with a second approver.
    let by_admin = press(&mut admin, id, "confirm").await;
    assert_eq!(by_admin.status, StatusCode::CONFLICT);
    // The second approver sees the button and confirms.
    let page = second.get(&format!("/api-clients/{id}")).await;
    assert!(page.body.contains("Confirm client"), "{}", page.body);
    let confirmed = press(&mut second, id, "confirm").await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let page = second.get(&format!("/api-clients/{id}")).await;
    assert_eq!(page.text("#client-status"), "Active");
    let list = firm.approver.get("/firm/api-clients").await;
    assert!(list.text("#api-clients").contains("Back office"));
    let listed_key = format!("ES256 {}…", &key.kid()[..8]);
    assert!(
        list.text("#api-clients .client-keys")
            .starts_with(&listed_key)
    );
    assert!(list.text("#api-clients").contains("Active"));
    // Confirming twice changes nothing.
    assert_eq!(
        press(&mut second, id, "confirm").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        actions(&app, &client_id),
        [
            (
                "api_client.registered".to_owned(),
                "approver@alpha.example".to_owned()
            ),
            (
                "api_client.confirmed".to_owned(),
                "second@alpha.example".to_owned()
            ),
        ]
    );
    // It works now.
    get_token(&app.address, app.clock.now(), &client_id, &key, None).await;
}

async fn a_key_that_is_not_a_public_signing_key_comes_back_beside_the_field(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let key = TestKey::ed25519();
    let private = key.private_jwk().to_string();
    let page = register(&mut firm.approver, "/firm/api-clients", "Leaky", &private).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.field_error("public_jwk").as_deref(),
        Some(
            "This is a private key (it contains \"d\"). Paste the public key only, and keep the private key on your own system."
        )
    );
    assert_eq!(
        page.text("textarea#public_jwk"),
        private,
        "what was pasted is kept"
    );
    assert_eq!(page.input_value("client_name").as_deref(), Some("Leaky"));
    assert!(page.text("#error-summary").contains("Public key (JWK)"));
    for (pasted, message) in [
        (
            "-----BEGIN PUBLIC KEY-----",
            "Paste the public key as a JSON Web Key",
        ),
        (
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
            "Only EC keys on the P-256 curve (ES256) and Ed25519 keys (EdDSA)",
        ),
    ] {
        let page = register(&mut firm.approver, "/firm/api-clients", "X", pasted).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.field_error("public_jwk").unwrap().starts_with(message));
    }
    let page = register(
        &mut firm.approver,
        "/firm/api-clients",
        "",
        &key.public_jwk().to_string(),
    )
    .await;
    assert_eq!(
        page.field_error("client_name").as_deref(),
        Some("Enter a value.")
    );
    // The limits reach the browser.
    let form = firm.approver.get("/firm/api-clients").await;
    assert!(form.body.contains(r#"maxlength="100""#));
    assert!(form.body.contains(r#"maxlength="2000""#));
    let mut conn = app.pool.get().unwrap();
    let stored: i64 = api_clients::table.count().get_result(&mut conn).unwrap();
    assert_eq!(stored, 0, "nothing refused was stored");
}

async fn reporters_and_analysts_see_nothing_of_it(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut analyst = app.analyst(&mut admin).await;
    let jwk = TestKey::es256().public_jwk().to_string();
    let id = client_page_id(&register(&mut firm.approver, "/firm/api-clients", "Mine", &jwk).await);
    for browser in [&mut firm.reporter, &mut analyst] {
        assert_eq!(
            browser.get("/firm/api-clients").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            browser.get("/admin/api-clients").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            browser.get(&format!("/api-clients/{id}")).await.status,
            StatusCode::FORBIDDEN
        );
        let page = browser.get("/account").await;
        assert!(
            !page.body.contains("/firm/api-clients"),
            "no link in the navigation"
        );
        for action in ["confirm", "suspend", "keys"] {
            let posted = browser
                .submit_form(
                    &page,
                    &format!("/api-clients/{id}/{action}"),
                    &[("public_jwk", &jwk)],
                )
                .await;
            assert_eq!(posted.status, StatusCode::FORBIDDEN, "{action}");
        }
        let posted = browser
            .submit_form(
                &page,
                "/firm/api-clients",
                &[("client_name", "Sneaky"), ("public_jwk", &jwk)],
            )
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN);
    }
    let page = firm.approver.get("/account").await;
    assert!(
        page.body.contains("href=\"/firm/api-clients\""),
        "the approver's navigation links it"
    );
}

async fn the_admin_confirms_for_a_one_approver_firm_and_registers_staff_clients(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Solo").await;
    let key = TestKey::es256();
    let id = client_page_id(
        &register(
            &mut firm.approver,
            "/firm/api-clients",
            "Solo system",
            &key.public_jwk().to_string(),
        )
        .await,
    );
    let list = admin.get("/admin/api-clients").await;
    assert!(
        list.text("#api-clients").contains("Solo Securities"),
        "{}",
        list.body
    );
    assert_eq!(
        press(&mut admin, id, "confirm").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin
            .get(&format!("/api-clients/{id}"))
            .await
            .text("#client-status"),
        "Active"
    );

    // The only admin's staff client takes effect at once.
    let staff_key = TestKey::ed25519();
    let done = register(
        &mut admin,
        "/admin/api-clients",
        "Statistics robot",
        &staff_key.public_jwk().to_string(),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let staff = client_page_id(&done);
    let page = admin.get(&format!("/api-clients/{staff}")).await;
    assert_eq!(page.text("#client-status"), "Active");
    assert!(
        page.text("#client-details")
            .contains("Regulator (staff client)")
    );
    let staff_id = page.text("#client-id");
    let actions = actions(&app, &staff_id);
    assert_eq!(
        actions.len(),
        2,
        "registered and confirmed, both audited: {actions:?}"
    );
    let token = get_token(&app.address, app.clock.now(), &staff_id, &staff_key, None).await;
    let (status, _, who) = whoami(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(who["firm_id"], serde_json::Value::Null);
    assert_eq!(who["scopes"], serde_json::json!(["stats:read"]));
    // A firm's approver does not see it.
    assert_eq!(
        firm.approver
            .get(&format!("/api-clients/{staff}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // With a second admin, a staff client waits for the other one.
    app.add_user(&mut admin, "admin2@fsa.example", "admin", None)
        .await;
    let mut admin2 = app.first_sign_in("admin2@fsa.example").await;
    let done = register(
        &mut admin,
        "/admin/api-clients",
        "Second robot",
        &TestKey::es256().public_jwk().to_string(),
    )
    .await;
    let second = client_page_id(&done);
    assert_eq!(
        admin
            .get(&format!("/api-clients/{second}"))
            .await
            .text("#client-status"),
        "Awaiting confirmation"
    );
    assert_eq!(
        press(&mut admin, second, "confirm").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        press(&mut admin2, second, "confirm").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin2
            .get(&format!("/api-clients/{second}"))
            .await
            .text("#client-status"),
        "Active"
    );
    // The seeding helper for other tests does the same through the services.
    let (seeded, seeded_key) = seed_staff_client(&app.pool, app.clock.now(), TestKey::es256());
    let token = get_token(
        &app.address,
        app.clock.now(),
        &seeded,
        &seeded_key,
        Some("stats:read"),
    )
    .await;
    assert_eq!(
        whoami(&app, &token).await.2["scopes"],
        serde_json::json!(["stats:read"])
    );
}

async fn keys_rotate_two_at_a_time_never_none(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    app.invite(
        &mut firm.approver,
        "/firm/users",
        "second@alpha.example",
        "approver",
        None,
    )
    .await;
    let mut second = app.first_sign_in("second@alpha.example").await;
    let first_key = TestKey::es256();
    let id = client_page_id(
        &register(
            &mut firm.approver,
            "/firm/api-clients",
            "Rotating",
            &first_key.public_jwk().to_string(),
        )
        .await,
    );
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    // The last key cannot be retired: no button, and a POST is refused.
    assert!(!page.body.contains("Retire key"));
    let key_rows = key_ids(&app, id);
    let refused = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{id}/keys/{}/retire", key_rows[0]),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    // Only the registrant adds keys (the client acts in their name).
    let second_page = second.get(&format!("/api-clients/{id}")).await;
    assert!(!second_page.body.contains("Add key"));
    let by_second = second
        .submit_form(
            &second_page,
            &format!("/api-clients/{id}/keys"),
            &[("public_jwk", &TestKey::es256().public_jwk().to_string())],
        )
        .await;
    assert_eq!(by_second.status, StatusCode::CONFLICT);
    // A second key; the same one again; a third.
    let next = TestKey::ed25519();
    let added = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{id}/keys"),
            &[("public_jwk", &next.public_jwk().to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    let again = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{id}/keys"),
            &[("public_jwk", &next.public_jwk().to_string())],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again.field_error("public_jwk").as_deref(),
        Some("This client already has this key.")
    );
    let third = TestKey::es256().public_jwk().to_string();
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    let over = firm
        .approver
        .submit_form(
            &page,
            &format!("/api-clients/{id}/keys"),
            &[("public_jwk", &third)],
        )
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        over.field_error("public_jwk").as_deref(),
        Some("This client already has two keys: retire one first.")
    );
    assert_eq!(
        over.text("textarea#public_jwk"),
        third,
        "the pasted key is kept"
    );
    // Any approver of the firm retires one; then the other is the last.
    let page = second.get(&format!("/api-clients/{id}")).await;
    assert_eq!(page.texts("#client-keys button").len(), 2);
    let keys = key_ids(&app, id);
    let retired = second
        .submit_form(
            &page,
            &format!("/api-clients/{id}/keys/{}/retire", keys[0]),
            &[],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER, "{}", retired.body);
    let page = second.get(&format!("/api-clients/{id}")).await;
    assert!(
        page.text(&format!("tr[data-kid=\"{}\"] .key-state", first_key.kid()))
            .starts_with("Retired")
    );
    assert!(!page.body.contains("Retire key"));
    let client_id = page.text("#client-id");
    let trail: Vec<String> = actions(&app, &client_id)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        trail,
        [
            "api_client.registered",
            "api_client.key_added",
            "api_client.key_retired"
        ]
    );
}

/// The client's keys' row ids, oldest first.
fn key_ids(app: &TestApp, client: i64) -> Vec<i64> {
    use incident_portal::db::schema::api_client_keys;
    let mut conn = app.pool.get().unwrap();
    api_client_keys::table
        .filter(api_client_keys::client_id.eq(client))
        .order(api_client_keys::id.asc())
        .select(api_client_keys::id)
        .load(&mut conn)
        .unwrap()
}

async fn an_old_sign_in_keeps_what_was_typed_and_asks_to_confirm_first(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let first = TestKey::es256().public_jwk().to_string();
    let id =
        client_page_id(&register(&mut firm.approver, "/firm/api-clients", "Now", &first).await);
    let form = firm.approver.get("/firm/api-clients").await;
    let client = firm.approver.get(&format!("/api-clients/{id}")).await;
    app.clock.advance(Duration::minutes(11));
    // Adding a key: the pasted key comes back, with the way to confirm.
    let next = TestKey::ed25519().public_jwk().to_string();
    let page = firm
        .approver
        .submit_form(
            &client,
            &format!("/api-clients/{id}/keys"),
            &[("public_jwk", &next)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(page.text("textarea#public_jwk"), next);
    assert!(
        page.body
            .contains(&format!("href=\"/account/reauth?next=/api-clients/{id}\""))
    );
    assert_eq!(key_ids(&app, id).len(), 1, "no key added");
    // Registering.
    let jwk = TestKey::es256().public_jwk().to_string();
    let page = firm
        .approver
        .submit_form(
            &form,
            "/firm/api-clients",
            &[("client_name", "Later"), ("public_jwk", &jwk)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(page.text("textarea#public_jwk"), jwk);
    assert_eq!(page.input_value("client_name").as_deref(), Some("Later"));
    assert!(
        page.body
            .contains("href=\"/account/reauth?next=/firm/api-clients\""),
        "{}",
        page.body
    );
    assert!(
        page.text("#error-summary")
            .contains("confirm it is you first")
    );
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        api_clients::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap(),
        1,
        "only the client registered in time"
    );
}

async fn suspending_is_for_good_and_audited(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let key = TestKey::es256();
    let id = client_page_id(
        &register(
            &mut firm.approver,
            "/firm/api-clients",
            "Short-lived",
            &key.public_jwk().to_string(),
        )
        .await,
    );
    assert_eq!(
        press(&mut admin, id, "confirm").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        press(&mut firm.approver, id, "suspend").await.status,
        StatusCode::SEE_OTHER
    );
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    assert_eq!(page.text("#client-status"), "Suspended");
    assert!(!page.body.contains("Suspend client"));
    assert!(!page.body.contains("Add key"));
    assert_eq!(
        press(&mut admin, id, "suspend").await.status,
        StatusCode::CONFLICT
    );
    let client_id = page.text("#client-id");
    let trail: Vec<(String, String)> = actions(&app, &client_id);
    assert_eq!(
        trail.last().unwrap(),
        &(
            "api_client.suspended".to_owned(),
            "approver@alpha.example".to_owned()
        )
    );
    // Japanese too.
    firm.approver.choose_language("ja").await;
    let page = firm.approver.get(&format!("/api-clients/{id}")).await;
    assert_eq!(page.text("#client-status"), "停止");
}

on_both_backends!(
    a_second_approver_confirms_what_the_first_registered,
    a_key_that_is_not_a_public_signing_key_comes_back_beside_the_field,
    reporters_and_analysts_see_nothing_of_it,
    the_admin_confirms_for_a_one_approver_firm_and_registers_staff_clients,
    keys_rotate_two_at_a_time_never_none,
    an_old_sign_in_keeps_what_was_typed_and_asks_to_confirm_first,
    suspending_is_for_good_and_audited,
);
