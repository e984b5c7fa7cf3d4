//! Check your answers and the hand-over: the summary with a "Change" link
//! per section, "Mark ready for approval" only when nothing is left to fix,
//! the approvers told (by email, in their language, and on their list),
//! the mark undone by any later change; the nil confirmation bound to the
//! draft it showed; trade detail on a nil draft.

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, email_outbox, returns};
use reqwest::StatusCode;

use crate::helpers::{Firm, TestApp, figures, prepare};
use crate::on_both_backends;
use crate::task_list::save_section;
use crate::trades::support::{good_csv, upload};

fn emails_to(app: &TestApp, to: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::to_addr.eq(to))
        .order(email_outbox::id.asc())
        .select((email_outbox::subject, email_outbox::body_text))
        .load(&mut conn)
        .unwrap()
}

fn ready_emails(app: &TestApp, to: &str) -> usize {
    emails_to(app, to)
        .iter()
        .filter(|(subject, _)| {
            subject.contains("ready for approval") || subject.contains("承認待ち")
        })
        .count()
}

fn stored_draft(app: &TestApp) -> Option<String> {
    let mut conn = app.pool.get().unwrap();
    returns::table
        .select(returns::draft_json)
        .first(&mut conn)
        .unwrap()
}

/// The list's state cell for April.
async fn list_state(firm: &mut Firm) -> String {
    let list = firm.reporter.get("/returns").await;
    list.text("tr[data-period=\"2025-04\"] td")
}

async fn the_summary_links_each_section_and_lists_what_to_fix(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let broken = {
        let mut typed = figures("10", "8", "2", "1,000", "900", "");
        typed.retain(|(k, _)| *k != "purchase_domestic");
        typed.push(("purchase_domestic", "100"));
        typed
    };
    prepare(&mut firm.reporter, "2025-04", &broken).await;
    let check = firm.reporter.get("/returns/2025-04/check").await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    // Every section summarised, each with its "Change" link naming it.
    let changes = check.texts("a.change");
    assert_eq!(changes.len(), 7, "{changes:?}");
    assert!(
        changes.iter().any(|c| c == "Change Purchases by market"),
        "{changes:?}"
    );
    assert!(
        check
            .body
            .contains("href=\"/returns/2025-04/sections/markets\"")
    );
    assert!(check.body.contains("href=\"/returns/2025-04/trades\""));
    assert!(check.text("#summary-figures").contains("1,000"));
    // The problem at the top links to where it is fixed; no hand-over.
    assert!(
        check
            .body
            .contains("href=\"/returns/2025-04/sections/markets#purchase_domestic\"")
    );
    assert!(check.text("#error-summary").contains("add up"));
    assert!(check.text("#not-ready").contains("add up"));
    assert!(check.texts("#mark-ready").is_empty());
    // Forced anyway: refused, nothing marked, nobody emailed.
    let sha = {
        let mut conn = app.pool.get().unwrap();
        let id: i64 = returns::table.select(returns::id).first(&mut conn).unwrap();
        incident_portal::services::four_eyes::current_sha256(&mut conn, id).unwrap()
    };
    let forced = firm
        .reporter
        .submit_form(
            &check,
            "/returns/2025-04/ready",
            &[("prepared_sha256", &sha)],
        )
        .await;
    assert_eq!(forced.status, StatusCode::CONFLICT, "{}", forced.body);
    assert!(forced.text("#refused").contains("problems"));
    assert_eq!(ready_emails(&app, "approver@alpha.example"), 0);
    assert!(!list_state(&mut firm).await.contains("Ready for approval"));
    // The approver's page shows the same summary, without "Change".
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(review.text("#summary-figures").contains("1,000"));
    assert!(review.texts("a.change").is_empty());
}

