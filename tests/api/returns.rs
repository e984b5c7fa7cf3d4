//! Filing: draft, come back, submit, receipt, amend, nil return,
//! idempotent submission, who may submit (four eyes: `four_eyes.rs`).

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, return_versions};
use reqwest::StatusCode;

use crate::helpers::{TestApp, figures};
use crate::on_both_backends;

fn receipt_pattern(receipt: &str, version: u32) -> bool {
    let parts: Vec<&str> = receipt.split('-').collect();
    parts.len() == 5
        && parts[0] == "R"
        && parts[1] == "202504"
        && parts[2].len() == 5
        && parts[3] == format!("V{version:02}")
        && parts[4].len() == 6
}

async fn the_form_has_the_fsa_labels(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let page = crate::helpers::sections(&mut firm.approver, "2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    let labels = page.texts("label");
    for expected in [
        "Unauthorized accesses",
        "Fraudulent trades",
        "Sale amount (JPY)",
        "Purchase amount (JPY)",
        "Affected accounts",
        "Remediation",
    ] {
        assert!(
            labels.iter().any(|l| l == expected),
            "label {expected:?} in {labels:?}"
        );
    }
    // Every input has a label tied to it.
    for id in [
        "unauthorized_accesses",
        "affected_accounts",
        "fraudulent_trades",
        "sale_amount",
        "purchase_amount",
        "remediation",
    ] {
        assert_eq!(
            page.texts(&format!("label[for={id}]")).len(),
            1,
            "label for {id}"
        );
    }
}

async fn draft_submit_amend_keeps_every_version(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;

    // The reporter prepares a draft and comes back to it later.
    let form = firm.reporter.get("/returns/2025-04").await;
    let typed = figures(
        "1,422",
        "1,300",
        "685",
        "12,000,000,000",
        "10,500,000,000",
        "Passkeys offered.",
    );
    let saved = firm
        .reporter
        .submit_form(&form, "/returns/2025-04/draft", &typed)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location(), Some("/returns/2025-04?saved=1"));
    let again = firm.reporter.get("/returns/2025-04?saved=1").await;
    assert!(again.body.contains("Draft saved."));
    let again = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(
        again.input_value("unauthorized_accesses").as_deref(),
        Some("1,422")
    );
    assert_eq!(
        again.input_value("remediation").as_deref(),
        Some("Passkeys offered.")
    );
    // A reporter cannot submit.
    assert!(
        !again.body.contains("/returns/2025-04/submit\">Submit"),
        "no submit button"
    );
    let refused = firm
        .reporter
        .submit_form(&again, "/returns/2025-04/submit", &typed)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The approver sees the draft and submits: version 1 with a receipt.
    let form = crate::helpers::sections(&mut firm.approver, "2025-04").await;
    assert_eq!(
        form.input_value("fraudulent_trades").as_deref(),
        Some("685")
    );
    let submitted = crate::helpers::approve(&mut firm.approver, "2025-04").await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    assert_eq!(submitted.location(), Some("/returns/2025-04/versions/1"));
    let receipt = firm.approver.get("/returns/2025-04/versions/1").await;
    let v1_receipt = receipt.text(".receipt-no");
    assert!(receipt_pattern(&v1_receipt, 1), "receipt {v1_receipt}");
    assert_eq!(receipt.text(".submitted-at"), "2025-05-20 19:00 JST");
    assert!(receipt.body.contains("¥12,000,000,000"));
    assert!(receipt.body.contains("1,422"));
    assert!(
        receipt.body.contains("late"),
        "due 2025-05-12 (the 10th was a Saturday)"
    );

    // Amending: the form starts from version 1; submitting makes version 2.
    let form = firm.approver.get("/returns/2025-04").await;
    assert!(form.body.contains("whole amendment and submit"));
    let form = crate::helpers::sections(&mut firm.approver, "2025-04").await;
    assert_eq!(
        form.input_value("sale_amount").as_deref(),
        Some("12000000000")
    );
    let amended = figures(
        "1,847",
        "1,700",
        "736",
        "13,000,000,000",
        "11,000,000,000",
        "Accounts frozen.",
    );
    // The reporter prepares the amendment; the approver submits it.
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &amended).await;
    let done = crate::helpers::approve(&mut firm.approver, "2025-04").await;
    assert_eq!(done.location(), Some("/returns/2025-04/versions/2"));
    let v2 = firm.approver.get("/returns/2025-04/versions/2").await;
    assert!(receipt_pattern(&v2.text(".receipt-no"), 2));
    assert!(v2.body.contains("1,847"));
    // Version 1 is still there, unchanged.
    let v1 = firm.approver.get("/returns/2025-04/versions/1").await;
    assert_eq!(v1.text(".receipt-no"), v1_receipt);
    assert!(v1.body.contains("1,422") && !v1.body.contains("1,847"));
    let list = firm.approver.get("/returns/2025-04").await;
    assert_eq!(
        list.texts("#versions tbody tr").len(),
        2,
        "both versions listed"
    );

    let mut conn = app.pool.get().unwrap();
    let actions: Vec<String> = audit_events::table
        .select(audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        actions.iter().filter(|a| *a == "return.submitted").count(),
        2
    );
    assert!(actions.contains(&"return.draft_saved".to_owned()));
}

