//! The filing API's OpenAPI document and its reference page: anyone reads
//! both; every answer of a whole filing session — successes, refusals,
//! replays — is one the document allows (its status, media type, body
//! schema and required headers); the page lists every operation in both
//! languages, with the draft's members and the rules that read them, and
//! `/rules` and the firm's API clients page link to it.

pub mod conformance;

use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

use crate::api_support::{TestKey, request_token, token_url};
use crate::filing_api::support::{answer, complete_document, firm_client, staff_client};
use crate::helpers::TestApp;
use crate::on_both_backends;
use conformance::Document;

const DRAFT: &str = "/api/v1/returns/{period}/draft";
const READY: &str = "/api/v1/returns/{period}/draft/ready";
const TRADES: &str = "/api/v1/returns/{period}/draft/trades";

async fn every_answer_of_a_filing_session_conforms_to_the_document(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm = app.firm_with_users(&mut admin, "Alpha").await;
    let doc = Document::fetch(&app.address).await;
    assert_eq!(doc.json["openapi"], "3.1.0");
    assert_eq!(doc.json["servers"][0]["url"], app.address.as_str());
    let client = firm_client(&app, firm.id).await;
    let staff = staff_client(&app).await;

    // The token endpoint, refusing in OAuth's words.
    let key = TestKey::es256();
    let stranger = key.assertion(
        app.clock.now(),
        "pc_AAAAAAAAAAAAAAAAAAAAAA",
        &token_url(&app.address),
        "jti-1",
        60,
    );
    let refused = answer(request_token(&app.address, &stranger, None).await).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    doc.check("post", "/api/v1/token", &refused);
    let no_form = answer(
        reqwest::Client::new()
            .post(token_url(&app.address))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_form.status, StatusCode::BAD_REQUEST);
    doc.check("post", "/api/v1/token", &no_form);

    // No token, a token that is none, a token without the scope.
    let anonymous = answer(
        reqwest::get(format!("{}/api/v1/periods", app.address))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    doc.check("get", "/api/v1/periods", &anonymous);
    let forged = answer(
        reqwest::Client::new()
            .get(format!("{}/api/v1/whoami", app.address))
            .bearer_auth("Q".repeat(43))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    doc.check("get", "/api/v1/whoami", &forged);
    for (path, template) in [
        ("/api/v1/whoami", "/api/v1/whoami"),
        ("/api/v1/periods", "/api/v1/periods"),
        ("/api/v1/summary", "/api/v1/summary"),
    ] {
        doc.check("get", template, &client.get(path).await);
    }
    doc.check(
        "get",
        "/api/v1/periods",
        &staff.get("/api/v1/periods").await,
    );

    // The draft: none yet, put, read, refused in every way, replayed.
    let none = client.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    doc.check("get", DRAFT, &none);
    let future = client.get("/api/v1/returns/2031-01/draft").await;
    assert_eq!(future.status, StatusCode::NOT_FOUND);
    doc.check("get", DRAFT, &future);
    let put = client
        .put_json("/api/v1/returns/2025-04/draft", "k-1", &complete_document())
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    doc.check("put", DRAFT, &put);
    let replay = client
        .put_json("/api/v1/returns/2025-04/draft", "k-1", &complete_document())
        .await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(
        replay.header("etag"),
        put.header("etag"),
        "a replay names the same draft"
    );
    doc.check("put", DRAFT, &replay);
    let reused = client
        .put_json("/api/v1/returns/2025-04/draft", "k-1", &json!({}))
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    doc.check("put", DRAFT, &reused);
    let calls: [(&str, Option<&str>, &[u8], u16); 5] = [
        ("k-2", Some("application/json"), b"{", 400),
        ("k-3", Some("text/plain"), b"{}", 415),
        ("k-4", Some("application/json"), br#"{"figures": 1}"#, 422),
        ("", Some("application/json"), b"{}", 400),
        ("k-5", Some("application/json"), &[b' '; 300 * 1024], 413),
    ];
    for (key, kind, body, status) in calls {
        let refused = client
            .send(
                "put",
                "/api/v1/returns/2025-04/draft",
                key,
                kind,
                body.to_vec(),
            )
            .await;
        assert_eq!(refused.status.as_u16(), status, "{}", refused.body);
        doc.check("put", DRAFT, &refused);
    }
    let read = client.get("/api/v1/returns/2025-04/draft").await;
    assert_eq!(read.status, StatusCode::OK);
    doc.check("get", DRAFT, &read);

    // Trade detail as CSV, and as JSON rows that break rules.
    // The three trades behind the figures: 900 yen sold, 800 bought at home.
    let csv = "trade_date,side,security_code,market,quantity,amount_jpy,account_ref\n\
               2025-04-02,sell,9984,domestic,10,400,acct-1\n\
               2025-04-02,sell,6758,domestic,5,500,acct-1\n\
               2025-04-03,buy,7203,domestic,100,800,acct-1\n";
    let trades = client
        .send(
            "put",
            "/api/v1/returns/2025-04/draft/trades",
            "t-1",
            Some("text/csv"),
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(trades.status, StatusCode::OK, "{}", trades.body);
    doc.check("put", TRADES, &trades);
    let rows = json!([{"trade_date": "2025-13-01", "side": "hold", "quantity": 1.5}]);
    let bad_rows = client
        .put_json("/api/v1/returns/2025-04/draft/trades", "t-2", &rows)
        .await;
    assert_eq!(bad_rows.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad_rows.json["errors"].as_array().unwrap().is_empty());
    doc.check("put", TRADES, &bad_rows);

    // Ready: without If-Match, stale, then the draft read.
    let read = client.get("/api/v1/returns/2025-04/draft").await;
    let etag = read.header("etag").unwrap();
    let stale = format!("\"{}\"", "0".repeat(64));
    for (key, if_match, status) in [
        ("r-1", None, 428),
        ("r-2", Some(stale.as_str()), 412),
        ("r-3", Some(etag.as_str()), 200),
    ] {
        let answer = client
            .post("/api/v1/returns/2025-04/draft/ready", key, if_match)
            .await;
        assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
        doc.check("post", READY, &answer);
    }

    // Validate: checks, and a request that is none.
    for (key, body, status) in [
        (
            "v-1",
            json!({"period": "2025-04", "draft": complete_document()}),
            200,
        ),
        (
            "v-2",
            json!({"period": "2025-04", "draft": {"figures": {"sale_amount": 5}}}),
            200,
        ),
        (
            "v-3",
            json!({"period": "2025-04", "draft": {"figures": {"sale_amount": -1}}}),
            422,
        ),
        ("v-4", json!({"draft": {}}), 422),
    ] {
        let answer = client
            .send(
                "post",
                "/api/v1/validate",
                key,
                Some("application/json"),
                body.to_string().into_bytes(),
            )
            .await;
        assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
        doc.check("post", "/api/v1/validate", &answer);
    }

    // Versions, and the regulator's figures.
    let versions = client.get("/api/v1/returns/2025-04/versions").await;
    doc.check("get", "/api/v1/returns/{period}/versions", &versions);
    let missing = client.get("/api/v1/returns/2025-04/versions/3").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    doc.check(
        "get",
        "/api/v1/returns/{period}/versions/{version}",
        &missing,
    );
    for path in [
        "/api/v1/summary?from=2025-01&to=2025-04",
        "/api/v1/summary?as_of=2025-04-16",
        "/api/v1/summary?as_of=never",
        "/api/v1/summary?from=a&from=b",
    ] {
        doc.check("get", "/api/v1/summary", &staff.get(path).await);
    }
    for path in ["/api/v1/completeness", "/api/v1/completeness?from=2025-01"] {
        doc.check("get", "/api/v1/completeness", &staff.get(path).await);
    }
    doc.check(
        "get",
        "/api/v1/completeness",
        &client.get("/api/v1/completeness").await,
    );
}

fn texts(page: &Html, selector: &str) -> Vec<String> {
    page.select(&Selector::parse(selector).unwrap())
        .map(|e| e.text().collect::<String>())
        .collect()
}

async fn the_reference_page_lists_every_operation_in_both_languages(app: TestApp) {
    let doc = Document::fetch(&app.address).await;
    let mut operations = Vec::new();
    for (path, item) in doc.json["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    assert_eq!(operations.len(), 18);
    for (lang, title, summary, required) in [
        (
            "en",
            "Filing API reference",
            "Replace the month's draft",
            "required",
        ),
        (
            "ja",
            "報告 API リファレンス",
            "指定した月の下書きを置き換える",
            "必須",
        ),
    ] {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/reference", app.address))
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/html"), "{kind}");
        let body = response.text().await.unwrap();
        let page = Html::parse_document(&body);
        assert_eq!(texts(&page, "h1"), [title]);
        let mut headings = texts(&page, "section.operation h2");
        assert_eq!(headings[0], "POST /api/v1/token", "{lang}: the token first");
        headings.sort();
        operations.sort();
        assert_eq!(headings, operations, "{lang}: one section per operation");
        let put = Selector::parse("section#put_draft").unwrap();
        let put = page.select(&put).next().expect("the PUT draft section");
        let put_text: String = put.text().collect();
        assert!(put_text.contains(summary), "{lang}");
        assert!(put_text.contains("returns:draft"), "{lang}: its scope");
        assert!(put_text.contains("Idempotency-Key") && put_text.contains(required));
        // The draft's members, with types, limits and their rules.
        let members: Vec<String> = put
            .select(&Selector::parse("dl.members .summary-row").unwrap())
            .map(|row| row.text().collect::<String>())
            .collect();
        assert!(
            members[0].starts_with("/nil_return"),
            "as declared: {members:?}"
        );
        let member = members
            .iter()
            .find(|row| row.starts_with("/figures/unauthorized_accesses"))
            .expect("the member is listed");
        assert!(member.contains("integer"), "{member}");
        assert!(member.contains("1,000,000,000,000"), "{member}");
        let rule_links: Vec<String> = put
            .select(&Selector::parse("a[href^=\"/rules#\"]").unwrap())
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        for family in ["/rules#DOC-E", "/rules#RET-E", "/rules#RET-W"] {
            assert!(
                rule_links.iter().any(|l| l.starts_with(family)),
                "{lang}: {family} in {rule_links:?}"
            );
        }
        // Every status the document gives, each with its meaning.
        let statuses: Vec<String> = put
            .select(&Selector::parse("dl.statuses .summary-row").unwrap())
            .filter_map(|row| row.value().attr("data-status").map(str::to_owned))
            .collect();
        let documented: Vec<String> =
            doc.json["paths"]["/api/v1/returns/{period}/draft"]["put"]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
        assert_eq!(statuses, documented);
        let trades = page
            .select(&Selector::parse("section#put_trades").unwrap())
            .next()
            .unwrap();
        let trades_text: String = trades.text().collect();
        assert!(trades_text.contains("/{n}/trade_date"), "{lang}");
        assert!(trades_text.contains("TRD-E"), "{lang}");
        assert!(body.contains("href=\"/api/v1/openapi.json\""));
        assert!(!body.contains("<script>"), "no inline script");
    }
}

async fn the_rules_and_the_api_clients_pages_link_to_the_reference(app: TestApp) {
    let rules = reqwest::get(format!("{}/rules", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rules.contains("href=\"/api/v1/reference\""));
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let link = Selector::parse("a#api-reference").unwrap();
    for (browser, path) in [
        (&mut firm.approver, "/firm/api-clients"),
        (&mut admin, "/admin/api-clients"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK);
        let href = page
            .html()
            .select(&link)
            .next()
            .and_then(|a| a.value().attr("href").map(str::to_owned));
        assert_eq!(href.as_deref(), Some("/api/v1/reference"), "{path}");
    }
}

on_both_backends!(
    every_answer_of_a_filing_session_conforms_to_the_document,
    the_reference_page_lists_every_operation_in_both_languages,
    the_rules_and_the_api_clients_pages_link_to_the_reference,
);
