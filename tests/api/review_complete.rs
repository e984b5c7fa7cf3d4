//! The analyst reviews the whole return: every section of a fully filled
//! return with its values, who prepared and submitted it, the checks that
//! fired and the explanation, the trade detail against the figures, the
//! previous version with the changes marked and the firm's history. Also
//! the review queue (oldest first, filters) and the month picker.

use chrono::Duration;
use reqwest::StatusCode;
use scraper::{ElementRef, Selector};

use crate::helpers::{Page, TestApp, figures};
use crate::on_both_backends;
use crate::review::support::file;
use crate::trades::support::{good_csv, upload};

/// The value beside `label` in the details table captioned `caption`.
fn detail(page: &Page, caption: &str, label: &str) -> String {
    let html = page.html();
    let table = Selector::parse("table.details").unwrap();
    let cap = Selector::parse("caption").unwrap();
    let tr = Selector::parse("tbody tr").unwrap();
    let cell = Selector::parse("th, td").unwrap();
    let text = |e: ElementRef| e.text().collect::<String>().trim().to_owned();
    for t in html.select(&table) {
        if t.select(&cap).next().map(text).as_deref() != Some(caption) {
            continue;
        }
        for row in t.select(&tr) {
            let cells: Vec<String> = row.select(&cell).map(text).collect();
            if cells.first().map(String::as_str) == Some(label) {
                return cells.get(1).cloned().unwrap_or_default();
            }
        }
        panic!("no row {label} under {caption}:\n{}", page.body);
    }
    panic!("no section {caption}:\n{}", page.body);
}

/// Every field of a fully filled April return that reconciles with
/// `good_csv` (3 trades, sells ¥300,000, buys ¥250,000 in China/HK), with
/// compensation above losses (a check that needs an explanation).
fn full_return() -> Vec<(&'static str, &'static str)> {
    let mut typed = figures("12", "5", "3", "300000", "250000", "MFA for all logins");
    let set = |typed: &mut Vec<(&'static str, &'static str)>, k: &'static str, v| {
        typed.retain(|(name, _)| *name != k);
        typed.push((k, v));
    };
    for (k, v) in [
        ("purchase_domestic", "0"),
        ("purchase_china_hk", "250000"),
        ("vector_phishing", "4"),
        ("vector_malware", "2"),
        ("detected_customer", "3"),
        ("detected_monitoring", "2"),
        ("detected_other", "1"),
        ("detected_other_text", "Exchange surveillance alert"),
        ("customer_losses", "100000"),
        ("compensation_paid", "120000"),
        ("accounts_compensated", "2"),
        ("compensation_policy", "partial"),
        ("compensation_percent", "80"),
        ("check_passkeys_offered", "planned"),
        ("check_passkeys_offered_date", "2025-07-01"),
        ("check_police_notified", "na"),
        ("contact_name", "Taro Suzuki"),
        ("contact_phone", "03-5555-0101"),
        ("contact_email", "risk@alpha.example"),
        (
            "warnings_explanation",
            "Goodwill payment above the assessed loss",
        ),
    ] {
        set(&mut typed, k, v);
    }
    typed
}

