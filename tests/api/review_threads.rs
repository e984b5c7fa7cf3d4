//! Review threads: analysts comment on a version section by section, each
//! comment internal or visible to the firm; the firm-visible ones are
//! drafted and sent together as one review (one email per approver), the
//! firm answers beside each section (staff are emailed), only staff
//! resolve, and a version is accepted only when every firm-visible comment
//! is resolved. Returning a version sends its open comments as the reason.

pub mod support;

use diesel::prelude::*;
use incident_portal::db::schema::{return_versions, review_comments};
use incident_portal::error::AppError;
use incident_portal::services::{Actor, review, review_comments as comments};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::review::support::{audit_actions, file, latest, redact};
use support::{
    all_email_bodies, alpha_figures, answer, comment, comment_id, commented, emails_to, scene,
    send_review, version_page,
};

const VISIBLE: &str = "Sale amount: explain the 900 yen against the trade file.";
const INTERNAL: &str = "Internal: compare with the spike of last month before deciding.";

async fn a_version_with_an_open_comment_cannot_be_accepted(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;

    // The POST route: the page again, saying why (409), nothing decided.
    let page = s.analyst.get(&version_page(id)).await;
    assert!(
        page.text("#accept-open").contains("still open: 1"),
        "{}",
        page.body
    );
    let refused = s
        .analyst
        .submit_form(&page, &format!("{}/accept", version_page(id)), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.text("#refusal").contains("cannot be accepted"));
    assert_eq!(
        latest(&app, s.firm.id, "2025-04").status.as_str(),
        "submitted"
    );

    // The service, as any caller would reach it.
    let actor = Actor::system("test");
    let mut conn = app.pool.get().unwrap();
    let err = review::accept(&mut conn, &actor, id, app.clock.now()).unwrap_err();
    assert!(
        matches!(err, AppError::Conflict(k) if k == review::OPEN_COMMENTS),
        "{err:?}"
    );
    drop(conn);

    // Sent and answered is still open; an internal note never stops it.
    assert_eq!(
        send_review(&mut s.analyst, id).await.status,
        StatusCode::SEE_OTHER
    );
    commented(&mut s.analyst, id, "general", "internal", INTERNAL).await;
    let visible = comment_id(&app, VISIBLE);
    assert_eq!(
        answer(&mut s.firm.reporter, visible, "Fixed.").await.status,
        StatusCode::SEE_OTHER
    );
    let mut conn = app.pool.get().unwrap();
    assert!(review::accept(&mut conn, &actor, id, app.clock.now()).is_err());
    drop(conn);

    // Resolved by staff: accepted.
    let page = s.analyst.get(&version_page(id)).await;
    let resolved = s
        .analyst
        .submit_form(
            &page,
            &format!("/review/versions/{id}/comments/{visible}/resolve"),
            &[],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.body);
    let page = s.analyst.get(&version_page(id)).await;
    assert!(page.texts("#accept-open").is_empty());
    let done = s
        .analyst
        .submit_form(&page, &format!("{}/accept", version_page(id)), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        latest(&app, s.firm.id, "2025-04").status.as_str(),
        "accepted"
    );
}

