//! Statistical disclosure control for published tables: the primary rules
//! (threshold and p% on per-firm contributions). Which other cells are
//! suppressed to protect them is `suppression_plan`'s, checked by the
//! interval audit (`vintages`, `interval_audit`).

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

#[cfg(test)]
#[path = "disclosure_tests.rs"]
mod tests;
