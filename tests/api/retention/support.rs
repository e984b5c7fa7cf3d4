//! The portal these tests purge: a release of March to May 2025 (imported
//! returns), firm Alpha's returns of March (past retention) and April (not)
//! filed by four eyes with an amendment in preparation for each, every
//! narrative of their versions filled, and an incident of each month with
//! a message in its thread and a draft of its next stage.

use diesel::prelude::*;
use incident_portal::db::schema::{
    incident_drafts, incident_messages, incident_versions, incidents, period_summary, publications,
    return_versions, returns, version_details,
};
use incident_portal::domain::incident::{Report, ReportForm};
use incident_portal::domain::retention::RetentionYears;
use incident_portal::services::return_form::FiguresForm;
use incident_portal::services::{Actor, incident_thread, retention};

use crate::helpers::{Browser, Firm, TestApp, figures, file, prepare};
use crate::incidents::lifecycle::{initial_form, tokyo};
use crate::incidents::review::{links, send_initial, user};

/// Past retention on `PURGE_DAY` with one year kept.
pub const OLD: &str = "2025-03";
/// Within it.
pub const NEW: &str = "2025-04";
/// The day of the purge (Tokyo): one year after April's end is not over.
pub const PURGE_DAY: &str = "2026-04-02T10:00";
pub const MARKER: &str = "[removed under the retention rule on 2026-04-02]";

pub const REMEDIATION: &str = "Passkeys offered to every customer.";
pub const CONTACT: &str = "Hanako Sato";
pub const MESSAGE: &str = "Please send the access logs.";

pub struct Seeded {
    pub admin: Browser,
    pub alpha: Firm,
    pub old_incident: i64,
    pub new_incident: i64,
}

fn filed() -> Vec<(&'static str, &'static str)> {
    figures("12", "10", "4", "1000000", "800000", REMEDIATION)
}

fn incident_form(aware: &str, occurred: &str) -> ReportForm {
    ReportForm {
        aware_at: format!("{aware}T10:00"),
        classified_at: format!("{aware}T11:00"),
        occurred_on: occurred.into(),
        ..initial_form()
    }
}

pub async fn seed(app: &TestApp) -> Seeded {
    crate::publications::seed(app);
    let publication = crate::publications::draft(app, "Retention", "2025-06-10T09:00:00+09:00");
    {
        let mut conn = app.pool.get().unwrap();
        crate::publications::release(&mut conn, publication, app.clock.now());
    }
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    for period in [OLD, NEW] {
        file(&mut alpha, period, &filed()).await;
        prepare(&mut alpha.reporter, period, &filed()).await;
    }
    let mut conn = app.pool.get().unwrap();
    diesel::update(return_versions::table)
        .set((
            return_versions::approver_note.eq("Checked by the compliance head."),
            return_versions::review_note.eq(Some("Please confirm the sale amount.")),
            return_versions::nil_explanation.eq("Nothing else to explain."),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(version_details::table)
        .set((
            version_details::detected_other_text.eq("Reported by a partner bank."),
            version_details::warnings_explanation.eq("A one-off campaign."),
        ))
        .execute(&mut conn)
        .unwrap();
    let (reporter, _) = user(app, "reporter@alpha.example");
    let (staff, staff_actor) = user(app, "admin@fsa.example");
    let mut ids = Vec::new();
    for (aware, occurred) in [("2025-03-29", "2025-03-28"), ("2025-04-11", "2025-04-10")] {
        let form = incident_form(aware, occurred);
        let id = send_initial(
            app,
            "reporter@alpha.example",
            &form,
            &format!("{aware}T12:00"),
        );
        incident_thread::post(
            &mut conn,
            &staff_actor,
            &staff,
            id,
            MESSAGE,
            true,
            app.clock.now(),
            &links(app),
        )
        .unwrap()
        .unwrap();
        let next = ReportForm {
            containment: "Blocked the phishing domain.".into(),
            cause: "Phishing e-mails.".into(),
            ..form
        };
        diesel::insert_into(incident_drafts::table)
            .values((
                incident_drafts::incident_id.eq(id),
                incident_drafts::stage.eq("intermediate"),
                incident_drafts::document.eq(serde_json::to_string(&next).unwrap()),
                incident_drafts::updated_by.eq(reporter.id),
                incident_drafts::updated_at.eq(app.clock.now()),
            ))
            .execute(&mut conn)
            .unwrap();
        ids.push(id);
    }
    Seeded {
        admin,
        alpha,
        old_incident: ids[0],
        new_incident: ids[1],
    }
}

/// Moves the clock to the purge day and keeps data one year.
pub fn one_year_and_purge_day(app: &TestApp) {
    app.clock.advance(tokyo(PURGE_DAY) - app.clock.now());
    let mut conn = app.pool.get().unwrap();
    retention::save_years(
        &mut conn,
        &Actor::system("test"),
        RetentionYears::parse("1").unwrap(),
        app.clock.now(),
    )
    .unwrap();
}

/// Runs the day's purge now; the fields it replaced (`None`: the day was
/// claimed already).
pub fn run(app: &TestApp) -> Option<usize> {
    let mut conn = app.pool.get().unwrap();
    retention::run_daily(&mut conn, app.clock.now())
        .unwrap()
        .map(|r| r.purged())
}

/// Every purgeable text of firm `firm_id`'s versions of `period`:
/// remediation, approver's note, review note, nil explanation, then the
/// three contact fields, the other detection and the explanation.
pub fn version_texts(app: &TestApp, firm_id: i64, period: &str) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<(String, String, Option<String>, String, i64)> = return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period))
        .select((
            return_versions::remediation,
            return_versions::approver_note,
            return_versions::review_note,
            return_versions::nil_explanation,
            return_versions::id,
        ))
        .load(&mut conn)
        .unwrap();
    assert!(!rows.is_empty());
    let mut out = Vec::new();
    for (remediation, note, review, nil, id) in rows {
        out.extend([remediation, note, review.unwrap_or_default(), nil]);
        let d: (String, String, String, String, String) = version_details::table
            .find(id)
            .select((
                version_details::contact_name,
                version_details::contact_phone,
                version_details::contact_email,
                version_details::detected_other_text,
                version_details::warnings_explanation,
            ))
            .first(&mut conn)
            .unwrap();
        out.extend([d.0, d.1, d.2, d.3, d.4]);
    }
    out
}