async fn the_analyst_sees_every_section_of_the_return(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let mut analyst = app.analyst(&mut admin).await;
    let v1 = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("10", "5", "2", "200000", "0", "First look"),
    )
    .await;
    let staged = upload(&app, &mut firm.reporter, "t.csv", good_csv().as_bytes()).await;
    assert_eq!(staged.status, StatusCode::SEE_OTHER, "{}", staged.body);
    let v2 = file(&app, &mut firm, "2025-04", &full_return()).await;

    let page = analyst.get(&format!("/review/versions/{}", v2.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let markets = "Purchases by market of the securities bought";
    assert_eq!(detail(&page, markets, "Domestic securities (JPY)"), "¥0");
    assert_eq!(
        detail(&page, markets, "China / Hong Kong securities (JPY)"),
        "¥250,000"
    );
    let vectors = "Attack vectors seen (number of cases)";
    assert_eq!(detail(&page, vectors, "Phishing site"), "4");
    assert_eq!(detail(&page, vectors, "Malware / infostealer"), "2");
    let detection = "How the cases were detected (number of cases)";
    assert_eq!(detail(&page, detection, "Customer enquiry"), "3");
    assert_eq!(detail(&page, detection, "Firm's own monitoring"), "2");
    assert_eq!(
        detail(&page, detection, "Other: how"),
        "Exchange surveillance alert"
    );
    let money = "Customer losses and compensation";
    assert_eq!(detail(&page, money, "Customer losses (JPY)"), "¥100,000");
    assert_eq!(detail(&page, money, "Compensation paid (JPY)"), "¥120,000");
    assert!(detail(&page, money, "Compensation policy").contains("(80%)"));
    let checklist = "Remediation measures";
    assert_eq!(
        detail(
            &page,
            checklist,
            "Phishing-resistant MFA (passkeys) offered"
        ),
        "Planned (2025-07-01)"
    );
    assert_eq!(
        detail(&page, checklist, "Police notified"),
        "Not applicable"
    );
    assert_eq!(
        detail(
            &page,
            checklist,
            "Multi-factor authentication made mandatory"
        ),
        "Done"
    );
    let contact = "Contact person for this return";
    assert_eq!(detail(&page, contact, "Name"), "Taro Suzuki");
    assert_eq!(detail(&page, contact, "Telephone"), "03-5555-0101");
    assert_eq!(
        detail(&page, contact, "Email address"),
        "risk@alpha.example"
    );
    assert_eq!(
        detail(&page, "Unusual figures", "Explanation of unusual figures"),
        "Goodwill payment above the assessed loss"
    );
    // The narrative and the headline figures.
    assert!(page.body.contains("MFA for all logins"));
    // Who prepared and who submitted, by display name; the attestation.
    assert_eq!(page.text("dd.submitted-by"), "approver");
    assert_eq!(page.text("dd.prepared-by"), "reporter");
    assert!(page.text("dd.saved-by").contains("reporter"));
    assert!(page.text("dd.four-eyes").contains("Prepared by reporter"));
    assert!(page.text("dd.attestation").contains("approver"));
    // The checks re-run on the figures.
    let fired = page.texts("ul.checks-fired li");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0].contains("Compensation paid exceeds customer losses"));
    // The trade detail against the figures: every total reconciles.
    assert!(page.text("table.trade-check caption").ends_with("3"));
    assert_eq!(
        page.texts("table.trade-check td.reconciled"),
        ["reconciles", "reconciles", "reconciles"]
    );
    // The previous version beside it, with the changes marked.
    let changed: Vec<String> = page
        .texts("section.previous table.compare tr.changed th")
        .into_iter()
        .collect();
    assert!(
        changed.iter().any(|l| l == "Unauthorized accesses"),
        "{changed:?}"
    );
    assert!(
        !changed.iter().any(|l| l == "Affected accounts"),
        "an unchanged figure is not marked: {changed:?}"
    );
    assert_eq!(
        crate::review::support::hrefs(&page, "section.previous p.compare-summary a"),
        [format!("/review/compare?a={}&b={}", v1.id, v2.id)]
    );
    // The firm's history: both versions, the current one marked.
    assert_eq!(page.texts("table.history tbody tr").len(), 2);
    assert_eq!(page.text("table.history tr.current td"), "v2");

    // The first version says it is the first, and shows no trade detail.
    let first = analyst.get(&format!("/review/versions/{}", v1.id)).await;
    assert!(first.body.contains("class=\"previous-none\""));
    assert!(first.body.contains("class=\"trades-none\""));
    assert!(first.body.contains("class=\"checks-none\""));
}

