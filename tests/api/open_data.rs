//! Open data for released statistics: each release as JSON (valid against
//! the schema kept in docs/schema, its checksums those of the CSV files it
//! names), CSV on the Web metadata beside each CSV (its column titles the
//! CSV's header line exactly, `x` as null), the DCAT catalogue of every
//! release (never a draft), conditional GETs on every file, and 404 for
//! drafts and for ids that are not releases.

use incident_portal::services::publication_table::checksum;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::Selector;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publications::{draft, release, seed};

const SCHEMA: &str = include_str!("../../docs/schema/statistics-release.schema.json");

/// The first release's English CSV (tests/api/publications.rs proves it).
const FIRST_CSV: &str = "\u{feff}period,firms_with_fraudulent_trades,unauthorized_accesses,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\r\n\
    2025-03,x,x,x,x,x\r\n\
    2025-04,x,x,x,x,1350000\r\n\
    2025-05,3,135,36,930000,x\r\n\
    total,3,255,74,x,2505000\r\n";

/// One answer, read whole (also used by `compression`).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A GET of `path` (on the portal, or an absolute address) with `headers`.
pub(crate) async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", app.address)
    };
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

/// Two releases an hour apart (first, second) and a draft; the clock ends
/// at the second release.
fn releases_and_a_draft(app: &TestApp) -> (i64, i64, i64) {
    seed(app);
    let first = draft(app, "Released to 10 June", "2025-06-10T09:00:00+09:00");
    let second = draft(app, "Released to 30 June", "2025-06-30T09:00:00+09:00");
    let unreleased = draft(app, "Still a draft", "2025-06-30T09:00:00+09:00");
    let mut conn = app.pool.get().unwrap();
    release(&mut conn, first, app.clock.now());
    app.clock.advance(chrono::Duration::hours(1));
    release(&mut conn, second, app.clock.now());
    (first, second, unreleased)
}

/// The clock's time as HTTP writes it.
fn http_date(app: &TestApp) -> String {
    app.clock
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn str_of<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

async fn the_catalogue_lists_every_release_and_no_draft(app: TestApp) {
    let empty = fetch(&app, "/statistics/catalog.json", &[]).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json()["dcat:dataset"], Value::Array(vec![]));
    assert_eq!(empty.header("last-modified"), None, "nothing released yet");

    let (first, second, unreleased) = releases_and_a_draft(&app);
    let answer = fetch(&app, "/statistics/catalog.json", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        Some("application/ld+json; charset=utf-8")
    );
    assert_eq!(
        answer.header("last-modified"),
        Some(http_date(&app).as_str())
    );
    let again = fetch(&app, "/statistics/catalog.json", &[]).await;
    assert_eq!(answer.body, again.body, "the same releases, the same bytes");
    assert!(!answer.text().contains("Still a draft"));

    let catalog = answer.json();
    assert_eq!(catalog["@type"], "dcat:Catalog");
    assert_eq!(
        str_of(&catalog, "/@id"),
        format!("{}/statistics/catalog.json", app.address)
    );
    let datasets = catalog["dcat:dataset"].as_array().unwrap();
    let ids: Vec<&str> = datasets
        .iter()
        .map(|d| str_of(d, "/dct:identifier"))
        .collect();
    assert_eq!(ids, [second.to_string(), first.to_string()], "newest first");
    assert!(!ids.contains(&unreleased.to_string().as_str()));
    for dataset in datasets {
        let id = str_of(dataset, "/dct:identifier");
        assert_eq!(dataset["@type"], "dcat:Dataset");
        assert_eq!(
            str_of(dataset, "/dct:temporal/dcat:startDate/@value"),
            "2025-03"
        );
        let distributions = dataset["dcat:distribution"].as_array().unwrap();
        let media: Vec<&str> = distributions
            .iter()
            .map(|d| {
                str_of(d, "/dcat:mediaType/@id")
                    .trim_start_matches("https://www.iana.org/assignments/media-types/")
            })
            .collect();
        assert_eq!(
            media,
            [
                "text/html",
                "text/csv",
                "text/csv",
                "application/json",
                "application/csvm+json",
                "application/csvm+json"
            ]
        );
        for distribution in distributions {
            let url = str_of(distribution, "/dcat:accessURL/@id");
            assert!(url.starts_with(&format!("{}/statistics/{id}", app.address)));
            let file = fetch(&app, url, &[]).await;
            assert_eq!(file.status, StatusCode::OK, "{url}");
            match distribution.pointer("/spdx:checksum/spdx:checksumValue") {
                Some(sum) => {
                    assert_eq!(sum.as_str().unwrap(), checksum(&file.text()), "{url}");
                    assert_eq!(
                        str_of(distribution, "/spdx:checksum/spdx:algorithm/@id"),
                        "spdx:checksumAlgorithm_sha256"
                    );
                }
                None => assert!(!url.contains("/csv") || url.ends_with(".json"), "{url}"),
            }
        }
    }
}

