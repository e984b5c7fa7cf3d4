//! For random firm-month contributions and a random second release (late
//! filers, revisions), after each release is planned and published, no
//! suppressed cell of either release is determined or narrower than its
//! protection by both releases together. Checked by a linear programme
//! built here independently of the audit's: one unknown per firm, month
//! and version (not the audit's atoms), solved by `microlp` directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use proptest::prelude::*;

use super::*;
use crate::domain::vintages::tests::RULES;
use crate::domain::vintages::{FIRMS_ROW, Filing, required};

const MONTHS: [&str; 3] = ["01", "02", "03"];

/// One firm-month as the strategy makes it: its figures in the first
/// release (absent: filed late or never), and what happens by the second.
#[derive(Clone, Debug)]
struct Made {
    first: Option<[i64; 4]>,
    second: Second,
}

#[derive(Clone, Debug)]
enum Second {
    Same,
    Revised([i64; 4]),
    Absent,
}

fn figures() -> impl Strategy<Value = [i64; 4]> {
    // Accesses, trades, sale, purchase: small, often zero.
    [0..4_i64, 0..3_i64, 0..9_i64, 0..9_i64]
}

fn made() -> impl Strategy<Value = Made> {
    (
        prop::option::weighted(0.7, figures()),
        prop_oneof![
            3 => Just(Second::Same),
            1 => figures().prop_map(Second::Revised),
            1 => Just(Second::Absent),
        ],
    )
        .prop_map(|(first, second)| Made { first, second })
}

fn filing(firm: i64, month: &str, version: i64, f: [i64; 4]) -> Filing {
    Filing {
        firm,
        month: month.to_owned(),
        version,
        values: [i64::from(f[1] > 0), f[0], f[1], f[2], f[3]],
    }
}

/// The two releases' filings from the strategy's firm-months.
fn filings(made: &[Vec<Made>]) -> (Vec<Filing>, Vec<Filing>) {
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (firm, months) in made.iter().enumerate() {
        let firm = firm as i64;
        for (m, made) in months.iter().enumerate() {
            let month = MONTHS[m];
            if let Some(f) = made.first {
                first.push(filing(firm, month, 1, f));
            }
            match (&made.second, made.first) {
                (Second::Same, Some(f)) => second.push(filing(firm, month, 1, f)),
                (Second::Revised(f), _) => second.push(filing(firm, month, 2, *f)),
                _ => {}
            }
        }
    }
    (first, second)
}

fn with_primary(filings: Vec<Filing>) -> Vintage {
    crate::domain::vintages::tests::with_primary(&MONTHS, filings)
}

/// The least and largest value of `cell` (release, row, column) that the
/// published cells of `releases` allow, one unknown per firm-month-version.
fn independent_bounds(releases: &[Vintage], target: (usize, usize, usize)) -> (f64, Option<f64>) {
    let (release, row, col) = target;
    let mut unknowns: Vec<(i64, String, i64)> = Vec::new();
    for r in releases {
        for f in &r.filings {
            let key = (f.firm, f.month.clone(), f.version);
            if !unknowns.contains(&key) {
                unknowns.push(key);
            }
        }
    }
    // The unknowns of one month cell of one release.
    let month_cell = |r: &Vintage, month: &str| -> Vec<usize> {
        r.filings
            .iter()
            .filter(|f| f.month == month)
            .filter_map(|f| {
                unknowns
                    .iter()
                    .position(|u| (u.0, u.1.as_str(), u.2) == (f.firm, month, f.version))
            })
            .collect()
    };
    let solve = |direction| {
        let mut p = Problem::new(direction);
        // The firm-months, then one count of distinct firms per release.
        let objective_of = |u: usize| {
            let r = &releases[release];
            match r.months.get(col) {
                Some(m) if month_cell(r, m).contains(&u) => 1.0,
                None if row != FIRMS_ROW
                    && r.filings.iter().any(|f| {
                        unknowns.get(u) == Some(&(f.firm, f.month.clone(), f.version))
                    }) =>
                {
                    1.0
                }
                _ => 0.0,
            }
        };
        let vars: Vec<_> = (0..unknowns.len())
            .map(|u| p.add_var(objective_of(u), (0.0, f64::INFINITY)))
            .collect();
        let distinct: Vec<_> = (0..releases.len())
            .map(|r| {
                let c = if row == FIRMS_ROW && r == release && col == releases[r].months.len() {
                    1.0
                } else {
                    0.0
                };
                p.add_var(c, (0.0, f64::INFINITY))
            })
            .collect();
        for (ri, r) in releases.iter().enumerate() {
            let months: Vec<Vec<usize>> = r.months.iter().map(|m| month_cell(r, m)).collect();
            for (c, cell) in months.iter().enumerate() {
                let terms: Vec<_> = cell.iter().map(|u| (vars[*u], 1.0)).collect();
                if r.status[row][c].is_none() {
                    p.add_constraint(terms.clone(), ComparisonOp::Eq, r.value(row, c) as f64);
                }
                if row == FIRMS_ROW {
                    let mut at_most = terms;
                    at_most.push((distinct[ri], -1.0));
                    p.add_constraint(at_most, ComparisonOp::Le, 0.0);
                }
            }
            let all: Vec<_> = months.iter().flatten().map(|u| (vars[*u], 1.0)).collect();
            let total_col = r.months.len();
            if row == FIRMS_ROW {
                let mut at_least = all;
                at_least.push((distinct[ri], -1.0));
                p.add_constraint(at_least, ComparisonOp::Ge, 0.0);
                if r.status[row][total_col].is_none() {
                    p.add_constraint(
                        [(distinct[ri], 1.0)],
                        ComparisonOp::Eq,
                        r.value(row, total_col) as f64,
                    );
                }
            } else if r.status[row][total_col].is_none() {
                p.add_constraint(all, ComparisonOp::Eq, r.value(row, total_col) as f64);
            }
        }
        match p.solve() {
            Ok(outcome) => Some(outcome.into_solution().expect("solved").objective()),
            Err(microlp::Error::Unbounded) => None,
            Err(e) => panic!("the independent programme failed: {e}"),
        }
    };
    let lower = solve(OptimizationDirection::Minimize).unwrap_or(0.0);
    (lower, solve(OptimizationDirection::Maximize))
}

