//! A release as JSON: what it is (titles, cut-off, release time, months),
//! its columns with units and definitions, its figures row by row as the
//! CSV files have them (each cell published with its value, or suppressed
//! with none), its footnotes, and its files with the CSV files' checksums.
//! `docs/schema/statistics-release.schema.json` describes it.

use serde::Serialize;

use super::columns::{Column, both, columns};
use super::{Both, File, Links, lines, released_at, stored_sha256, timestamp, to_json};
use crate::db::models::Publication;
use crate::error::{AppError, AppResult};
use crate::services::publication_table::{Cell, TOTAL, Table};

#[derive(Serialize)]
struct ReleaseDoc {
    id: i64,
    title: Both<String>,
    cutoff_at: String,
    released_at: String,
    months: Vec<String>,
    columns: Vec<ColumnDoc>,
    rows: Vec<RowDoc>,
    footnotes: Both<Vec<String>>,
    files: FilesDoc,
}

#[derive(Serialize)]
struct ColumnDoc {
    name: &'static str,
    csv_header: Both<&'static str>,
    label: Both<&'static str>,
    /// `string` for the period, `integer` for the figures.
    datatype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<UnitDoc>,
    definition: Both<&'static str>,
}

#[derive(Serialize)]
struct UnitDoc {
    code: &'static str,
    en: &'static str,
    ja: &'static str,
}

#[derive(Serialize)]
struct RowDoc {
    /// `YYYY-MM`, or `total`.
    period: String,
    cells: Vec<CellDoc>,
}

#[derive(Serialize)]
struct CellDoc {
    column: &'static str,
    status: Status,
    /// Only when published.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Published,
    Suppressed,
}

#[derive(Serialize)]
struct FilesDoc {
    page: FileDoc,
    csv_en: FileDoc,
    csv_ja: FileDoc,
    csvw_en: FileDoc,
    csvw_ja: FileDoc,
}

#[derive(Serialize)]
struct FileDoc {
    url: String,
    media_type: &'static str,
    /// The SHA-256 of a CSV file (stored with the release).
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

fn column_doc(c: &Column) -> ColumnDoc {
    ColumnDoc {
        name: c.name,
        csv_header: Both {
            en: c.name,
            ja: c.header_ja,
        },
        label: both(c.label),
        datatype: if c.is_period() { "string" } else { "integer" },
        unit: c.unit.map(|u| {
            let name = both(u.name);
            UnitDoc {
                code: u.code,
                en: name.en,
                ja: name.ja,
            }
        }),
        definition: both(c.definition),
    }
}

/// A cell as the CSV files write it: its value only when it is published.
fn cell_doc(column: &'static str, cell: Option<&Cell>) -> CellDoc {
    match cell {
        Some(Cell {
            value: Some(v),
            reason: None,
            ..
        }) => CellDoc {
            column,
            status: Status::Published,
            value: Some(*v),
        },
        _ => CellDoc {
            column,
            status: Status::Suppressed,
            value: None,
        },
    }
}

/// The rows of the CSV files: one per month, then the total.
fn rows(table: &Table, columns: &[Column]) -> AppResult<Vec<RowDoc>> {
    let figures = columns
        .iter()
        .filter(|c| !c.is_period())
        .map(|c| {
            let row = table.rows.iter().find(|r| r.figure == c.name);
            row.map(|r| (c.name, r))
                .ok_or_else(|| AppError::Internal(format!("the table has no row {}", c.name)))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let periods = table.months.iter().map(String::as_str).chain([TOTAL]);
    Ok(periods
        .enumerate()
        .map(|(at, period)| RowDoc {
            period: period.to_owned(),
            cells: figures
                .iter()
                .map(|(name, row)| cell_doc(name, row.cells.get(at)))
                .collect(),
        })
        .collect())
}

fn file(links: &Links, file: File, id: i64, sha256: Option<String>) -> FileDoc {
    FileDoc {
        url: links.of(file, id),
        media_type: file.media_type(),
        sha256,
    }
}

/// The release's JSON document, byte for byte the same each time.
pub fn release_json(p: &Publication, table: &Table, links: &Links) -> AppResult<String> {
    let columns = columns();
    let id = p.id;
    let doc = ReleaseDoc {
        id,
        title: Both {
            en: p.title.clone(),
            ja: p.title_ja.clone(),
        },
        cutoff_at: timestamp(p.cutoff_at),
        released_at: timestamp(released_at(p)?),
        months: table.months.clone(),
        columns: columns.iter().map(column_doc).collect(),
        rows: rows(table, &columns)?,
        footnotes: Both {
            en: lines(&p.footnotes),
            ja: lines(&p.footnotes_ja),
        },
        files: FilesDoc {
            page: file(links, File::Page, id, None),
            csv_en: file(links, File::CsvEn, id, Some(stored_sha256(p, false)?)),
            csv_ja: file(links, File::CsvJa, id, Some(stored_sha256(p, true)?)),
            csvw_en: file(links, File::CsvwEn, id, None),
            csvw_ja: file(links, File::CsvwJa, id, None),
        },
    };
    to_json(&doc)
}