async fn marking_ready_tells_the_approvers_and_a_change_undoes_it(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    // A second approver reads Japanese; an analyst is never told.
    app.add_user(
        &mut admin,
        "approver2@alpha.example",
        "approver",
        Some(firm.id),
    )
    .await;
    let mut second = app.first_sign_in("approver2@alpha.example").await;
    second.choose_language("ja").await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("10", "8", "2", "1,000", "900", "Passkeys."),
    )
    .await;
    let check = firm.reporter.get("/returns/2025-04/check").await;
    assert!(check.texts("#error-summary").is_empty(), "{}", check.body);
    let marked = firm
        .reporter
        .submit_form(&check, "/returns/2025-04/ready", &[])
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);
    assert_eq!(marked.location(), Some("/returns/2025-04?ready=1"));
    // Emailed to the approvers, each in their language, with the link.
    let (subject, body) = emails_to(&app, "approver@alpha.example").pop().unwrap();
    assert!(
        subject.contains("2025-04") && subject.contains("ready for approval"),
        "{subject}"
    );
    assert!(body.contains("/returns/2025-04/approve"), "{body}");
    assert!(body.contains("reporter"), "who marked it: {body}");
    let (subject, _) = emails_to(&app, "approver2@alpha.example").pop().unwrap();
    assert!(subject.contains("承認待ち"), "{subject}");
    assert_eq!(
        ready_emails(&app, "reporter@alpha.example"),
        0,
        "not the preparer"
    );
    // Audited, and on the list and the task list.
    let audited: i64 = {
        let mut conn = app.pool.get().unwrap();
        audit_events::table
            .filter(audit_events::action.eq("return.marked_ready"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(audited, 1);
    assert!(list_state(&mut firm).await.contains("Ready for approval"));
    let approver_list = firm.approver.get("/returns").await;
    assert!(
        approver_list
            .text("tr[data-period=\"2025-04\"] td")
            .contains("Ready for approval")
    );
    let tasks = firm.reporter.get("/returns/2025-04?ready=1").await;
    assert!(
        tasks
            .text("#ready-mark")
            .contains("Marked ready for approval")
    );
    let approving = firm.approver.get("/returns/2025-04/approve").await;
    assert!(
        approving
            .text("#ready-mark")
            .contains("Marked ready for approval"),
        "the approver's page shows the mark: {}",
        approving.body
    );
    // A later change to the draft undoes the mark (the hash differs).
    save_section(
        &mut firm.reporter,
        "figures",
        &[
            ("unauthorized_accesses", "11"),
            ("affected_accounts", "8"),
            ("fraudulent_trades", "2"),
            ("sale_amount", "1,000"),
            ("purchase_amount", "900"),
        ],
        "later",
    )
    .await;
    let state = list_state(&mut firm).await;
    assert!(!state.contains("Ready for approval"), "{state}");
    assert!(
        state.contains("changed since it was marked ready"),
        "{state}"
    );
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert!(tasks.text("#ready-mark").contains("has changed since"));
    let approving = firm.approver.get("/returns/2025-04/approve").await;
    assert!(approving.text("#ready-mark").contains("has changed since"));
    // Marked again from a page shown before another change: refused.
    let stale = firm.reporter.get("/returns/2025-04/check").await;
    save_section(
        &mut firm.approver,
        "narrative",
        &[
            ("contact_name", "Taro Suzuki"),
            ("contact_phone", "+81 3-1234-5678"),
            ("contact_email", "compliance@firm.example"),
        ],
        "later",
    )
    .await;
    let refused = firm
        .reporter
        .submit_form(&stale, "/returns/2025-04/ready", &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text("#refused").contains("changed after this page"));
    assert_eq!(ready_emails(&app, "approver@alpha.example"), 1);
    // Submitting clears the mark with the draft.
    let check = firm.reporter.get("/returns/2025-04/check").await;
    firm.reporter
        .submit_form(&check, "/returns/2025-04/ready", &[])
        .await;
    let done = crate::helpers::approve(&mut second, "2025-04").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let state = list_state(&mut firm).await;
    assert!(
        !state.contains("Ready") && !state.contains("ready"),
        "{state}"
    );
}

async fn a_nil_confirmation_of_a_draft_that_changed_is_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("10", "8", "2", "1,000", "900", ""),
    )
    .await;
    let tasks = firm.reporter.get("/returns/2025-04").await;
    let confirm = firm
        .reporter
        .submit_form(&tasks, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.text("#nil-discarded").contains("1,000"));
    // Meanwhile the approver changes the draft.
    save_section(
        &mut firm.approver,
        "markets",
        &[("purchase_domestic", "777")],
        "later",
    )
    .await;
    let refused = firm
        .reporter
        .submit_form(&confirm, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.text("#nil-changed").contains("changed"));
    assert!(
        refused.text("#nil-discarded").contains("777"),
        "what is discarded now"
    );
    let draft = stored_draft(&app).unwrap();
    assert!(
        draft.contains("777") && !draft.contains("nil_return"),
        "{draft}"
    );
    // Confirmed from the page that shows the draft as it is: marked nil.
    let done = firm
        .reporter
        .submit_form(&refused, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(stored_draft(&app).unwrap().contains("nil_return"));
    // Once nil, the task list offers no second nil button.
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert!(tasks.texts("form.nil").is_empty(), "already nil");
}

/// Decided: trade detail means the month has trades, so an upload onto a
/// draft marked nil withdraws the mark (the trades page says so first).
async fn trade_detail_on_a_nil_draft_withdraws_the_nil_mark(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let tasks = firm.reporter.get("/returns/2025-04").await;
    let marked = firm
        .reporter
        .submit_form(&tasks, "/returns/2025-04/nil", &[])
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);
    assert!(stored_draft(&app).unwrap().contains("nil_return"));
    let page = firm.reporter.get("/returns/2025-04/trades").await;
    assert!(page.text("#trades-nil").contains("withdraws"));
    let uploaded = upload(&app, &mut firm.reporter, "t.csv", good_csv().as_bytes()).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    assert!(!stored_draft(&app).unwrap().contains("nil_return"));
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert!(tasks.texts("#nil-draft").is_empty());
    assert_eq!(tasks.text("#status-trades"), "Completed");
    assert_eq!(tasks.text("#status-figures"), "Not started");
    // The approver is not offered a nil return to submit.
    let review = firm.approver.get("/returns/2025-04/approve").await;
    assert!(review.texts("#approve-nil").is_empty());
}

