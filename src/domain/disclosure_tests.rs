//! Unit and property tests for `disclosure`: threshold and p% rules,
//! secondary suppression and the checker that recomputes suppressed cells.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

const RULES: Rules = Rules {
    min_firms: 3,
    p_percent: 10,
};

/// What an outsider learns: for every relation with exactly one hidden
/// cell, its value recomputed from the published cells.
fn recompute_lone_cells(grid: &Grid) -> Vec<(usize, i64)> {
    let mut found = Vec::new();
    for line in grid.relations() {
        let hidden: Vec<usize> = line
            .iter()
            .copied()
            .filter(|i| grid.suppressed[*i].is_some())
            .collect();
        if let [cell] = hidden[..] {
            let (last, parts) = line.split_last().unwrap();
            let known_parts: i64 = parts
                .iter()
                .filter(|i| **i != cell)
                .map(|i| grid.values[*i])
                .sum();
            let value = if cell == *last {
                known_parts
            } else {
                grid.values[*last] - known_parts
            };
            found.push((cell, value));
        }
    }
    found
}

#[test]
fn two_firms_are_suppressed_by_the_threshold() {
    assert_eq!(primary(&[500, 700], RULES), Some(Reason::Threshold));
    assert_eq!(primary(&[500, 0, 700, 0], RULES), Some(Reason::Threshold));
    assert_eq!(primary(&[1], RULES), Some(Reason::Threshold));
}

#[test]
fn an_empty_cell_is_published() {
    assert_eq!(primary(&[], RULES), None);
    assert_eq!(primary(&[0, 0, 0], RULES), None);
}

#[test]
fn one_dominant_firm_is_suppressed_by_the_p_rule() {
    // 1,000 + 50 + 40: the remainder (40) is under 10% of the largest.
    assert_eq!(primary(&[1_000, 50, 40], RULES), Some(Reason::Dominance));
    // Remainder exactly p%: published.
    assert_eq!(primary(&[1_000, 100, 100], RULES), None);
    assert_eq!(primary(&[300, 300, 300, 300], RULES), None);
    // p is the admin's: a stricter p suppresses more.
    let strict = Rules {
        min_firms: 3,
        p_percent: 50,
    };
    assert_eq!(primary(&[1_000, 300, 300], strict), Some(Reason::Dominance));
}

#[test]
fn a_total_that_would_reveal_a_single_suppressed_cell_gets_a_partner() {
    // One row, three months and their total: 40 is suppressed alone.
    let mut grid = Grid::new(1, 3, true, false, vec![100, 40, 70, 210]).unwrap();
    grid.suppress(1, Reason::Threshold);
    assert_eq!(recompute_lone_cells(&grid), vec![(1, 40)]);
    assert_eq!(determined(&grid), vec![1]);
    grid.protect();
    // The smallest other cell (70) is hidden too.
    assert_eq!(grid.suppressed[2], Some(Reason::Secondary));
    assert!(recompute_lone_cells(&grid).is_empty());
    assert!(determined(&grid).is_empty());
}

#[test]
fn a_bridge_between_two_cycles_is_found_and_protected() {
    // 3 × 4 with totals both ways; hidden cells where every line holds two
    // yet a linked pattern may still pin one down: the checker decides.
    #[rustfmt::skip]
    let values = vec![
        5, 6, 7, 8, 26,
        1, 2, 3, 4, 10,
        9, 9, 9, 9, 36,
        15, 17, 19, 21, 72,
    ];
    let mut grid = Grid::new(3, 4, true, true, values).unwrap();
    for i in [0, 1, 5, 6] {
        grid.suppress(i, Reason::Threshold);
    }
    assert!(determined(&grid).is_empty(), "a 2×2 rectangle is safe");
    // A single extra cell in row 2 alone is determined.
    grid.suppress(12, Reason::Dominance);
    assert_eq!(determined(&grid), vec![12]);
    grid.protect();
    assert!(determined(&grid).is_empty());
    assert!(recompute_lone_cells(&grid).is_empty());
}

#[test]
fn a_released_cell_is_never_suppressed() {
    let mut grid = Grid::new(1, 3, true, false, vec![100, 40, 70, 210]).unwrap();
    grid.released[1] = true;
    grid.suppress(1, Reason::Threshold);
    grid.protect();
    assert!(grid.suppressed.iter().all(Option::is_none));
}

#[test]
fn a_wrong_shape_is_refused() {
    assert!(Grid::new(2, 2, true, true, vec![0; 8]).is_none());
}

fn grid_strategy() -> impl Strategy<Value = (usize, usize, bool, Vec<i64>, Vec<bool>)> {
    (1usize..5, 1usize..7, any::<bool>()).prop_flat_map(|(rows, cols, both)| {
        let cells = rows * cols;
        (
            Just(rows),
            Just(cols),
            Just(both),
            prop::collection::vec(0i64..1_000, cells),
            prop::collection::vec(prop::bool::weighted(0.25), cells),
        )
    })
}

fn build(rows: usize, cols: usize, both: bool, inner: &[i64]) -> Grid {
    let width = cols + 1;
    let height = rows + usize::from(both);
    let mut values = vec![0; width * height];
    for r in 0..rows {
        for c in 0..cols {
            let v = inner[r * cols + c];
            values[r * width + c] += v;
            values[r * width + cols] += v;
            if both {
                values[rows * width + c] += v;
                values[rows * width + cols] += v;
            }
        }
    }
    Grid::new(rows, cols, true, both, values).unwrap()
}

proptest! {
    #[test]
    fn no_suppressed_cell_is_ever_determined((rows, cols, both, inner, hide) in grid_strategy()) {
        let mut grid = build(rows, cols, both, &inner);
        for r in 0..rows {
            for c in 0..cols {
                if hide[r * cols + c] {
                    let i = grid.index(r, c);
                    grid.suppress(i, Reason::Threshold);
                }
            }
        }
        let primaries: Vec<usize> =
            (0..grid.values.len()).filter(|i| grid.suppressed[*i].is_some()).collect();
        grid.protect();
        prop_assert!(determined(&grid).is_empty());
        prop_assert!(recompute_lone_cells(&grid).is_empty());
        for i in primaries {
            prop_assert!(grid.suppressed[i].is_some());
        }
    }

    #[test]
    fn the_p_rule_never_passes_a_cell_with_under_three_firms(
        parts in prop::collection::vec(0i64..10_000, 0..6), p in 0u32..50,
    ) {
        let rules = Rules { min_firms: 3, p_percent: p };
        let firms = parts.iter().filter(|x| **x > 0).count();
        let verdict = primary(&parts, rules);
        if firms == 0 {
            prop_assert_eq!(verdict, None);
        } else if firms < 3 {
            prop_assert_eq!(verdict, Some(Reason::Threshold));
        }
    }
}
