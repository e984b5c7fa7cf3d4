//! Which cells a new release suppresses, beyond its primary suppressions,
//! so that no suppressed cell of it or of any earlier release it shares
//! months with can be narrowed below its protection by what is published.
//!
//! 1. A row with a lone suppressed cell would give it away (the months sum
//!    to the total): the row's cheapest other cell is suppressed too.
//! 2. The interval audit (`vintages::audit`) then runs over the new release
//!    together with the earlier ones. While a suppressed cell is not
//!    protected, one more cell of the new release is suppressed: for a cell
//!    of an earlier release, the new release's cell of the same figure and
//!    month first (the one differencing uses); else the cheapest cell of
//!    the row. What the earlier releases already gave away (released
//!    before this audit existed) no new release can take back: a cell the
//!    earlier releases alone leave unprotected — theirs, or the new
//!    release's own, when it holds the same contributions — is reported,
//!    and the new release must only not narrow it further.
//!
//! The cost of suppressing a cell: fewest contributing firms, then the
//! smallest value; a month before the total, which is suppressed only as
//! the last resort. A cell no firm contributes to is never chosen: it hides
//! nothing and protects nothing, and it is published as 0 in every release.
//! Cells an admin released are never suppressed.

use super::disclosure::{Reason, Rules};
use std::collections::HashMap;

use super::interval_audit::{AuditError, Bounds, at_most};
use super::vintages::{CellAudit, ROWS, Vintage, audit, bounds_of};

/// What the new release suppresses, what the audit found, and which cells
/// were suppressed to keep an earlier release's cells protected.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The new release's suppression, by row and column.
    pub status: Vec<Vec<Option<Reason>>>,
    /// Every suppressed cell of every release, audited (the new release is
    /// the last in the list given).
    pub audit: Vec<CellAudit>,
    pub linked: Vec<Linked>,
    /// Every suppressed cell is protected.
    pub safe: bool,
}

/// A cell of the new release suppressed because publishing it would have
/// narrowed an earlier release's suppressed cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Linked {
    /// The earlier release (index in the list given) and its cell.
    pub vintage: usize,
    pub row: usize,
    pub col: usize,
    /// The new release's cell suppressed for it.
    pub suppressed_col: usize,
}

/// Plans the suppression of `new` (primary suppressions already marked)
/// after `earlier` releases, with `released[row][col]` the cells an admin
/// released anyway.
pub fn plan(
    earlier: &[Vintage],
    mut new: Vintage,
    released: &[Vec<bool>],
    rules: Rules,
) -> Result<Plan, AuditError> {
    let may_suppress = |row: usize, col: usize| {
        !released
            .get(row)
            .and_then(|r| r.get(col))
            .copied()
            .unwrap_or(false)
    };
    // 1. No lone suppressed cell in a row.
    for row in 0..ROWS {
        let hidden = new.status[row].iter().filter(|s| s.is_some()).count();
        if hidden == 1
            && let Some(col) = cheapest(&new, row, None, &may_suppress)
        {
            new.status[row][col] = Some(Reason::Secondary);
        }
    }
    // 2. The audit, over every release, until every cell is protected.
    // What the earlier releases say of a cell, the new one publishing
    // nothing: worked out only for the cells found unprotected.
    let mut hidden = new.clone();
    for row in hidden.status.iter_mut() {
        row.iter_mut()
            .filter(|s| s.is_none())
            .for_each(|s| *s = Some(Reason::Secondary));
    }
    let mut before = Before {
        vintages: earlier.iter().cloned().chain([hidden]).collect(),
        known: HashMap::new(),
    };
    let mut all = earlier.to_vec();
    all.push(new);
    let last = all.len() - 1;
    let mut linked = Vec::new();
    // Each round suppresses one more cell of the new release.
    let cells = ROWS * all[last].width();
    for _ in 0..=cells {
        let audited = audit(&all, rules)?;
        // A primary suppression first: what it takes to protect it is
        // what the admin is told.
        let mut weak = None;
        for cell in &audited {
            match before.weakened(cell) {
                None => {}
                Some(Err(e)) => return Err(e),
                Some(Ok(c)) if c.reason != Reason::Secondary => {
                    weak = Some(c);
                    break;
                }
                Some(Ok(c)) => {
                    weak = weak.or(Some(c));
                }
            }
        }
        let Some(weak) = weak else {
            return Ok(done(all, audited, linked, true));
        };
        let new = &all[last];
        let same_month = (weak.vintage != last)
            .then(|| {
                let month = all[weak.vintage].months.get(weak.col)?;
                let col = new.months.iter().position(|m| m == month)?;
                eligible(new, weak.row, col, &may_suppress).then_some(col)
            })
            .flatten();
        let Some(col) = same_month.or_else(|| cheapest(new, weak.row, None, &may_suppress)) else {
            return Ok(done(all, audited, linked, false));
        };
        if weak.vintage != last {
            linked.push(Linked {
                vintage: weak.vintage,
                row: weak.row,
                col: weak.col,
                suppressed_col: col,
            });
        }
        all[last].status[weak.row][col] = Some(Reason::Secondary);
    }
    let audited = audit(&all, rules)?;
    let mut safe = true;
    for cell in &audited {
        match before.weakened(cell) {
            None => {}
            Some(Err(e)) => return Err(e),
            Some(Ok(_)) => safe = false,
        }
    }
    Ok(done(all, audited, linked, safe))
}

