//! `seed-demo` gives a person trying the portal a realistic dashboard:
//! every demo version carries the details a web submission would store,
//! so the markets and attack-vector charts are filled and the summary
//! agrees with the versions.

use diesel::prelude::*;
use incident_portal::db::models::{Version, VersionDetails};
use incident_portal::db::schema::{return_versions, version_details};
use incident_portal::domain::role::Role;
use incident_portal::services::seed;
use reqwest::StatusCode;
use scraper::Selector;

use crate::helpers::{Page, TestApp, assert_summary_matches_versions};
use crate::on_both_backends;

/// The `data-value` of every bar of a chart.
fn bar_values(page: &Page, chart: &str) -> Vec<i64> {
    let selector = Selector::parse(&format!("#{chart} svg .bars rect")).unwrap();
    page.html()
        .select(&selector)
        .map(|r| r.value().attr("data-value").unwrap().parse().unwrap())
        .collect()
}

async fn demo_data_fills_the_dashboard_charts(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let logins = {
        let mut conn = app.pool.get().unwrap();
        seed::seed(&mut conn, app.clock.now()).unwrap()
    };

    assert_summary_matches_versions(&app);
    let versions: Vec<(Version, Option<VersionDetails>)> = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .left_join(version_details::table)
            .select((Version::as_select(), Option::<VersionDetails>::as_select()))
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(versions.len(), 9, "three firms, three months each");
    for (v, d) in &versions {
        let d = d
            .as_ref()
            .unwrap_or_else(|| panic!("{} v{} has details", v.period, v.version_no));
        assert_eq!(
            d.purchase_domestic_jpy
                + d.purchase_china_hk_jpy
                + d.purchase_us_jpy
                + d.purchase_other_jpy,
            v.purchase_amount_jpy,
            "{}: markets add up to the purchase amount",
            v.period
        );
        let vectors = d.vector_phishing
            + d.vector_credential_stuffing
            + d.vector_malware
            + d.vector_sim_swap
            + d.vector_insider
            + d.vector_unknown;
        assert_eq!(vectors, v.unauthorized_accesses, "{}: vectors", v.period);
        assert!(d.compensation_paid_jpy <= d.customer_losses_jpy);
        assert!(!d.contact_name.is_empty() && !d.contact_email.is_empty());
    }
    let purchases: i64 = versions.iter().map(|(v, _)| v.purchase_amount_jpy).sum();
    let accesses: i64 = versions.iter().map(|(v, _)| v.unauthorized_accesses).sum();

    let page = admin.get("/dashboard?from=2025-02&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    let markets = bar_values(&page, "chart-markets");
    assert_eq!(markets.len(), 4);
    assert_eq!(markets.iter().sum::<i64>(), purchases, "markets chart");
    assert!(
        markets.iter().filter(|v| **v > 0).count() >= 3,
        "{markets:?}"
    );
    let vectors = bar_values(&page, "chart-vectors");
    assert_eq!(vectors.len(), 6);
    assert!(vectors.iter().all(|v| *v >= 0));
    assert!(
        vectors.iter().sum::<i64>() > 0,
        "vectors chart is not empty"
    );
    assert_eq!(vectors.iter().sum::<i64>(), accesses);

    // A demo firm user sees the details on the version page.
    let reporter = logins
        .iter()
        .find(|l| l.role == Role::Reporter)
        .expect("a demo reporter");
    app.secrets
        .lock()
        .unwrap()
        .insert(reporter.email.clone(), reporter.totp_secret.clone());
    let mut browser = app.browser();
    app.sign_in_fully(&mut browser, &reporter.email, &reporter.password)
        .await;
    let page = browser.get("/returns/2025-04/versions/1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.texts("table.details").is_empty(),
        "details shown: {}",
        page.body
    );
    assert!(page.body.contains("compliance@firm"), "contact shown");
}

on_both_backends!(demo_data_fills_the_dashboard_charts);
