//! What the review-thread tests share: a firm with a version awaiting
//! review and an analyst, the staff's forms driven as a person would, and
//! the comments and emails read back.

use diesel::prelude::*;
use incident_portal::db::models::Version;
use incident_portal::db::schema::{email_outbox, review_comments};
use reqwest::StatusCode;

use crate::helpers::{Browser, Firm, Page, TestApp, figures};
use crate::review::support::file;

/// Firm Alpha (approver, reporter) with version 1 of 2025-04 awaiting
/// review, and an analyst.
pub struct Scene {
    pub admin: Browser,
    pub firm: Firm,
    pub analyst: Browser,
    pub v1: Version,
}

pub async fn scene(app: &TestApp) -> Scene {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let analyst = app.analyst(&mut admin).await;
    let v1 = file(app, &mut firm, "2025-04", &alpha_figures()).await;
    Scene {
        admin,
        firm,
        analyst,
        v1,
    }
}

pub fn alpha_figures() -> Vec<(&'static str, &'static str)> {
    figures("10", "8", "3", "900", "800", "MFA")
}

pub fn version_page(id: i64) -> String {
    format!("/review/versions/{id}")
}

/// The staff's comment form, sent from the version page as typed.
pub async fn comment(
    analyst: &mut Browser,
    version_id: i64,
    section: &str,
    visibility: &str,
    body: &str,
) -> Page {
    let page = analyst.get(&version_page(version_id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    analyst
        .submit_form(
            &page,
            &format!("/review/versions/{version_id}/comments"),
            &[
                ("section", section),
                ("visibility", visibility),
                ("body", body),
            ],
        )
        .await
}

/// `comment`, which must be taken.
pub async fn commented(
    analyst: &mut Browser,
    version_id: i64,
    section: &str,
    visibility: &str,
    body: &str,
) {
    let done = comment(analyst, version_id, section, visibility, body).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

/// The staff send the review from the version page as shown.
pub async fn send_review(analyst: &mut Browser, version_id: i64) -> Page {
    let page = analyst.get(&version_page(version_id)).await;
    analyst
        .submit_form(
            &page,
            &format!("/review/versions/{version_id}/comments/send"),
            &[],
        )
        .await
}

/// The ids of the comments whose text is `body`.
pub fn comment_id(app: &TestApp, body: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    review_comments::table
        .filter(review_comments::body.eq(body))
        .select(review_comments::id)
        .first(&mut conn)
        .unwrap()
}

/// Every email to `to`, oldest first: (subject, text, html).
pub fn emails_to(app: &TestApp, to: &str) -> Vec<(String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::to_addr.eq(to))
        .order(email_outbox::id.asc())
        .select((
            email_outbox::subject,
            email_outbox::body_text,
            email_outbox::body_html,
        ))
        .load(&mut conn)
        .unwrap()
}

/// Every email's text and HTML, all recipients.
pub fn all_email_bodies(app: &TestApp) -> String {
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<(String, String)> = email_outbox::table
        .select((email_outbox::body_text, email_outbox::body_html))
        .load(&mut conn)
        .unwrap();
    rows.into_iter()
        .map(|(t, h)| format!("{t}\n{h}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A firm user answers comment `id` on the return page of 2025-04.
pub async fn answer(user: &mut Browser, id: i64, body: &str) -> Page {
    let page = user.get("/returns/2025-04").await;
    user.submit_form(
        &page,
        &format!("/returns/2025-04/comments/{id}/answer"),
        &[("body", body)],
    )
    .await
}
