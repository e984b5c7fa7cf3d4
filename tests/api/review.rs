//! The regulator's review: accept, return with a reason (emailed to the
//! firm's approvers, shown to the firm), refusals that are conflicts and
//! never failures, who may decide, and the comparison of two versions with
//! exactly the changed figures marked.

pub mod support;

use reqwest::StatusCode;

use crate::helpers::{TestApp, figures};
use crate::on_both_backends;
use support::{
    FOOTER_EN, audit_actions, file, hrefs, last_html_to, latest, redact, return_state, review_note,
};

async fn accept_and_return_with_a_reason(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut analyst = app.analyst(&mut admin).await;
    let v1 = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("10", "8", "3", "900", "800", "MFA"),
    )
    .await;

    // The submitter (an approver) gets the receipt; the reporter does not.
    let (subject, text) = app.last_email_to("approver@alpha.example");
    assert!(
        subject.ends_with("return for 2025-04 received"),
        "{subject}"
    );
    assert_eq!(
        redact(&app, &text, &[&v1.receipt_no]),
        format!(
            "The return of Alpha Securities for 2025-04 was received at {{time}}.\n\n\
             Receipt number: {{receipt}}\nVersion: 1\nSubmitted by: approver\n\
             Due date: 2025-05-12 (late)\n\n\
             The regulator will review it. If it is returned for amendment, the firm's approvers will be told why.{FOOTER_EN}"
        )
    );
    let (to_reporter, _) = app.last_email_to("reporter@alpha.example");
    assert!(!to_reporter.contains("received"), "{to_reporter}");

    // A firm cannot decide.
    let page = firm.approver.get("/returns/2025-04").await;
    let csrf = page.input_value("csrf").unwrap();
    for route in ["accept", "return"] {
        let refused = firm
            .approver
            .post(
                &format!("/review/versions/{}/{route}", v1.id),
                &[("csrf", &csrf), ("reason", "x")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }

    // The reason is required and bounded; what was typed stays.
    let path = format!("/review/versions/{}", v1.id);
    let page = analyst.get(&path).await;
    assert_eq!(page.texts("textarea#reason").len(), 1);
    assert!(page.body.contains(&format!("action=\"{path}/accept\"")));
    let empty = analyst
        .submit_form(&page, &format!("{path}/return"), &[("reason", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.field_error("reason").unwrap(), "Enter a value.");
    let long = "あ".repeat(2001);
    let too_long = analyst
        .submit_form(&page, &format!("{path}/return"), &[("reason", &long)])
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = too_long.field_error("reason").unwrap();
    assert_eq!(error, "The text is too long.");
    assert_eq!(too_long.text("textarea#reason"), long);

    let reason = "Sale amount does not match the trade detail <check>.";
    let done = analyst
        .submit_form(&page, &format!("{path}/return"), &[("reason", reason)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        Some(format!("{path}?done=returned").as_str())
    );
    let shown = analyst.get(&format!("{path}?done=returned")).await;
    assert!(shown.text(".review-note").contains("trade detail <check>"));
    assert!(
        shown.texts("textarea#reason").is_empty(),
        "no second decision"
    );

    let returned = latest(&app, firm.id, "2025-04");
    assert_eq!(returned.status.as_str(), "returned");
    assert_eq!(returned.review_note.as_deref(), Some(reason));
    assert_eq!(returned.reviewed_at, Some(app.clock.now()));
    assert_eq!(return_state(&app), "returned");
    let note = review_note(&app, firm.id, "2025-04");
    assert_eq!(note, Some((reason.to_owned(), app.clock.now())));
    let (subject, text) = app.last_email_to("approver@alpha.example");
    assert_eq!(
        subject,
        "Incident Reporting Portal: return for 2025-04 returned for amendment"
    );
    assert_eq!(
        redact(&app, &text, &[&v1.receipt_no]),
        format!(
            "The regulator returned version 1 (receipt {{receipt}}) of the return of Alpha Securities for 2025-04 for amendment.\n\n\
             Reason:\n{reason}\n\n\
             Amend the return and submit a new version:\n{{origin}}/returns/2025-04{FOOTER_EN}"
        )
    );
    {
        let html = last_html_to(&app, "approver@alpha.example");
        assert!(
            html.contains("trade detail &#60;check&#62;."),
            "escaped: {html}"
        );
        let link = format!("<a href=\"{}/returns/2025-04\">", app.address);
        assert_eq!(html.matches(&link).count(), 1, "{html}");
        assert!(!html.contains("<script") && !html.contains("style="));
    }
    let form = firm.reporter.get("/returns/2025-04").await;
    assert!(
        form.text("#returned").contains("trade detail <check>"),
        "the reason on the form"
    );
    assert!(form.body.contains("returned this return for amendment"));
    let list = firm.reporter.get("/returns").await;
    assert!(
        list.body.contains("Returned for amendment"),
        "{}",
        list.body
    );

    // Deciding again is a conflict with a plain message, never a failure.
    let again = analyst
        .submit_form(&page, &format!("{path}/return"), &[("reason", "again")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("already been reviewed"),
        "{}",
        again.body
    );
    let accept = analyst
        .submit_form(&page, &format!("{path}/accept"), &[])
        .await;
    assert_eq!(accept.status, StatusCode::CONFLICT);

    // The firm amends: version 2 awaits review; version 1 cannot be decided.
    let v2 = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("10", "8", "3", "950", "800", "MFA"),
    )
    .await;
    assert_eq!((v2.version_no, v2.status.as_str()), (2, "submitted"));
    let note = review_note(&app, firm.id, "2025-04");
    assert_eq!(note, None, "the amendment answered it");
    let old = analyst.get(&path).await;
    assert!(old.body.contains("only the latest version can be reviewed"));
    let superseded = analyst
        .submit_form(&page, &format!("{path}/accept"), &[])
        .await;
    assert_eq!(superseded.status, StatusCode::CONFLICT);
    assert!(superseded.body.contains("A newer version"));

    let page2 = admin.get(&format!("/review/versions/{}", v2.id)).await;
    let ok = admin
        .submit_form(&page2, &format!("/review/versions/{}/accept", v2.id), &[])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(latest(&app, firm.id, "2025-04").status.as_str(), "accepted");
    assert_eq!(return_state(&app), "accepted");
    let twice = admin
        .submit_form(&page2, &format!("/review/versions/{}/accept", v2.id), &[])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let reload = admin
        .get(&format!("/review/versions/{}/accept", v2.id))
        .await;
    assert_eq!(
        reload.location(),
        Some(format!("/review/versions/{}", v2.id).as_str())
    );

    let decisions = audit_actions(&app, &["return.returned", "return.accepted"]);
    assert_eq!(decisions, ["return.returned", "return.accepted"]);
}

async fn compare_marks_exactly_the_changed_figures(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut other = app.firm_with_users(&mut admin, "Bravo").await;
    let mut analyst = app.analyst(&mut admin).await;
    let (first, second) = (
        figures("10", "8", "3", "900", "800", "MFA"),
        figures("12", "8", "3", "950", "800", "MFA"),
    );
    let v1 = file(&app, &mut firm, "2025-04", &first).await;
    let v2 = file(&app, &mut firm, "2025-04", &second).await;
    let nil = figures("1", "1", "0", "0", "0", "");
    let elsewhere = file(&app, &mut other, "2025-04", &nil).await;

    let staff = analyst
        .get(&format!("/review/compare?a={}&b={}", v1.id, v2.id))
        .await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.body);
    let changed = staff.texts("tr.changed th");
    assert_eq!(changed, ["Unauthorized accesses", "Sale amount (JPY)"]);
    assert_eq!(
        staff.texts(".change-marker"),
        ["changed", "changed"],
        "a text marker, not colour alone"
    );
    assert!(
        staff.texts("tbody tr").len() > changed.len(),
        "every figure is listed"
    );
    let row = staff.texts("tr.changed td");
    assert_eq!(&row[..2], ["10", "12"]);
    assert!(staff.text(".compare-summary").contains('2'));

    let version_page = analyst.get(&format!("/review/versions/{}", v2.id)).await;
    let link = format!("/review/compare?a={}&b={}", v1.id, v2.id);
    assert_eq!(
        hrefs(&version_page, "a.compare-link"),
        [link],
        "linked from the version page"
    );

    // The firm compares its own versions by number.
    let own = firm.reporter.get("/returns/2025-04/compare?a=1&b=2").await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.texts("tr.changed th"), changed);
    let receipt = firm.reporter.get("/returns/2025-04/versions/2").await;
    let from_receipt = hrefs(&receipt, "a.compare-link");
    assert_eq!(from_receipt, ["/returns/2025-04/compare?a=1&b=2"]);
    // Same numbers, another firm: its own (single) version only.
    let not_theirs = other.approver.get("/returns/2025-04/compare?a=1&b=2").await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);

    let mixed = analyst
        .get(&format!("/review/compare?a={}&b={}", v1.id, elsewhere.id))
        .await;
    assert_eq!(mixed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mixed.body.contains("same return"));
    let missing = analyst
        .get(&format!("/review/compare?a={}&b=999999", v1.id))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let garbled = analyst.get("/review/compare?a=x").await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY);
    let same = analyst
        .get(&format!("/review/compare?a={}&b={}", v1.id, v1.id))
        .await;
    assert!(same.texts("tr.changed").is_empty());
}

/// Two staff members decide on one version at the same moment: one
/// decision holds, the other is a conflict, nothing fails.
async fn simultaneous_decisions_conflict_never_fail(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut analyst = app.analyst(&mut admin).await;
    let v = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    let path = format!("/review/versions/{}", v.id);
    let (pa, pb) = (admin.get(&path).await, analyst.get(&path).await);
    let (accept, send_back) = (format!("{path}/accept"), format!("{path}/return"));
    let (a, b) = tokio::join!(
        admin.submit_form(&pa, &accept, &[]),
        analyst.submit_form(&pb, &send_back, &[("reason", "Why?")]),
    );
    let mut codes = [a.status.as_u16(), b.status.as_u16()];
    codes.sort();
    assert_eq!(codes, [303, 409], "{}\n{}", a.body, b.body);
    let decided = latest(&app, firm.id, "2025-04").status.as_str();
    assert_eq!(
        decided,
        if a.status == StatusCode::SEE_OTHER {
            "accepted"
        } else {
            "returned"
        }
    );
    assert_eq!(return_state(&app), decided);
}

on_both_backends!(
    simultaneous_decisions_conflict_never_fail,
    accept_and_return_with_a_reason,
    compare_marks_exactly_the_changed_figures
);