async fn the_queue_lists_awaiting_versions_oldest_first(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let mut bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let mut charlie = app.firm_with_users(&mut admin, "Charlie").await;
    let mut analyst = app.analyst(&mut admin).await;
    let typed = figures("5", "5", "1", "100", "90", "");
    let b = file(&app, &mut bravo, "2025-04", &typed).await;
    app.clock.advance(Duration::minutes(1));
    file(&app, &mut alpha, "2025-04", &typed).await;
    app.clock.advance(Duration::minutes(1));
    let a_march = file(&app, &mut alpha, "2025-03", &typed).await;
    app.clock.advance(Duration::minutes(1));
    // Alpha amends April: only the latest version awaits review.
    let a_april = file(&app, &mut alpha, "2025-04", &typed).await;
    // Charlie's return is accepted: not in the queue.
    let c = file(&app, &mut charlie, "2025-04", &typed).await;
    let page = analyst.get(&format!("/review/versions/{}", c.id)).await;
    let done = analyst
        .submit_form(&page, &format!("/review/versions/{}/accept", c.id), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);

    let queue = analyst.get("/review/queue").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    let rows: Vec<String> = queue
        .texts("table.queue tbody tr")
        .into_iter()
        .map(|r| r.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        rows,
        [
            "Bravo Securities 2025-04",
            "Alpha Securities 2025-03",
            "Alpha Securities 2025-04",
        ]
    );
    let links: Vec<String> = crate::review::support::hrefs(&queue, "table.queue tbody th a");
    assert_eq!(
        links,
        [
            format!("/review/versions/{}", b.id),
            format!("/review/versions/{}", a_march.id),
            format!("/review/versions/{}", a_april.id),
        ]
    );
    // Filters: by month, by firm, both.
    let march = analyst.get("/review/queue?period=2025-03").await;
    assert_eq!(march.texts("table.queue tbody tr").len(), 1);
    assert_eq!(march.text("table.queue td.period"), "2025-03");
    let bravo_only = analyst
        .get(&format!("/review/queue?firm={}", bravo.id))
        .await;
    assert_eq!(
        crate::review::support::hrefs(&bravo_only, "table.queue tbody th a"),
        [format!("/review/versions/{}", b.id)]
    );
    let none = analyst
        .get(&format!("/review/queue?period=2025-03&firm={}", bravo.id))
        .await;
    assert!(none.body.contains("class=\"queue-empty\""));
    // A month that cannot be read is pointed out, not a failure.
    let bad = analyst.get("/review/queue?period=2025-13").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert_eq!(bad.texts("table.queue tbody tr").len(), 3);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    // "Returns awaiting review" links to the queue from the dashboard and
    // the board.
    let dashboard = analyst.get("/dashboard").await;
    assert!(dashboard.body.contains("href=\"/review/queue\""));
    let board = analyst.get("/review/board?period=2025-04").await;
    assert_eq!(board.text("p.awaiting strong"), "2");
    assert_eq!(
        crate::review::support::hrefs(&board, "p.awaiting a"),
        ["/review/queue?period=2025-04"]
    );
    // Firms never see it.
    let refused = alpha.approver.get("/review/queue").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn the_month_picker_reaches_any_month_in_one_request(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let v = file(
        &app,
        &mut alpha,
        "2024-04",
        &figures("5", "5", "1", "100", "90", ""),
    )
    .await;
    let mut analyst = app.analyst(&mut admin).await;
    for (page, action) in [("/review", "/review"), ("/review/board", "/review/board")] {
        let start = analyst.get(page).await;
        // A labelled month input and a Go button, in a plain GET form.
        let form = format!("form[method=\"get\"][action=\"{action}\"]");
        assert_eq!(
            start
                .texts(&format!("{form} input[type=\"month\"][name=\"period\"]"))
                .len(),
            1,
            "{page}: {}",
            start.body
        );
        assert_eq!(
            start.text(&format!("{form} label[for=\"period\"]")),
            "Month"
        );
        assert_eq!(start.text(&format!("{form} button")), "Go");
        // The ←/→ links stay.
        assert_eq!(start.texts("nav.pager a").len(), 2);
        // One request to a month nineteen months back.
        let there = analyst.get(&format!("{action}?period=2024-04")).await;
        assert_eq!(there.status, StatusCode::OK);
        assert!(
            there.text("h1").ends_with("2024-04"),
            "{}",
            there.text("h1")
        );
        // And it links through to the return.
        assert!(
            there
                .body
                .contains(&format!("href=\"/review/versions/{}\"", v.id)),
            "{page}"
        );
    }
    let completeness = analyst.get("/review/completeness").await;
    assert_eq!(
        completeness
            .texts("input[type=\"month\"][name=\"from\"], input[type=\"month\"][name=\"to\"]")
            .len(),
        2
    );
    assert_eq!(completeness.texts("nav.pager a").len(), 2);
}

/// A version filed with 5,000 trade rows: the page adds them up in the
/// database and shows the same reconciliation as for three; a row that
/// breaks it is marked on the figures it changes.
async fn the_reconciliation_of_many_trade_rows(app: TestApp) {
    use diesel::prelude::*;
    use incident_portal::db::schema::trade_details;

    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Many").await;
    let mut analyst = app.analyst(&mut admin).await;
    let mut csv = format!("{}\n", crate::trades::support::HEADER);
    for i in 0..5000_i64 {
        let (side, amount) = if i < 3000 {
            ("sell", 1000 + i)
        } else {
            ("buy", 500)
        };
        csv.push_str(&format!(
            "2025-04-{:02},{side},7203,domestic,100,{amount},ACC-{i:04}\n",
            1 + i % 28
        ));
    }
    let staged = upload(&app, &mut firm.reporter, "many.csv", csv.as_bytes()).await;
    assert_eq!(staged.status, StatusCode::SEE_OTHER, "{}", staged.body);
    // Sells: 3,000 × ¥1,000 plus 0 + 1 + … + 2,999; buys: 2,000 × ¥500.
    let typed = figures("5000", "100", "5000", "7498500", "1000000", "MFA");
    let v = file(&app, &mut firm, "2025-04", &typed).await;

    let page = analyst.get(&format!("/review/versions/{}", v.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.text("table.trade-check caption"),
        "Trade detail rows: 5000"
    );
    assert_eq!(
        page.texts("table.trade-check td.num"),
        [
            "5,000",
            "5,000",
            "¥7,498,500",
            "¥7,498,500",
            "¥1,000,000",
            "¥1,000,000"
        ]
    );
    assert_eq!(
        page.texts("table.trade-check td.reconciled"),
        ["reconciles", "reconciles", "reconciles"]
    );
    assert!(page.texts("table.trade-check tr.changed").is_empty());

    // One more buy than filed: the count and the purchases no longer
    // reconcile, the sales still do.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::insert_into(trade_details::table)
            .values((
                trade_details::version_id.eq(v.id),
                trade_details::row_no.eq(5001),
                trade_details::trade_date.eq(chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap()),
                trade_details::side.eq("buy"),
                trade_details::security_code.eq("7203"),
                trade_details::market.eq("domestic"),
                trade_details::quantity.eq(1_i64),
                trade_details::amount_jpy.eq(1_i64),
                trade_details::account_ref.eq("ACC-9999"),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let page = analyst.get(&format!("/review/versions/{}", v.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.text("table.trade-check caption"),
        "Trade detail rows: 5001"
    );
    assert_eq!(
        page.texts("table.trade-check td.num"),
        [
            "5,001",
            "5,000",
            "¥7,498,500",
            "¥7,498,500",
            "¥1,000,001",
            "¥1,000,000"
        ]
    );
    assert_eq!(
        page.texts("table.trade-check td.reconciled"),
        ["does not reconcile", "reconciles", "does not reconcile"]
    );
}

on_both_backends!(
    the_reconciliation_of_many_trade_rows,
    the_analyst_sees_every_section_of_the_return,
    the_queue_lists_awaiting_versions_oldest_first,
    the_month_picker_reaches_any_month_in_one_request,
);
