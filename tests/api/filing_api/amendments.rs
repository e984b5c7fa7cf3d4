//! An amendment through the filing API: the draft of a month that already
//! has a version carries its reason (`amendment`), without which it cannot
//! be marked ready; the approver's page offers the reason sent, and the
//! version is filed with it.

use diesel::prelude::*;
use incident_portal::db::schema::{return_versions, version_amendments};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{complete_document, firm_client};
use crate::helpers::{self, TestApp};
use crate::on_both_backends;

/// The rule IDs and pointers of an answer's errors (a 200's checks or a
/// 422's problem).
fn errors(answer: &Value) -> Vec<(String, String)> {
    [&answer["checks"]["errors"], &answer["errors"]]
        .into_iter()
        .flat_map(|list| list.as_array().cloned().unwrap_or_default())
        .map(|e| {
            (
                e["rule"].as_str().unwrap().to_owned(),
                e["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn amendment_rules(answer: &Value) -> Vec<(String, String)> {
    errors(answer)
        .into_iter()
        .filter(|(rule, _)| rule == "RET-E023" || rule == "RET-E024")
        .collect()
}

async fn an_api_client_amends_with_a_reason_the_approver_files(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    app.add_user(
        &mut admin,
        "second@alpha.example",
        "approver",
        Some(firm.id),
    )
    .await;
    let mut second = app.first_sign_in("second@alpha.example").await;
    let client = firm_client(&app, firm.id).await;

    // A first version needs no reason.
    let first = client
        .put_json("/api/v1/returns/2025-04/draft", "a-1", &complete_document())
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json["checks"]["ready"], true, "{}", first.body);
    assert_eq!(amendment_rules(&first.json), []);
    let etag = first.header("etag").unwrap();
    let ready = client
        .post("/api/v1/returns/2025-04/draft/ready", "a-2", Some(&etag))
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    let filed = helpers::approve(&mut second, "2025-04").await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);

    // Version 2 without its reason: both rules at their pointers, and
    // marking it ready is refused with them.
    let mut amended = complete_document();
    amended["figures"]["unauthorized_accesses"] = json!(13);
    amended["vectors"]["phishing"] = json!(13);
    let bare = client
        .put_json("/api/v1/returns/2025-04/draft", "a-3", &amended)
        .await;
    assert_eq!(bare.status, StatusCode::OK, "{}", bare.body);
    assert_eq!(bare.json["checks"]["ready"], false, "{}", bare.body);
    assert_eq!(
        amendment_rules(&bare.json),
        [
            ("RET-E023".to_owned(), "/amendment/reason".to_owned()),
            ("RET-E024".to_owned(), "/amendment/text".to_owned()),
        ],
        "{}",
        bare.body
    );
    for e in bare.json["checks"]["errors"].as_array().unwrap() {
        assert_eq!(e["severity"], "error");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let etag = bare.header("etag").unwrap();
    let refused = client
        .post("/api/v1/returns/2025-04/draft/ready", "a-4", Some(&etag))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(
        refused.content_type.as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(amendment_rules(&refused.json).len(), 2, "{}", refused.body);

    // With its reason: checked, kept, given back, marked ready.
    amended["amendment"] = json!({
        "reason": "late_discovery",
        "text": "One more case found in May.\nAdded to the figures."
    });
    let given = client
        .put_json("/api/v1/returns/2025-04/draft", "a-5", &amended)
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    assert_eq!(given.json["checks"]["ready"], true, "{}", given.body);
    assert_eq!(given.json["draft"]["amendment"], amended["amendment"]);
    let read = client.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(read.json["draft"]["amendment"], amended["amendment"]);
    let etag = given.header("etag").unwrap();
    let ready = client
        .post("/api/v1/returns/2025-04/draft/ready", "a-6", Some(&etag))
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);

    // The approver's page offers the reason sent.
    let page = second.get("/returns/2025-04/approve").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = page.html();
    let one = |css: &str| {
        html.select(&scraper::Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one("#amendment_reason option[selected]"),
        ["Late discovery of cases"],
        "{}",
        page.body
    );
    assert_eq!(
        one("#amendment_reason_text"),
        ["One more case found in May.\nAdded to the figures."]
    );

    // Submitted as offered: version 2 keeps the reason sent.
    let filed = second
        .submit_form(
            &page,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("amendment_reason", "late_discovery"),
                (
                    "amendment_reason_text",
                    "One more case found in May.\nAdded to the figures.",
                ),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let mut conn = app.pool.get().unwrap();
    let kept: Vec<(i32, String, String)> = version_amendments::table
        .inner_join(return_versions::table)
        .filter(return_versions::firm_id.eq(firm.id))
        .select((
            return_versions::version_no,
            version_amendments::reason,
            version_amendments::reason_text,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        kept,
        [(
            2,
            "late_discovery".to_owned(),
            "One more case found in May.\nAdded to the figures.".to_owned()
        )]
    );
}

async fn a_reason_not_on_the_list_is_refused_with_its_pointer(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let client = firm_client(&app, firm.id).await;
    let mut document = complete_document();
    document["amendment"] = json!({"reason": "because\u{0}", "text": "x".repeat(2001)});
    let refused = client
        .put_json("/api/v1/returns/2025-04/draft", "b-1", &document)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(
        errors(&refused.json),
        [
            ("RET-E009".to_owned(), "/amendment/reason".to_owned()),
            ("RET-E005".to_owned(), "/amendment/text".to_owned()),
        ],
        "{}",
        refused.body
    );
    document["amendment"] = json!({"reason": "correction", "surprise": 1});
    let refused = client
        .put_json("/api/v1/returns/2025-04/draft", "b-2", &document)
        .await;
    assert_eq!(
        errors(&refused.json),
        [("DOC-E002".to_owned(), "/amendment/surprise".to_owned())],
        "{}",
        refused.body
    );
}

on_both_backends!(
    an_api_client_amends_with_a_reason_the_approver_files,
    a_reason_not_on_the_list_is_refused_with_its_pointer,
);
