//! The documents from a release made up here: the same bytes each time,
//! nothing of the disclosure control in them, the CSV on the Web titles the
//! CSV files' own header lines, and the catalogue the same whatever order
//! it is given the releases in.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::*;
use crate::domain::PublicationStatus;
use crate::domain::disclosure::Reason;
use crate::services::publication_table::{self, Cell, FIGURES, Row, Table};

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 7, day)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

fn links() -> Links {
    Links::new(
        "https://portal.example/",
        |file, id| format!("/statistics/{id}/{file:?}"),
        "/statistics/catalog.json",
    )
}

/// Two months; the first month's figures are suppressed (one of them
/// still holding its value, as a table not yet frozen would), and one cell
/// was released by an admin despite disclosure control.
fn table() -> Table {
    let rows = FIGURES
        .iter()
        .enumerate()
        .map(|(n, figure)| {
            let value = i64::try_from(n).unwrap() * 10;
            Row {
                figure: (*figure).to_owned(),
                cells: vec![
                    Cell {
                        value: (n == 0).then_some(7),
                        reason: Some(Reason::Threshold),
                        overridden: false,
                    },
                    Cell {
                        value: Some(value),
                        reason: None,
                        overridden: n == 4,
                    },
                    Cell {
                        value: None,
                        reason: Some(Reason::Secondary),
                        overridden: false,
                    },
                ],
            }
        })
        .collect();
    Table {
        months: vec!["2025-04".to_owned(), "2025-05".to_owned()],
        rows,
    }
}

fn release(id: i64, released_at: NaiveDateTime) -> Publication {
    let table = table();
    let (en, ja) = (table.csv(false), table.csv(true));
    Publication {
        id,
        title: format!("Release {id}"),
        cutoff_at: at(1, 0),
        period_from: "2025-04".to_owned(),
        period_to: "2025-05".to_owned(),
        footnotes: "Figures are provisional.\nAmounts are not customer losses.".to_owned(),
        p_percent: 37,
        status: PublicationStatus::Released,
        created_by: None,
        created_at: at(1, 0),
        released_at: Some(released_at),
        table_json: serde_json::to_string(&table).ok(),
        sha256_en: Some(publication_table::checksum(&en)),
        sha256_ja: Some(publication_table::checksum(&ja)),
        csv_en: Some(en),
        csv_ja: Some(ja),
        title_ja: format!("公表 {id}"),
        footnotes_ja: "数値は速報値です。".to_owned(),
    }
}

#[test]
fn times_are_utc_rfc3339() {
    assert_eq!(timestamp(at(10, 0)), "2025-07-10T00:00:00Z");
    let later = at(10, 0) + chrono::Duration::milliseconds(250);
    assert_eq!(timestamp(later), "2025-07-10T00:00:00.250Z");
}

#[test]
fn links_are_the_routes_under_the_public_address() {
    let links = links();
    assert_eq!(
        links.of(File::Json, 7),
        "https://portal.example/statistics/7/Json"
    );
    assert_eq!(
        links.catalog(),
        "https://portal.example/statistics/catalog.json"
    );
}

#[test]
fn the_release_json_is_the_same_each_time_and_keeps_the_secrets() {
    let p = release(3, at(4, 10));
    let json = release_json(&p, &table(), &links()).unwrap();
    assert_eq!(json, release_json(&p, &table(), &links()).unwrap());
    for secret in [
        "reason",
        "overridden",
        "Threshold",
        "threshold",
        "p_percent",
    ] {
        assert!(!json.contains(secret), "{secret} is published:\n{json}");
    }
    let doc: Value = serde_json::from_str(&json).unwrap();
    let first = &doc["rows"][0]["cells"][0];
    assert_eq!(first["status"], "suppressed");
    assert_eq!(first.get("value"), None, "a suppressed value never shows");
    assert_eq!(doc["rows"][1]["cells"][4]["value"], 40);
    assert_eq!(doc["rows"][2]["period"], "total");
    assert_eq!(doc["released_at"], "2025-07-04T10:00:00Z");
    assert_eq!(
        doc["files"]["csv_ja"]["sha256"],
        p.sha256_ja.unwrap().as_str()
    );
}

#[test]
fn csvw_titles_are_the_csv_header_lines() {
    let p = release(3, at(4, 10));
    for japanese in [false, true] {
        let csv = table().csv(japanese);
        let header = csv
            .trim_start_matches('\u{feff}')
            .split("\r\n")
            .next()
            .unwrap()
            .to_owned();
        let metadata: Value = serde_json::from_str(&csvw(&p, japanese, &links()).unwrap()).unwrap();
        let titles: Vec<&str> = metadata["tableSchema"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["titles"].as_str().unwrap())
            .collect();
        assert_eq!(titles.join(","), header);
        assert!(csv.contains(",x,") || csv.contains(",x\r\n"));
        assert_eq!(metadata["tableSchema"]["columns"][1]["null"], "x");
    }
}

#[test]
fn the_catalogue_is_the_same_whatever_order_it_is_given() {
    let (older, newer) = (release(1, at(4, 10)), release(2, at(5, 10)));
    let one = catalog(&[&older, &newer], &links()).unwrap();
    assert_eq!(one, catalog(&[&newer, &older], &links()).unwrap());
    let doc: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(
        doc["dcat:dataset"][0]["dct:identifier"], "2",
        "newest first"
    );
    assert_eq!(doc["dct:modified"]["@value"], "2025-07-05T10:00:00Z");
    assert!(!one.contains("p_percent"), "p is never published");
    let empty: Value = serde_json::from_str(&catalog(&[], &links()).unwrap()).unwrap();
    assert_eq!(empty.get("dct:modified"), None);
}