/// Whether the releases before `target`'s already give its value away
/// exactly: its bounds when its own release publishes nothing.
fn given_away_before(releases: &[Vintage], target: (usize, usize, usize), slack: f64) -> bool {
    let (release, _, _) = target;
    if release == 0 {
        return false;
    }
    let mut before = releases[..=release].to_vec();
    if let Some(own) = before.last_mut() {
        for row in own.status.iter_mut() {
            for cell in row.iter_mut() {
                *cell = Some(Reason::Secondary);
            }
        }
    }
    let (lower, upper) = independent_bounds(&before, target);
    upper.is_some_and(|upper| upper - lower <= slack)
}

/// Every suppressed cell of the published `releases` is protected, by the
/// independent programme; except a cell whose value the earlier releases
/// already give away exactly (the plan reports it: hiding it hides
/// nothing, and no new release can take it back).
fn assert_protected(releases: &[Vintage]) -> Result<(), TestCaseError> {
    for (ri, r) in releases.iter().enumerate() {
        for row in 0..ROWS {
            for col in 0..r.width() {
                let Some(reason) = r.status[row][col] else {
                    continue;
                };
                let value = r.value(row, col) as f64;
                let slack = 1e-6 * value.max(1.0);
                if given_away_before(releases, (ri, row, col), slack) {
                    continue;
                }
                let (lower, upper) = independent_bounds(releases, (ri, row, col));
                if let Some(upper) = upper {
                    prop_assert!(
                        upper - lower > slack,
                        "release {ri} row {row} col {col} ({value}) is determined: [{lower}, {upper}]"
                    );
                }
                if let Some(need) = required(reason, r.value(row, col), row, RULES) {
                    prop_assert!(
                        lower <= need.lower_at_most + slack,
                        "release {ri} {row}/{col}: lower {lower} > {need:?}"
                    );
                    prop_assert!(
                        upper.is_none_or(|u| u + slack >= need.upper_at_least),
                        "release {ri} {row}/{col}: upper {upper:?} < {need:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_published_release_leaves_a_suppressed_cell_unprotected(
        made in prop::collection::vec(prop::collection::vec(made(), 3), 1..6),
    ) {
        let (first, second) = filings(&made);
        let none = vec![vec![false; MONTHS.len() + 1]; ROWS];
        let r1 = with_primary(first);
        let p1 = plan(&[], r1.clone(), &none, RULES).unwrap();
        prop_assume!(p1.safe);
        let r1 = Vintage { status: p1.status, ..r1 };
        assert_protected(std::slice::from_ref(&r1))?;
        let r2 = with_primary(second);
        let p2 = plan(std::slice::from_ref(&r1), r2.clone(), &none, RULES).unwrap();
        if p2.safe {
            let r2 = Vintage { status: p2.status, ..r2 };
            assert_protected(&[r1, r2])?;
        }
    }
}
