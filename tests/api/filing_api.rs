//! The filing API end to end: a firm's system puts a draft that the
//! browser then shows as if typed, marks it ready, and can never submit;
//! four eyes holds; one firm's client never reaches another's months; the
//! regulator's client reads the statistics and nothing of a firm's; every
//! read and write is audited with the client's id.

mod amendments;
mod every_rule;
mod idempotency;
mod incidents;
pub mod support;

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, return_versions};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{self, TestApp};
use crate::on_both_backends;
use support::{complete_document, firm_client, staff_client};

async fn a_drafted_return_is_seen_in_the_browser_and_four_eyes_holds(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    app.add_user(
        &mut admin,
        "second@alpha.example",
        "approver",
        Some(firm.id),
    )
    .await;
    let mut second = app.first_sign_in("second@alpha.example").await;
    let client = firm_client(&app, firm.id).await;

    let periods = client.get("/api/v1/periods").await;
    assert_eq!(periods.status, StatusCode::OK, "{}", periods.body);
    let april = periods.json["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2025-04")
        .unwrap()
        .clone();
    assert_eq!(april["state"], "not_started");
    // The 10th is a Saturday: due the next business day.
    assert_eq!(april["due"], "2025-05-12");

    let put = client
        .put_json("/api/v1/returns/2025-04/draft", "k-1", &complete_document())
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json["checks"]["ready"], true, "{}", put.body);
    assert_eq!(put.json["checks"]["errors"], json!([]));
    let etag = put.header("etag").unwrap();
    assert_eq!(
        etag,
        format!("\"{}\"", put.json["sha256"].as_str().unwrap())
    );

    // The browser shows the figures exactly as if typed.
    let page = helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(
        page.input_value("unauthorized_accesses").as_deref(),
        Some("12")
    );
    assert_eq!(page.input_value("purchase_amount").as_deref(), Some("800"));
    assert_eq!(
        page.input_value("contact_name").as_deref(),
        Some("Hanako Sato")
    );

    // Marked ready: the If-Match names the draft checked.
    let missing = client
        .post("/api/v1/returns/2025-04/draft/ready", "r-0", None)
        .await;
    assert_eq!(
        missing.status,
        StatusCode::PRECONDITION_REQUIRED,
        "{}",
        missing.body
    );
    let stale = client
        .post(
            "/api/v1/returns/2025-04/draft/ready",
            "r-1",
            Some(&format!("\"{}\"", "0".repeat(64))),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    let ready = client
        .post("/api/v1/returns/2025-04/draft/ready", "r-2", Some(&etag))
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.json["ready_for_approval"]["current"], true);
    let listed = client.get("/api/v1/periods").await;
    let april = listed.json["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2025-04")
        .unwrap()
        .clone();
    assert_eq!(april["state"], "ready_for_approval");

    // The client acts for the approver who registered it: that approver
    // prepared the draft and cannot submit it; the other approver can.
    let own = helpers::approve(&mut firm.approver, "2025-04").await;
    assert_ne!(
        own.status,
        StatusCode::SEE_OTHER,
        "the registrant is a preparer"
    );
    assert!(versions(&app) == 0);
    let filed = helpers::approve(&mut second, "2025-04").await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert_eq!(versions(&app), 1);

    // The version, its receipt and its review state, by API.
    let list = client.get("/api/v1/returns/2025-04/versions").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let first = &list.json["versions"][0];
    assert_eq!(first["version"], 1);
    assert_eq!(first["status"], "submitted");
    assert!(first["receipt_no"].as_str().unwrap().len() > 5);
    let one = client.get("/api/v1/returns/2025-04/versions/1").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.json["document"]["figures"]["unauthorized_accesses"], 12);
    let none = client.get("/api/v1/returns/2025-04/versions/2").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert_eq!(
        none.content_type.as_deref(),
        Some("application/problem+json")
    );

    // Every read and write is in the audit trail under the client's id.
    let labels: Vec<(String, String)> = {
        let mut conn = app.pool.get().unwrap();
        audit_events::table
            .filter(audit_events::actor.like("api-client:%"))
            .select((audit_events::action, audit_events::actor))
            .load(&mut conn)
            .unwrap()
    };
    let actions: Vec<&str> = labels.iter().map(|(a, _)| a.as_str()).collect();
    for expected in ["api.read", "return.draft_saved", "return.marked_ready"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        labels
            .iter()
            .all(|(_, l)| l == &format!("api-client:{}", client.id))
    );
}

