//! Four eyes that hold: preparing and approving are different acts. Each
//! test reproduces a trap new users met on the portal before this rule.

use diesel::prelude::*;
use incident_portal::db::schema::{
    audit_events, return_versions, returns, version_details, version_preparers,
};
use reqwest::StatusCode;

use crate::helpers::{Browser, Firm, Page, TestApp, approve, figures, file, file_nil, prepare};
use crate::on_both_backends;
use crate::trades::support::{HEADER, good_csv, upload};

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    incident_portal::services::accounts::find_user_by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

fn versions(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// What a determined approver would post to /submit without the page's
/// offer: the token of the form page and the draft's true hash.
async fn forced_submit(app: &TestApp, firm_id: i64, approver: &mut Browser, period: &str) -> Page {
    let sha = {
        let mut conn = app.pool.get().unwrap();
        let id: i64 = returns::table
            .filter(returns::firm_id.eq(firm_id))
            .filter(returns::period.eq(period))
            .select(returns::id)
            .first(&mut conn)
            .unwrap();
        incident_portal::services::four_eyes::current_sha256(&mut conn, id).unwrap()
    };
    let form = approver.get(&format!("/returns/{period}")).await;
    approver
        .submit_form(
            &form,
            &format!("/returns/{period}/submit"),
            &[
                ("attestation", "yes"),
                ("prepared_sha256", &sha),
                ("submission_key", &"K".repeat(43)),
            ],
        )
        .await
}

/// Seen: one click by the approver alone froze `v1 (nil return)` over a
/// draft of 100 accesses, 10 trades and ¥1,000,000.
async fn a_nil_return_over_a_draft_needs_confirmation_and_a_second_person(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("100", "50", "10", "1,000,000", "0", "");
    prepare(&mut firm.reporter, "2025-04", &typed).await;

    // One click: a confirmation showing what would be thrown away, nothing filed.
    let form = firm.approver.get("/returns/2025-04").await;
    let click = firm
        .approver
        .submit_form(&form, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(click.status, StatusCode::OK, "{}", click.body);
    let discarded = click.text("#nil-discarded");
    assert!(
        discarded.contains("100") && discarded.contains("1,000,000"),
        "{discarded}"
    );
    assert_eq!(versions(&app), 0);
    let kept = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(
        kept.input_value("unauthorized_accesses").as_deref(),
        Some("100")
    );

    // Confirmed, it only prepares: the approver who marked it cannot submit it.
    let confirmed = firm
        .approver
        .submit_form(&click, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(
        review.body.contains("one of its preparers"),
        "{}",
        review.body
    );
    assert_eq!(review.input_value("prepared_sha256"), None);
    let refused = forced_submit(&app, firm.id, &mut firm.approver, "2025-04").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#error-summary").contains("Four eyes"));
    assert_eq!(versions(&app), 0);

    // Prepared by the reporter, submitted by the approver: a nil version.
    file_nil(&mut firm, "2025-03").await;
    let mut conn = app.pool.get().unwrap();
    let nil: Vec<bool> = return_versions::table
        .select(return_versions::is_nil)
        .load(&mut conn)
        .unwrap();
    assert_eq!(nil, [true]);
}

/// Seen: the reporter never saw the checks; the approver met "Explain the
/// figures flagged as unusual" and, typing the explanation, a four-eyes
/// refusal.
async fn the_preparer_explains_on_save_and_the_approver_submits_without_editing(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut unusual = figures("10", "12", "4", "1,000", "900", "");
    unusual.retain(|(k, _)| !["customer_losses", "compensation_paid"].contains(k));
    unusual.extend([("customer_losses", "100"), ("compensation_paid", "500")]);
    prepare(&mut firm.reporter, "2025-04", &unusual).await;
    // The save shows the warnings beside the fields and at the top.
    let page = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#warnings").contains("Affected accounts"));
    assert!(
        page.field_error("compensation_paid")
            .unwrap()
            .contains("explain")
    );
    assert!(page.field_error("warnings_explanation").is_some());
    // The approver is not offered a submission until the preparer explains.
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert_eq!(review.input_value("prepared_sha256"), None);

    let mut explained = unusual.clone();
    explained.push((
        "warnings_explanation",
        "Accounts reached through an API key.",
    ));
    prepare(&mut firm.reporter, "2025-04", &explained).await;
    let page = crate::helpers::sections(&mut firm.reporter, "2025-04").await;
    assert!(page.field_error("warnings_explanation").is_none());
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(review.text("#approve-explanation").contains("API key"));
    let done = approve(&mut firm.approver, "2025-04").await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/1"),
        "{}",
        done.body
    );
    let mut conn = app.pool.get().unwrap();
    let kept: String = version_details::table
        .select(version_details::warnings_explanation)
        .first(&mut conn)
        .unwrap();
    assert_eq!(kept, "Accounts reached through an API key.");
    let preparers: Vec<i64> = version_preparers::table
        .select(version_preparers::user_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(preparers, [user_id(&app, "reporter@alpha.example")]);
}

/// Seen: on an amendment the approver got "Confirm the attestation to
/// submit", and ticking it was refused as an edit.
async fn the_attestation_is_the_approvers_statement_not_an_edit(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut firm,
        "2025-04",
        &figures("10", "5", "2", "1,000", "900", ""),
    )
    .await;
    // The reporter prepares an amendment; the draft holds no attestation.
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("11", "5", "2", "1,000", "900", "Frozen."),
    )
    .await;
    let review = firm.approver.get("/returns/2025-04/approve").await;
    let unticked = firm
        .approver
        .submit_form(&review, "/returns/2025-04/submit", &[])
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.field_error("attestation").is_some());
    let done = firm
        .approver
        .submit_form(
            &unticked,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("approver_note", "Checked against the ledger."),
                // An amendment says why.
                ("amendment_reason", "correction"),
                ("amendment_reason_text", "Figures corrected."),
            ],
        )
        .await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/2"),
        "{}",
        done.body
    );
    let approver = user_id(&app, "approver@alpha.example");
    let mut conn = app.pool.get().unwrap();
    let (attested_by, note): (Option<i64>, String) = return_versions::table
        .filter(return_versions::version_no.eq(2))
        .select((return_versions::attested_by, return_versions::approver_note))
        .first(&mut conn)
        .unwrap();
    assert_eq!(attested_by, Some(approver));
    assert_eq!(note, "Checked against the ledger.");
    let preparers: Vec<i64> = version_preparers::table
        .select(version_preparers::user_id)
        .load(&mut conn)
        .unwrap();
    assert!(!preparers.contains(&approver), "attesting is not preparing");
    let receipt = firm.approver.get("/returns/2025-04/versions/2").await;
    let people = receipt.text("#people");
    assert!(people.contains("Attestation confirmed by") && people.contains("approver"));
    assert!(people.contains("Checked against the ledger."));
}