/// The draft of firm `firm_id`'s return for `period`.
pub fn draft(app: &TestApp, firm_id: i64, period: &str) -> FiguresForm {
    let mut conn = app.pool.get().unwrap();
    let json: Option<String> = returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period))
        .select(returns::draft_json)
        .first(&mut conn)
        .unwrap();
    serde_json::from_str(&json.expect("a draft")).unwrap()
}

/// The incident's narratives: of each version sent, of its draft, and its
/// thread's messages.
pub fn incident_texts(app: &TestApp, id: i64) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    let mut out = Vec::new();
    let sent: Vec<String> = incident_versions::table
        .filter(incident_versions::incident_id.eq(id))
        .select(incident_versions::document)
        .load(&mut conn)
        .unwrap();
    for doc in sent {
        let r: Report = serde_json::from_str(&doc).unwrap();
        out.push(r.actions);
    }
    let doc: String = incident_drafts::table
        .find(id)
        .select(incident_drafts::document)
        .first(&mut conn)
        .unwrap();
    let f: ReportForm = serde_json::from_str(&doc).unwrap();
    out.extend([f.actions, f.containment, f.cause]);
    out.extend(
        incident_messages::table
            .filter(incident_messages::incident_id.eq(id))
            .select(incident_messages::body)
            .load::<String>(&mut conn)
            .unwrap(),
    );
    out
}

/// A version's id, receipt, hash, number, status and figures.
type VersionKept = (i64, String, Option<String>, i32, String, i64, i64, i64, i64);
/// A release's id, files and table.
type ReleaseKept = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// What must never change: every version's receipt and figures, the
/// details' figures, the period summary, the releases and their files,
/// the incidents' figures, as text.
pub fn kept(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    let mut out = Vec::new();
    let versions: Vec<VersionKept> = return_versions::table
        .order(return_versions::id)
        .select((
            return_versions::id,
            return_versions::receipt_no,
            return_versions::content_sha256,
            return_versions::version_no,
            return_versions::status,
            return_versions::unauthorized_accesses,
            return_versions::fraudulent_trades,
            return_versions::sale_amount_jpy,
            return_versions::purchase_amount_jpy,
        ))
        .load(&mut conn)
        .unwrap();
    out.extend(versions.iter().map(|v| format!("{v:?}")));
    let details: Vec<(i64, i64, i64, String, String)> = version_details::table
        .order(version_details::version_id)
        .select((
            version_details::version_id,
            version_details::purchase_domestic_jpy,
            version_details::customer_losses_jpy,
            version_details::compensation_policy,
            version_details::checklist,
        ))
        .load(&mut conn)
        .unwrap();
    out.extend(details.iter().map(|d| format!("{d:?}")));
    let summary: Vec<(String, i64, i64, i64, i64, i64, chrono::NaiveDateTime)> =
        period_summary::table
            .order(period_summary::period)
            .select((
                period_summary::period,
                period_summary::firms_reporting,
                period_summary::unauthorized_accesses,
                period_summary::sale_amount_jpy,
                period_summary::purchase_amount_jpy,
                period_summary::revision,
                period_summary::updated_at,
            ))
            .load(&mut conn)
            .unwrap();
    out.extend(summary.iter().map(|s| format!("{s:?}")));
    let releases: Vec<ReleaseKept> = publications::table
        .order(publications::id)
        .select((
            publications::id,
            publications::csv_en,
            publications::csv_ja,
            publications::sha256_en,
            publications::table_json,
        ))
        .load(&mut conn)
        .unwrap();
    assert!(releases.iter().any(|r| r.1.is_some()), "a release is kept");
    out.extend(releases.iter().map(|r| format!("{r:?}")));
    let figures: Vec<(i64, String, i64, i64)> = incidents::table
        .order(incidents::id)
        .select((
            incidents::id,
            incidents::period,
            incidents::accounts,
            incidents::trades,
        ))
        .load(&mut conn)
        .unwrap();
    out.extend(figures.iter().map(|f| format!("{f:?}")));
    out
}
