//! The catalogue of every release, in the W3C's Data Catalog Vocabulary
//! (DCAT) as JSON-LD: a dataset per release, newest first, each with its
//! distributions (the page, both CSV files, the JSON, both CSV on the Web
//! metadata files): address, media type (IANA) and, for the files stored
//! with the release, their SHA-256 (SPDX checksum).

use serde::Serialize;

use super::columns::both;
use super::{Both, File, Links, released_at, stored_sha256, timestamp, to_json};
use crate::db::models::Publication;
use crate::error::AppResult;
use crate::i18n::Key;

const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

#[derive(Serialize)]
struct CatalogDoc {
    #[serde(rename = "@context")]
    context: Context,
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "dct:title")]
    title: [Text; 2],
    #[serde(rename = "dct:description")]
    description: [Text; 2],
    /// The newest release's time (none before the first release).
    #[serde(rename = "dct:modified", skip_serializing_if = "Option::is_none")]
    modified: Option<Typed>,
    #[serde(rename = "dcat:dataset")]
    datasets: Vec<Dataset>,
}

#[derive(Serialize)]
struct Context {
    dcat: &'static str,
    dct: &'static str,
    spdx: &'static str,
    xsd: &'static str,
}

const CONTEXT: Context = Context {
    dcat: "http://www.w3.org/ns/dcat#",
    dct: "http://purl.org/dc/terms/",
    spdx: "http://spdx.org/rdf/terms#",
    xsd: "http://www.w3.org/2001/XMLSchema#",
};

/// A text tagged with its language.
#[derive(Serialize)]
struct Text {
    #[serde(rename = "@value")]
    value: String,
    #[serde(rename = "@language")]
    language: &'static str,
}

fn texts(both: Both<&str>) -> [Text; 2] {
    [
        Text {
            value: both.en.to_owned(),
            language: "en",
        },
        Text {
            value: both.ja.to_owned(),
            language: "ja",
        },
    ]
}

#[derive(Serialize)]
struct Typed {
    #[serde(rename = "@value")]
    value: String,
    #[serde(rename = "@type")]
    kind: &'static str,
}

fn date_time(value: String) -> Typed {
    Typed {
        value,
        kind: "xsd:dateTime",
    }
}

/// A link to another node (an address).
#[derive(Serialize)]
struct Node {
    #[serde(rename = "@id")]
    id: String,
}

#[derive(Serialize)]
struct Dataset {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "dct:identifier")]
    identifier: String,
    #[serde(rename = "dct:title")]
    title: [Text; 2],
    #[serde(rename = "dct:issued")]
    issued: Typed,
    #[serde(rename = "dct:temporal")]
    temporal: Temporal,
    #[serde(rename = "dcat:landingPage")]
    landing_page: Node,
    #[serde(rename = "dcat:distribution")]
    distributions: Vec<Distribution>,
}

#[derive(Serialize)]
struct Temporal {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "dcat:startDate")]
    start: Typed,
    #[serde(rename = "dcat:endDate")]
    end: Typed,
}

#[derive(Serialize)]
struct Distribution {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "dct:title")]
    title: [Text; 2],
    #[serde(rename = "dcat:accessURL")]
    access_url: Node,
    /// Files, not the page.
    #[serde(rename = "dcat:downloadURL", skip_serializing_if = "Option::is_none")]
    download_url: Option<Node>,
    #[serde(rename = "dcat:mediaType")]
    media_type: Node,
    #[serde(rename = "spdx:checksum", skip_serializing_if = "Option::is_none")]
    checksum: Option<Checksum>,
}

#[derive(Serialize)]
struct Checksum {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "spdx:algorithm")]
    algorithm: Node,
    #[serde(rename = "spdx:checksumValue")]
    value: String,
}

fn sha256(value: String) -> Checksum {
    Checksum {
        kind: "spdx:Checksum",
        algorithm: Node {
            id: "spdx:checksumAlgorithm_sha256".to_owned(),
        },
        value,
    }
}

fn title_key(file: File) -> Key {
    match file {
        File::Page => msg!("statistics.page"),
        File::CsvEn => msg!("statistics.csv_en"),
        File::CsvJa => msg!("statistics.csv_ja"),
        File::Json => msg!("statistics.json"),
        File::CsvwEn => msg!("statistics.csvw_en"),
        File::CsvwJa => msg!("statistics.csvw_ja"),
    }
}

fn distribution(p: &Publication, file: File, links: &Links) -> AppResult<Distribution> {
    let url = links.of(file, p.id);
    let checksum = match file {
        File::CsvEn => Some(sha256(stored_sha256(p, false)?)),
        File::CsvJa => Some(sha256(stored_sha256(p, true)?)),
        _ => None,
    };
    Ok(Distribution {
        id: url.clone(),
        kind: "dcat:Distribution",
        title: texts(both(title_key(file))),
        access_url: Node { id: url.clone() },
        download_url: (file != File::Page).then_some(Node { id: url }),
        media_type: Node {
            id: format!("{IANA_MEDIA_TYPES}{}", file.media_type()),
        },
        checksum,
    })
}

fn dataset(p: &Publication, links: &Links) -> AppResult<Dataset> {
    let page = links.of(File::Page, p.id);
    let month = |m: &str| Typed {
        value: m.to_owned(),
        kind: "xsd:gYearMonth",
    };
    Ok(Dataset {
        id: page.clone(),
        kind: "dcat:Dataset",
        identifier: p.id.to_string(),
        title: texts(Both {
            en: &p.title,
            ja: &p.title_ja,
        }),
        issued: date_time(timestamp(released_at(p)?)),
        temporal: Temporal {
            kind: "dct:PeriodOfTime",
            start: month(&p.period_from),
            end: month(&p.period_to),
        },
        landing_page: Node { id: page },
        distributions: File::ALL
            .iter()
            .map(|file| distribution(p, *file, links))
            .collect::<AppResult<_>>()?,
    })
}

/// The catalogue of `releases` (released publications only), newest
/// first whatever their order: the same releases give the same bytes.
pub fn catalog(releases: &[&Publication], links: &Links) -> AppResult<String> {
    let mut releases = releases.to_vec();
    releases.sort_by_key(|p| std::cmp::Reverse((p.released_at, p.id)));
    let modified = releases
        .iter()
        .filter_map(|p| p.released_at)
        .max()
        .map(|at| date_time(timestamp(at)));
    let doc = CatalogDoc {
        context: CONTEXT,
        id: links.catalog(),
        kind: "dcat:Catalog",
        title: texts(both(msg!("statistics.title"))),
        description: texts(both(msg!("statistics.intro"))),
        modified,
        datasets: releases
            .iter()
            .map(|p| dataset(p, links))
            .collect::<AppResult<_>>()?,
    };
    to_json(&doc)
}