/// Seen: an approver disabled the firm's other users for a moment, became
/// "a firm with one active user" and submitted their own draft.
async fn disabling_colleagues_does_not_exempt(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let reporter = user_id(&app, "reporter@alpha.example");
    let list = firm.approver.get("/firm/users").await;
    let off = firm
        .approver
        .submit_form(
            &list,
            &format!("/users/{reporter}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.location(), Some("/firm/users"));
    prepare(
        &mut firm.approver,
        "2025-04",
        &figures("10", "5", "2", "1,000", "900", ""),
    )
    .await;
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert_eq!(review.input_value("prepared_sha256"), None);
    let refused = forced_submit(&app, firm.id, &mut firm.approver, "2025-04").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(versions(&app), 0);

    // Disabling needs a recent password check; it is audited.
    app.clock.advance(chrono::Duration::minutes(11));
    let list = firm.approver.get("/firm/users").await;
    let again = firm
        .approver
        .submit_form(
            &list,
            &format!("/users/{reporter}/active"),
            &[("active", "false")],
        )
        .await;
    assert!(
        again
            .location()
            .unwrap_or_default()
            .starts_with("/account/reauth"),
        "{:?}",
        again.location()
    );
    let mut conn = app.pool.get().unwrap();
    let disabled: i64 = audit_events::table
        .filter(audit_events::action.eq("user.disabled"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(disabled, 1);
}

/// Only the regulator exempts a firm: the admin's flag, audited, and the
/// basis recorded on the version.
async fn the_regulator_exempts_a_single_user_firm(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let id = app
        .add_firm(&mut admin, "Solo Securities", "関東財務局長（金商）第555号")
        .await;
    app.add_user(&mut admin, "solo@solo.example", "approver", Some(id))
        .await;
    let mut solo = app.first_sign_in("solo@solo.example").await;
    prepare(
        &mut solo,
        "2025-04",
        &figures("5", "5", "1", "100", "100", ""),
    )
    .await;
    let review = solo.get("/returns/2025-04/approve").await;
    assert_eq!(
        review.input_value("prepared_sha256"),
        None,
        "no exemption yet"
    );
    let firms = admin.get("/admin/firms").await;
    let granted = admin
        .submit_form(
            &firms,
            &format!("/admin/firms/{id}/exemption"),
            &[("exempt", "yes")],
        )
        .await;
    assert_eq!(granted.location(), Some("/admin/firms"));
    let done = approve(&mut solo, "2025-04").await;
    assert_eq!(
        done.location(),
        Some("/returns/2025-04/versions/1"),
        "{}",
        done.body
    );
    let receipt = solo.get("/returns/2025-04/versions/1").await;
    assert!(
        receipt
            .text("#people")
            .contains("Exempt by the regulator's decision of 2025-05-20"),
        "{}",
        receipt.text("#people")
    );
    let mut conn = app.pool.get().unwrap();
    let basis: String = return_versions::table
        .select(return_versions::four_eyes_basis)
        .first(&mut conn)
        .unwrap();
    assert_eq!(basis, "exempt");
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("firm.single_user_exempted"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
}

/// Seen: an approver uploaded a different trade file with the same totals
/// after the reporter saved, and the swapped rows were submitted.
async fn a_swapped_trade_file_makes_the_approver_a_preparer(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("10", "5", "3", "300000", "250000", ""),
    )
    .await;
    upload(&app, &mut firm.reporter, "t.csv", good_csv().as_bytes()).await;
    // Same totals, other accounts.
    let swapped = format!(
        "{HEADER}\n2025-04-03,sell,7203,domestic,100,100000,ACC-9999\n\
         2025-04-03,sell,6758,domestic,1000,200000,ACC-9998\n\
         2025-04-04,buy,00700.HK,china_hk,500,250000,ACC-9999\n"
    );
    let done = upload(&app, &mut firm.approver, "t.csv", swapped.as_bytes()).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(
        review.body.contains("one of its preparers"),
        "{}",
        review.body
    );
    let refused = forced_submit(&app, firm.id, &mut firm.approver, "2025-04").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(versions(&app), 0);
}

async fn receipt_people(browser: &mut Browser) -> String {
    browser
        .get("/returns/2025-04/versions/1")
        .await
        .text("#people")
}

/// Seen: receipts said "prepared by user 3", in English on Japanese pages.
async fn receipts_name_people_in_both_languages(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm: Firm = app.firm_with_users(&mut admin, "Alpha").await;
    file(
        &mut firm,
        "2025-04",
        &figures("10", "5", "2", "1,000", "900", ""),
    )
    .await;
    let page = firm.approver.get("/returns/2025-04/versions/1").await;
    assert!(page.text("#confirmation").contains("What happens next"));
    let people = receipt_people(&mut firm.approver).await;
    assert!(
        people.contains("Prepared by") && people.contains("reporter"),
        "{people}"
    );
    assert!(
        people.contains("Submitted by") && people.contains("approver"),
        "{people}"
    );
    assert!(people.contains("Two people"), "{people}");
    assert!(!people.contains("user "), "{people}");
    firm.approver.choose_language("ja").await;
    let people = receipt_people(&mut firm.approver).await;
    assert!(
        people.contains("作成者") && people.contains("reporter"),
        "{people}"
    );
    assert!(
        people.contains("提出者") && people.contains("approver"),
        "{people}"
    );
    assert!(people.contains("二者による確認"), "{people}");
    assert!(!people.contains("Prepared"), "{people}");
}

/// Seen: "File a nil return" was offered on a returned return, one click.
/// Now it shows what it replaces first; and an approver whose review page
/// went stale (the preparer changed the return since) is refused.
async fn a_returned_return_is_not_thrown_away_unseen(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut analyst = app.analyst(&mut admin).await;
    file(
        &mut firm,
        "2025-04",
        &figures("10", "5", "2", "1,000", "900", ""),
    )
    .await;
    let id: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    let path = format!("/review/versions/{id}");
    let page = analyst.get(&path).await;
    let sent = analyst
        .submit_form(
            &page,
            &format!("{path}/return"),
            &[("reason", "Check the count.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);

    let form = firm.reporter.get("/returns/2025-04").await;
    let click = firm
        .reporter
        .submit_form(&form, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(click.status, StatusCode::OK);
    assert!(click.text("#nil-returned").contains("returned"));
    assert!(click.text("#nil-replaces").contains("version 1"));
    let mut conn = app.pool.get().unwrap();
    let drafts: Option<String> = returns::table
        .select(returns::draft_json)
        .first(&mut conn)
        .unwrap();
    assert_eq!(drafts, None, "nothing marked without confirmation");
    drop(conn);

    // The approver opens the review page; the reporter then changes the
    // return; the approver's stale submission is refused.
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("12", "5", "2", "1,000", "900", ""),
    )
    .await;
    let review = firm.approver.get("/returns/2025-04/approve").await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("13", "5", "2", "1,000", "900", ""),
    )
    .await;
    let stale = firm
        .approver
        .submit_form(
            &review,
            "/returns/2025-04/submit",
            &[("attestation", "yes")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stale
            .text("#error-summary")
            .contains("changed after you opened it")
    );
    assert_eq!(versions(&app), 1);
}

on_both_backends!(
    a_returned_return_is_not_thrown_away_unseen,
    a_nil_return_over_a_draft_needs_confirmation_and_a_second_person,
    the_preparer_explains_on_save_and_the_approver_submits_without_editing,
    the_attestation_is_the_approvers_statement_not_an_edit,
    disabling_colleagues_does_not_exempt,
    the_regulator_exempts_a_single_user_firm,
    a_swapped_trade_file_makes_the_approver_a_preparer,
    receipts_name_people_in_both_languages,
);
