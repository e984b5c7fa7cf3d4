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
use crate::domain::disclosure::{self, Reason, Rules};
use crate::domain::period::Period;
use crate::domain::suppression_plan;
use crate::domain::vintages::{self, Filing, Vintage};
use crate::error::{AppError, AppResult};

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
/// The English CSV's header: the month, then the figures' keys.
const EN_HEADER: [&str; 6] = [
    "period", FIGURES[0], FIGURES[1], FIGURES[2], FIGURES[3], FIGURES[4],
];
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

/// A version's figures in the table's rows (the count of firms: 1 when it
/// reports fraudulent trades).
pub fn figure_values(v: &Version) -> [i64; vintages::ROWS] {
    [
        i64::from(v.fraudulent_trades > 0),
        v.unauthorized_accesses,
        v.fraudulent_trades,
        v.sale_amount_jpy,
        v.purchase_amount_jpy,
    ]
}

/// What a release is computed from: the version of each firm-month in
/// effect at `cutoff` (the latest accepted one submitted by then).
pub fn filings(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    from: Period,
    to: Period,
) -> QueryResult<Vec<Filing>> {
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
    Ok(latest
        .into_values()
        .map(|v| Filing {
            firm: v.firm_id,
            values: figure_values(&v),
            month: v.period,
            version: v.id,
        })
        .collect())
}

/// A release's table as computed, with the audit that admins see and the
/// filings it was computed from (kept with it for later releases' audits).
#[derive(Clone, Debug)]
pub struct Computed {
    pub table: Table,
    pub audit: Vec<AuditLine>,
    /// Cells suppressed to keep an earlier release's cells protected.
    pub linked: Vec<LinkedLine>,
    /// Every suppressed cell of this release and of the earlier ones it
    /// shares months with is protected: it may be released.
    pub safe: bool,
    pub filings: Vec<Filing>,
}

/// Computes the table for `[from, to]` as of `cutoff`, with `p_percent`,
/// the cells listed in `released` exempt from suppression, and the
/// `earlier` releases it is audited with.
pub fn compute(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    (from, to): (Period, Period),
    p_percent: u32,
    released: &[String],
    earlier: &[Earlier],
) -> AppResult<Computed> {
    let months: Vec<String> = Period::months_between(from, to)
        .iter()
        .map(Period::as_key)
        .collect();
    let filings = filings(conn, cutoff, from, to)?;
    build(months, filings, p_percent, released, earlier)
}

/// An earlier release as the audit needs it.
#[derive(Clone, Debug)]
pub struct Earlier {
    pub id: i64,
    pub vintage: Vintage,
}

fn build(
    months: Vec<String>,
    filings: Vec<Filing>,
    p_percent: u32,
    released: &[String],
    earlier: &[Earlier],
) -> AppResult<Computed> {
    let rules = Rules {
        min_firms: 3,
        p_percent,
    };
    let mut new = Vintage::new(months, filings);
    let width = new.width();
    let column =
        |months: &[String], c: usize| months.get(c).map_or(TOTAL, String::as_str).to_owned();
    let exempt: Vec<Vec<bool>> = FIGURES
        .iter()
        .map(|figure| {
            (0..width)
                .map(|col| released.contains(&cell_key(figure, &column(&new.months, col))))
                .collect()
        })
        .collect();
    for (row, exempt) in exempt.iter().enumerate() {
        for (col, exempt) in exempt.iter().enumerate() {
            if !exempt {
                new.status[row][col] = disclosure::primary(&new.contributions(row, col), rules);
            }
        }
    }
    let vintages: Vec<Vintage> = earlier.iter().map(|e| e.vintage.clone()).collect();
    let plan = suppression_plan::plan(&vintages, new.clone(), &exempt, rules)
        .map_err(|e| AppError::Internal(format!("interval audit: {e}")))?;
    new.status = plan.status.clone();
    let rows = FIGURES
        .iter()
        .enumerate()
        .map(|(row, figure)| Row {
            figure: (*figure).to_owned(),
            cells: (0..width)
                .map(|col| Cell {
                    value: Some(new.value(row, col)),
                    reason: new.status[row][col],
                    overridden: exempt[row][col],
                })
                .collect(),
        })
        .collect();
    let release_id = |v: usize| earlier.get(v).map(|e| e.id);
    let all: Vec<&Vintage> = vintages.iter().chain([&new]).collect();
    let audit = plan
        .audit
        .iter()
        .map(|c| AuditLine {
            release: release_id(c.vintage),
            figure: FIGURES[c.row].to_owned(),
            column: column(&all[c.vintage].months, c.col),
            reason: c.reason,
            value: c.value,
            lower: c.bounds.lower,
            upper: c.bounds.upper,
            required_lower: c.required.map(|r| r.lower_at_most),
            required_upper: c.required.map(|r| r.upper_at_least),
            protected: c.protected(),
        })
        .collect();
    let linked = plan
        .linked
        .iter()
        .map(|l| LinkedLine {
            release: release_id(l.vintage).unwrap_or_default(),
            figure: FIGURES[l.row].to_owned(),
            column: column(&all[l.vintage].months, l.col),
            suppressed: column(&new.months, l.suppressed_col),
        })
        .collect();
    Ok(Computed {
        table: Table {
            months: new.months.clone(),
            rows,
        },
        audit,
        linked,
        safe: plan.safe,
        filings: new.filings,
    })
}

/// One suppressed cell of the audit, as kept with the release and shown
/// to admins (never published).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    /// The earlier release the cell belongs to; `None`: this one.
    pub release: Option<i64>,
    pub figure: String,
    pub column: String,
    pub reason: Reason,
    pub value: i64,
    pub lower: f64,
    /// `None`: nothing published bounds it from above.
    pub upper: Option<f64>,
    pub required_lower: Option<f64>,
    pub required_upper: Option<f64>,
    pub protected: bool,
}

/// A cell of this release suppressed because publishing it would have
/// narrowed an earlier release's cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedLine {
    pub release: i64,
    pub figure: String,
    pub column: String,
    /// The column of this release's cell of the same figure suppressed.
    pub suppressed: String,
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
        push_line(
            &mut out,
            csv_header(japanese).map(str::to_owned).into_iter(),
        );
        for (c, month) in self.months.iter().chain([&TOTAL.to_owned()]).enumerate() {
            let label = if c == self.months.len() {
                total_label(japanese).to_owned()
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

/// The CSV files' header line, field by field: English (`period` and the
/// figures' keys) or Japanese.
pub fn csv_header(japanese: bool) -> [&'static str; 6] {
    if japanese { JA_HEADER } else { EN_HEADER }
}

/// The label of the CSV files' total row: `total`, in Japanese `合計`.
pub fn total_label(japanese: bool) -> &'static str {
    if japanese { JA_TOTAL } else { TOTAL }
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
