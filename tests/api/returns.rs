//! Filing: draft, come back, submit, receipt, amend, nil return,
//! idempotent submission, who may submit.

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
    let page = firm.approver.get("/returns/2025-04").await;
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
    let form = firm.approver.get("/returns/2025-04").await;
    assert_eq!(
        form.input_value("fraudulent_trades").as_deref(),
        Some("685")
    );
    let submitted = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &typed)
        .await;
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
    assert!(form.body.contains("Submit amendment"));
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
    // The approver may not submit figures they typed themselves (four
    // eyes): the reporter prepares the amendment.
    let own = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &amended)
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.body.contains("Four eyes"), "{}", own.body);
    assert_eq!(
        own.input_value("unauthorized_accesses").as_deref(),
        Some("1,847")
    );
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &amended).await;
    let done = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &amended)
        .await;
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

async fn nil_return_is_one_click(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let form = firm.approver.get("/returns/2025-05").await;
    let done = firm
        .approver
        .submit_form(&form, "/returns/2025-05/nil", &[])
        .await;
    assert_eq!(done.location(), Some("/returns/2025-05/versions/1"));
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
    let form = firm.approver.get("/returns/2025-04").await;
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
    let form = firm.approver.get("/returns/2025-04").await;
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
    // other is refused by four eyes (the draft it rested on is gone), and
    // nothing fails.
    crate::helpers::prepare(&mut firm.reporter, "2025-03", &typed).await;
    let form_a = firm.approver.get("/returns/2025-03").await;
    let form_b = twin.get("/returns/2025-03").await;
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
    nil_return_is_one_click,
    a_replayed_submission_files_once,
    concurrent_submissions_neither_duplicate_nor_fail,
    future_and_malformed_periods_are_not_found,
    get_on_a_post_route_goes_back_to_the_form,
    the_complete_return_and_its_rules,
    a_single_user_firm_is_exempt_from_four_eyes,
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
    // Hard errors: markets not summing, a planned measure with no date, a
    // partial policy with no percentage, no attestation.
    let base = figures("10", "8", "4", "1,000", "900", "");
    let broken = with(
        base.clone(),
        &[
            ("purchase_us", "50"),
            ("check_police_notified", "planned"),
            ("compensation_policy", "partial"),
            ("attestation", ""),
        ],
    );
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &broken).await;
    let form = firm.approver.get("/returns/2025-04").await;
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &broken)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
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
    assert!(page.field_error("attestation").is_some());
    assert_eq!(
        page.input_value("purchase_us").as_deref(),
        Some("50"),
        "nothing lost"
    );
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
    let form = firm.approver.get("/returns/2025-04").await;
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &unusual)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
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
    let form = firm.approver.get("/returns/2025-04").await;
    let done = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &explained)
        .await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/1"),
        "{}",
        done.body
    );
    let receipt = firm.approver.get("/returns/2025-04/versions/1").await;
    assert!(receipt.body.contains("through an API key"));
    assert!(
        receipt.body.contains("prepared by user"),
        "four eyes recorded"
    );
    assert!(receipt.body.contains("Phishing site"));
    // Amending starts from every detail of version 1.
    let form = firm.reporter.get("/returns/2025-04").await;
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
    crate::helpers::prepare(&mut firm.reporter, "2025-03", &march).await;
    let form = firm.approver.get("/returns/2025-03").await;
    firm.approver
        .submit_form(&form, "/returns/2025-03/submit", &march)
        .await;
    let may = figures("40", "30", "2", "10", "10", "");
    crate::helpers::prepare(&mut firm.reporter, "2025-04", &may).await;
    let form = firm.approver.get("/returns/2025-04").await;
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/submit", &may)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("unauthorized_accesses")
            .unwrap()
            .contains("ten times")
    );
}

/// A firm whose only active user is its approver files alone, and the
/// exemption is recorded.
async fn a_single_user_firm_is_exempt_from_four_eyes(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let id = app
        .add_firm(&mut admin, "Solo Securities", "関東財務局長（金商）第555号")
        .await;
    app.add_user(&mut admin, "solo@solo.example", "approver", Some(id))
        .await;
    let mut solo = app.first_sign_in("solo@solo.example").await;
    let typed = figures("5", "5", "1", "100", "100", "");
    let form = solo.get("/returns/2025-04").await;
    let done = solo
        .submit_form(&form, "/returns/2025-04/submit", &typed)
        .await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/1"),
        "{}",
        done.body
    );
    let receipt = solo.get("/returns/2025-04/versions/1").await;
    assert!(
        receipt
            .body
            .contains("exempt: the firm has one active user")
    );
}
