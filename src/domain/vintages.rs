//! Releases as an attacker sees them together. Every release's cells are
//! sums of the same firm-month contributions: a firm's figures for a month
//! as the version in effect at the release's cut-off said them. A firm that
//! filed late adds to a later release only; a revised return gives a later
//! release other figures for the same firm-month. So each month's
//! contributions fall into groups by the set of releases they appear in
//! (an "atom": filed by the first cut-off and never revised appears in
//! every release; a revision's first version in the earlier releases only,
//! its second in the later ones), and each release's cell is the sum of the
//! atoms that include it. The audit treats each atom as one non-negative
//! unknown and every published cell of every release as a known sum, which
//! is what differencing releases can use, and finds for each suppressed
//! cell how tightly all of it pins the cell down (`interval_audit`).
//!
//! Rows are audited one at a time (no published relation links two rows).
//! The count of firms is not additive over months: its total counts a firm
//! once however many months it was hit, so the audit knows of it only that
//! it is at least each month's count and at most their sum.

use std::collections::BTreeMap;

use super::disclosure::{Reason, Rules};
use super::interval_audit::{AuditError, Bounds, Expr, Knowledge, at_most};

/// The published figures of a firm-month, one per row.
pub const ROWS: usize = 5;
/// The row that counts firms with fraudulent trades.
pub const FIRMS_ROW: usize = 0;

/// One firm-month's figures as the version in effect said them (the firms
/// row holds 1 when the firm had fraudulent trades that month, else 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filing {
    pub firm: i64,
    pub month: String,
    pub version: i64,
    pub values: [i64; ROWS],
}

/// A release as the audit sees it: its months, the filings in effect at
/// its cut-off (one per firm-month), and each cell's suppression, by row
/// and column (the months, then the total).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vintage {
    pub months: Vec<String>,
    pub filings: Vec<Filing>,
    pub status: Vec<Vec<Option<Reason>>>,
}

impl Vintage {
    /// A release of `months` from `filings` (those of other months are
    /// left out), with nothing suppressed yet.
    pub fn new(months: Vec<String>, filings: Vec<Filing>) -> Vintage {
        let filings = filings
            .into_iter()
            .filter(|f| months.contains(&f.month))
            .collect();
        let status = vec![vec![None; months.len() + 1]; ROWS];
        Vintage {
            months,
            filings,
            status,
        }
    }

    /// The columns: one per month, then the total.
    pub fn width(&self) -> usize {
        self.months.len() + 1
    }

    pub fn is_total(&self, col: usize) -> bool {
        col == self.months.len()
    }

    /// Each firm's contribution to a cell: its figure for a month, or for
    /// the total its figures summed over the months (for the count of
    /// firms: 1 when it was hit in any month).
    pub fn contributions(&self, row: usize, col: usize) -> Vec<i64> {
        match self.months.get(col) {
            Some(month) => self
                .filings
                .iter()
                .filter(|f| &f.month == month)
                .map(|f| f.values[row])
                .collect(),
            None => {
                let mut per_firm: BTreeMap<i64, i64> = BTreeMap::new();
                for f in &self.filings {
                    *per_firm.entry(f.firm).or_default() += f.values[row];
                }
                let mut parts: Vec<i64> = per_firm.into_values().collect();
                if row == FIRMS_ROW {
                    parts.iter_mut().for_each(|p| *p = i64::from(*p > 0));
                }
                parts
            }
        }
    }

    /// The cell's value.
    pub fn value(&self, row: usize, col: usize) -> i64 {
        self.contributions(row, col).iter().sum()
    }

    /// How many firms contribute to the cell (a positive figure).
    pub fn firms(&self, row: usize, col: usize) -> usize {
        self.contributions(row, col)
            .iter()
            .filter(|c| **c > 0)
            .count()
    }
}

/// The protection a primary-suppressed cell needs: an attacker's interval
/// must reach at least this low and this high.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Required {
    pub lower_at_most: f64,
    pub upper_at_least: f64,
}

/// The protection level of a cell suppressed for `reason`.
///
/// - The count rule on the count of firms: the interval must reach the
///   minimum count, so that it holds a value that would have passed the
///   count test (the attacker cannot tell the cell failed it).
/// - The count rule on a figure, and the p% rule: p% of the value on
///   either side (the p% rule's margin: no one, the second-largest
///   contributor included, learns the value to within p%).
/// - A secondary suppression needs none of its own (it must only not be
///   determined, see `CellAudit::protected`).
pub fn required(reason: Reason, value: i64, row: usize, rules: Rules) -> Option<Required> {
    let value_f = value as f64;
    match reason {
        Reason::Secondary => None,
        Reason::Threshold if row == FIRMS_ROW => Some(Required {
            lower_at_most: value_f,
            upper_at_least: value_f.max(rules.min_firms as f64),
        }),
        Reason::Threshold | Reason::Dominance => {
            let margin = value_f * f64::from(rules.p_percent) / 100.0;
            Some(Required {
                lower_at_most: value_f - margin,
                upper_at_least: value_f + margin,
            })
        }
    }
}

