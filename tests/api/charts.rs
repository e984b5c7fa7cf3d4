//! The dashboard's SVG charts: drawn from the period summary for the range
//! the table shows, with text alternatives and a data table, and the
//! summary's breakdown columns kept in step by filing, amending, review and
//! import.

use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_portal::db::DbConn;
use incident_portal::db::schema::{firms, period_summary, return_versions, users};
use reqwest::StatusCode;
use scraper::{ElementRef, Selector};

use crate::helpers::{Firm, Page, TestApp, assert_summary_matches_versions, figures, file};
use crate::on_both_backends;

/// `figures(...)` with some fields typed differently.
fn typed<'a>(
    base: Vec<(&'static str, &'a str)>,
    over: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    base.into_iter()
        .map(|(name, value)| {
            let value = over
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(value, |(_, v)| *v);
            (name, value)
        })
        .collect()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text_of(e: ElementRef) -> String {
    e.text().collect::<String>()
}

/// The chart's data table: (row header, cells), the total row last.
fn data_table(page: &Page, chart: &str) -> Vec<(String, Vec<String>)> {
    let html = page.html();
    html.select(&sel(&format!("#{chart} details table tbody tr")))
        .map(|tr| {
            let th = tr.select(&sel("th")).next().map(text_of).unwrap();
            (th, tr.select(&sel("td")).map(text_of).collect())
        })
        .collect()
}

/// Every bar of a chart: (value, height or width as drawn, its title).
fn bars(page: &Page, chart: &str, extent: &str) -> Vec<(i64, f64, String)> {
    let html = page.html();
    html.select(&sel(&format!("#{chart} svg .bars rect")))
        .map(|r| {
            let value = r.value().attr("data-value").unwrap().parse().unwrap();
            let size = r.value().attr(extent).unwrap().parse().unwrap();
            let title = r.select(&sel("title")).next().map(text_of).unwrap();
            (value, size, title)
        })
        .collect()
}

/// The chart is an image named by its title and described by its desc.
fn assert_accessible(page: &Page, chart: &str, title: &str) -> String {
    let html = page.html();
    let svg = html
        .select(&sel(&format!("#{chart} svg")))
        .next()
        .unwrap_or_else(|| panic!("chart {chart} in {}", page.body));
    assert_eq!(svg.value().attr("role"), Some("img"));
    assert_eq!(
        svg.value().attr("aria-labelledby").unwrap(),
        format!("{chart}-title {chart}-desc")
    );
    let shown = html
        .select(&sel(&format!("#{chart}-title")))
        .next()
        .map(text_of);
    assert_eq!(shown.as_deref(), Some(title));
    let desc = html
        .select(&sel(&format!("#{chart}-desc")))
        .next()
        .map(text_of)
        .unwrap();
    assert!(!desc.is_empty());
    desc
}

/// Firm A and B file March and April 2025 (and A February, outside the
/// range shown), with purchases by market and attack vectors; B amends
/// April.
async fn file_history(a: &mut Firm, b: &mut Firm) {
    let feb = figures("90", "80", "30", "900,000", "700,000", "");
    file(a, "2025-02", &typed(feb, &[("vector_phishing", "1000")])).await;
    let mar = figures("100", "90", "40", "1,000,000", "800,000", "");
    let mar = typed(
        mar,
        &[
            ("purchase_domestic", "500,000"),
            ("purchase_china_hk", "300,000"),
            ("vector_phishing", "30"),
            ("vector_malware", "10"),
        ],
    );
    file(a, "2025-03", &mar).await;
    let apr = figures("200", "150", "60", "2,000,000", "1,500,000", "");
    let apr = typed(
        apr,
        &[
            ("purchase_domestic", "0"),
            ("purchase_china_hk", "1,000,000"),
            ("purchase_us", "500,000"),
            ("vector_phishing", "50"),
            ("vector_credential_stuffing", "10"),
        ],
    );
    file(a, "2025-04", &apr).await;
    let first = figures("300", "250", "70", "3,000,000", "2,500,000", "");
    file(b, "2025-04", &typed(first, &[("vector_phishing", "5")])).await;
    let amended = figures("350", "260", "80", "3,500,000", "2,600,000", "");
    let amended = typed(
        amended,
        &[
            ("purchase_domestic", "0"),
            ("purchase_china_hk", "2,000,000"),
            ("purchase_other", "600,000"),
            ("vector_sim_swap", "7"),
            ("vector_insider", "1"),
            ("vector_unknown", "2"),
        ],
    );
    file(b, "2025-04", &amended).await;
}

