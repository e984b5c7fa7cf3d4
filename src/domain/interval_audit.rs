//! What an attacker can learn about a suppressed cell: the tightest bounds
//! on its value given everything published, found by linear programming.
//!
//! The unknowns are non-negative (every figure is a count or an amount).
//! What is published says that some sums of unknowns equal known values,
//! and (for the count of firms) that some sums are no larger than others.
//! A suppressed cell is a sum of unknowns; its lower bound is the least
//! value that sum can take under all of that, its upper bound the largest
//! (or none, when nothing bounds it). Two linear programmes per cell,
//! solved by `microlp` (a simplex method in floating point: the bounds are
//! read to a tolerance, see `TOLERANCE`).

use microlp::{ComparisonOp, OptimizationDirection, Problem};

/// A sum of unknowns, each with its coefficient.
pub type Expr = Vec<(usize, f64)>;

/// How far a bound may sit from the exact one: the solver works in
/// floating point, so bounds are compared with this much slack relative
/// to the value (and at least this much absolutely).
pub const TOLERANCE: f64 = 1e-6;

/// What is known, as linear relations over non-negative unknowns.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    unknowns: usize,
    equal: Vec<(Expr, f64)>,
    /// Each holds `lhs − rhs ≤ 0`.
    at_most: Vec<Expr>,
}

/// The bounds an attacker gets on one sum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub lower: f64,
    /// `None`: nothing published bounds it from above.
    pub upper: Option<f64>,
}

impl Bounds {
    /// How wide the interval is (`None` when unbounded).
    pub fn width(&self) -> Option<f64> {
        self.upper.map(|u| u - self.lower)
    }
}

/// Why bounds could not be found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// What is published contradicts itself: a bug in building the
    /// relations, never a property of real data.
    #[error("the published relations have no solution")]
    Infeasible,
    /// The solver failed (it is known to give up on some hard problems).
    #[error("the linear programme could not be solved: {0}")]
    Solver(String),
}

impl Knowledge {
    /// A new unknown (non-negative), by index.
    pub fn unknown(&mut self) -> usize {
        self.unknowns += 1;
        self.unknowns - 1
    }

    pub fn unknowns(&self) -> usize {
        self.unknowns
    }

    /// `expr` is published as `value` (a sum of nothing says nothing).
    pub fn known(&mut self, expr: Expr, value: f64) {
        if !expr.is_empty() || value != 0.0 {
            self.equal.push((expr, value));
        }
    }

    /// `lhs ≤ rhs` is known.
    pub fn no_more_than(&mut self, lhs: &Expr, rhs: &Expr) {
        let mut diff = lhs.clone();
        diff.extend(rhs.iter().map(|(u, c)| (*u, -c)));
        self.at_most.push(diff);
    }

    /// The least and the largest value `expr` can take.
    pub fn bounds(&self, expr: &Expr) -> Result<Bounds, AuditError> {
        let lower = self.optimise(expr, OptimizationDirection::Minimize)?;
        let upper = self.optimise(expr, OptimizationDirection::Maximize)?;
        Ok(Bounds {
            lower: lower.unwrap_or(0.0).max(0.0),
            upper,
        })
    }