/// One suppressed cell of one release, audited.
#[derive(Clone, Debug, PartialEq)]
pub struct CellAudit {
    /// Which release, by its index in the audit's list.
    pub vintage: usize,
    pub row: usize,
    pub col: usize,
    pub reason: Reason,
    pub value: i64,
    pub bounds: Bounds,
    pub required: Option<Required>,
}

impl CellAudit {
    /// Not determined (the interval has width), and for a primary
    /// suppression at least its protection level.
    pub fn protected(&self) -> bool {
        let scale = self.value as f64;
        let wide = match self.bounds.upper {
            None => true,
            Some(upper) => !at_most(upper - self.bounds.lower, 0.0, scale),
        };
        let enough = self.required.is_none_or(|r| {
            at_most(self.bounds.lower, r.lower_at_most, scale)
                && self
                    .bounds
                    .upper
                    .is_none_or(|u| at_most(r.upper_at_least, u, scale))
        });
        wide && enough
    }
}

/// Every suppressed cell of every release in `vintages`, with the bounds
/// all their published cells together give.
pub fn audit(vintages: &[Vintage], rules: Rules) -> Result<Vec<CellAudit>, AuditError> {
    let mut out = Vec::new();
    for row in 0..ROWS {
        let (knowledge, cells) = knowledge(vintages, row);
        for (v, vintage) in vintages.iter().enumerate() {
            for (col, reason) in vintage.status[row].iter().enumerate() {
                let Some(reason) = *reason else { continue };
                let value = vintage.value(row, col);
                out.push(CellAudit {
                    vintage: v,
                    row,
                    col,
                    reason,
                    value,
                    bounds: knowledge.bounds(&cells[v][col])?,
                    required: required(reason, value, row, rules),
                });
            }
        }
    }
    Ok(out)
}

/// The bounds all of `vintages` give on one cell (`row`, `col`) of the
/// release at index `vintage`, whether it is suppressed or not.
pub fn bounds_of(
    vintages: &[Vintage],
    vintage: usize,
    row: usize,
    col: usize,
) -> Result<Bounds, AuditError> {
    let (knowledge, cells) = knowledge(vintages, row);
    match cells.get(vintage).and_then(|c| c.get(col)) {
        Some(expr) => knowledge.bounds(expr),
        None => Err(AuditError::Solver("no such cell".into())),
    }
}

/// What the releases publish of one row, over the atoms of that row, and
/// each cell of each release as a sum of atoms.
fn knowledge(vintages: &[Vintage], row: usize) -> (Knowledge, Vec<Vec<Expr>>) {
    // The releases each firm-month-version appears in.
    let mut appears: BTreeMap<(&str, i64, i64), Vec<usize>> = BTreeMap::new();
    for (v, vintage) in vintages.iter().enumerate() {
        for f in &vintage.filings {
            appears
                .entry((f.month.as_str(), f.firm, f.version))
                .or_default()
                .push(v);
        }
    }
    // One unknown per month and set of releases.
    let mut k = Knowledge::default();
    let mut atoms: BTreeMap<(&str, Vec<usize>), usize> = BTreeMap::new();
    for ((month, _, _), releases) in appears {
        atoms
            .entry((month, releases))
            .or_insert_with(|| k.unknown());
    }
    let mut cells = Vec::with_capacity(vintages.len());
    for (v, vintage) in vintages.iter().enumerate() {
        let months: Vec<Expr> = vintage
            .months
            .iter()
            .map(|m| {
                atoms
                    .iter()
                    .filter(|((month, releases), _)| month == m && releases.contains(&v))
                    .map(|(_, u)| (*u, 1.0))
                    .collect()
            })
            .collect();
        let sum: Expr = months.iter().flatten().copied().collect();
        let total = if row == FIRMS_ROW {
            let t = vec![(k.unknown(), 1.0)];
            for month in &months {
                k.no_more_than(month, &t);
            }
            k.no_more_than(&t, &sum);
            t
        } else {
            sum
        };
        let mut row_cells = months;
        row_cells.push(total);
        for (col, expr) in row_cells.iter().enumerate() {
            if vintage.status[row][col].is_none() {
                k.known(expr.clone(), vintage.value(row, col) as f64);
            }
        }
        cells.push(row_cells);
    }
    (k, cells)
}

#[cfg(test)]
#[path = "vintages_tests.rs"]
pub(crate) mod tests;
