//! What the workflow tests share: filing a return as a firm would (the
//! reporter prepares, the approver submits), reading versions back, the
//! redaction of volatile parts of emails, and driving the scheduler under a
//! moving clock, also as several instances at once.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::models::Version;
use incident_portal::db::schema::{audit_events, email_outbox, return_versions, returns};
use incident_portal::domain::period::Period;
use incident_portal::services::{reminders, review};
use reqwest::StatusCode;

use crate::helpers::{Firm, Page, TestApp, prepare};

/// The reporter prepares `typed`, the approver submits it (giving a reason
/// when it amends); returns the new version.
pub async fn file(app: &TestApp, firm: &mut Firm, period: &str, typed: &[(&str, &str)]) -> Version {
    prepare(&mut firm.reporter, period, typed).await;
    let form = firm
        .approver
        .get(&format!("/returns/{period}/approve"))
        .await;
    // An amendment says why (a first version ignores the reason).
    let mut fields = typed.to_vec();
    fields.extend([
        ("amendment_reason", "correction"),
        ("amendment_reason_text", "Figures corrected."),
    ]);
    let done = firm
        .approver
        .submit_form(&form, &format!("/returns/{period}/submit"), &fields)
        .await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "submitted: {}",
        done.body
    );
    latest(app, firm.id, period)
}

pub fn latest(app: &TestApp, firm_id: i64, period: &str) -> Version {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period))
        .order(return_versions::version_no.desc())
        .select(Version::as_select())
        .first(&mut conn)
        .unwrap()
}

/// The audit trail's actions among `names`, oldest first.
pub fn audit_actions(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq_any(names))
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(&mut conn)
        .unwrap()
}

/// The state of the (only) return.
pub fn return_state(app: &TestApp) -> String {
    let mut conn = app.pool.get().unwrap();
    returns::table
        .select(returns::state)
        .first(&mut conn)
        .unwrap()
}

/// What the firm's form page shows while its return awaits amendment.
pub fn review_note(app: &TestApp, firm_id: i64, period: &str) -> Option<(String, NaiveDateTime)> {
    let mut conn = app.pool.get().unwrap();
    let period = Period::parse(period).unwrap();
    review::open_review_note(&mut conn, firm_id, period).unwrap()
}

/// The HTML part of the newest email to `to`.
pub fn last_html_to(app: &TestApp, to: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::to_addr.eq(to))
        .order(email_outbox::id.desc())
        .select(email_outbox::body_html)
        .first(&mut conn)
        .unwrap()
}

/// Replaces the volatile parts of an email text: the test server's origin,
/// receipt numbers given, and every `YYYY-MM-DD hh:mm JST`.
pub fn redact(app: &TestApp, text: &str, receipts: &[&str]) -> String {
    let shape = "0000-00-00 00:00 JST";
    let mut out = text.replace(&app.address, "{origin}");
    for r in receipts {
        out = out.replace(r, "{receipt}");
    }
    while let Some(start) = (0..out.len()).find(|&i| {
        out.get(i..i + shape.len()).is_some_and(|w| {
            w.chars()
                .zip(shape.chars())
                .all(|(c, s)| if s == '0' { c.is_ascii_digit() } else { c == s })
        })
    }) {
        out.replace_range(start..start + shape.len(), "{time}");
    }
    out
}

/// The `href` of every element matching `selector`.
pub fn hrefs(page: &Page, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    page.html()
        .select(&selector)
        .filter_map(|e| e.value().attr("href").map(str::to_owned))
        .collect()
}

pub const FOOTER_EN: &str = "\n\n--\nThe portal never asks for your password or sign-in codes by email, and never sends attachments.\nThis message was sent automatically by the Incident Reporting Portal. Replies are not read.";

pub fn utc(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

/// Every email in the outbox whose subject contains `needle`: (to, subject).
pub fn sent(app: &TestApp, needle: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().unwrap();
    email_outbox::table
        .filter(email_outbox::subject.like(format!("%{needle}%")))
        .order(email_outbox::id.asc())
        .select((email_outbox::to_addr, email_outbox::subject))
        .load(&mut conn)
        .unwrap()
}

/// Three scheduler passes at the same instant, at once, as three instances
/// would run them.
pub fn run_concurrently(app: &TestApp) {
    let now = app.clock.now();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let mut conn = app.pool.get().unwrap();
                reminders::run_due(
                    &mut conn,
                    now,
                    &incident_portal::web::mail_links::for_portal(&app.address),
                )
                .unwrap();
            });
        }
    });
}

/// Moves the clock `hours` forward an hour at a time, running passes at
/// every step.
pub fn tick(app: &TestApp, hours: i64) {
    for _ in 0..hours {
        app.clock.advance(Duration::hours(1));
        run_concurrently(app);
        let mut conn = app.pool.get().unwrap();
        reminders::run_due(
            &mut conn,
            app.clock.now(),
            &incident_portal::web::mail_links::for_portal(&app.address),
        )
        .unwrap();
    }
}
