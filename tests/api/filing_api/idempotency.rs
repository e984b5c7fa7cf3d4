//! `Idempotency-Key`: a repeat gets the first answer and changes nothing;
//! the key reused for another request is refused; a repeat while the first
//! runs is told to wait; parallel repeats write once.

use diesel::prelude::*;
use incident_portal::db::schema::{api_clients, api_idempotency, audit_events};
use incident_portal::domain::idempotency_key::IdempotencyKey;
use incident_portal::services::idempotency::{self, Begin};
use reqwest::StatusCode;

use super::support::{complete_document, firm_client};
use crate::helpers::TestApp;
use crate::on_both_backends;

fn drafts_saved(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("return.draft_saved"))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn a_repeat_replays_and_a_reused_key_is_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let path = "/api/v1/returns/2025-04/draft";
    let document = complete_document();
    let first = client.put_json(path, "same-key", &document).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(drafts_saved(&app), 1);
    // The draft's answer is kept in the save's own transaction: it is
    // there the moment the answer arrives.
    let kept: (Option<i32>, Option<String>) = {
        let mut conn = app.pool.get().unwrap();
        api_idempotency::table
            .filter(api_idempotency::idempotency_key.eq("same-key"))
            .select((api_idempotency::status, api_idempotency::body))
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(kept, (Some(200), Some(first.body.clone())));
    let again = client.put_json(path, "same-key", &document).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body, "the first answer, byte for byte");
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(drafts_saved(&app), 1, "a replay writes nothing");

    let mut other = document.clone();
    other["figures"]["unauthorized_accesses"] = 13.into();
    let reused = client.put_json(path, "same-key", &other).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.body
    );
    assert_eq!(
        reused.json["type"],
        "/api/v1/problems/idempotency-key-reused"
    );
    let elsewhere = client
        .put_json("/api/v1/returns/2025-03/draft", "same-key", &document)
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another path"
    );
    assert_eq!(drafts_saved(&app), 1);

    let missing = client
        .send(
            "put",
            path,
            "",
            Some("application/json"),
            document.to_string().into_bytes(),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.body);
    // A body that is not JSON: its refusal is the key's answer too, and
    // nothing is saved.
    let broken = b"{\"figures\": ".to_vec();
    let not_json = client
        .send(
            "put",
            path,
            "broken",
            Some("application/json"),
            broken.clone(),
        )
        .await;
    assert_eq!(
        not_json.status,
        StatusCode::BAD_REQUEST,
        "{}",
        not_json.body
    );
    assert_eq!(not_json.json["type"], "/api/v1/problems/malformed-json");
    let not_json_again = client
        .send("put", path, "broken", Some("application/json"), broken)
        .await;
    assert_eq!(not_json_again.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json_again.body, not_json.body);
    assert_eq!(
        not_json_again.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(drafts_saved(&app), 1);
    let long = "k".repeat(256);
    let too_long = client.put_json(path, &long, &document).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);

    // A request still running under the key: the repeat waits (409).
    let row: i64 = {
        let mut conn = app.pool.get().unwrap();
        api_clients::table
            .filter(api_clients::client_id.eq(&client.id))
            .select(api_clients::id)
            .first(&mut conn)
            .unwrap()
    };
    let body = document.to_string();
    {
        let mut conn = app.pool.get().unwrap();
        let key = IdempotencyKey::parse("running").unwrap();
        let begun = idempotency::begin(
            &mut conn,
            row,
            &key,
            &format!("PUT {path}"),
            &idempotency::request_sha256(body.as_bytes()),
            app.clock.now(),
        )
        .unwrap();
        assert_eq!(begun, Begin::Fresh);
    }
    let waiting = client.put_json(path, "running", &document).await;
    assert_eq!(waiting.status, StatusCode::CONFLICT, "{}", waiting.body);
    assert_eq!(waiting.header("retry-after").as_deref(), Some("1"));
    assert_eq!(drafts_saved(&app), 1);
}

async fn parallel_repeats_write_once(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let document = complete_document();
    let tries = (0..8).map(|_| client.put_json("/api/v1/returns/2025-04/draft", "once", &document));
    let answers = futures_util::future::join_all(tries).await;
    let mut fresh = 0;
    for a in &answers {
        match a.status {
            StatusCode::OK if a.header("idempotent-replayed").is_none() => fresh += 1,
            StatusCode::OK | StatusCode::CONFLICT => {}
            other => panic!("{other}: {}", a.body),
        }
    }
    assert_eq!(fresh, 1, "exactly one ran");
    assert_eq!(drafts_saved(&app), 1);
}

on_both_backends!(
    a_repeat_replays_and_a_reused_key_is_refused,
    parallel_repeats_write_once,
);