async fn the_release_json_validates_and_its_checksums_are_the_csv_files(app: TestApp) {
    let (first, _, _) = releases_and_a_draft(&app);
    let path = format!("/statistics/{first}.json");
    let answer = fetch(&app, &path, &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        fetch(&app, &path, &[]).await.body,
        answer.body,
        "the same release, the same bytes"
    );
    let doc = answer.json();

    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the schema is a schema"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    // The schema is strict enough to refuse a leak.
    let mut leaky = doc.clone();
    leaky["rows"][0]["cells"][0]["reason"] = "threshold".into();
    assert!(!validator.is_valid(&leaky));
    let mut leaky = doc.clone();
    leaky["p_percent"] = 10.into();
    assert!(!validator.is_valid(&leaky));

    for (key, csv_path) in [
        ("csv_en", format!("/statistics/{first}/csv")),
        ("csv_ja", format!("/statistics/{first}/csv/ja")),
    ] {
        let csv = fetch(&app, &csv_path, &[]).await;
        assert_eq!(
            str_of(&doc, &format!("/files/{key}/sha256")),
            checksum(&csv.text())
        );
        assert_eq!(
            str_of(&doc, &format!("/files/{key}/url")),
            format!("{}{csv_path}", app.address)
        );
    }
    // The rows read as the CSV does, a suppressed cell as `x`.
    let mut csv = String::from(
        "\u{feff}period,firms_with_fraudulent_trades,unauthorized_accesses,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy\r\n",
    );
    for row in doc["rows"].as_array().unwrap() {
        let cells: Vec<String> = row["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| match c["status"].as_str().unwrap() {
                "published" => c["value"].as_i64().unwrap().to_string(),
                _ => {
                    assert!(c.get("value").is_none(), "{c}");
                    "x".to_owned()
                }
            })
            .collect();
        csv.push_str(&format!(
            "{},{}\r\n",
            str_of(row, "/period"),
            cells.join(",")
        ));
    }
    assert_eq!(csv, FIRST_CSV);
    assert_eq!(doc["id"], first);
    assert_eq!(str_of(&doc, "/title/ja"), "Released to 10 June（日本語）");
    assert_eq!(str_of(&doc, "/cutoff_at"), "2025-06-10T00:00:00Z");
    assert_eq!(str_of(&doc, "/columns/4/unit/code"), "JPY");
    assert_eq!(str_of(&doc, "/columns/1/unit/en"), "count of firms");
    assert_eq!(str_of(&doc, "/columns/2/csv_header/ja"), "不正アクセス件数");
    assert_eq!(
        str_of(&doc, "/footnotes/en/2"),
        "Amounts are not customer losses."
    );
    let text = answer.text();
    for secret in ["reason", "p_percent", "overridden", "audit", "threshold"] {
        assert!(!text.contains(secret), "{secret} is published");
    }
}

/// The CSV's header line, field by field (after the byte order mark).
fn header_line(csv: &str) -> Vec<String> {
    let csv = csv.strip_prefix('\u{feff}').expect("a BOM");
    let (header, _) = csv.split_once("\r\n").unwrap();
    header.split(',').map(str::to_owned).collect()
}

