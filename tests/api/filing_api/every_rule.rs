//! Every rule of the catalogue raised through the API, each with its ID
//! and the JSON Pointer of the member at fault: in a draft put whole, in
//! a draft typed in the browser and read by API, in the trade detail (CSV
//! and JSON rows), and against the trade detail attached. (An incident
//! report's rules: `incidents.rs` beside this.)

use std::collections::BTreeSet;

use incident_portal::domain::rules::{CATALOGUE, Subject};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Answer, ApiClient, complete_document, firm_client};
use crate::helpers::{self, TestApp};
use crate::on_both_backends;

const HEADER: &str = "trade_date,side,security_code,market,quantity,amount_jpy,account_ref";
const LINE: &str = "2025-04-03,sell,7203,domestic,100,100000,ACC-0001";
/// Rows of `LINE` that fill more than the first mebibyte of a file.
const PAST_SNIFF: usize = 22_000;
const PAST_SNIFF_POINTER: &str = "/22000/account_ref";

/// (rule, pointer) of every problem an answer lists (errors and warnings,
/// of a 200's checks or a 422's problem).
fn found(answer: &Answer) -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    let lists = [
        &answer.json["errors"],
        &answer.json["checks"]["errors"],
        &answer.json["checks"]["warnings"],
    ];
    for list in lists {
        for e in list.as_array().into_iter().flatten() {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            assert!(
                matches!(e["severity"].as_str(), Some("error" | "warning")),
                "{e}"
            );
            all.insert((
                e["rule"].as_str().unwrap().to_owned(),
                e["pointer"].as_str().unwrap().to_owned(),
            ));
        }
    }
    all
}

/// `document` with `path` (member names) set to `value`.
fn with(mut document: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut document;
    for name in &path[..path.len() - 1] {
        if at.get(*name).is_none() {
            at[*name] = json!({});
        }
        at = &mut at[*name];
    }
    at[path[path.len() - 1]] = value;
    document
}

struct Seen {
    covered: BTreeSet<String>,
}

impl Seen {
    fn expect(&mut self, what: &str, answer: &Answer, rule: &str, pointer: &str) {
        let listed = found(answer);
        assert!(
            listed.contains(&(rule.to_owned(), pointer.to_owned())),
            "{what}: expected {rule} at {pointer:?} in {} {}",
            answer.status,
            answer.body
        );
        if answer.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(
                answer.content_type.as_deref(),
                Some("application/problem+json")
            );
        }
        self.covered.insert(rule.to_owned());
    }
}

async fn draft(client: &ApiClient, key: &str, document: &Value) -> Answer {
    client
        .put_json("/api/v1/returns/2025-04/draft", key, document)
        .await
}

