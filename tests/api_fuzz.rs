//! The filing API from the outside, against a running portal:
//!
//! - Schemathesis (PyPI, 4.x) reads `/api/v1/openapi.json` and fuzzes
//!   every operation, once with a firm's token (`returns:read
//!   returns:draft incidents:read incidents:report`) and once with the
//!   regulator's (`stats:read`), on a portal seeded with the demo data.
//!   It must find no server error, no status the document does not give,
//!   no media type, body or header that breaks it.
//! - The Python example client (`examples/filing_client.py`: requests,
//!   PyJWT, cryptography) files a draft end to end with an EC P-256 key and
//!   with an Ed25519 key, and the draft is then ready for approval.
//!
//! Ignored unless the crate was built with PORTAL_API_FUZZ=1; then they
//! need `st` and `python3` with those packages (`.ci/run` installs them),
//! and fail, never pass, without them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/api_client.rs"]
mod api_support;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api_fuzz/keys.rs"]
mod keys;
#[path = "api_fuzz/seed.rs"]
mod seed;
#[path = "api_fuzz/tools.rs"]
mod tools;

use std::time::Duration;

use api_support::{TestKey, get_token};
use helpers::TestApp;
use incident_portal::clock::Clock;
use incident_portal::db::Backend;
use incident_portal::domain::period::Period;
use incident_portal::domain::time::tokyo_date;
use incident_portal::services::handover;

/// What every response is checked for (Schemathesis 4's names): the
/// document's promises about any answer. The checks about what the server
/// should accept or refuse (`positive_data_acceptance`,
/// `negative_data_rejection`, …) are left out: a schema-valid draft for a
/// month that has not begun is rightly a 404, and the API's own tests hold
/// its refusals.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance";
/// Test cases per operation and phase: with the coverage phase's
/// boundary values and the links' scenarios, some 5,000 requests a token,
/// about a minute each with one worker.
const MAX_EXAMPLES: &str = "100";
const RUN_LIMIT: Duration = Duration::from_secs(600);
const INSTALL_ST: &str = "pip install 'schemathesis>=4,<5'";
const INSTALL_PYTHON: &str = "install Python 3 and pip install requests PyJWT cryptography";

async fn schemathesis(app: &TestApp, who: &str, token: &str) {
    let st = tools::require("st", INSTALL_ST);
    // By hand, PORTAL_FUZZ_CHECKS runs other checks (`all`, say) and
    // PORTAL_FUZZ_EXAMPLES a longer run.
    let checks = std::env::var("PORTAL_FUZZ_CHECKS").unwrap_or_else(|_| CHECKS.to_owned());
    let examples =
        std::env::var("PORTAL_FUZZ_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_owned());
    let mut args: Vec<String> = [
        "--no-color",
        "run",
        &format!("{}/api/v1/openapi.json", app.address),
        "--url",
        &app.address,
        "--checks",
        &checks,
        "--header",
        &format!("Authorization: Bearer {token}"),
        "--max-examples",
        &examples,
        // One worker. With two, Schemathesis's threads both parse Python
        // source (Hypothesis describing a strategy); CPython 3.11 keeps the
        // AST converter's recursion count per interpreter, not per thread
        // (cpython gh-106905), and a CI run on this machine's 3.11.7 ended
        // twice in a row in "SystemError: AST constructor recursion depth
        // mismatch" before any request was judged.
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "too_slow,filter_too_much",
    ]
    .map(str::to_owned)
    .to_vec();
    // A failure prints its seed; PORTAL_FUZZ_SEED replays it.
    if let Ok(seed) = std::env::var("PORTAL_FUZZ_SEED") {
        args.extend(["--seed".to_owned(), seed]);
    }
    // Schemathesis keeps a cache where it runs: not in the source tree.
    let scratch = tempfile::tempdir().unwrap();
    let ran = tools::run(&st, &args, scratch.path(), RUN_LIMIT).await;
    println!("== Schemathesis with the {who}'s token\n{}", ran.report);
    assert!(
        ran.success,
        "Schemathesis found faults with the {who}'s token (exit {:?}):\n{}",
        ran.code, ran.report
    );
    // Every operation was tested (Schemathesis leaves out the document it
    // was loaded from), none skipped for want of a way in.
    let count = |label: &str| {
        ran.report
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("no `{label}` in the report:\n{}", ran.report))
    };
    let selected = count("Selected:");
    let (chosen, total) = selected.split_once('/').unwrap();
    assert_eq!(chosen, total, "operations left out: {selected}");
    assert!(total.parse::<usize>().unwrap() >= 13, "{selected}");
    assert_eq!(count("Tested:"), chosen, "operations not tested");
}

