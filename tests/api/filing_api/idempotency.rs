//! `Idempotency-Key`: a repeat gets the first answer and changes nothing;
//! the key reused for another request is refused; a repeat while the first
//! runs is told to wait; parallel repeats write once.

use diesel::prelude::*;
use incident_portal::db::schema::{
    api_clients, api_idempotency, api_idempotency_quota, audit_events, returns,
};
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

/// Makes every insert into the audit trail fail (or stops doing so): a
/// server failure in the middle of the draft's save.
fn refuse_audit_rows(app: &TestApp, refuse: bool) {
    use diesel::connection::SimpleConnection;
    use incident_portal::db::DbConn;
    let mut conn = app.pool.get().unwrap();
    let sql = match (&mut *conn, refuse) {
        (DbConn::Sqlite(_), true) => {
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;"
        }
        (DbConn::Sqlite(_), false) => "DROP TRIGGER refuse_audit;",
        (DbConn::Pg(_), true) => {
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        }
        (DbConn::Pg(_), false) => {
            "DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit();"
        }
    };
    conn.batch_execute(sql).unwrap();
}

/// The client's count of keys held (none before its first key).
fn keys_held(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    api_idempotency_quota::table
        .select(api_idempotency_quota::keys_held)
        .first(&mut conn)
        .optional()
        .unwrap()
        .unwrap_or(0)
}

async fn a_failure_in_the_save_keeps_nothing_and_frees_the_key(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let path = "/api/v1/returns/2025-04/draft";
    let document = complete_document();
    refuse_audit_rows(&app, true);
    let failed = client.put_json(path, "fails-once", &document).await;
    refuse_audit_rows(&app, false);
    assert!(
        failed.status.is_server_error(),
        "{}: {}",
        failed.status,
        failed.body
    );
    assert_eq!(drafts_saved(&app), 0);
    let draft: Option<Option<String>> = {
        let mut conn = app.pool.get().unwrap();
        returns::table
            .select(returns::draft_json)
            .first(&mut conn)
            .optional()
            .unwrap()
    };
    assert_eq!(draft.flatten(), None, "the draft's write rolled back");
    let kept: i64 = {
        let mut conn = app.pool.get().unwrap();
        api_idempotency::table
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(kept, 0, "nothing kept under the key");
    assert_eq!(keys_held(&app), 0, "the key is not counted");
    // The same key again runs afresh.
    let again = client.put_json(path, "fails-once", &document).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_eq!(drafts_saved(&app), 1);
    assert_eq!(keys_held(&app), 1);
    // And its answer is replayed with the draft's ETag, once.
    let replay = client.put_json(path, "fails-once", &document).await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.header("etag"), again.header("etag"));
    assert!(again.header("etag").is_some());
    assert_eq!(replay.body, again.body);
    for answer in [&again, &replay] {
        let cache = answer.headers.get_all("cache-control").iter().count();
        assert_eq!(cache, 1, "one Cache-Control");
    }
}

async fn one_clients_keys_run_side_by_side(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let document = complete_document();
    // 2024-11 to 2025-04, months past at the test's clock.
    let paths: Vec<String> = [
        "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04",
    ]
    .iter()
    .map(|month| format!("/api/v1/returns/{month}/draft"))
    .collect();
    let keys: Vec<String> = (1..=6).map(|m| format!("month-{m}")).collect();
    let puts = paths
        .iter()
        .zip(&keys)
        .map(|(path, key)| client.put_json(path, key, &document));
    for answer in futures_util::future::join_all(puts).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.header("idempotent-replayed"), None);
    }
    assert_eq!(drafts_saved(&app), 6);
    assert_eq!(keys_held(&app), 6);
}

/// One client's PUTs on two months, a second client of the firm and a
/// person's save through the form, all on April at once: on PostgreSQL the
/// first client's PUTs queue on its count's row while the others queue on
/// April's, and none may wait on the other in a cycle (a deadlock would be
/// a 5xx here).
async fn a_clients_puts_a_second_client_and_the_form_at_once(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let first = firm_client(&app, firm.id).await;
    let second = firm_client(&app, firm.id).await;
    let document = complete_document();
    let form = firm.reporter.get("/returns/2025-04").await;
    let typed = crate::helpers::figures("12", "10", "3", "1,000,000", "900,000", "Passkeys.");
    let puts = [
        (&first, "2025-04", "a"),
        (&first, "2025-03", "b"),
        (&first, "2025-04", "c"),
        (&first, "2025-03", "d"),
        (&second, "2025-04", "e"),
        (&second, "2025-03", "f"),
    ]
    .map(|(client, month, key)| {
        let path = format!("/api/v1/returns/{month}/draft");
        let document = &document;
        async move { client.put_json(&path, key, document).await }
    });
    let typing = firm
        .reporter
        .submit_form(&form, "/returns/2025-04/draft", &typed);
    let (answers, saved) = futures_util::join!(futures_util::future::join_all(puts), typing);
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.header("idempotent-replayed"), None);
    }
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(drafts_saved(&app), 7);
    let mut conn = app.pool.get().unwrap();
    let held: Vec<i64> = api_idempotency_quota::table
        .order(api_idempotency_quota::keys_held.desc())
        .select(api_idempotency_quota::keys_held)
        .load(&mut conn)
        .unwrap();
    assert_eq!(held, [4, 2]);
}

on_both_backends!(
    a_repeat_replays_and_a_reused_key_is_refused,
    parallel_repeats_write_once,
    a_failure_in_the_save_keeps_nothing_and_frees_the_key,
    one_clients_keys_run_side_by_side,
    a_clients_puts_a_second_client_and_the_form_at_once,
);
