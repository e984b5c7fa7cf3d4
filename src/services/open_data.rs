//! Open data for released statistics: each release as JSON (its figures,
//! the columns' units and definitions in both languages, footnotes and the
//! CSV files' checksums), W3C CSV on the Web metadata beside each CSV file,
//! and a DCAT catalogue of every release. Each document is serialised from
//! structs with a fixed field order (no map), so the same release, and the
//! same set of releases, always gives the same bytes.
//!
//! Nothing of the disclosure control is published: not p, not why a cell
//! is suppressed, not which cells an admin released on purpose. A
//! suppressed cell is only "suppressed", with no value.
//!
//! Services know nothing of URLs: the web layer hands them `Links`, built
//! from the portal's public address and its routes.

mod catalog;
mod columns;
mod csvw;
mod release;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::models::Publication;
use crate::error::{AppError, AppResult};

pub use catalog::catalog;
pub use csvw::csvw;
pub use release::release_json;

/// A release's public files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// The release page (HTML).
    Page,
    CsvEn,
    CsvJa,
    /// The release as JSON (`release_json`).
    Json,
    /// The CSV on the Web metadata of the English CSV.
    CsvwEn,
    /// The CSV on the Web metadata of the Japanese CSV.
    CsvwJa,
}

impl File {
    /// Every file of a release, in the order the catalogue lists them.
    pub const ALL: [File; 6] = [
        File::Page,
        File::CsvEn,
        File::CsvJa,
        File::Json,
        File::CsvwEn,
        File::CsvwJa,
    ];

    /// The media type it is served as (without parameters).
    pub fn media_type(self) -> &'static str {
        match self {
            File::Page => "text/html",
            File::CsvEn | File::CsvJa => "text/csv",
            File::Json => "application/json",
            File::CsvwEn | File::CsvwJa => "application/csvm+json",
        }
    }
}

/// The media type of the catalogue.
pub const CATALOG_MEDIA_TYPE: &str = "application/ld+json";

/// Absolute addresses of the public files: the portal's public address
/// before each route, as the web layer spells them.
#[derive(Clone, Debug)]
pub struct Links {
    base: String,
    path: fn(File, i64) -> String,
    catalog: &'static str,
}

impl Links {
    /// `path` gives a release's file's path, `catalog` the catalogue's.
    pub fn new(base: &str, path: fn(File, i64) -> String, catalog: &'static str) -> Self {
        Links {
            base: base.trim_end_matches('/').to_owned(),
            path,
            catalog,
        }
    }

    pub fn of(&self, file: File, id: i64) -> String {
        format!("{}{}", self.base, (self.path)(file, id))
    }

    pub fn catalog(&self) -> String {
        format!("{}{}", self.base, self.catalog)
    }
}

/// The same thing in English and in Japanese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Both<T> {
    pub en: T,
    pub ja: T,
}

/// A stored UTC time as RFC 3339 (`2025-06-10T00:00:00Z`).
pub fn timestamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

/// A release's time of release (every release has one).
fn released_at(p: &Publication) -> AppResult<NaiveDateTime> {
    p.released_at
        .ok_or_else(|| AppError::Internal(format!("release {} has no release time", p.id)))
}

/// A release's stored checksum of one of its CSV files.
fn stored_sha256(p: &Publication, japanese: bool) -> AppResult<String> {
    let sum = if japanese { &p.sha256_ja } else { &p.sha256_en };
    sum.clone()
        .ok_or_else(|| AppError::Internal(format!("release {} has no CSV checksum", p.id)))
}

/// Footnotes as stored (one a line) as a list.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// A document as served: indented JSON ending in a newline.
fn to_json(doc: &impl Serialize) -> AppResult<String> {
    let mut json = serde_json::to_string_pretty(doc)
        .map_err(|e| AppError::Internal(format!("open data document: {e}")))?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests;
