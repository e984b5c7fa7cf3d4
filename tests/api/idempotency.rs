//! The filing API's idempotency keys, driven through the service on each
//! backend: a repeat answers the first answer, another request with the
//! key is refused, a running one is waited for (or taken over once its
//! instance has surely died), failures release the key, keys are forgotten
//! after a day, a client's keys are bounded, and parallel requests with
//! one key start it exactly once.

use std::sync::Barrier;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::schema::{api_idempotency, api_idempotency_quota};
use incident_portal::db::{DbConn, connect_pool};
use incident_portal::domain::idempotency_key::IdempotencyKey;
use incident_portal::services::idempotency::{
    self, Begin, Finished, KEEP_FOR, KEYS_PER_CLIENT, MAX_BODY_BYTES, TAKE_OVER_AFTER,
};

use crate::helpers::TestApp;
use crate::on_both_backends;

const CLIENT: i64 = 7;
const PUT: &str = "PUT /api/v1/returns/2025-04/draft";

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

fn sha(body: &str) -> String {
    idempotency::request_sha256(body.as_bytes())
}

fn begin(conn: &mut DbConn, client: i64, k: &str, body: &str, at: NaiveDateTime) -> Begin {
    idempotency::begin(conn, client, &key(k), PUT, &sha(body), at).unwrap()
}

fn finish(conn: &mut DbConn, k: &str, status: u16, body: &str, at: NaiveDateTime) -> Finished {
    idempotency::finish(conn, CLIENT, &key(k), status, "application/json", body, at).unwrap()
}

fn keys_held(conn: &mut DbConn, client: i64) -> i64 {
    api_idempotency_quota::table
        .find(client)
        .select(api_idempotency_quota::keys_held)
        .first(conn)
        .unwrap()
}

fn rows(conn: &mut DbConn) -> i64 {
    api_idempotency::table.count().get_result(conn).unwrap()
}

fn replay(status: u16, body: &str) -> Begin {
    Begin::Replay {
        status,
        content_type: "application/json".to_owned(),
        body: body.to_owned(),
    }
}