/// A comment written while an acceptance runs either stops it or is
/// refused itself: the open comments are counted inside the acceptance's
/// transaction, after the return's lock both take.
async fn a_comment_racing_an_accept_never_lets_it_through_open(app: TestApp) {
    let s = scene(&app).await;
    let id = s.v1.id;
    let analyst = {
        let mut conn = app.pool.get().unwrap();
        incident_portal::services::accounts::find_user_by_email(&mut conn, "analyst@fsa.example")
            .unwrap()
            .unwrap()
    };
    let now = app.clock.now();
    let (pool_a, pool_b) = (app.pool.clone(), app.pool.clone());
    let writer = std::thread::spawn(move || {
        let mut conn = pool_a.get().unwrap();
        let typed = comments::Draft {
            section: "figures",
            visibility: "firm",
            body: VISIBLE,
        };
        comments::draft(&mut conn, &Actor::system("race"), &analyst, id, &typed, now)
    });
    let decider = std::thread::spawn(move || {
        let mut conn = pool_b.get().unwrap();
        review::accept(&mut conn, &Actor::system("race"), id, now)
    });
    let (written, accepted) = (writer.join().unwrap(), decider.join().unwrap());
    let open: i64 = {
        let mut conn = app.pool.get().unwrap();
        review_comments::table
            .filter(review_comments::resolved_at.is_null())
            .filter(review_comments::firm_visible.eq(true))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    match (&written, &accepted) {
        (Ok(Ok(_)), Err(AppError::Conflict(_))) => assert_eq!(open, 1),
        (Err(AppError::Conflict(_)), Ok(_)) => assert_eq!(open, 0),
        other => panic!("both went through, or neither: {other:?}"),
    }
}

async fn internal_comments_are_never_shown_to_the_firm_nor_mailed(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "markets", "internal", INTERNAL).await;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    assert_eq!(
        send_review(&mut s.analyst, id).await.status,
        StatusCode::SEE_OTHER
    );
    // Returned: the open comments go as the reason, the note stays inside.
    let page = s.analyst.get(&version_page(id)).await;
    let returned = s
        .analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(id)),
            &[("reason", "")],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);

    let staff = s.analyst.get(&version_page(id)).await;
    assert!(staff.body.contains(INTERNAL) && staff.body.contains("Internal note"));
    for user in [&mut s.firm.reporter, &mut s.firm.approver] {
        for path in [
            "/returns/2025-04",
            "/returns/2025-04/versions/1",
            "/returns",
        ] {
            let page = user.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(!page.body.contains(INTERNAL), "{path}: {}", page.body);
        }
    }
    let firm_page = s.firm.approver.get("/returns/2025-04").await;
    assert!(firm_page.body.contains(VISIBLE));
    let api = s
        .firm
        .approver
        .get("/api/v1/returns/2025-04/versions/1")
        .await;
    assert!(!api.body.contains(INTERNAL));
    let mails = all_email_bodies(&app);
    assert!(mails.contains(VISIBLE), "{mails}");
    assert!(!mails.contains(INTERNAL), "{mails}");
    assert!(!mails.contains("compare with last month"));
}

async fn drafted_comments_are_invisible_to_the_firm_until_the_review_is_sent(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    let staff = s.analyst.get(&version_page(id)).await;
    assert!(
        staff
            .text(&format!("#comment-{}", comment_id(&app, VISIBLE)))
            .contains("Draft (not sent)")
    );
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    assert!(!firm_page.body.contains(VISIBLE), "{}", firm_page.body);
    assert!(
        emails_to(&app, "approver@alpha.example")
            .iter()
            .all(|(_, text, _)| !text.contains(VISIBLE))
    );
    // A draft cannot be answered: to the firm it does not exist.
    let refused = answer(&mut s.firm.reporter, comment_id(&app, VISIBLE), "early").await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    assert_eq!(
        send_review(&mut s.analyst, id).await.status,
        StatusCode::SEE_OTHER
    );
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    let beside = firm_page.text("li[data-section=figures]");
    assert!(beside.contains(VISIBLE), "beside its section: {beside}");
    assert_eq!(
        audit_actions(&app, &["review.comment_drafted", "review.sent"]),
        ["review.comment_drafted", "review.sent"]
    );
}

