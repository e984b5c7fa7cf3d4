//! Amendments say why: the approver of a second or later version chooses
//! a reason and describes it (refused beside the field, everything typed
//! kept, when missing); the first version needs none. The reason shows on
//! the receipt (page and email), the analyst's version page, the
//! comparison and in the versions export with the amendment chain.

use diesel::prelude::*;
use incident_portal::db::schema::{return_versions, version_amendments};
use reqwest::StatusCode;

use crate::helpers::{Firm, TestApp, figures, file, prepare};
use crate::on_both_backends;

fn version_id(app: &TestApp, firm: i64, no: i32) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .filter(return_versions::firm_id.eq(firm))
        .filter(return_versions::period.eq("2025-04"))
        .filter(return_versions::version_no.eq(no))
        .select(return_versions::id)
        .first(&mut conn)
        .unwrap()
}

fn reasons(app: &TestApp) -> Vec<(i64, String, String)> {
    let mut conn = app.pool.get().unwrap();
    version_amendments::table
        .order(version_amendments::version_id.asc())
        .select((
            version_amendments::version_id,
            version_amendments::reason,
            version_amendments::reason_text,
        ))
        .load(&mut conn)
        .unwrap()
}

/// Version 1 filed, version 2 prepared for the approver.
async fn amendment_prepared(app: &TestApp, firm: &mut Firm) {
    file(
        firm,
        "2025-04",
        &figures("100", "90", "40", "1,000,000", "800,000", ""),
    )
    .await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("120", "100", "45", "1,200,000", "900,000", ""),
    )
    .await;
    assert!(reasons(app).is_empty(), "a first version has no reason");
}

async fn an_amendment_without_a_reason_is_refused_beside_the_field(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    amendment_prepared(&app, &mut a).await;
    let page = a.approver.get("/returns/2025-04/approve").await;
    assert!(
        page.body.contains("id=\"amendment_reason\""),
        "{}",
        page.body
    );
    let refused = a
        .approver
        .submit_form(
            &page,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("approver_note", "Checked twice."),
                ("amendment_reason", ""),
                ("amendment_reason_text", "Two more cases found in May."),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.html();
    let text = |css: &str| {
        html.select(&scraper::Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
            .join("|")
    };
    assert_eq!(
        text("#amendment_reason-error"),
        "Choose why this amendment is made. (RET-E023)"
    );
    assert_eq!(
        text("#amendment_reason_text"),
        "Two more cases found in May.",
        "the words typed are kept"
    );
    assert_eq!(text("#approver_note"), "Checked twice.");
    assert!(
        refused
            .body
            .contains("id=\"attestation\" name=\"attestation\" value=\"yes\" checked")
    );
    assert!(reasons(&app).is_empty());
    // A reason that is not on the list, or no words: refused too.
    let hostile = a
        .approver
        .submit_form(
            &page,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("amendment_reason", "because\u{0}"),
                ("amendment_reason_text", " "),
            ],
        )
        .await;
    assert_eq!(hostile.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hostile.body.contains("id=\"amendment_reason_text-error\""));
    // With a reason: filed, and the reason kept with version 2.
    let filed = a
        .approver
        .submit_form(
            &page,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("amendment_reason", "late_discovery"),
                ("amendment_reason_text", "Two more cases found in May."),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert_eq!(
        reasons(&app),
        [(
            version_id(&app, a.id, 2),
            "late_discovery".to_owned(),
            "Two more cases found in May.".to_owned()
        )]
    );
}

async fn the_reason_shows_on_receipt_email_version_comparison_and_export(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    amendment_prepared(&app, &mut a).await;
    let page = a.approver.get("/returns/2025-04/approve").await;
    let filed = a
        .approver
        .submit_form(
            &page,
            "/returns/2025-04/submit",
            &[
                ("attestation", "yes"),
                ("amendment_reason", "correction"),
                ("amendment_reason_text", "Sale amount, corrected"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let shown = "Correction of an error";
    // The receipt page and the receipt email.
    let receipt = a.approver.get("/returns/2025-04/versions/2").await;
    let reason = |page: &crate::helpers::Page, css: &str| {
        page.html()
            .select(&scraper::Selector::parse(css).unwrap())
            .flat_map(|e| e.text())
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        reason(&receipt, "#amendment-reason"),
        format!("{shown} Sale amount, corrected")
    );
    let first = a.approver.get("/returns/2025-04/versions/1").await;
    assert!(!first.body.contains("amendment-reason"));
    let (_, body) = app.last_email_to("approver@alpha.example");
    assert!(
        body.contains(&format!(
            "Reason for amendment: {shown} — Sale amount, corrected"
        )),
        "{body}"
    );
    // The analyst's version page and the comparison.
    let mut analyst = app.analyst(&mut admin).await;
    let (v1, v2) = (version_id(&app, a.id, 1), version_id(&app, a.id, 2));
    let version = analyst.get(&format!("/review/versions/{v2}")).await;
    assert_eq!(
        reason(&version, "#amendment-reason"),
        format!("{shown} Sale amount, corrected")
    );
    let compare = analyst.get(&format!("/review/compare?a={v1}&b={v2}")).await;
    assert_eq!(
        reason(&compare, "#amendment-reasons"),
        format!("v2 {shown} Sale amount, corrected")
    );
    // The export: each version's chain and reason.
    app.grant_export(&mut admin, "analyst@fsa.example", "export")
        .await;
    let (status, _, bytes) = analyst.get_bytes("/review/exports/versions.csv").await;
    assert_eq!(status, StatusCode::OK);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows[0][17..],
        [
            "supersedes",
            "is_latest",
            "amendment_reason",
            "amendment_text"
        ]
    );
    let chain: Vec<Vec<String>> = rows[1..].iter().map(|r| r[17..].to_vec()).collect();
    let cells = |v: [&str; 4]| v.map(str::to_owned).to_vec();
    assert_eq!(
        chain,
        [
            cells(["", "false", "", ""]),
            cells(["1", "true", "correction", "Sale amount, corrected"])
        ]
    );
    assert_eq!(rows[1][4], "1");
    assert_eq!(rows[2][4], "2");
}

on_both_backends!(
    an_amendment_without_a_reason_is_refused_beside_the_field,
    the_reason_shows_on_receipt_email_version_comparison_and_export
);