    /// The optimum of `expr` in `direction`; `None` when unbounded.
    fn optimise(
        &self,
        expr: &Expr,
        direction: OptimizationDirection,
    ) -> Result<Option<f64>, AuditError> {
        // In units of the largest published value, so the solver works
        // with numbers near 1 whatever the amounts (yen run to 10^15).
        let scale = self
            .equal
            .iter()
            .map(|(_, v)| v.abs())
            .fold(1.0_f64, f64::max);
        let mut objective = vec![0.0; self.unknowns];
        for (u, c) in expr {
            if let Some(slot) = objective.get_mut(*u) {
                *slot += c;
            }
        }
        let build = || {
            let mut problem = Problem::new(direction);
            let vars: Vec<_> = objective
                .iter()
                .map(|c| problem.add_var(*c, (0.0, f64::INFINITY)))
                .collect();
            let terms = |e: &Expr| -> Vec<_> {
                e.iter()
                    .filter_map(|(u, c)| vars.get(*u).map(|v| (*v, *c)))
                    .collect()
            };
            for (e, value) in &self.equal {
                problem.add_constraint(terms(e), ComparisonOp::Eq, value / scale);
            }
            for e in &self.at_most {
                problem.add_constraint(terms(e), ComparisonOp::Le, 0.0);
            }
            problem.solve().map(|outcome| {
                outcome
                    .into_solution()
                    .map(|s| s.objective() * scale)
                    .map_err(|interrupted| format!("{interrupted:?}"))
            })
        };
        // The solver may panic on a problem it cannot handle: that is a
        // failed audit (the release is refused), not a crashed server.
        match std::panic::catch_unwind(build) {
            Ok(Ok(Ok(value))) => Ok(Some(value)),
            Ok(Ok(Err(interrupted))) => Err(AuditError::Solver(interrupted)),
            Ok(Err(microlp::Error::Unbounded)) => Ok(None),
            Ok(Err(microlp::Error::Infeasible)) => Err(AuditError::Infeasible),
            Ok(Err(other)) => Err(AuditError::Solver(other.to_string())),
            Err(_) => Err(AuditError::Solver("the solver gave up".into())),
        }
    }
}

/// Whether `a ≤ b` within the solver's tolerance at the scale of `scale`.
pub fn at_most(a: f64, b: f64, scale: f64) -> bool {
    a <= b + TOLERANCE * scale.abs().max(1.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sum(unknowns: &[usize]) -> Expr {
        unknowns.iter().map(|u| (*u, 1.0)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn a_cell_beside_one_other_hidden_cell_lies_between_zero_and_their_sum() {
        // a + b + c = 100 with c = 30 published: a and b hidden.
        let mut k = Knowledge::default();
        let (a, b, c) = (k.unknown(), k.unknown(), k.unknown());
        k.known(sum(&[a, b, c]), 100.0);
        k.known(sum(&[c]), 30.0);
        let bounds = k.bounds(&sum(&[a])).unwrap();
        assert!(close(bounds.lower, 0.0));
        assert!(close(bounds.upper.unwrap(), 70.0));
    }

    #[test]
    fn a_lone_hidden_cell_is_determined() {
        let mut k = Knowledge::default();
        let (a, b) = (k.unknown(), k.unknown());
        k.known(sum(&[a, b]), 50.0);
        k.known(sum(&[b]), 20.0);
        let bounds = k.bounds(&sum(&[a])).unwrap();
        assert!(close(bounds.lower, 30.0) && close(bounds.upper.unwrap(), 30.0));
        assert!(close(bounds.width().unwrap(), 0.0));
    }

    #[test]
    fn nothing_published_above_leaves_it_unbounded() {
        let mut k = Knowledge::default();
        let (a, b) = (k.unknown(), k.unknown());
        k.known(sum(&[b]), 20.0);
        let bounds = k.bounds(&sum(&[a])).unwrap();
        assert_eq!(bounds.upper, None);
        assert!(close(bounds.lower, 0.0));
    }

    #[test]
    fn an_inequality_bounds_from_above() {
        // t ≥ a, t = 4 published: a ∈ [0, 4].
        let mut k = Knowledge::default();
        let (a, t) = (k.unknown(), k.unknown());
        k.no_more_than(&sum(&[a]), &sum(&[t]));
        k.known(sum(&[t]), 4.0);
        let bounds = k.bounds(&sum(&[a])).unwrap();
        assert!(close(bounds.upper.unwrap(), 4.0));
    }

    #[test]
    fn contradictions_are_reported_not_solved() {
        let mut k = Knowledge::default();
        let a = k.unknown();
        k.known(sum(&[a]), -5.0);
        assert_eq!(k.bounds(&sum(&[a])), Err(AuditError::Infeasible));
    }
}