async fn trades(client: &ApiClient, key: &str, kind: &str, body: Vec<u8>) -> Answer {
    client
        .send(
            "put",
            "/api/v1/returns/2025-04/draft/trades",
            key,
            Some(kind),
            body,
        )
        .await
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = format!("{HEADER}\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text.into_bytes()
}

/// Alpha's reporter sends an incident that began on `day` (as its initial
/// notification, the next day).
fn send_incident(app: &TestApp, day: &str, accounts: &str, trades: &str) {
    use crate::incidents::lifecycle::{firm_actor, initial_form, tokyo};
    use incident_portal::domain::incident::{IncidentSource, IncidentStage, ReportForm};
    use incident_portal::services::incidents::{self, Outcome, Target};
    let form = ReportForm {
        occurred_on: day.into(),
        aware_at: format!("{day}T21:00"),
        classified_at: format!("{day}T22:00"),
        accounts: accounts.into(),
        trades: trades.into(),
        ..initial_form()
    };
    let (who, actor) = firm_actor(app, "reporter@alpha.example");
    let mut conn = app.pool.get().unwrap();
    let outcome = incidents::send(
        &mut conn,
        &actor,
        who,
        Target::New,
        IncidentStage::Initial,
        &form,
        tokyo("2025-05-01T12:00"),
        IncidentSource::Portal,
    )
    .unwrap()
    .unwrap();
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
}

async fn every_rule_is_raised_with_its_id_and_pointer(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    // March for the tenfold warning.
    helpers::file(
        &mut firm,
        "2025-03",
        &helpers::figures("1", "1", "1", "10", "10", ""),
    )
    .await;
    let client = firm_client(&app, firm.id).await;
    let mut seen = Seen {
        covered: BTreeSet::new(),
    };
    let base = complete_document();
    let mut n = 0;
    let mut key = || {
        n += 1;
        format!("rule-{n}")
    };

    // Rules over the return, by a document put whole.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "RET-E001",
            with(
                base.clone(),
                &["figures", "unauthorized_accesses"],
                Value::Null,
            ),
            "/figures/unauthorized_accesses",
        ),
        (
            "RET-E004",
            with(
                base.clone(),
                &["figures", "sale_amount"],
                json!(10_000_000_000_000_000_i64),
            ),
            "/figures/sale_amount",
        ),
        (
            "RET-E005",
            with(base.clone(), &["contact", "name"], json!("名".repeat(500))),
            "/contact/name",
        ),
        (
            "RET-E006",
            with(base.clone(), &["contact", "name"], json!("Hanako\u{7}")),
            "/contact/name",
        ),
        (
            "RET-E007",
            with(base.clone(), &["contact", "email"], json!("not an address")),
            "/contact/email",
        ),
        (
            "RET-E008",
            with(base.clone(), &["contact", "phone"], json!("call me")),
            "/contact/phone",
        ),
        (
            "RET-E009",
            with(
                base.clone(),
                &["losses", "compensation_policy"],
                Value::Null,
            ),
            "/losses/compensation_policy",
        ),
        (
            "RET-E010",
            with(
                with(
                    base.clone(),
                    &["losses", "compensation_policy"],
                    json!("partial"),
                ),
                &["losses", "compensation_percent"],
                json!(150),
            ),
            "/losses/compensation_percent",
        ),
        (
            "RET-E012",
            with(
                base.clone(),
                &["remediation", "checklist", "mfa_mandatory"],
                json!({"status": "planned", "date": "2020-01-31"}),
            ),
            "/remediation/checklist/mfa_mandatory/date",
        ),
        (
            "RET-E013",
            with(
                base.clone(),
                &["remediation", "checklist", "mfa_mandatory"],
                json!({"status": "planned"}),
            ),
            "/remediation/checklist/mfa_mandatory/date",
        ),
        (
            "RET-E014",
            with(base.clone(), &["figures", "fraudulent_trades"], json!(13)),
            "/figures/fraudulent_trades",
        ),
        (
            "RET-E015",
            with(
                with(
                    with(base.clone(), &["figures", "fraudulent_trades"], json!(0)),
                    &["purchase_by_market", "domestic"],
                    json!(800),
                ),
                &["figures", "sale_amount"],
                json!(900),
            ),
            "/figures/sale_amount",
        ),
        (
            "RET-E016",
            with(
                with(
                    with(base.clone(), &["figures", "sale_amount"], json!(0)),
                    &["figures", "purchase_amount"],
                    json!(0),
                ),
                &["purchase_by_market", "domestic"],
                json!(0),
            ),
            "/figures/sale_amount",
        ),
        (
            "RET-E017",
            with(
                with(
                    with(
                        with(
                            with(
                                base.clone(),
                                &["figures", "unauthorized_accesses"],
                                json!(0),
                            ),
                            &["figures", "fraudulent_trades"],
                            json!(0),
                        ),
                        &["figures", "sale_amount"],
                        json!(0),
                    ),
                    &["figures", "purchase_amount"],
                    json!(0),
                ),
                &["purchase_by_market", "domestic"],
                json!(0),
            ),
            "/figures/affected_accounts",
        ),
        (
            "RET-E018",
            with(
                base.clone(),
                &["purchase_by_market", "domestic"],
                json!(700),
            ),
            "/purchase_by_market/domestic",
        ),
        (
            "RET-W001",
            with(base.clone(), &["figures", "affected_accounts"], json!(20)),
            "/figures/affected_accounts",
        ),
        (
            "RET-E019",
            with(base.clone(), &["figures", "affected_accounts"], json!(20)),
            "/warnings_explanation",
        ),
        (
            "RET-W002",
            with(
                base.clone(),
                &["figures", "unauthorized_accesses"],
                json!(12),
            ),
            "/figures/unauthorized_accesses",
        ),
        (
            "RET-W003",
            with(base.clone(), &["losses", "compensation_paid"], json!(5)),
            "/losses/compensation_paid",
        ),
    ];
    for (rule, document, pointer) in cases {
        let answer = draft(&client, &key(), &document).await;
        seen.expect(rule, &answer, rule, pointer);
    }

    // Values a person typed in the browser that a document cannot hold,
    // read back by API with their rule.
    let typed: Vec<(&str, &str, &str, &str)> = vec![
        (
            "RET-E002",
            "unauthorized_accesses",
            "twelve",
            "/figures/unauthorized_accesses",
        ),
        (
            "RET-E003",
            "unauthorized_accesses",
            "-5",
            "/figures/unauthorized_accesses",
        ),
        (
            "RET-E011",
            "check_mfa_mandatory_date",
            "31/05/2025",
            "/remediation/checklist/mfa_mandatory/date",
        ),
    ];
    for (rule, field, value, pointer) in typed {
        let mut fields = helpers::figures("12", "10", "3", "900", "800", "");
        fields.retain(|(name, _)| *name != field && *name != "attestation");
        fields.push((field, value));
        if field.starts_with("check_") {
            fields.retain(|(name, _)| *name != "check_mfa_mandatory");
            fields.push(("check_mfa_mandatory", "planned"));
        }
        helpers::prepare(&mut firm.reporter, "2025-04", &fields).await;
        let answer = client.get("/api/v1/returns/2025-04/draft").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        seen.expect(rule, &answer, rule, pointer);
    }

    // The trade detail, as CSV and as JSON rows.
    let long = format!(
        "2025-04-03,sell,7203,domestic,100,100000,{}",
        "A".repeat(1 << 20)
    );
    let csv_cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("TRD-E001", Vec::new(), ""),
        ("TRD-E002", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), ""),
        ("TRD-E003", b"\xFF\xFEt\0r\0".to_vec(), ""),
        ("TRD-E005", b"a,b,c\n1,2,3\n".to_vec(), ""),
        ("TRD-E006", format!("{HEADER}\n").into_bytes(), ""),
        (
            "TRD-E008",
            csv(&[
                "2025-04-03,sell,7203,domestic,1,1000000000000000,ACC-0001",
                "2025-04-03,sell,7203,domestic,1,1000000000000000,ACC-0002",
            ]),
            "",
        ),
        (
            "TRD-E009",
            csv(&[LINE, "2025-04-03,sell,7203,domestic,100,100000"]),
            "/1",
        ),
        ("TRD-E010", csv(&[LINE, &long]), "/1/account_ref"),
        // Past the first mebibyte, where the encoding was told.
        (
            "TRD-E011",
            [
                csv(&vec![LINE; PAST_SNIFF]),
                b"2025-04-03,sell,7203,domestic,1,1000,AC\xFF\xFE1\n".to_vec(),
            ]
            .concat(),
            PAST_SNIFF_POINTER,
        ),
        (
            "TRD-E012",
            csv(&[LINE, "2025-04-03,sell,7203,domestic,1,1000,ACC\u{0}1"]),
            "/1/account_ref",
        ),
        (
            "TRD-E013",
            csv(&[LINE, "2025-04-03,sell,7203,domestic,1,1000,AC\"C1"]),
            "/1/account_ref",
        ),
        (
            "TRD-E014",
            csv(&["2025-04-03,,7203,domestic,1,1000,ACC-0001"]),
            "/0/side",
        ),
        (
            "TRD-E015",
            csv(&["April 3rd,sell,7203,domestic,1,1000,ACC-0001"]),
            "/0/trade_date",
        ),
        (
            "TRD-E016",
            csv(&["2025-03-31,sell,7203,domestic,1,1000,ACC-0001"]),
            "/0/trade_date",
        ),
        (
            "TRD-E017",
            csv(&["2025-04-03,hold,7203,domestic,1,1000,ACC-0001"]),
            "/0/side",
        ),
        (
            "TRD-E018",
            csv(&["2025-04-03,sell,72/03,domestic,1,1000,ACC-0001"]),
            "/0/security_code",
        ),
        (
            "TRD-E019",
            csv(&["2025-04-03,sell,7203,moon,1,1000,ACC-0001"]),
            "/0/market",
        ),
        (
            "TRD-E020",
            csv(&["2025-04-03,sell,7203,domestic,0,1000,ACC-0001"]),
            "/0/quantity",
        ),
        (
            "TRD-E021",
            csv(&["2025-04-03,sell,7203,domestic,1,0,ACC-0001"]),
            "/0/amount_jpy",
        ),
        (
            "TRD-E022",
            csv(&["2025-04-03,sell,7203,domestic,1,99999999999999999999,ACC-0001"]),
            "/0/amount_jpy",
        ),
        (
            "TRD-E023",
            csv(&["2025-04-03,sell,7203,domestic,1,1000,A!"]),
            "/0/account_ref",
        ),
        (
            "TRD-E024",
            csv(&["2025-04-03,sell,7203,domestic,1,1000,1234567890"]),
            "/0/account_ref",
        ),
        (
            "TRD-E025",
            csv(&["2025-04-03,sell,7203,domestic,1,1000,kei@example.com"]),
            "/0/account_ref",
        ),
    ];
    for (rule, body, pointer) in csv_cases {
        let answer = trades(&client, &key(), "text/csv", body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rule}: {}",
            answer.body
        );
        seen.expect(rule, &answer, rule, pointer);
    }
    let big = vec![b'a'; 21 * 1024 * 1024];
    let answer = trades(&client, &key(), "text/csv", big).await;
    seen.expect("TRD-E004", &answer, "TRD-E004", "");
    let mut many = format!("{HEADER}\n");
    for _ in 0..200_001 {
        many.push_str("2025-04-03,sell,7203,domestic,1,1,ACC-0001\n");
    }
    let answer = trades(&client, &key(), "text/csv", many.into_bytes()).await;
    seen.expect("TRD-E007", &answer, "TRD-E007", "");
    let rows = json!([
        {"trade_date": "2025-04-03", "side": "sell", "security_code": "7203", "market": "domestic", "quantity": 100, "amount_jpy": 100000, "account_ref": "ACC-0001"},
        {"trade_date": "2025-04-03", "side": "sell", "security_code": "7203", "market": "domestic", "quantity": "lots", "amount_jpy": 100000, "account_ref": "ACC-0001"}
    ]);
    let answer = trades(
        &client,
        &key(),
        "application/json",
        rows.to_string().into_bytes(),
    )
    .await;
    seen.expect("JSON rows", &answer, "TRD-E020", "/1/quantity");

    // The figures against the trade detail attached.
    let attached = trades(&client, &key(), "text/csv", csv(&[LINE])).await;
    assert_eq!(attached.status, StatusCode::OK, "{}", attached.body);
    assert_eq!(attached.json["rows"], 1);
    let answer = draft(&client, &key(), &base).await;
    seen.expect(
        "RET-E020",
        &answer,
        "RET-E020",
        "/figures/fraudulent_trades",
    );
    seen.expect("RET-E021", &answer, "RET-E021", "/figures/sale_amount");
    seen.expect("RET-E022", &answer, "RET-E022", "/figures/purchase_amount");

    // The document's own shape.
    let shapes: Vec<(Value, &str)> = vec![
        (
            with(
                base.clone(),
                &["figures", "unauthorized_accesses"],
                json!("12"),
            ),
            "/figures/unauthorized_accesses",
        ),
        (with(base.clone(), &["surprise"], json!(1)), "/surprise"),
        (
            with(base.clone(), &["attestation"], json!(true)),
            "/attestation",
        ),
        (with(base.clone(), &["figures"], json!([1, 2])), "/figures"),
        (
            with(
                base.clone(),
                &["losses", "compensation_policy"],
                json!("most"),
            ),
            "/losses/compensation_policy",
        ),
        (
            with(
                base.clone(),
                &["remediation", "checklist", "mfa_mandatory", "status"],
                json!("soon"),
            ),
            "/remediation/checklist/mfa_mandatory/status",
        ),
        (
            with(
                base.clone(),
                &["remediation", "checklist", "mfa_mandatory"],
                json!({"status": "planned", "date": "next week"}),
            ),
            "/remediation/checklist/mfa_mandatory/date",
        ),
        (
            with(base.clone(), &["contact", "name"], json!(7)),
            "/contact/name",
        ),
        (
            with(base.clone(), &["amendment", "reason"], json!("because")),
            "/amendment/reason",
        ),
        (
            with(base.clone(), &["nil_return"], json!("yes")),
            "/nil_return",
        ),
        (
            with(base.clone(), &["nil_return"], json!(true)),
            "/nil_return",
        ),
    ];
    for (document, pointer) in shapes {
        let answer = draft(&client, &key(), &document).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pointer}: {}",
            answer.body
        );
        let listed = found(&answer);
        let hit = listed
            .iter()
            .find(|(_, p)| p == pointer)
            .unwrap_or_else(|| panic!("{pointer}: {}", answer.body));
        seen.covered.insert(hit.0.clone());
    }

    // An incident report's rules are raised in `filing_api::incidents`.
    // The month's incidents, sent through the service: more accounts and
    // fraudulent trades than the return's 12 accesses and 3 trades; and a
    // nil return over them.
    send_incident(&app, "2025-04-10", "50", "20");
    let answer = draft(&client, &key(), &base).await;
    seen.expect(
        "RET-W004",
        &answer,
        "RET-W004",
        "/figures/unauthorized_accesses",
    );
    seen.expect(
        "RET-W005",
        &answer,
        "RET-W005",
        "/figures/fraudulent_trades",
    );
    let answer = draft(&client, &key(), &json!({"nil_return": true})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    seen.expect("RET-W006", &answer, "RET-W006", "/nil_return");
    seen.expect(
        "RET-E019 (nil)",
        &answer,
        "RET-E019",
        "/warnings_explanation",
    );
    let explained =
        json!({"nil_return": true, "warnings_explanation": "Our subsidiary's customers."});
    let answer = draft(&client, &key(), &explained).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.json["checks"]["explained"],
        json!(true),
        "{}",
        answer.body
    );

    // An amendment's reason: April's first version asks none; March, filed
    // already, is amended and asks both.
    let first = draft(&client, &key(), &base).await;
    assert!(
        !found(&first)
            .iter()
            .any(|(rule, _)| rule == "RET-E023" || rule == "RET-E024"),
        "{}",
        first.body
    );
    let amendment = client
        .put_json("/api/v1/returns/2025-03/draft", &key(), &base)
        .await;
    assert_eq!(amendment.status, StatusCode::OK, "{}", amendment.body);
    seen.expect("RET-E023", &amendment, "RET-E023", "/amendment/reason");
    seen.expect("RET-E024", &amendment, "RET-E024", "/amendment/text");

    let missing: Vec<&str> = CATALOGUE
        .iter()
        .filter(|r| r.subject != Subject::Incident)
        .map(|r| r.id)
        .filter(|id| !seen.covered.contains(*id))
        .collect();
    assert!(missing.is_empty(), "rules no API test raised: {missing:?}");
}

on_both_backends!(every_rule_is_raised_with_its_id_and_pointer);