/// The earlier releases with the new one publishing nothing, and the
/// bounds they give on the cells asked about so far.
struct Before {
    vintages: Vec<Vintage>,
    known: HashMap<(usize, usize, usize), Bounds>,
}

impl Before {
    fn bounds(&mut self, cell: &CellAudit) -> Result<Bounds, AuditError> {
        let key = (cell.vintage, cell.row, cell.col);
        if let Some(b) = self.known.get(&key) {
            return Ok(*b);
        }
        let b = bounds_of(&self.vintages, cell.vintage, cell.row, cell.col)?;
        self.known.insert(key, b);
        Ok(b)
    }

    /// Whether the new release leaves `cell` less protected than it must
    /// be: not protected now, though the earlier releases alone left it
    /// protected; or, when they already did not, narrower than they left
    /// it.
    fn weakened(&mut self, cell: &CellAudit) -> Option<Result<CellAudit, AuditError>> {
        if cell.protected() {
            return None;
        }
        let was = match self.bounds(cell) {
            Ok(b) => CellAudit {
                bounds: b,
                ..cell.clone()
            },
            Err(e) => return Some(Err(e)),
        };
        (was.protected() || narrower(cell, &was)).then(|| Ok(cell.clone()))
    }
}

/// Whether `now` bounds the cell more tightly than `was`.
fn narrower(now: &CellAudit, was: &CellAudit) -> bool {
    let scale = now.value as f64;
    let raised = !at_most(now.bounds.lower, was.bounds.lower, scale);
    let lowered = match (now.bounds.upper, was.bounds.upper) {
        (Some(n), Some(w)) => !at_most(w, n, scale),
        (Some(_), None) => true,
        (None, _) => false,
    };
    raised || lowered
}

fn done(mut all: Vec<Vintage>, audit: Vec<CellAudit>, linked: Vec<Linked>, safe: bool) -> Plan {
    let status = all.pop().map(|v| v.status).unwrap_or_default();
    Plan {
        status,
        audit,
        linked,
        safe,
    }
}

/// Whether the cell may become a secondary suppression: published, not
/// released by an admin, and with at least one contributing firm.
fn eligible(v: &Vintage, row: usize, col: usize, may: &impl Fn(usize, usize) -> bool) -> bool {
    v.status[row][col].is_none() && may(row, col) && v.firms(row, col) > 0
}

/// The row's cheapest eligible cell (see the module's cost), other than
/// `except`.
pub fn cheapest(
    v: &Vintage,
    row: usize,
    except: Option<usize>,
    may: &impl Fn(usize, usize) -> bool,
) -> Option<usize> {
    (0..v.width())
        .filter(|col| Some(*col) != except && eligible(v, row, *col, may))
        .min_by_key(|col| {
            (
                v.is_total(*col),
                v.firms(row, *col),
                v.value(row, *col),
                *col,
            )
        })
}

#[cfg(test)]
#[path = "suppression_plan_tests.rs"]
mod tests;
