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
//!    before this audit existed) no new release can take back: their own
//!    cells that they alone leave unprotected are reported, and the new
//!    release must only not narrow them further. A primary suppression of
//!    the new release must be protected unless the earlier releases give
//!    its value away exactly (then hiding it hides nothing); when they
//!    narrow it without giving it away, the release is refused until an
//!    admin releases that cell on purpose. A cell whose value the earlier
//!    releases give away is never chosen as a complement.
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
    // What the earlier releases say of a cell, the new one publishing
    // nothing; and the same with the new one publishing the cells an admin
    // released on purpose (what those give away is the admin's decision).
    // Worked out only for the cells asked about.
    let hide = |keep_released: bool| {
        let mut hidden = new.clone();
        for (r, row) in hidden.status.iter_mut().enumerate() {
            for (c, slot) in row.iter_mut().enumerate() {
                if slot.is_none() && (!keep_released || may_suppress(r, c)) {
                    *slot = Some(Reason::Secondary);
                }
            }
        }
        earlier.iter().cloned().chain([hidden]).collect()
    };
    let mut before = Before {
        earlier_only: hide(false),
        with_released: hide(true),
        known: HashMap::new(),
    };
    let last = earlier.len();
    // 1. No lone suppressed cell in a row.
    for row in 0..ROWS {
        let hidden = new.status[row].iter().filter(|s| s.is_some()).count();
        if hidden == 1
            && let Some(col) = before.pick(&new, last, row, None, &may_suppress)?
        {
            new.status[row][col] = Some(Reason::Secondary);
        }
    }
    // 2. The audit, over every release, until every cell is protected.
    let mut all = earlier.to_vec();
    all.push(new);
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
                new.months.iter().position(|m| m == month)
            })
            .flatten();
        let Some(col) = before.pick(new, last, weak.row, same_month, &may_suppress)? else {
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
    /// The earlier releases, the new one publishing nothing.
    earlier_only: Vec<Vintage>,
    /// The same, the new one publishing the cells released on purpose.
    with_released: Vec<Vintage>,
    known: HashMap<(bool, usize, usize, usize), Bounds>,
}

impl Before {
    /// The cell of the new release (index `new_at`) to suppress next in
    /// `row`: `first` when it is eligible, else the cheapest; never one
    /// whose value the earlier releases already give away (it would hide
    /// nothing and protect nothing).
    fn pick(
        &mut self,
        new: &Vintage,
        new_at: usize,
        row: usize,
        first: Option<usize>,
        may: &impl Fn(usize, usize) -> bool,
    ) -> Result<Option<usize>, AuditError> {
        let first = first.filter(|col| eligible(new, row, *col, may));
        for col in first.into_iter().chain(by_cost(new, row, may)) {
            if new_at == 0 {
                return Ok(Some(col));
            }
            let known = self.bounds_at(false, (new_at, row, col))?;
            let scale = new.value(row, col) as f64;
            if known.width().is_none_or(|w| !at_most(w, 0.0, scale)) {
                return Ok(Some(col));
            }
        }
        Ok(None)
    }

    fn bounds_at(
        &mut self,
        released: bool,
        (vintage, row, col): (usize, usize, usize),
    ) -> Result<Bounds, AuditError> {
        let key = (released, vintage, row, col);
        if let Some(b) = self.known.get(&key) {
            return Ok(*b);
        }
        let vintages = if released {
            &self.with_released
        } else {
            &self.earlier_only
        };
        let b = bounds_of(vintages, vintage, row, col)?;
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
        let key = (cell.vintage, cell.row, cell.col);
        // The new release's own primary suppressions must be protected,
        // unless the earlier releases already give the value away exactly
        // (an admin released it on purpose there, or it was released
        // before this audit): hiding it again hides nothing.
        let new_release = cell.vintage + 1 == self.earlier_only.len();
        if new_release && cell.reason != Reason::Secondary {
            return match self.bounds_at(false, key) {
                Ok(b) => {
                    let given_away = b
                        .width()
                        .is_some_and(|w| at_most(w, 0.0, cell.value as f64));
                    (!given_away).then(|| Ok(cell.clone()))
                }
                Err(e) => Some(Err(e)),
            };
        }
        let was = match self.bounds_at(true, key) {
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

/// The row's eligible cells, cheapest first (see the module's cost).
fn by_cost(v: &Vintage, row: usize, may: &impl Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut cols: Vec<usize> = (0..v.width())
        .filter(|col| eligible(v, row, *col, may))
        .collect();
    cols.sort_by_key(|col| {
        (
            v.is_total(*col),
            v.firms(row, *col),
            v.value(row, *col),
            *col,
        )
    });
    cols
}

#[cfg(test)]
#[path = "suppression_plan_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "suppression_plan_proptests.rs"]
mod proptests;