fn versions(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn a_client_can_never_submit(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let put = client
        .put_json("/api/v1/returns/2025-04/draft", "k-1", &complete_document())
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    // No route of the API submits; the browser's submit route takes no
    // bearer token.
    for path in [
        "/api/v1/returns/2025-04/submit",
        "/api/v1/returns/2025-04/draft/submit",
        "/api/v1/returns/2025-04/versions",
    ] {
        let answer = client.post(path, "s-1", None).await;
        assert!(
            matches!(answer.status.as_u16(), 404 | 405),
            "{path}: {}",
            answer.status
        );
    }
    let browser_route = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/returns/2025-04/submit", app.address))
        .bearer_auth(&client.token)
        .form(&[("attestation", "yes")])
        .send()
        .await
        .unwrap();
    assert_ne!(browser_route.status(), StatusCode::OK);
    assert_eq!(versions(&app), 0, "nothing was filed");
}

async fn one_firms_client_never_reaches_another_firms_months(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let b = app.firm_with_users(&mut admin, "Bravo").await;
    helpers::file(
        &mut a,
        "2025-03",
        &helpers::figures("9", "9", "3", "900", "800", ""),
    )
    .await;
    helpers::prepare(
        &mut a.reporter,
        "2025-04",
        &helpers::figures("5", "5", "1", "100", "0", ""),
    )
    .await;
    let theirs = firm_client(&app, b.id).await;
    // Every route names only a month: the firm is the token's.
    let draft = theirs.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(draft.status, StatusCode::NOT_FOUND, "{}", draft.body);
    let versions = theirs.get("/api/v1/returns/2025-03/versions").await;
    assert_eq!(versions.status, StatusCode::OK);
    assert_eq!(versions.json["versions"], json!([]));
    let version = theirs.get("/api/v1/returns/2025-03/versions/1").await;
    assert_eq!(version.status, StatusCode::NOT_FOUND);
    let periods = theirs.get("/api/v1/periods").await;
    assert_eq!(periods.json["firm"], "Bravo Securities");
    assert!(!periods.body.contains("Alpha"));
    // B's writes land in B's own month, never A's.
    let put = theirs
        .put_json("/api/v1/returns/2025-04/draft", "b-1", &complete_document())
        .await;
    assert_eq!(put.status, StatusCode::OK);
    let page = helpers::sections(&mut a.reporter, "2025-04").await;
    assert_eq!(
        page.input_value("unauthorized_accesses").as_deref(),
        Some("5")
    );
    // A staff client reads no firm's months.
    let staff = staff_client(&app).await;
    for path in [
        "/api/v1/periods",
        "/api/v1/returns/2025-04/draft",
        "/api/v1/returns/2025-03/versions",
    ] {
        let answer = staff.get(path).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
        assert!(
            answer
                .header("www-authenticate")
                .is_some_and(|h| h.contains("insufficient_scope")),
            "{path}"
        );
    }
}

async fn the_regulators_client_reads_the_statistics(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    helpers::file(
        &mut a,
        "2025-03",
        &helpers::figures("9", "9", "3", "900", "800", ""),
    )
    .await;
    let staff = staff_client(&app).await;
    let summary = staff.get("/api/v1/summary?from=2025-03&to=2025-04").await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    let march = summary.json["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["period"] == "2025-03")
        .unwrap()
        .clone();
    assert_eq!(march["unauthorized_accesses"], 9);
    assert_eq!(march["purchase_amount_jpy"], 800);
    assert_eq!(summary.json["firms_with_fraudulent_trades"], 1);
    let past = staff
        .get("/api/v1/summary?from=2025-03&to=2025-04&as_of=2025-01-01T00:00:00%2B09:00")
        .await;
    assert_eq!(past.status, StatusCode::OK, "{}", past.body);
    assert_eq!(past.json["months"].as_array().map(Vec::len), Some(0));
    let bad = staff.get("/api/v1/summary?as_of=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let complete = staff
        .get("/api/v1/completeness?from=2025-03&to=2025-03")
        .await;
    assert_eq!(complete.status, StatusCode::OK, "{}", complete.body);
    assert_eq!(
        complete.json["periods"][0]["on_time"].as_u64().unwrap()
            + complete.json["periods"][0]["late"].as_u64().unwrap(),
        1
    );
    // A firm's client reads no statistics.
    let firm = firm_client(&app, a.id).await;
    let refused = firm.get("/api/v1/summary").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// (method, path, media type, body, the status expected).
type BadCall = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    u16,
);

async fn bad_requests_get_problem_details_never_a_500(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let cases: Vec<BadCall> = vec![
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("application/json"),
            b"{".to_vec(),
            400,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("text/plain"),
            b"{}".to_vec(),
            415,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("application/json"),
            b"[]".to_vec(),
            422,
        ),
        (
            "put",
            "/api/v1/returns/2099-01/draft",
            Some("application/json"),
            b"{}".to_vec(),
            404,
        ),
        (
            "put",
            "/api/v1/returns/nope/draft",
            Some("application/json"),
            b"{}".to_vec(),
            404,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("application/json"),
            br#"{"attestation": true}"#.to_vec(),
            422,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("application/json"),
            br#"{"figures": {"unauthorized_accesses": "12"}}"#.to_vec(),
            422,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft/trades",
            Some("application/pdf"),
            b"%PDF".to_vec(),
            415,
        ),
        (
            "post",
            "/api/v1/validate",
            Some("application/json"),
            br#"{"period": "2025-13"}"#.to_vec(),
            422,
        ),
        (
            "post",
            "/api/v1/validate",
            Some("application/json"),
            br#"{"period": "2025-04", "extra": 1}"#.to_vec(),
            422,
        ),
        (
            "put",
            "/api/v1/returns/2025-04/draft",
            Some("application/json"),
            vec![b' '; 300 * 1024],
            413,
        ),
    ];
    for (i, (method, path, kind, body, expected)) in cases.into_iter().enumerate() {
        let answer = client
            .send(method, path, &format!("bad-{i}"), kind, body)
            .await;
        assert_eq!(
            answer.status.as_u16(),
            expected,
            "{method} {path} #{i}: {}",
            answer.body
        );
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/problem+json"),
            "{method} {path} #{i}"
        );
        assert_eq!(answer.json["status"], expected);
    }
    // Nothing was stored by any of them.
    let draft = client.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(draft.status, StatusCode::NOT_FOUND);
    // Validate stores nothing either.
    let body = json!({"period": "2025-04", "draft": complete_document()});
    let validated = client
        .send(
            "post",
            "/api/v1/validate",
            "v-1",
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(validated.status, StatusCode::OK, "{}", validated.body);
    assert_eq!(validated.json["checks"]["ready"], true);
    let draft = client.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(
        draft.status,
        StatusCode::NOT_FOUND,
        "validate stored nothing"
    );
    // Japanese messages on request.
    let ja = client
        .with_language("ja")
        .get("/api/v1/returns/2025-04/draft")
        .await;
    assert!(
        ja.json["title"].as_str().unwrap().contains("下書き"),
        "{}",
        ja.body
    );
}

on_both_backends!(
    a_drafted_return_is_seen_in_the_browser_and_four_eyes_holds,
    a_client_can_never_submit,
    one_firms_client_never_reaches_another_firms_months,
    the_regulators_client_reads_the_statistics,
    bad_requests_get_problem_details_never_a_500,
);

/// A client's requests beyond its minute are refused at once (429 with
/// `Retry-After`), and another client keeps its own budget.
#[actix_web::test]
async fn a_client_over_its_minute_is_told_when_to_come_back() {
    let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let limits = incident_portal::config::Limits {
        api_requests_per_minute: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_limited(
        incident_portal::db::Backend::Sqlite,
        incident_portal::clock::Clock::fixed(at),
        limits,
    )
    .await;
    let mut admin = app.setup_admin().await;
    let a = app.firm_with_users(&mut admin, "Alpha").await;
    let b = app.firm_with_users(&mut admin, "Bravo").await;
    let (first, second) = (firm_client(&app, a.id).await, firm_client(&app, b.id).await);
    for _ in 0..3 {
        assert_eq!(first.get("/api/v1/periods").await.status, StatusCode::OK);
    }
    let refused = first.get("/api/v1/periods").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(
        refused.content_type.as_deref(),
        Some("application/problem+json")
    );
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(second.get("/api/v1/periods").await.status, StatusCode::OK);
}
