//! Statistical disclosure control for published tables: primary suppression
//! (threshold and p% rules on per-firm contributions), secondary suppression
//! so that no suppressed cell can be recovered from the published row and
//! column totals, and a checker that proves it by linear algebra.

/// Why a cell is not published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reason {
    /// Fewer than the minimum number of contributing firms.
    Threshold,
    /// One or two firms dominate the cell (p% rule).
    Dominance,
    /// Suppressed to protect another suppressed cell.
    Secondary,
}

/// The confidential parameters of the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Cells with fewer contributing firms than this (but at least one) are
    /// suppressed.
    pub min_firms: usize,
    /// p of the p% rule, in percent.
    pub p_percent: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            min_firms: 3,
            p_percent: 10,
        }
    }
}

/// The primary reason to suppress a cell made of these per-firm
/// contributions (non-positive contributions do not count as contributing).
/// A cell no firm contributes to reveals nothing about any firm.
pub fn primary(contributions: &[i64], rules: Rules) -> Option<Reason> {
    let mut positive: Vec<i64> = contributions.iter().copied().filter(|c| *c > 0).collect();
    if positive.is_empty() {
        return None;
    }
    if positive.len() < rules.min_firms {
        return Some(Reason::Threshold);
    }
    positive.sort_unstable_by(|a, b| b.cmp(a));
    let total: i128 = positive.iter().map(|c| i128::from(*c)).sum();
    let largest = i128::from(positive[0]);
    let second = i128::from(positive[1]);
    // The second-largest contributor can estimate the largest to within the
    // remainder; the remainder must be at least p% of the largest.
    let remainder = total - largest - second;
    if remainder * 100 < largest * i128::from(rules.p_percent) {
        return Some(Reason::Dominance);
    }
    None
}

/// A table of `rows × cols` interior cells, optionally with a total column
/// (one total per row) and a total row (one total per column, plus the grand
/// total when both are present). Positions index the full grid, totals
/// last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub row_totals: bool,
    pub col_totals: bool,
    /// Values of the full grid, row-major, `height() × width()`.
    pub values: Vec<i64>,
    /// Suppression of each position of the full grid.
    pub suppressed: Vec<Option<Reason>>,
    /// Positions an admin released anyway: never suppressed.
    pub released: Vec<bool>,
}

impl Grid {
    /// A grid with the given full-grid values and nothing suppressed.
    /// Returns `None` when the number of values does not fit the shape.
    pub fn new(
        rows: usize,
        cols: usize,
        row_totals: bool,
        col_totals: bool,
        values: Vec<i64>,
    ) -> Option<Grid> {
        let height = rows + usize::from(col_totals);
        let width = cols + usize::from(row_totals);
        if values.len() != height * width {
            return None;
        }
        let n = values.len();
        Some(Grid {
            rows,
            cols,
            row_totals,
            col_totals,
            values,
            suppressed: vec![None; n],
            released: vec![false; n],
        })
    }

    pub fn height(&self) -> usize {
        self.rows + usize::from(self.col_totals)
    }

    pub fn width(&self) -> usize {
        self.cols + usize::from(self.row_totals)
    }

    pub fn index(&self, row: usize, col: usize) -> usize {
        row * self.width() + col
    }

    /// The additive relations the published table carries: each is a list of
    /// positions whose values sum to the value at the last position.
    pub fn relations(&self) -> Vec<Vec<usize>> {
        let mut lines = Vec::new();
        if self.row_totals {
            for r in 0..self.height() {
                lines.push((0..self.width()).map(|c| self.index(r, c)).collect());
            }
        }
        if self.col_totals {
            for c in 0..self.width() {
                lines.push((0..self.height()).map(|r| self.index(r, c)).collect());
            }
        }
        lines
    }

    /// Marks a primary suppression (ignored for released positions).
    pub fn suppress(&mut self, index: usize, reason: Reason) {
        if let (Some(slot), Some(false)) =
            (self.suppressed.get_mut(index), self.released.get(index))
        {
            *slot = Some(reason);
        }
    }

    /// Adds secondary suppressions until no suppressed cell is determined by
    /// the published cells: first every relation with a lone suppressed cell
    /// gets its smallest published cell suppressed too, then any cell the
    /// checker still finds determined gets a partner in one of its relations.
    pub fn protect(&mut self) {
        let relations = self.relations();
        loop {
            let mut changed = false;
            for line in &relations {
                let hidden = line
                    .iter()
                    .filter(|i| self.suppressed[**i].is_some())
                    .count();
                if hidden == 1 && self.suppress_smallest(line) {
                    changed = true;
                }
            }
            if changed {
                continue;
            }
            let Some(cell) = determined(self).first().copied() else {
                return;
            };
            let grown = relations
                .iter()
                .filter(|line| line.contains(&cell))
                .any(|line| self.suppress_smallest(line));
            if !grown {
                // Nothing left to suppress beside it (released cells only):
                // the admin's release decides.
                return;
            }
        }
    }

    fn suppress_smallest(&mut self, line: &[usize]) -> bool {
        let pick = line
            .iter()
            .copied()
            .filter(|i| self.suppressed[*i].is_none() && !self.released[*i])
            .min_by_key(|i| (self.values[*i].unsigned_abs(), *i));
        match pick {
            Some(i) => {
                self.suppressed[i] = Some(Reason::Secondary);
                true
            }
            None => false,
        }
    }
}

/// Suppressed positions whose value follows from the published values and
/// the table's relations (exact linear algebra over the rationals).
pub fn determined(grid: &Grid) -> Vec<usize> {
    let unknowns: Vec<usize> = (0..grid.values.len())
        .filter(|i| grid.suppressed[*i].is_some())
        .collect();
    if unknowns.is_empty() {
        return Vec::new();
    }
    // One equation per relation, in the unknowns only (the published values
    // are constants and do not matter to whether a value is determined).
    let equations: Vec<Vec<i128>> = grid
        .relations()
        .iter()
        .filter_map(|line| line.split_last())
        .map(|(last, parts)| {
            unknowns
                .iter()
                .map(|u| {
                    if u == last {
                        -1
                    } else if parts.contains(u) {
                        1
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    let base = rank(equations.clone());
    (0..unknowns.len())
        .filter(|k| {
            // x_k is determined iff the unit vector e_k is in the row space.
            let mut with = equations.clone();
            with.push((0..unknowns.len()).map(|j| i128::from(j == *k)).collect());
            rank(with) == base
        })
        .map(|k| unknowns[k])
        .collect()
}

/// Rank by fraction-free elimination (entries stay small: the relations are
/// 0/±1 and rows are reduced by their gcd).
fn rank(mut m: Vec<Vec<i128>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for col in 0..cols {
        let Some(pivot) = (rank..m.len()).find(|r| m[*r][col] != 0) else {
            continue;
        };
        m.swap(rank, pivot);
        let p = m[rank].clone();
        for row in m.iter_mut().skip(rank + 1) {
            let f = row[col];
            if f == 0 {
                continue;
            }
            for (x, y) in row.iter_mut().zip(&p) {
                *x = *x * p[col] - *y * f;
            }
            let g = row.iter().fold(0, |g, x| gcd(g, x.abs()));
            if g > 1 {
                row.iter_mut().for_each(|x| *x /= g);
            }
        }
        rank += 1;
    }
    rank
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
#[path = "disclosure_tests.rs"]
mod tests;
