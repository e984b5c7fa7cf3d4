//! The table a publication shows: computed from the latest accepted version
//! of each firm-month submitted up to the cut-off, with disclosure control
//! applied; its frozen public form, its CSV files and the changes since the
//! previous release.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tokens::hex;
use crate::db::DbConn;
use crate::db::models::Version;
use crate::db::schema::return_versions;
use crate::domain::disclosure::{self, Grid, Reason, Rules};
use crate::domain::period::Period;

/// The published figures, one row each, in the FSA's order.
pub const FIGURES: [&str; 5] = [
    "firms_with_fraudulent_trades",
    "unauthorized_accesses",
    "fraudulent_trades",
    "sale_amount_jpy",
    "purchase_amount_jpy",
];

/// The key of the total column.
pub const TOTAL: &str = "total";

/// The Japanese CSV's label for the total row.
pub const JA_TOTAL: &str = "合計";
const JA_HEADER: [&str; 6] = [
    "期間",
    "不正取引が発生した証券会社数",
    "不正アクセス件数",
    "不正取引件数",
    "売却金額（円）",
    "買付金額（円）",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// `None` once frozen for the public when suppressed.
    pub value: Option<i64>,
    pub reason: Option<Reason>,
    /// An admin released it despite disclosure control.
    pub overridden: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub figure: String,
    /// One per month, then the total.
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// `YYYY-MM` keys, oldest first.
    pub months: Vec<String>,
    pub rows: Vec<Row>,
}

/// The key of a cell, as overrides name it: `figure:YYYY-MM` or
/// `figure:total`.
pub fn cell_key(figure: &str, column: &str) -> String {
    format!("{figure}:{column}")
}

fn figure_value(v: &Version, figure: usize) -> i64 {
    match figure {
        0 => i64::from(v.fraudulent_trades > 0),
        1 => v.unauthorized_accesses,
        2 => v.fraudulent_trades,
        3 => v.sale_amount_jpy,
        _ => v.purchase_amount_jpy,
    }
}

/// Computes the table for `[from, to]` as of `cutoff`, with `p_percent`
/// and the cells listed in `released` exempt from suppression.
pub fn compute(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    from: Period,
    to: Period,
    p_percent: u32,
    released: &[String],
) -> QueryResult<Table> {
    let versions: Vec<Version> = return_versions::table
        .filter(return_versions::status.eq("accepted"))
        .filter(return_versions::submitted_at.le(cutoff))
        .filter(return_versions::period.ge(from.as_key()))
        .filter(return_versions::period.le(to.as_key()))
        .order((
            return_versions::firm_id,
            return_versions::period,
            return_versions::version_no,
        ))
        .select(Version::as_select())
        .load(conn)?;
    // Ordered by version: the last one kept per firm-month is the latest.
    let mut latest: BTreeMap<(i64, String), Version> = BTreeMap::new();
    for v in versions {
        latest.insert((v.firm_id, v.period.clone()), v);
    }
    let months: Vec<String> = Period::months_between(from, to)
        .iter()
        .map(Period::as_key)
        .collect();
    Ok(build(&months, latest.values(), p_percent, released))
}

