//! W3C CSV on the Web metadata (<https://www.w3.org/TR/tabular-metadata/>)
//! of one CSV file of a release, in that file's language: the file's
//! address, its dialect (UTF-8 with a byte order mark, CRLF, one header
//! line), and its columns, titled exactly as the header line names them,
//! with their datatypes, units (schema.org's `unitText`, and `currency`
//! for yen) and definitions; a suppressed figure is `x` (`null`).

use serde::Serialize;

use super::columns::{Column, JPY_CODE, columns};
use super::{File, Links, lines, released_at, timestamp, to_json};
use crate::db::models::Publication;
use crate::error::AppResult;
use crate::i18n::{Lang, Tr};
use crate::services::publication_table::total_label;

/// How a suppressed figure is written in the CSV files.
pub const SUPPRESSED: &str = "x";

const CSVW_CONTEXT: &str = "http://www.w3.org/ns/csvw";

#[derive(Serialize)]
struct CsvwDoc {
    #[serde(rename = "@context")]
    context: (&'static str, Language),
    url: String,
    #[serde(rename = "dc:identifier")]
    identifier: String,
    #[serde(rename = "dc:title")]
    title: String,
    #[serde(rename = "dc:issued")]
    issued: Typed,
    #[serde(rename = "dc:temporal")]
    temporal: String,
    #[serde(rename = "rdfs:comment")]
    footnotes: Vec<String>,
    dialect: Dialect,
    #[serde(rename = "tableSchema")]
    table_schema: TableSchema,
}

#[derive(Serialize)]
struct Language {
    #[serde(rename = "@language")]
    language: &'static str,
}

#[derive(Serialize)]
struct Typed {
    #[serde(rename = "@value")]
    value: String,
    #[serde(rename = "@type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Dialect {
    encoding: &'static str,
    #[serde(rename = "lineTerminators")]
    line_terminators: [&'static str; 1],
    header: bool,
    #[serde(rename = "headerRowCount")]
    header_row_count: u32,
}

#[derive(Serialize)]
struct TableSchema {
    columns: Vec<ColumnDoc>,
    #[serde(rename = "primaryKey")]
    primary_key: &'static str,
}

#[derive(Serialize)]
struct ColumnDoc {
    name: &'static str,
    titles: &'static str,
    datatype: Datatype,
    /// Only the period: a figure may be suppressed (`null`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    null: Option<&'static str>,
    #[serde(rename = "schema:unitText", skip_serializing_if = "Option::is_none")]
    unit_text: Option<&'static str>,
    #[serde(rename = "schema:currency", skip_serializing_if = "Option::is_none")]
    currency: Option<&'static str>,
    #[serde(rename = "dc:description")]
    description: &'static str,
}

/// A built-in datatype by name, or one derived from it.
#[derive(Serialize)]
#[serde(untagged)]
enum Datatype {
    Named(&'static str),
    Derived {
        base: &'static str,
        /// For a string: the regular expression its values match.
        format: String,
    },
}

fn column_doc(c: &Column, japanese: bool, t: &Tr) -> ColumnDoc {
    let title = c.header(japanese);
    if c.is_period() {
        let total = total_label(japanese);
        return ColumnDoc {
            name: c.name,
            titles: title,
            datatype: Datatype::Derived {
                base: "string",
                format: format!("^([0-9]{{4}}-[0-9]{{2}}|{total})$"),
            },
            required: true,
            null: None,
            unit_text: None,
            currency: None,
            description: t.t(c.definition),
        };
    }
    ColumnDoc {
        name: c.name,
        titles: title,
        datatype: Datatype::Named("nonNegativeInteger"),
        required: false,
        null: Some(SUPPRESSED),
        unit_text: c.unit.map(|u| t.t(u.name)),
        currency: c.unit.map(|u| u.code).filter(|code| *code == JPY_CODE),
        description: t.t(c.definition),
    }
}

/// The CSV on the Web metadata of the release's CSV file in English
/// (`japanese` false) or Japanese, byte for byte the same each time.
pub fn csvw(p: &Publication, japanese: bool, links: &Links) -> AppResult<String> {
    let lang = if japanese { Lang::Ja } else { Lang::En };
    let t = Tr::new(lang);
    let (csv, title, footnotes) = if japanese {
        (File::CsvJa, &p.title_ja, &p.footnotes_ja)
    } else {
        (File::CsvEn, &p.title, &p.footnotes)
    };
    let doc = CsvwDoc {
        context: (
            CSVW_CONTEXT,
            Language {
                language: lang.code(),
            },
        ),
        url: links.of(csv, p.id),
        identifier: links.of(File::Page, p.id),
        title: title.clone(),
        issued: Typed {
            value: timestamp(released_at(p)?),
            kind: "xsd:dateTime",
        },
        temporal: format!("{}/{}", p.period_from, p.period_to),
        footnotes: lines(footnotes),
        dialect: Dialect {
            encoding: "utf-8",
            line_terminators: ["\r\n"],
            header: true,
            header_row_count: 1,
        },
        table_schema: TableSchema {
            columns: columns()
                .iter()
                .map(|c| column_doc(c, japanese, &t))
                .collect(),
            primary_key: "period",
        },
    };
    to_json(&doc)
}