fn strings(rows: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    rows.iter()
        .map(|(h, cells)| {
            (
                (*h).to_owned(),
                cells.iter().map(|c| (*c).to_owned()).collect(),
            )
        })
        .collect()
}

/// Each bar's size is its value over the axis top, times the plot size.
fn assert_scaled(bars: &[(i64, f64, String)], top: f64, full: f64) {
    for (value, size, title) in bars {
        let expected = full * *value as f64 / top;
        assert!(
            (size - expected).abs() < 0.06,
            "{title}: drawn {size}, expected {expected}"
        );
    }
}

async fn the_four_charts_show_the_range_from_the_summary(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    file_history(&mut a, &mut b).await;

    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(" style="), "no style attribute (CSP)");
    assert!(page.texts("figure.chart script").is_empty(), "no script");
    // The four charts of the summary, and the incidents opened per week.
    assert_eq!(page.texts("figure.chart svg[role=img]").len(), 5);
    assert_eq!(
        page.texts("figure.chart:not(#chart-incidents) svg[role=img]")
            .len(),
        4
    );

    // (1) Sale and purchase amounts by month.
    let desc = assert_accessible(
        &page,
        "chart-amounts",
        "Sale and purchase amounts by month (JPY)",
    );
    assert_eq!(
        desc,
        "2025-03 to 2025-04, in all: Sale amount (JPY): ¥6,500,000; Purchase amount (JPY): ¥4,900,000. \
         Every value is in the data table after the chart."
    );
    assert_eq!(
        data_table(&page, "chart-amounts"),
        strings(&[
            ("2025-03", &["¥1,000,000", "¥800,000"]),
            ("2025-04", &["¥5,500,000", "¥4,100,000"]),
            ("Total", &["¥6,500,000", "¥4,900,000"]),
        ])
    );
    let amounts = bars(&page, "chart-amounts", "height");
    assert_eq!(
        amounts
            .iter()
            .map(|(v, h, t)| (*v, format!("{h:.1}"), t.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                1_000_000,
                "40.0".to_owned(),
                "2025-03, Sale amount (JPY): ¥1,000,000"
            ),
            (
                5_500_000,
                "220.0".to_owned(),
                "2025-04, Sale amount (JPY): ¥5,500,000"
            ),
            (
                800_000,
                "32.0".to_owned(),
                "2025-03, Purchase amount (JPY): ¥800,000"
            ),
            (
                4_100_000,
                "164.0".to_owned(),
                "2025-04, Purchase amount (JPY): ¥4,100,000"
            ),
        ],
        "series by series (each group carries its fill once), axis up to ¥6m over 240 units"
    );
    let ticks = page.texts("#chart-amounts svg text");
    for tick in ["0", "¥2m", "¥4m", "¥6m", "2025-03", "2025-04"] {
        assert!(ticks.iter().any(|t| t == tick), "{tick} in {ticks:?}");
    }
    // The second series is hatched as well as coloured, and in the legend.
    assert!(page.body.contains("<pattern id=\"chart-amounts-hatch-1\""));
    assert!(ticks.iter().any(|t| t == "Purchase amount (JPY)"));

    // (2) Accesses and fraudulent trades by month.
    assert_accessible(
        &page,
        "chart-cases",
        "Unauthorized accesses and fraudulent trades by month",
    );
    assert_eq!(
        data_table(&page, "chart-cases"),
        strings(&[
            ("2025-03", &["100", "40"]),
            ("2025-04", &["550", "140"]),
            ("Total", &["650", "180"]),
        ])
    );
    let cases = bars(&page, "chart-cases", "height");
    assert_eq!(
        cases.iter().map(|b| b.0).collect::<Vec<_>>(),
        [100, 550, 40, 140]
    );
    assert_scaled(&cases, 600.0, 240.0);

    // (3) Purchases by market: latest versions only (B's amendment).
    let desc = assert_accessible(
        &page,
        "chart-markets",
        "Purchases by market of the securities bought, whole range (JPY)",
    );
    assert!(desc.contains("China / Hong Kong: ¥3,300,000"), "{desc}");
    assert_eq!(
        data_table(&page, "chart-markets"),
        strings(&[
            ("Domestic", &["¥500,000"]),
            ("China / Hong Kong", &["¥3,300,000"]),
            ("United States", &["¥500,000"]),
            ("Other", &["¥600,000"]),
            ("Total", &["¥4,900,000"]),
        ])
    );
    let markets = bars(&page, "chart-markets", "width");
    assert_eq!(
        markets
            .iter()
            .map(|b| (b.0, b.2.as_str()))
            .collect::<Vec<_>>(),
        [
            (500_000, "Domestic: ¥500,000"),
            (3_300_000, "China / Hong Kong: ¥3,300,000"),
            (500_000, "United States: ¥500,000"),
            (600_000, "Other: ¥600,000"),
        ]
    );
    // Axis up to ¥4m over 320 units; each bar's value written beside it.
    assert_scaled(&markets, 4_000_000.0, 320.0);
    let labels = page.texts("#chart-markets svg text");
    assert!(labels.iter().any(|t| t == "¥3,300,000"), "{labels:?}");

    // (4) Attack vectors: February (outside the range) not counted.
    assert_accessible(
        &page,
        "chart-vectors",
        "Attack vectors, whole range (number of cases)",
    );
    assert_eq!(
        data_table(&page, "chart-vectors"),
        strings(&[
            ("Phishing site", &["80"]),
            ("Credential stuffing / reused password", &["10"]),
            ("Malware / infostealer", &["10"]),
            ("SIM swap", &["7"]),
            ("Insider", &["1"]),
            ("Unknown", &["2"]),
            ("Total", &["110"]),
        ])
    );
    let vectors = bars(&page, "chart-vectors", "width");
    assert_eq!(vectors[0].0, 80);
    assert_scaled(&vectors, 80.0, 320.0);

    // Time travel to after every filing draws the same charts, from the
    // versions (details included) rather than the summary.
    let then = admin
        .get("/dashboard?from=2025-03&to=2025-04&as_of=2025-05-21")
        .await;
    assert!(then.body.contains("id=\"as-of-note\""));
    for chart in [
        "chart-amounts",
        "chart-cases",
        "chart-markets",
        "chart-vectors",
    ] {
        assert_eq!(
            data_table(&then, chart),
            data_table(&page, chart),
            "{chart}"
        );
    }

    // The same filter moves the charts: February alone.
    let feb = admin.get("/dashboard?from=2025-02&to=2025-02").await;
    assert_eq!(
        data_table(&feb, "chart-vectors")[0],
        ("Phishing site".to_owned(), vec!["1,000".to_owned()])
    );
    assert_eq!(
        data_table(&feb, "chart-markets")[0],
        ("Domestic".to_owned(), vec!["¥700,000".to_owned()])
    );

    // The summary's breakdown, which the charts read, is what the latest
    // versions say.
    let mut conn = app.pool.get().unwrap();
    let april: (i64, i64, i64, i64, i64, i64) = period_summary::table
        .find("2025-04")
        .select((
            period_summary::purchase_domestic_jpy,
            period_summary::purchase_china_hk_jpy,
            period_summary::purchase_other_jpy,
            period_summary::vector_phishing,
            period_summary::vector_credential_stuffing,
            period_summary::vector_sim_swap,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(april, (0, 3_000_000, 600_000, 50, 10, 7));
    drop(conn);
    assert_summary_matches_versions(&app);
}

async fn the_japanese_page_labels_amounts_in_oku_yen(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let big = figures(
        "1,422",
        "1,300",
        "685",
        "50,600,000,000",
        "44,800,000,000",
        "",
    );
    let big = typed(
        big,
        &[
            ("purchase_domestic", "4,800,000,000"),
            ("purchase_china_hk", "40,000,000,000"),
            ("vector_phishing", "1,400"),
        ],
    );
    file(&mut a, "2025-04", &big).await;
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(users::table)
            .set(users::locale.eq("ja"))
            .execute(&mut conn)
            .unwrap();
    }
    let page = admin.get("/dashboard?from=2025-04&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_accessible(&page, "chart-amounts", "売却金額・買付金額（月別、円）");
    let ticks = page.texts("#chart-amounts svg text");
    for tick in ["0", "200億円", "400億円", "600億円"] {
        assert!(ticks.iter().any(|t| t == tick), "{tick} in {ticks:?}");
    }
    assert_eq!(
        data_table(&page, "chart-amounts")[0],
        (
            "2025-04".to_owned(),
            vec![
                "¥50,600,000,000（506億円）".to_owned(),
                "¥44,800,000,000（448億円）".to_owned()
            ]
        )
    );
    assert_eq!(
        data_table(&page, "chart-markets")[1],
        (
            "中国・香港".to_owned(),
            vec!["¥40,000,000,000（400億円）".to_owned()]
        )
    );
    assert_eq!(
        data_table(&page, "chart-vectors")[0],
        ("フィッシングサイト".to_owned(), vec!["1,400".to_owned()])
    );
}

/// Review and import also change a firm-month's latest version; an
/// imported version has no details and counts as zero in the breakdown.
async fn review_and_import_keep_the_breakdown_in_step(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    file_history(&mut a, &mut b).await;

    // The regulator accepts A's March.
    let v: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .filter(return_versions::firm_id.eq(a.id))
            .filter(return_versions::period.eq("2025-03"))
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    let path = format!("/review/versions/{v}");
    let review = admin.get(&path).await;
    let done = admin
        .submit_form(&review, &format!("{path}/accept"), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_summary_matches_versions(&app);

    // History imported for B's April, after its portal versions.
    let registration: String = {
        let mut conn = app.pool.get().unwrap();
        firms::table
            .find(b.id)
            .select(firms::registration_no)
            .first(&mut conn)
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("history.csv");
    std::fs::write(
        &csv,
        format!(
            "firm_registration_no,firm_name,period,submitted_at,unauthorized_accesses,affected_accounts,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\n\
             {registration},Bravo Securities,2025-04,2025-05-21T10:00:00+09:00,360,270,81,3600000,2700000\n"
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .arg("import-returns")
        .arg(&csv)
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_summary_matches_versions(&app);

    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(
        data_table(&page, "chart-markets"),
        strings(&[
            ("Domestic", &["¥500,000"]),
            ("China / Hong Kong", &["¥1,300,000"]),
            ("United States", &["¥500,000"]),
            ("Other", &["¥0"]),
            ("Total", &["¥2,300,000"]),
        ]),
        "B's imported April has no breakdown"
    );
    assert_eq!(
        data_table(&page, "chart-amounts")[1],
        (
            "2025-04".to_owned(),
            vec!["¥5,600,000".to_owned(), "¥4,200,000".to_owned()]
        )
    );
    assert!(page.body.contains("count as zero here"));
}

/// The migration's back-fill computes the breakdown from the latest
/// versions: run on a summary whose breakdown was lost, it restores it.
async fn the_migration_back_fills_the_breakdown(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    file_history(&mut a, &mut b).await;
    let folder = match app.backend {
        incident_portal::db::Backend::Sqlite => "sqlite",
        incident_portal::db::Backend::Postgres => "postgres",
    };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{folder}/2026-11-25-000009_summary_breakdown/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let back_fill = &up[up.find("UPDATE period_summary").unwrap()..];
    let mut conn = app.pool.get().unwrap();
    diesel::update(period_summary::table)
        .set((
            period_summary::purchase_china_hk_jpy.eq(0),
            period_summary::vector_phishing.eq(0),
            period_summary::vector_unknown.eq(0),
        ))
        .execute(&mut conn)
        .unwrap();
    let lost: Vec<i64> = period_summary::table
        .select(period_summary::vector_phishing)
        .load(&mut conn)
        .unwrap();
    assert!(lost.iter().all(|v| *v == 0), "{lost:?}");
    match &mut *conn {
        DbConn::Sqlite(c) => c.batch_execute(back_fill).unwrap(),
        DbConn::Pg(c) => c.batch_execute(back_fill).unwrap(),
    }
    drop(conn);
    assert_summary_matches_versions(&app);
}

on_both_backends!(
    the_four_charts_show_the_range_from_the_summary,
    the_japanese_page_labels_amounts_in_oku_yen,
    review_and_import_keep_the_breakdown_in_step,
    the_migration_back_fills_the_breakdown,
);