async fn only_the_firm_reaches_its_sections_and_check_page(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    let mut analyst = app.analyst(&mut admin).await;
    prepare(
        &mut a.reporter,
        "2025-04",
        &figures("10", "8", "2", "98,765", "900", "confidential plan"),
    )
    .await;
    for path in [
        "/returns/2025-04/sections/figures",
        "/returns/2025-04/sections/remediation",
        "/returns/2025-04/check",
    ] {
        assert_eq!(
            analyst.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let theirs = b.approver.get(path).await;
        assert_eq!(theirs.status, StatusCode::OK);
        for leak in ["98,765", "confidential plan", "Alpha"] {
            assert!(
                !theirs.body.contains(leak),
                "{leak} leaked to firm B on {path}"
            );
        }
    }
    let csrf = analyst.get("/account").await.input_value("csrf").unwrap();
    let refused = analyst
        .post("/returns/2025-04/ready", &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Firm B's hand-over marks nothing of firm A's.
    let check = b.reporter.get("/returns/2025-04/check").await;
    let none = b
        .reporter
        .submit_form(&check, "/returns/2025-04/ready", &[])
        .await;
    assert_eq!(none.status, StatusCode::CONFLICT);
    assert_eq!(ready_emails(&app, "approver@alpha.example"), 0);
}

on_both_backends!(
    the_summary_links_each_section_and_lists_what_to_fix,
    marking_ready_tells_the_approvers_and_a_change_undoes_it,
    a_nil_confirmation_of_a_draft_that_changed_is_refused,
    trade_detail_on_a_nil_draft_withdraws_the_nil_mark,
    only_the_firm_reaches_its_sections_and_check_page,
);

#[test]
fn the_ready_email_speaks_each_language_and_escapes_names() {
    use incident_portal::domain::email::EmailAddress;
    use incident_portal::i18n::Lang;
    use incident_portal::mail::workflow_messages::ready_for_approval;
    let to = EmailAddress::parse("approver@alpha.example").unwrap();
    let link = "https://portal.example/returns/2025-04/approve";
    let en =
        ready_for_approval(&to, Lang::En, "A & B Securities", "2025-04", "Hanako", link).unwrap();
    assert_eq!(
        en.subject,
        "Incident Reporting Portal: return for 2025-04 ready for approval"
    );
    assert!(
        en.text.contains(
            "Hanako has marked the return of A & B Securities for 2025-04 ready for approval."
        ),
        "{}",
        en.text
    );
    assert!(en.text.contains(link));
    assert!(en.html.contains("A &#38; B Securities"), "escaped in HTML");
    assert_eq!(en.html.matches(&format!("<a href=\"{link}\">")).count(), 1);
    let ja = ready_for_approval(&to, Lang::Ja, "かぶ証券", "2025-04", "佐藤", link).unwrap();
    assert_eq!(
        ja.subject,
        "【不正アクセス・不正取引 報告ポータル】2025-04 の報告が承認待ちになりました"
    );
    assert!(
        ja.text
            .contains("佐藤 が かぶ証券 の 2025-04 の報告を承認待ちとしました。")
    );
    assert!(ja.text.contains("報告を確認して提出する："));
}