async fn csvw_titles_are_the_csv_headers_and_x_is_null(app: TestApp) {
    let (first, _, _) = releases_and_a_draft(&app);
    for (csv_path, metadata_path, language, title) in [
        (
            format!("/statistics/{first}/csv"),
            format!("/statistics/{first}/csv-metadata.json"),
            "en",
            "Released to 10 June",
        ),
        (
            format!("/statistics/{first}/csv/ja"),
            format!("/statistics/{first}/csv/ja-metadata.json"),
            "ja",
            "Released to 10 June（日本語）",
        ),
    ] {
        let csv = fetch(&app, &csv_path, &[]).await;
        let link = csv.header("link").unwrap();
        assert!(link.starts_with(&format!("<{metadata_path}>; rel=\"describedby\"")));
        let csv = csv.text();
        assert!(csv.contains(",x"), "this release has suppressed cells");
        let answer = fetch(&app, &metadata_path, &[]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.header("content-type"),
            Some("application/csvm+json; charset=utf-8")
        );
        let metadata = answer.json();
        assert_eq!(
            str_of(&metadata, "/@context/0"),
            "http://www.w3.org/ns/csvw"
        );
        assert_eq!(str_of(&metadata, "/@context/1/@language"), language);
        assert_eq!(
            str_of(&metadata, "/url"),
            format!("{}{csv_path}", app.address)
        );
        assert_eq!(str_of(&metadata, "/dc:title"), title);
        let columns = metadata["tableSchema"]["columns"].as_array().unwrap();
        let titles: Vec<String> = columns
            .iter()
            .map(|c| str_of(c, "/titles").to_owned())
            .collect();
        assert_eq!(titles, header_line(&csv), "{language}");
        let names: Vec<&str> = columns.iter().map(|c| str_of(c, "/name")).collect();
        assert_eq!(names, header_line(FIRST_CSV), "names are the same in both");
        assert_eq!(columns[0].get("null"), None);
        for column in &columns[1..] {
            assert_eq!(str_of(column, "/null"), "x");
            assert_eq!(str_of(column, "/datatype"), "nonNegativeInteger");
        }
        // Every data cell is what its column says.
        let body = csv.trim_start_matches('\u{feff}');
        for line in body.split_terminator("\r\n").skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), columns.len(), "{line}");
            let total = if language == "ja" { "合計" } else { "total" };
            let month = cells[0].len() == 7 && cells[0].as_bytes()[4] == b'-';
            assert!(month || cells[0] == total, "{line}");
            for cell in &cells[1..] {
                assert!(*cell == "x" || cell.parse::<u64>().is_ok(), "{line}");
            }
        }
    }
}

async fn conditional_gets_answer_304_with_no_body(app: TestApp) {
    let (first, _, _) = releases_and_a_draft(&app);
    let released_at = {
        let mut conn = app.pool.get().unwrap();
        incident_portal::services::publications::find(&mut conn, first)
            .unwrap()
            .released_at
            .unwrap()
    };
    let first_released = released_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let second_released = http_date(&app);
    for (path, modified) in [
        (format!("/statistics/{first}/csv"), &first_released),
        (format!("/statistics/{first}/csv/ja"), &first_released),
        (format!("/statistics/{first}.json"), &first_released),
        (
            format!("/statistics/{first}/csv-metadata.json"),
            &first_released,
        ),
        (
            format!("/statistics/{first}/csv/ja-metadata.json"),
            &first_released,
        ),
        ("/statistics/catalog.json".to_owned(), &second_released),
    ] {
        let full = fetch(&app, &path, &[]).await;
        assert_eq!(full.status, StatusCode::OK, "{path}");
        let etag = full.header("etag").unwrap().to_owned();
        assert_eq!(etag, format!("\"{}\"", checksum(&full.text())), "{path}");
        assert_eq!(
            full.header("last-modified"),
            Some(modified.as_str()),
            "{path}"
        );
        assert_eq!(full.header("cache-control"), Some("public, no-cache"));

        for headers in [
            vec![("if-none-match", etag.as_str())],
            vec![("if-none-match", "*")],
            vec![("if-modified-since", modified.as_str())],
            vec![("if-modified-since", "Thu, 31 Dec 2099 00:00:00 GMT")],
        ] {
            let answer = fetch(&app, &path, &headers).await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_MODIFIED,
                "{path} {headers:?}"
            );
            assert!(answer.body.is_empty(), "{path}: a 304 has no body");
            assert_eq!(answer.header("etag"), Some(etag.as_str()));
        }
        for headers in [
            vec![("if-none-match", "\"stale\", W/\"other\"")],
            // An entity tag that does not match decides, whatever the date.
            vec![
                ("if-none-match", "\"stale\""),
                ("if-modified-since", modified.as_str()),
            ],
            vec![("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")],
        ] {
            let answer = fetch(&app, &path, &headers).await;
            assert_eq!(answer.status, StatusCode::OK, "{path} {headers:?}");
            assert_eq!(answer.body, full.body);
        }
    }
    // The CSV's entity tag is the checksum the release page shows.
    let csv = fetch(&app, &format!("/statistics/{first}/csv"), &[]).await;
    let mut conn = app.pool.get().unwrap();
    let stored = incident_portal::services::publications::find(&mut conn, first)
        .unwrap()
        .sha256_en
        .unwrap();
    assert_eq!(csv.header("etag"), Some(format!("\"{stored}\"").as_str()));
    // A new release changes the catalogue: the old tag gets it whole.
    let old = fetch(&app, "/statistics/catalog.json", &[]).await;
    let old_tag = old.header("etag").unwrap().to_owned();
    let third = draft(&app, "Third", "2025-06-30T09:00:00+09:00");
    app.clock.advance(chrono::Duration::hours(1));
    release(&mut conn, third, app.clock.now());
    drop(conn);
    let new = fetch(
        &app,
        "/statistics/catalog.json",
        &[("if-none-match", &old_tag)],
    )
    .await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(new.text().contains("Third"));
    assert_eq!(new.header("last-modified"), Some(http_date(&app).as_str()));
}