async fn a_nil_return_is_prepared_and_submitted(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    crate::helpers::file_nil(&mut firm, "2025-05").await;
    let receipt = firm.approver.get("/returns/2025-05/versions/1").await;
    assert!(receipt.body.contains("nil return"));
    assert!(receipt.body.contains("on time"), "due 2025-06-10");
    let mut conn = app.pool.get().unwrap();
    let nil: bool = return_versions::table
        .select(return_versions::is_nil)
        .first(&mut conn)
        .unwrap();
    assert!(nil);
}

async fn a_replayed_submission_files_once(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("10", "10", "5", "1000", "900", "");
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &typed).await;
    let form = firm.approver.get("/returns/2025-04/approve").await;
    let first = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &typed)
        .await;
    let second = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &typed)
        .await;
    assert_eq!(first.location(), Some("/returns/2025-04/versions/1"));
    assert_eq!(
        second.location(),
        first.location(),
        "the same receipt, not a second version"
    );
    let mut conn = app.pool.get().unwrap();
    let count: i64 = return_versions::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 1);
}

/// A double click arrives as two requests at once: one version. Two
/// different forms submitted at once on a new return: two versions, in
/// order, and no error.
async fn concurrent_submissions_neither_duplicate_nor_fail(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut twin = app.browser();
    twin.cookies = firm.approver.cookies.clone();
    let typed = figures("10", "10", "5", "1000", "900", "");
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &typed).await;
    let form = firm.approver.get("/returns/2025-04/approve").await;
    let (first, second) = tokio::join!(
        firm.approver
            .submit_form(&form, "/returns/2025-04/submit", &typed),
        twin.submit_form(&form, "/returns/2025-04/submit", &typed),
    );
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert_eq!(first.location(), second.location());
    let count = |app: &TestApp| -> i64 {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(count(&app), 1);

    // Two different forms for one prepared draft, at once: one files, the
    // other is refused (the draft it rested on is gone), and nothing fails.
    crate::helpers::prepare(&mut firm.reporter, "2025-03", &typed).await;
    let form_a = firm.approver.get("/returns/2025-03/approve").await;
    let form_b = twin.get("/returns/2025-03/approve").await;
    let (a, b) = tokio::join!(
        firm.approver
            .submit_form(&form_a, "/returns/2025-03/submit", &typed),
        twin.submit_form(&form_b, "/returns/2025-03/submit", &typed),
    );
    let mut statuses = vec![a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    assert_eq!(count(&app), 2);
    crate::helpers::assert_summary_matches_versions(&app);
}

async fn future_and_malformed_periods_are_not_found(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    for path in [
        "/returns/2025-06",
        "/returns/2025-13",
        "/returns/abc",
        "/returns/2025-04/versions/9",
        "/returns/2025-04/versions/x",
    ] {
        assert_eq!(
            firm.approver.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let list = firm.approver.get("/returns?period=2025-04").await;
    assert_eq!(list.location(), Some("/returns/2025-04"));
    let list = firm.approver.get("/returns?period=April").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.field_error("period").is_some());
}

async fn get_on_a_post_route_goes_back_to_the_form(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let page = firm.approver.get("/returns/2025-04/submit").await;
    assert_eq!(page.location(), Some("/returns/2025-04"));
}

on_both_backends!(
    the_form_has_the_fsa_labels,
    draft_submit_amend_keeps_every_version,
    a_nil_return_is_prepared_and_submitted,
    a_replayed_submission_files_once,
    concurrent_submissions_neither_duplicate_nor_fail,
    future_and_malformed_periods_are_not_found,
    get_on_a_post_route_goes_back_to_the_form,
    the_complete_return_and_its_rules,
);

fn with<'a>(
    mut fields: Vec<(&'static str, &'a str)>,
    changes: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        fields.push((name, value));
    }
    fields
}