fn build<'a>(
    months: &[String],
    versions: impl Iterator<Item = &'a Version> + Clone,
    p_percent: u32,
    released: &[String],
) -> Table {
    let rules = Rules {
        min_firms: 3,
        p_percent,
    };
    let width = months.len() + 1;
    let mut values = Vec::with_capacity(FIGURES.len() * width);
    let mut contributions: Vec<Vec<i64>> = Vec::with_capacity(FIGURES.len() * width);
    for f in 0..FIGURES.len() {
        let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
        for month in months {
            let parts: Vec<i64> = versions
                .clone()
                .filter(|v| &v.period == month)
                .map(|v| figure_value(v, f))
                .collect();
            for v in versions.clone().filter(|v| &v.period == month) {
                *totals.entry(v.firm_id).or_default() += figure_value(v, f);
            }
            values.push(parts.iter().sum());
            contributions.push(parts);
        }
        let mut parts: Vec<i64> = totals.into_values().collect();
        if f == 0 {
            // A firm hit in several months is one firm in the total.
            parts.iter_mut().for_each(|p| *p = i64::from(*p > 0));
        }
        values.push(parts.iter().sum());
        contributions.push(parts);
    }
    let column = |c: usize| months.get(c).map_or(TOTAL, String::as_str);
    // The shape fits by construction.
    let Some(mut grid) = Grid::new(FIGURES.len(), months.len(), true, false, values) else {
        return Table {
            months: months.to_vec(),
            rows: Vec::new(),
        };
    };
    for (i, parts) in contributions.iter().enumerate() {
        let key = cell_key(FIGURES[i / width], column(i % width));
        if released.contains(&key) {
            grid.released[i] = true;
        }
        if let Some(reason) = disclosure::primary(parts, rules) {
            grid.suppress(i, reason);
        }
    }
    grid.protect();
    let rows = FIGURES
        .iter()
        .enumerate()
        .map(|(f, figure)| Row {
            figure: (*figure).to_owned(),
            cells: (0..width)
                .map(|c| {
                    let i = f * width + c;
                    Cell {
                        value: Some(grid.values[i]),
                        reason: grid.suppressed[i],
                        overridden: grid.released[i],
                    }
                })
                .collect(),
        })
        .collect();
    Table {
        months: months.to_vec(),
        rows,
    }
}

impl Table {
    /// The public form: suppressed values removed.
    pub fn frozen(mut self) -> Table {
        for cell in self.rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
            if cell.reason.is_some() {
                cell.value = None;
            }
        }
        self
    }

    /// The tidy CSV: UTF-8 with BOM, CRLF, one row per month and a total
    /// row (`total`, in Japanese `合計`). Only the header and that label
    /// differ between the languages; the figures read the same to a program.
    pub fn csv(&self, japanese: bool) -> String {
        let mut out = String::from("\u{feff}");
        let header: Vec<&str> = if japanese {
            JA_HEADER.to_vec()
        } else {
            std::iter::once("period").chain(FIGURES).collect()
        };
        push_line(&mut out, header.iter().map(|h| (*h).to_owned()));
        for (c, month) in self.months.iter().chain([&TOTAL.to_owned()]).enumerate() {
            let label = if japanese && c == self.months.len() {
                JA_TOTAL.to_owned()
            } else {
                month.clone()
            };
            let cells = self.rows.iter().map(|r| match r.cells.get(c) {
                Some(Cell {
                    value: Some(v),
                    reason: None,
                    ..
                }) => v.to_string(),
                _ => "x".to_owned(),
            });
            push_line(&mut out, std::iter::once(label).chain(cells));
        }
        out
    }
}

/// One CSV record (RFC 4180: quoted when needed, quotes doubled), with
/// formula-leading cells neutralised.
fn push_line(out: &mut String, fields: impl Iterator<Item = String>) {
    let line: Vec<String> = fields.map(|f| quote(&neutralise(&f))).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

pub fn neutralise(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Lower-case hex SHA-256 of a file's bytes.
pub fn checksum(bytes: &str) -> String {
    hex(&Sha256::digest(bytes.as_bytes()))
}

/// A published cell that differs from the previous release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub figure: String,
    pub column: String,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl Change {
    /// After minus before, when both were published.
    pub fn delta(&self) -> Option<i64> {
        Some(self.after? - self.before?)
    }
}

/// Cells of `now` that differ from the same cell in `before` (both frozen);
/// months new to `now` count as changed from nothing.
pub fn changes(before: &Table, now: &Table) -> Vec<Change> {
    let lookup = |t: &Table, figure: &str, column: &str| -> Option<Option<i64>> {
        let c = if column == TOTAL {
            t.months.len()
        } else {
            t.months.iter().position(|m| m == column)?
        };
        let row = t.rows.iter().find(|r| r.figure == figure)?;
        row.cells.get(c).map(|cell| cell.value)
    };
    let mut out = Vec::new();
    for row in &now.rows {
        for (c, cell) in row.cells.iter().enumerate() {
            let column = now.months.get(c).map_or(TOTAL, String::as_str);
            let before_value = lookup(before, &row.figure, column).flatten();
            if before_value != cell.value {
                out.push(Change {
                    figure: row.figure.clone(),
                    column: column.to_owned(),
                    before: before_value,
                    after: cell.value,
                });
            }
        }
    }
    out
}