async fn drafts_and_hostile_ids_are_not_found(app: TestApp) {
    let (first, _, unreleased) = releases_and_a_draft(&app);
    let mut paths: Vec<String> = [
        "{id}.json",
        "{id}/csv-metadata.json",
        "{id}/csv/ja-metadata.json",
    ]
    .iter()
    .map(|p| format!("/statistics/{}", p.replace("{id}", &unreleased.to_string())))
    .collect();
    for id in [
        "abc",
        "99999",
        "99999999999999999999999999",
        "-1",
        "0",
        "1.5",
        "%00",
        "%2e%2e",
        "1e3",
        "",
    ] {
        paths.push(format!("/statistics/{id}.json"));
        paths.push(format!("/statistics/{id}/csv-metadata.json"));
        paths.push(format!("/statistics/{id}/csv/ja-metadata.json"));
    }
    paths.push("/statistics/catalog.json.json".to_owned());
    paths.push(format!("/statistics/{first}.json/csv"));
    for path in &paths {
        let answer = fetch(&app, path, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.text().contains("<main"), "the error page for {path}");
    }
    // The routes beside them still answer.
    for path in [
        format!("/statistics/{first}"),
        format!("/statistics/{first}.json"),
        "/statistics/catalog.json".to_owned(),
    ] {
        assert_eq!(
            fetch(&app, &path, &[]).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

async fn the_release_page_links_its_open_data_in_the_readers_language(app: TestApp) {
    let (first, _, _) = releases_and_a_draft(&app);
    for (language, [csvw_en, csvw_ja, json, catalog]) in [
        (
            "en",
            [
                "CSV on the Web metadata (English headers)",
                "CSV on the Web metadata (Japanese headers)",
                "Figures with their definitions (JSON)",
                "Catalogue of every release (DCAT, JSON-LD)",
            ],
        ),
        (
            "ja",
            [
                "CSV on the Web メタデータ（英語見出し）",
                "CSV on the Web メタデータ（日本語見出し）",
                "定義付きの数値（JSON）",
                "全公表のカタログ（DCAT、JSON-LD）",
            ],
        ),
    ] {
        let mut reader = app.browser();
        reader.accept_language = Some(language);
        let page = reader.get(&format!("/statistics/{first}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.html();
        let links: Vec<(String, String)> = html
            .select(&Selector::parse("#downloads a").unwrap())
            .map(|a| {
                (
                    a.value().attr("href").unwrap().to_owned(),
                    a.text().collect::<String>(),
                )
            })
            .collect();
        let expected = [
            (format!("/statistics/{first}/csv-metadata.json"), csvw_en),
            (format!("/statistics/{first}/csv/ja-metadata.json"), csvw_ja),
            (format!("/statistics/{first}.json"), json),
            ("/statistics/catalog.json".to_owned(), catalog),
        ];
        for (href, label) in expected {
            assert!(
                links.contains(&(href.clone(), label.to_owned())),
                "{language}: no link {label} to {href} in {links:?}"
            );
        }
        let list = reader.get("/statistics").await;
        assert_eq!(list.text("#catalog-link"), catalog);
    }
}

on_both_backends!(
    the_catalogue_lists_every_release_and_no_draft,
    the_release_json_validates_and_its_checksums_are_the_csv_files,
    csvw_titles_are_the_csv_headers_and_x_is_null,
    conditional_gets_answer_304_with_no_body,
    drafts_and_hostile_ids_are_not_found,
    the_release_page_links_its_open_data_in_the_readers_language,
);
