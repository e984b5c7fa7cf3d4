//! What an observer reaches: their scope's versions and the live figures;
//! 404 for anything else (another firm, another month, an expired scope, a
//! version asked by an aggregates-only observer); never a contact detail,
//! trade detail or export.

use chrono::Duration;
use reqwest::StatusCode;
use scraper::Selector;

use super::support::{CONTACT, Scope, audited, file, invite, set_scope, signed_in};
use crate::helpers::{Browser, TestApp};
use crate::on_both_backends;

/// Firms Alpha and Bravo, each with versions of 2025-03 and 2025-04:
/// (admin, [alpha 03, alpha 04, bravo 03, bravo 04], alpha id, bravo id).
async fn two_firms_filed(app: &TestApp) -> (Browser, [i64; 4], i64, i64) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let versions = [
        file(app, &mut alpha, "2025-03", "11").await,
        file(app, &mut alpha, "2025-04", "12").await,
        file(app, &mut bravo, "2025-03", "13").await,
        file(app, &mut bravo, "2025-04", "14").await,
    ];
    (admin, versions, alpha.id, bravo.id)
}

async fn an_observer_outside_their_scope_gets_404(app: TestApp) {
    let (mut admin, [a03, a04, b03, b04], alpha, _) = two_firms_filed(&app).await;
    let id = invite(&app, &mut admin, "police@npa.example").await;
    let scope = Scope {
        firms: &[alpha],
        aggregates_only: false,
        from: "2025-04",
        to: "2025-04",
        expires_on: "2025-06-30",
    };
    let saved = set_scope(&mut admin, id, &scope).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut observer = signed_in(&app, id);
    let home = observer.get("/observer").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    let listed = home.texts("#observer-versions tbody a");
    assert_eq!(listed, ["v1"], "only Alpha's April version is listed");
    let inside = observer.get(&format!("/observer/versions/{a04}")).await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.body);
    assert!(inside.body.contains("Alpha Securities"));
    for (outside, why) in [
        (a03, "a month outside the scope"),
        (b04, "a firm outside the scope"),
        (b03, "neither"),
        (999_999, "no such version"),
    ] {
        let page = observer.get(&format!("/observer/versions/{outside}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{why}");
    }
    let page = observer.get("/observer/versions/-1").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = observer.get("/observer/versions/x%00").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // The last day in Tokyo (2025-06-30 23:59 JST) the scope holds...
    app.clock.advance(
        chrono::NaiveDate::from_ymd_opt(2025, 6, 30)
            .unwrap()
            .and_hms_opt(14, 59, 0)
            .unwrap()
            - app.clock.now(),
    );
    let mut observer = signed_in(&app, id);
    let page = observer.get(&format!("/observer/versions/{a04}")).await;
    assert_eq!(page.status, StatusCode::OK, "last day, JST");
    // ...and from the next Tokyo day (15:00 UTC) it has expired.
    app.clock.advance(Duration::minutes(1));
    let page = observer.get(&format!("/observer/versions/{a04}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "day after expiry");
    let page = observer.get("/observer/dashboard").await;
    assert_eq!(
        page.status,
        StatusCode::NOT_FOUND,
        "no dashboard when expired"
    );
    let home = observer.get("/observer").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.text("#scope-standing").contains("ended"),
        "{}",
        home.body
    );
    assert!(home.texts("#observer-versions a").is_empty());
}

async fn an_aggregates_only_observer_gets_404_for_every_version(app: TestApp) {
    let (mut admin, versions, _, _) = two_firms_filed(&app).await;
    let id = invite(&app, &mut admin, "jsda@jsda.example").await;
    let scope = Scope {
        firms: &[],
        aggregates_only: true,
        from: "",
        to: "",
        expires_on: "2026-03-31",
    };
    let saved = set_scope(&mut admin, id, &scope).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let mut observer = signed_in(&app, id);
    for v in versions {
        let page = observer.get(&format!("/observer/versions/{v}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "version {v}");
    }
    let page = observer.get("/observer/dashboard").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "no live figures");
    let home = observer.get("/observer").await;
    assert!(
        home.text("#scope-standing")
            .contains("Published statistics only"),
        "{}",
        home.body
    );
    assert!(home.body.contains("href=\"/statistics\""));
    assert_eq!(observer.get("/statistics").await.status, StatusCode::OK);
}

/// Every page the observer can reach from their home (following links
/// within /observer), plus the public statistics.
async fn crawl(observer: &mut Browser) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut queue = vec!["/observer".to_owned(), "/statistics".to_owned()];
    let anchor = Selector::parse("a[href]").unwrap();
    while let Some(path) = queue.pop() {
        if seen.iter().any(|(p, _)| *p == path) {
            continue;
        }
        let page = observer.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        for a in page.html().select(&anchor) {
            let href = a.value().attr("href").unwrap().to_owned();
            if href.starts_with("/observer") && !seen.iter().any(|(p, _)| *p == href) {
                queue.push(href);
            }
        }
        seen.push((path, page.body));
    }
    seen
}

async fn an_observer_never_sees_contact_details_trade_detail_or_exports(app: TestApp) {
    let (mut admin, [a03, a04, b03, b04], alpha, bravo) = two_firms_filed(&app).await;
    let id = invite(&app, &mut admin, "police@npa.example").await;
    let scope = Scope {
        firms: &[alpha, bravo],
        aggregates_only: false,
        from: "2025-03",
        to: "2025-04",
        expires_on: "2025-12-31",
    };
    set_scope(&mut admin, id, &scope).await;
    // Staff see the contact on the same versions.
    let staff = admin.get(&format!("/review/versions/{a04}")).await;
    assert!(
        staff.body.contains(CONTACT[0]),
        "the analyst's page shows it"
    );
    let mut observer = signed_in(&app, id);
    let pages = crawl(&mut observer).await;
    let visited: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
    for v in [a03, a04, b03, b04] {
        assert!(
            visited.contains(&format!("/observer/versions/{v}").as_str()),
            "{v} reached: {visited:?}"
        );
    }
    assert!(visited.contains(&"/observer/dashboard"));
    for (path, body) in &pages {
        for secret in CONTACT {
            assert!(!body.contains(secret), "{secret} on {path}");
        }
        // The observer's own pages link to no staff or firm page, trade
        // detail or export (the public statistics keep their own CSVs).
        if !path.starts_with("/observer") {
            continue;
        }
        let html = scraper::Html::parse_document(body);
        for a in html.select(&Selector::parse("a[href]").unwrap()) {
            let href = a.value().attr("href").unwrap();
            let staff_or_firm = ["/review", "/returns", "/dashboard", "/admin"]
                .iter()
                .any(|p| href.starts_with(p));
            let detail = ["csv", "trades", "export"].iter().any(|w| href.contains(w));
            assert!(!staff_or_firm && !detail, "{href} linked from {path}");
        }
    }
    let version = observer.get(&format!("/observer/versions/{a04}")).await;
    assert!(version.body.contains("12"), "the figures are shown");
    assert!(
        version.texts("#trades-title").is_empty(),
        "no trade section"
    );
    for denied in [
        "/review/exports/versions.csv",
        "/review/exports/trades.csv",
        "/returns/2025-04/trades",
        "/returns/2025-04/trades/template.csv",
        &format!("/review/versions/{a04}"),
        "/dashboard",
    ] {
        let page = observer.get(denied).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{denied}");
    }
    // Each page read was recorded, one event each.
    let views = audited(&app, "observer.viewed", id);
    // The crawl's pages but the public statistics, and the version read
    // once more above.
    assert_eq!(views.len(), pages.len(), "{views:?}");
    assert!(views.contains(&(
        "version".into(),
        a04.to_string(),
        format!("firm {alpha} period 2025-04 v1")
    )));
}

on_both_backends!(
    an_observer_outside_their_scope_gets_404,
    an_aggregates_only_observer_gets_404_for_every_version,
    an_observer_never_sees_contact_details_trade_detail_or_exports,
);
