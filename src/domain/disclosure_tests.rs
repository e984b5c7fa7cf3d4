//! Unit tests for `disclosure`: the threshold and p% rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const RULES: Rules = Rules {
    min_firms: 3,
    p_percent: 10,
};

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