#[actix_web::test]
#[cfg_attr(
    not(test_api_fuzz),
    ignore = "the outside fuzzer: set PORTAL_API_FUZZ=1 (needs Schemathesis)"
)]
async fn schemathesis_finds_no_fault_with_a_firms_or_the_regulators_token() {
    // The fuzzer sends thousands of requests a minute: past the budget
    // every answer would be the (documented) 429, and nothing else tested.
    let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("a valid moment");
    let limits = incident_portal::config::Limits {
        api_requests_per_minute: u32::MAX,
        ..Default::default()
    };
    let app = TestApp::spawn_limited(Backend::Sqlite, Clock::fixed(at), limits).await;
    let now = app.clock.now();
    let ((firm_id, firm_key), (staff_id, staff_key)) = seed::demo_portal(&app.pool, now);
    let scopes = Some("returns:read returns:draft incidents:read incidents:report");
    let firm_token = get_token(&app.address, now, &firm_id, &firm_key, scopes).await;
    let staff_token = get_token(&app.address, now, &staff_id, &staff_key, Some("stats:read")).await;
    schemathesis(&app, "firm", &firm_token).await;
    schemathesis(&app, "regulator", &staff_token).await;
}

/// The month before this one, in Tokyo: one whose return can be filed.
fn last_month(app: &TestApp) -> Period {
    Period::from_date(tokyo_date(app.clock.now())).prev()
}

#[actix_web::test]
#[cfg_attr(
    not(test_api_fuzz),
    ignore = "the Python example client: set PORTAL_API_FUZZ=1 (needs python3, requests, PyJWT, cryptography)"
)]
async fn the_python_example_files_a_draft_end_to_end() {
    // The client signs with the real time: so does this portal.
    let app = TestApp::spawn_at(Backend::Sqlite, Clock::system()).await;
    let python = tools::require("python3", INSTALL_PYTHON);
    let draft: serde_json::Value =
        serde_json::from_str(include_str!("../examples/draft.json")).unwrap();
    let firm = seed::new_firm(&app.pool, "Example Securities", app.clock.now());
    let month = last_month(&app);
    for (key, period) in [
        (TestKey::es256(), month),
        (TestKey::ed25519(), month.prev()),
    ] {
        let now = app.clock.now();
        let (client_id, key) = api_support::seed_firm_client(&app.pool, now, firm, key);
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("client-key.pem");
        std::fs::write(&pem, keys::private_pem(&key)).unwrap();
        let args: Vec<String> = [
            "examples/filing_client.py",
            "--base-url",
            &app.address,
            "--client-id",
            &client_id,
            "--key",
            &pem.display().to_string(),
            "--period",
            &period.to_string(),
            "--draft",
            "examples/draft.json",
        ]
        .map(str::to_owned)
        .to_vec();
        let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ran = tools::run(&python, &args, crate_dir, Duration::from_secs(120)).await;
        println!(
            "== examples/filing_client.py ({})\n{}",
            key.alg(),
            ran.report
        );
        assert!(
            ran.success,
            "the example failed ({:?}):\n{}",
            ran.code, ran.report
        );
        assert!(
            ran.report.contains("marked ready for approval"),
            "{}",
            ran.report
        );

        // The draft is the file's, and ready for the approvers: through
        // the services, and through the API with a token of our own.
        let mark = {
            let mut conn = app.pool.get().unwrap();
            handover::ready_mark(&mut conn, firm, period).unwrap()
        };
        let mark = mark.expect("the draft is marked ready");
        assert!(mark.current, "the mark is the draft's as it stands");
        assert_eq!(mark.by, "first@new.example", "in the registrant's name");
        let token = get_token(&app.address, now, &client_id, &key, None).await;
        let read = reqwest::Client::new()
            .get(format!("{}/api/v1/returns/{period}/draft", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), reqwest::StatusCode::OK);
        let read: serde_json::Value = serde_json::from_str(&read.text().await.unwrap()).unwrap();
        assert_eq!(read["ready_for_approval"]["current"], true);
        assert_eq!(read["draft"]["figures"], draft["figures"]);
        assert_eq!(read["draft"]["contact"], draft["contact"]);
    }
}