async fn a_repeat_answers_the_first_answer_and_another_request_is_refused(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let t = app.clock.now();
    assert_eq!(begin(&mut conn, CLIENT, "k-1", "{}", t), Begin::Fresh);
    assert_eq!(begin(&mut conn, CLIENT, "k-1", "{}", t), Begin::InProgress);
    assert_eq!(Begin::InProgress.refusal().unwrap().0, 409);
    assert_eq!(
        finish(&mut conn, "k-1", 200, r#"{"ok":1}"#, t),
        Finished::Stored
    );
    let later = t + Duration::hours(3);
    assert_eq!(
        begin(&mut conn, CLIENT, "k-1", "{}", later),
        replay(200, r#"{"ok":1}"#)
    );
    assert_eq!(
        begin(&mut conn, CLIENT, "k-1", "{ }", later),
        Begin::Mismatch
    );
    let other_path = idempotency::begin(
        &mut conn,
        CLIENT,
        &key("k-1"),
        "PUT /api/v1/returns/2025-05/draft",
        &sha("{}"),
        later,
    )
    .unwrap();
    assert_eq!(other_path, Begin::Mismatch);
    assert_eq!(Begin::Mismatch.refusal().unwrap().0, 422);
    // Keys are the client's own.
    assert_eq!(
        begin(&mut conn, CLIENT + 1, "k-1", "{ }", later),
        Begin::Fresh
    );
    assert_eq!(
        finish(&mut conn, "k-1", 200, "again", later),
        Finished::NotRunning
    );
    assert_eq!(
        begin(&mut conn, CLIENT, "k-1", "{}", later),
        replay(200, r#"{"ok":1}"#),
        "a late finish changes nothing"
    );
}

async fn a_failure_releases_the_key_and_a_refusal_is_kept(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let t = app.clock.now();
    assert_eq!(begin(&mut conn, CLIENT, "k-2", "{}", t), Begin::Fresh);
    assert_eq!(finish(&mut conn, "k-2", 503, "down", t), Finished::Released);
    assert_eq!(keys_held(&mut conn, CLIENT), 0);
    assert_eq!(begin(&mut conn, CLIENT, "k-2", "{}", t), Begin::Fresh);
    let huge = "x".repeat(MAX_BODY_BYTES + 1);
    assert_eq!(finish(&mut conn, "k-2", 200, &huge, t), Finished::Released);
    assert_eq!(begin(&mut conn, CLIENT, "k-2", "{}", t), Begin::Fresh);
    assert_eq!(
        finish(&mut conn, "k-2", 422, "problems", t),
        Finished::Stored
    );
    assert_eq!(
        begin(&mut conn, CLIENT, "k-2", "{}", t),
        replay(422, "problems")
    );
    assert_eq!(keys_held(&mut conn, CLIENT), 1);
    assert_eq!(
        finish(&mut conn, "never-begun", 500, "", t),
        Finished::NotRunning
    );
    assert_eq!(keys_held(&mut conn, CLIENT), 1);
}

async fn a_request_whose_instance_died_is_taken_over(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let t = app.clock.now();
    assert_eq!(begin(&mut conn, CLIENT, "k-3", "{}", t), Begin::Fresh);
    let almost = t + TAKE_OVER_AFTER - Duration::seconds(1);
    assert_eq!(
        begin(&mut conn, CLIENT, "k-3", "{}", almost),
        Begin::InProgress
    );
    assert_eq!(
        begin(&mut conn, CLIENT, "k-3", "{ }", almost),
        Begin::Mismatch
    );
    let dead = t + TAKE_OVER_AFTER;
    assert_eq!(begin(&mut conn, CLIENT, "k-3", "{}", dead), Begin::Fresh);
    assert_eq!(
        begin(&mut conn, CLIENT, "k-3", "{}", dead),
        Begin::InProgress
    );
    assert_eq!(
        finish(&mut conn, "k-3", 200, "second", dead),
        Finished::Stored
    );
    assert_eq!(
        finish(&mut conn, "k-3", 200, "first, late", dead),
        Finished::NotRunning
    );
    assert_eq!(
        begin(&mut conn, CLIENT, "k-3", "{}", dead),
        replay(200, "second")
    );
    assert_eq!(keys_held(&mut conn, CLIENT), 1);
}

async fn keys_are_forgotten_after_a_day_and_pruned_in_batches(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let t = app.clock.now();
    assert_eq!(begin(&mut conn, CLIENT, "k-4", "{}", t), Begin::Fresh);
    assert_eq!(finish(&mut conn, "k-4", 200, "first", t), Finished::Stored);
    let almost = t + KEEP_FOR - Duration::seconds(1);
    assert_eq!(
        begin(&mut conn, CLIENT, "k-4", "{}", almost),
        replay(200, "first")
    );
    let day = t + KEEP_FOR;
    assert_eq!(
        begin(&mut conn, CLIENT, "k-4", "another body", day),
        Begin::Fresh,
        "a forgotten key starts afresh"
    );
    assert_eq!(keys_held(&mut conn, CLIENT), 1);
    assert_eq!(
        begin(&mut conn, CLIENT, "k-4", "{}", day),
        Begin::Mismatch,
        "and is now the new request's"
    );

    for (client, k) in [(1, "a"), (1, "b"), (2, "a"), (3, "a"), (3, "b")] {
        assert_eq!(begin(&mut conn, client, k, "{}", t), Begin::Fresh);
    }
    assert_eq!(rows(&mut conn), 6);
    let later = t + KEEP_FOR + Duration::hours(1);
    assert_eq!(idempotency::prune_expired(&mut conn, t, 10).unwrap(), 0);
    assert_eq!(idempotency::prune_expired(&mut conn, later, 2).unwrap(), 2);
    assert_eq!(rows(&mut conn), 4);
    assert_eq!(idempotency::prune_expired(&mut conn, later, 10).unwrap(), 3);
    assert_eq!(rows(&mut conn), 1, "the renewed key stays");
    assert_eq!(idempotency::prune_expired(&mut conn, later, 10).unwrap(), 0);
    for client in [1, 2, 3] {
        assert_eq!(keys_held(&mut conn, client), 0, "client {client}");
    }
    assert_eq!(keys_held(&mut conn, CLIENT), 1);
}

async fn a_client_holds_at_most_its_limit_of_keys(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let t = app.clock.now();
    assert_eq!(begin(&mut conn, CLIENT, "old", "{}", t), Begin::Fresh);
    assert_eq!(finish(&mut conn, "old", 200, "kept", t), Finished::Stored);
    // As if the client had used all but one of its keys since.
    diesel::update(api_idempotency_quota::table.find(CLIENT))
        .set(api_idempotency_quota::keys_held.eq(KEYS_PER_CLIENT - 1))
        .execute(&mut conn)
        .unwrap();
    let soon = t + Duration::hours(1);
    assert_eq!(begin(&mut conn, CLIENT, "last", "{}", soon), Begin::Fresh);
    let refused = begin(&mut conn, CLIENT, "one-too-many", "{}", soon);
    assert_eq!(refused, Begin::TooManyKeys);
    assert_eq!(refused.refusal().unwrap().0, 429);
    assert_eq!(keys_held(&mut conn, CLIENT), KEYS_PER_CLIENT);
    assert_eq!(rows(&mut conn), 2, "a refusal writes no key");
    assert_eq!(
        begin(&mut conn, CLIENT, "old", "{}", soon),
        replay(200, "kept"),
        "keys held still answer"
    );
    assert_eq!(
        begin(&mut conn, CLIENT + 1, "one-too-many", "{}", soon),
        Begin::Fresh
    );
    // Once the oldest key is forgotten, the client's next new key prunes it.
    let day = t + KEEP_FOR;
    assert_eq!(begin(&mut conn, CLIENT, "next", "{}", day), Begin::Fresh);
    assert_eq!(keys_held(&mut conn, CLIENT), KEYS_PER_CLIENT);
    assert_eq!(
        begin(&mut conn, CLIENT, "after", "{}", day),
        Begin::TooManyKeys
    );
}

/// `n` requests at once, each on a connection of its own, all let go
/// together: what each `begin` said.
fn all_at_once(
    app: &TestApp,
    n: usize,
    request: impl Fn(usize, &mut DbConn) -> Begin + Sync,
) -> Vec<Begin> {
    let pool = connect_pool(&app.db_url, u32::try_from(n).unwrap()).unwrap();
    let mut conns: Vec<_> = (0..n).map(|_| pool.get().unwrap()).collect();
    let start = Barrier::new(n);
    std::thread::scope(|scope| {
        let running: Vec<_> = conns
            .iter_mut()
            .enumerate()
            .map(|(i, conn)| {
                let (start, request) = (&start, &request);
                scope.spawn(move || {
                    start.wait();
                    request(i, conn)
                })
            })
            .collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

async fn parallel_requests_with_one_key_start_it_exactly_once(app: TestApp) {
    let t = app.clock.now();
    for round in 0..4 {
        let k = format!("race-{round}");
        let said = all_at_once(&app, 6, |_, conn| begin(conn, CLIENT, &k, "{}", t));
        let fresh = said.iter().filter(|b| **b == Begin::Fresh).count();
        assert_eq!(fresh, 1, "round {round}: {said:?}");
        assert!(
            said.iter()
                .all(|b| matches!(b, Begin::Fresh | Begin::InProgress)),
            "{said:?}"
        );
    }
    let mut conn = app.pool.get().unwrap();
    assert_eq!(keys_held(&mut conn, CLIENT), 4);
    assert_eq!(rows(&mut conn), 4);
}

async fn parallel_new_keys_never_pass_the_limit(app: TestApp) {
    let t = app.clock.now();
    {
        let mut conn = app.pool.get().unwrap();
        assert_eq!(begin(&mut conn, CLIENT, "first", "{}", t), Begin::Fresh);
        diesel::update(api_idempotency_quota::table.find(CLIENT))
            .set(api_idempotency_quota::keys_held.eq(KEYS_PER_CLIENT - 3))
            .execute(&mut conn)
            .unwrap();
    }
    let said = all_at_once(&app, 6, |i, conn| {
        begin(conn, CLIENT, &format!("new-{i}"), "{}", t)
    });
    let fresh = said.iter().filter(|b| **b == Begin::Fresh).count();
    let refused = said.iter().filter(|b| **b == Begin::TooManyKeys).count();
    assert_eq!((fresh, refused), (3, 3), "{said:?}");
    let mut conn = app.pool.get().unwrap();
    assert_eq!(keys_held(&mut conn, CLIENT), KEYS_PER_CLIENT);
    assert_eq!(rows(&mut conn), 4);
}

on_both_backends!(
    a_repeat_answers_the_first_answer_and_another_request_is_refused,
    a_failure_releases_the_key_and_a_refusal_is_kept,
    a_request_whose_instance_died_is_taken_over,
    keys_are_forgotten_after_a_day_and_pruned_in_batches,
    a_client_holds_at_most_its_limit_of_keys,
    parallel_requests_with_one_key_start_it_exactly_once,
    parallel_new_keys_never_pass_the_limit,
);