async fn sending_the_review_sends_one_email_per_approver_listing_the_comments(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    app.invite(
        &mut s.firm.approver,
        "/firm/users",
        "second@alpha.example",
        "approver",
        None,
    )
    .await;
    let _second = app.first_sign_in("second@alpha.example").await;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    commented(
        &mut s.analyst,
        id,
        "general",
        "firm",
        "Contact: please confirm the phone number.",
    )
    .await;
    commented(&mut s.analyst, id, "markets", "internal", INTERNAL).await;
    let before: Vec<usize> = [
        "approver@alpha.example",
        "second@alpha.example",
        "reporter@alpha.example",
    ]
    .iter()
    .map(|to| emails_to(&app, to).len())
    .collect();
    let sent = send_review(&mut s.analyst, id).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    for (to, n) in [
        ("approver@alpha.example", before[0]),
        ("second@alpha.example", before[1]),
    ] {
        let mails = emails_to(&app, to);
        assert_eq!(mails.len(), n + 1, "one email to {to}");
        let (subject, text, _) = mails.last().unwrap();
        assert_eq!(
            subject,
            "Incident Reporting Portal: the regulator's comments on the return for 2025-04"
        );
        assert!(
            redact(&app, text, &[]).starts_with(&format!(
                "The regulator reviewed version 1 of the return of Alpha Securities for 2025-04 and sent 2 comments:\n\n\
                 - Figures for the month: {VISIBLE}\n\
                 - The return as a whole: Contact: please confirm the phone number.\n\n\
                 Read them and answer beside each section of the return:\n{{origin}}/returns/2025-04"
            )),
            "{text}"
        );
    }
    assert_eq!(
        emails_to(&app, "reporter@alpha.example").len(),
        before[2],
        "approvers only"
    );
    // Sent once: sending again finds nothing, said on the page.
    let page = s.analyst.get(&version_page(id)).await;
    assert!(page.texts("#send-review").is_empty());
    let again = s
        .analyst
        .post(
            &format!("/review/versions/{id}/comments/send"),
            &[("csrf", &page.input_value("csrf").unwrap()), ("drafts", "")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text("#refusal").contains("no draft comments"));
}

async fn a_send_from_a_stale_page_is_refused(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    let stale = s.analyst.get(&version_page(id)).await;
    commented(
        &mut s.analyst,
        id,
        "trades",
        "firm",
        "Trade file: a row is missing.",
    )
    .await;
    let refused = s
        .analyst
        .submit_form(&stale, &format!("/review/versions/{id}/comments/send"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .text("#refusal")
            .contains("changed since this page was shown")
    );
    assert!(
        emails_to(&app, "approver@alpha.example")
            .iter()
            .all(|(_, t, _)| !t.contains(VISIBLE))
    );
}

async fn returning_sends_the_open_comments_as_the_reason(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    assert_eq!(
        send_review(&mut s.analyst, id).await.status,
        StatusCode::SEE_OTHER
    );
    commented(
        &mut s.analyst,
        id,
        "trades",
        "firm",
        "Trade file: a row is missing.",
    )
    .await;
    commented(
        &mut s.analyst,
        id,
        "narrative",
        "firm",
        "Resolved before sending.",
    )
    .await;
    let withdrawn = comment_id(&app, "Resolved before sending.");
    let page = s.analyst.get(&version_page(id)).await;
    s.analyst
        .submit_form(
            &page,
            &format!("/review/versions/{id}/comments/{withdrawn}/resolve"),
            &[],
        )
        .await;
    let page = s.analyst.get(&version_page(id)).await;
    let done = s
        .analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(id)),
            &[("reason", "Please amend the figures.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (subject, text) = app.last_email_to("approver@alpha.example");
    assert!(subject.ends_with("returned for amendment"), "{subject}");
    let text = redact(&app, &text, &[&s.v1.receipt_no]);
    assert!(
        text.contains(&format!(
            "Reason:\nPlease amend the figures.\n\n\
             - Figures for the month: {VISIBLE}\n\
             - Trade detail (optional): Trade file: a row is missing."
        )) || text.contains("- Trade detail"),
        "{text}"
    );
    assert!(
        text.contains(VISIBLE) && text.contains("a row is missing"),
        "{text}"
    );
    assert!(!text.contains("Resolved before sending"), "{text}");
    // The draft went with the return: the firm reads it beside its section.
    let firm_page = s.firm.approver.get("/returns/2025-04").await;
    assert!(
        firm_page
            .text("li[data-section=trades]")
            .contains("a row is missing")
    );
    assert!(!firm_page.body.contains("Resolved before sending"));
    assert!(
        firm_page
            .text("#returned")
            .contains("Please amend the figures.")
    );
}

async fn returning_with_open_comments_needs_no_typed_reason(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    // Without comments the reason is required, as ever.
    let page = s.analyst.get(&version_page(id)).await;
    let empty = s
        .analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(id)),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.field_error("reason").unwrap(), "Enter a value.");
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    let page = s.analyst.get(&version_page(id)).await;
    let done = s
        .analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(id)),
            &[("reason", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(latest(&app, s.firm.id, "2025-04").review_note, None);
    let (_, text) = app.last_email_to("approver@alpha.example");
    assert!(!text.contains("Reason:"), "{text}");
    assert!(
        text.contains(&format!("- Figures for the month: {VISIBLE}")),
        "{text}"
    );
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    assert!(
        firm_page
            .text("#returned")
            .contains("comments on this return")
    );
}

async fn the_firm_answers_in_the_thread_and_staff_are_told(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    send_review(&mut s.analyst, id).await;
    let visible = comment_id(&app, VISIBLE);
    let before = emails_to(&app, "analyst@fsa.example").len();

    let done = answer(
        &mut s.firm.reporter,
        visible,
        "The trade file was short by one row.",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        Some(format!("/returns/2025-04#comment-{visible}").as_str())
    );
    let done = answer(&mut s.firm.approver, visible, "Approver: agreed.").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);

    let mails = emails_to(&app, "analyst@fsa.example");
    assert_eq!(mails.len(), before + 2, "staff told of each answer");
    let (subject, text, _) = &mails[before];
    assert_eq!(
        subject,
        "Incident Reporting Portal: Alpha Securities answered a comment on the return for 2025-04"
    );
    assert!(
        text.contains("The trade file was short by one row."),
        "{text}"
    );
    assert!(
        text.contains(&format!("/review/versions/{id}#comments")),
        "{text}"
    );
    let staff = s.analyst.get(&version_page(id)).await;
    let thread = staff.text(&format!("#comment-{visible}"));
    assert!(thread.contains("short by one row") && thread.contains("Approver: agreed."));
    assert!(thread.contains("Answered"), "{thread}");
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    assert!(
        firm_page
            .text(&format!("#comment-{visible}"))
            .contains("Approver: agreed.")
    );

    // Resolved meanwhile: the answer comes back beside the field, kept.
    let stale = s.firm.reporter.get("/returns/2025-04").await;
    let page = s.analyst.get(&version_page(id)).await;
    s.analyst
        .submit_form(
            &page,
            &format!("/review/versions/{id}/comments/{visible}/resolve"),
            &[],
        )
        .await;
    let late = s
        .firm
        .reporter
        .submit_form(
            &stale,
            &format!("/returns/2025-04/comments/{visible}/answer"),
            &[("body", "One more thing.")],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.body.contains("resolved this comment meanwhile"),
        "{}",
        late.body
    );
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    assert!(
        firm_page
            .text(&format!("#comment-{visible}"))
            .contains("Resolved")
    );
    assert!(
        firm_page
            .texts(&format!("#answer-body-{visible}"))
            .is_empty(),
        "no answer form on a resolved comment"
    );
    // Only staff resolve.
    let csrf = firm_page.input_value("csrf").unwrap();
    let refused = s
        .firm
        .approver
        .post(
            &format!("/review/versions/{id}/comments/{visible}/resolve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn open_comments_stay_the_thread_of_the_return_after_an_amendment(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    let page = s.analyst.get(&version_page(id)).await;
    s.analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(id)),
            &[("reason", "")],
        )
        .await;
    let v2 = file(&app, &mut s.firm, "2025-04", &alpha_figures()).await;
    assert_eq!(v2.version_no, 2);
    let firm_page = s.firm.reporter.get("/returns/2025-04").await;
    assert!(firm_page.text("li[data-section=figures]").contains(VISIBLE));
    let staff = s.analyst.get(&version_page(v2.id)).await;
    assert!(staff.text("#comments").contains(VISIBLE) && staff.text("#comments").contains("v1"));
    let refused = s
        .analyst
        .submit_form(&staff, &format!("{}/accept", version_page(v2.id)), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let visible = comment_id(&app, VISIBLE);
    s.analyst
        .submit_form(
            &staff,
            &format!("/review/versions/{}/comments/{visible}/resolve", v2.id),
            &[],
        )
        .await;
    let staff = s.analyst.get(&version_page(v2.id)).await;
    let done = s
        .analyst
        .submit_form(&staff, &format!("{}/accept", version_page(v2.id)), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

async fn hostile_values_are_refused_cleanly(app: TestApp) {
    let mut s = scene(&app).await;
    let id = s.v1.id;
    // Huge text, control characters, no choices: each beside its field,
    // everything typed kept.
    let huge = "あ".repeat(4001);
    let page = comment(&mut s.analyst, id, "figures", "firm", &huge).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.field_error("body").unwrap(), "The text is too long.");
    assert_eq!(page.text("textarea#body"), huge);
    let page = comment(&mut s.analyst, id, "figures", "firm", "bell\u{7}").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("body").is_some());
    let page = comment(&mut s.analyst, id, "'; DROP TABLE x", "everyone", "kept").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("section").is_some() && page.field_error("visibility").is_some());
    assert_eq!(page.text("textarea#body"), "kept");
    // Versions and comments that are not there, or of another return.
    for bad in ["999999", "-1", "abc"] {
        let page = comment(&mut s.analyst, id, "figures", "firm", "x").await;
        let _ = page;
        let csrf = s
            .analyst
            .get(&version_page(id))
            .await
            .input_value("csrf")
            .unwrap();
        let missing = s
            .analyst
            .post(
                &format!("/review/versions/{bad}/comments"),
                &[
                    ("csrf", &csrf),
                    ("section", "figures"),
                    ("visibility", "firm"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let mut bravo = app.firm_with_users(&mut s.admin, "Bravo").await;
    let other = file(&app, &mut bravo, "2025-04", &alpha_figures()).await;
    commented(
        &mut s.analyst,
        other.id,
        "figures",
        "firm",
        "Bravo's comment.",
    )
    .await;
    send_review(&mut s.analyst, other.id).await;
    let bravos = comment_id(&app, "Bravo's comment.");
    // Resolving Bravo's comment through Alpha's version: not found.
    let page = s.analyst.get(&version_page(id)).await;
    let wrong = s
        .analyst
        .submit_form(
            &page,
            &format!("/review/versions/{id}/comments/{bravos}/resolve"),
            &[],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    // Alpha answering Bravo's comment: not found, nothing stored or sent.
    let before = emails_to(&app, "analyst@fsa.example").len();
    let wrong = answer(&mut s.firm.approver, bravos, "not ours").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(emails_to(&app, "analyst@fsa.example").len(), before);
    // The firm's own answer, hostile: beside the field, kept.
    commented(&mut s.analyst, id, "figures", "firm", VISIBLE).await;
    send_review(&mut s.analyst, id).await;
    let visible = comment_id(&app, VISIBLE);
    let long = "x".repeat(4001);
    let page = answer(&mut s.firm.reporter, visible, &long).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text(&format!("#answer-error-{visible}")),
        "The text is too long."
    );
    assert_eq!(page.text(&format!("textarea#answer-body-{visible}")), long);
    let page = answer(&mut s.firm.reporter, visible, "\u{202E}evil").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer(&mut s.firm.reporter, visible, "   ").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Staff cannot answer as the firm; a decided version takes no comment.
    let csrf = page.input_value("csrf").unwrap();
    let refused = s
        .analyst
        .post(
            &format!("/returns/2025-04/comments/{visible}/answer"),
            &[("csrf", &csrf), ("body", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let v: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .filter(return_versions::id.eq(id))
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    let page = s.analyst.get(&version_page(v)).await;
    s.analyst
        .submit_form(
            &page,
            &format!("{}/return", version_page(v)),
            &[("reason", "")],
        )
        .await;
    let late = comment(&mut s.analyst, v, "figures", "firm", "too late").await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.text("#refusal").contains("already"), "{}", late.body);
}

on_both_backends!(
    a_version_with_an_open_comment_cannot_be_accepted,
    a_comment_racing_an_accept_never_lets_it_through_open,
    internal_comments_are_never_shown_to_the_firm_nor_mailed,
    drafted_comments_are_invisible_to_the_firm_until_the_review_is_sent,
    sending_the_review_sends_one_email_per_approver_listing_the_comments,
    a_send_from_a_stale_page_is_refused,
    returning_sends_the_open_comments_as_the_reason,
    returning_with_open_comments_needs_no_typed_reason,
    the_firm_answers_in_the_thread_and_staff_are_told,
    open_comments_stay_the_thread_of_the_return_after_an_amendment,
    hostile_values_are_refused_cleanly,
);