async fn the_complete_return_and_its_rules(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    // Hard errors, shown to the preparer on save (nothing refused):
    // markets not summing, a planned measure with no date, a partial
    // policy with no percentage.
    let base = figures("10", "8", "4", "1,000", "900", "");
    let broken = with(
        base.clone(),
        &[
            ("purchase_us", "50"),
            ("check_police_notified", "planned"),
            ("compensation_policy", "partial"),
        ],
    );
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &broken).await;
    let page = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.field_error("purchase_domestic")
            .unwrap()
            .contains("add up")
    );
    assert!(
        page.field_error("check_police_notified_date")
            .unwrap()
            .contains("target date")
    );
    assert!(page.field_error("compensation_percent").is_some());
    assert!(
        page.field_error("attestation").is_none(),
        "the attestation is the approver's"
    );
    assert_eq!(
        page.input_value("purchase_us").as_deref(),
        Some("50"),
        "nothing lost"
    );
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(review.text("#approve-errors").contains("add up"));
    assert_eq!(review.input_value("prepared_sha256"), None);
    // Soft warnings: more accounts than accesses, compensation above losses.
    let unusual = with(
        base.clone(),
        &[
            ("affected_accounts", "12"),
            ("customer_losses", "100"),
            ("compensation_paid", "500"),
        ],
    );
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &unusual).await;
    let page = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert!(
        page.field_error("affected_accounts")
            .unwrap()
            .contains("explain")
    );
    assert!(
        page.field_error("compensation_paid")
            .unwrap()
            .contains("explain")
    );
    assert!(page.field_error("warnings_explanation").is_some());
    // Explained, it goes through, and the explanation stays with the version.
    let explained = with(
        unusual,
        &[(
            "warnings_explanation",
            "Some accounts were accessed through an API key.",
        )],
    );
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &explained).await;
    let done = crate::helpers::approve(&mut firm.approver, "2025-04").await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/1"),
        "{}",
        done.body
    );
    let receipt = firm.approver.get("/returns/2025-04/versions/1").await;
    assert!(receipt.body.contains("through an API key"));
    assert!(
        receipt.text("#people").contains("reporter"),
        "four eyes recorded by name"
    );
    assert!(receipt.body.contains("Phishing site"));
    // Amending starts from every detail of version 1.
    let form = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(
        form.input_value("compensation_paid").as_deref(),
        Some("500")
    );
    assert_eq!(
        form.input_value("contact_email").as_deref(),
        Some("compliance@firm.example")
    );
    // More than ten times the month before needs an explanation too.
    let march = figures("3", "3", "1", "10", "10", "");
    crate::helpers::file(&mut firm, "2025-03", &march).await;
    let may = figures("40", "30", "2", "10", "10", "");
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &may).await;
    let page = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert!(
        page.field_error("unauthorized_accesses")
            .unwrap()
            .contains("ten times")
    );
}
