//! Choosing complements: never an empty cell, the cheapest by the
//! documented cost, the total last; and a release that would narrow an
//! earlier one's hidden cell suppresses more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::vintages::tests::{RULES, SALE, filing, with_primary};
use crate::domain::vintages::{FIRMS_ROW, Filing};

fn none_released() -> Vec<Vec<bool>> {
    vec![vec![false; 8]; ROWS]
}

#[test]
fn an_empty_month_is_never_a_complement() {
    // The first release of the finding: January empty, February two firms.
    let mut filings = vec![filing(1, "02", 1, 100), filing(2, "02", 1, 50)];
    filings.extend((10..14).map(|f| filing(f, "03", 1, 25)));
    filings.extend((20..26).map(|f| filing(f, "04", 1, 50)));
    let v = with_primary(&["01", "02", "03", "04"], filings);
    let planned = plan(&[], v, &none_released(), RULES).unwrap();
    assert!(planned.safe);
    for row in 0..ROWS {
        assert_eq!(planned.status[row][0], None, "January stays 0 in row {row}");
        assert_eq!(planned.status[row][1], Some(Reason::Threshold));
        assert_eq!(
            planned.status[row][2],
            Some(Reason::Secondary),
            "March: 4 firms"
        );
        assert_eq!(planned.status[row][3], None, "April: 6 firms");
        assert_eq!(planned.status[row][4], None, "the total stays");
    }
}

#[test]
fn the_cheapest_complement_has_the_fewest_firms_then_the_smallest_value() {
    let mut filings = vec![filing(1, "01", 1, 100), filing(2, "01", 1, 50)];
    // Feb: 4 firms, 4,000; Mar: 4 firms, 400; Apr: 3 firms, 9,000.
    filings.extend((10..14).map(|f| filing(f, "02", 1, 1_000)));
    filings.extend((20..24).map(|f| filing(f, "03", 1, 100)));
    filings.extend((30..33).map(|f| filing(f, "04", 1, 3_000)));
    let v = with_primary(&["01", "02", "03", "04"], filings);
    let planned = plan(&[], v, &none_released(), RULES).unwrap();
    assert_eq!(
        planned.status[SALE][3],
        Some(Reason::Secondary),
        "April: 3 firms"
    );
    assert_eq!(planned.status[SALE][1], None);
    assert_eq!(planned.status[SALE][2], None);
    // Among equally few firms, the smaller value.
    let mut filings = vec![filing(1, "01", 1, 100), filing(2, "01", 1, 50)];
    filings.extend((10..14).map(|f| filing(f, "02", 1, 1_000)));
    filings.extend((20..24).map(|f| filing(f, "03", 1, 100)));
    let v = with_primary(&["01", "02", "03"], filings);
    let planned = plan(&[], v, &none_released(), RULES).unwrap();
    assert_eq!(
        planned.status[SALE][2],
        Some(Reason::Secondary),
        "March: 400"
    );
    assert_eq!(planned.status[SALE][1], None);
}

#[test]
fn the_total_is_the_last_resort() {
    // February is hidden; January, its only other month with firms, was
    // released by an admin: the total is the complement left.
    let v = with_primary(
        &["01", "02", "03"],
        vec![
            filing(1, "01", 1, 10),
            filing(2, "01", 1, 10),
            filing(3, "01", 1, 10),
            filing(4, "02", 1, 100),
            filing(5, "02", 1, 50),
        ],
    );
    let mut released = none_released();
    released[SALE][0] = true;
    let planned = plan(&[], v, &released, RULES).unwrap();
    assert_eq!(planned.status[SALE][0], None);
    assert_eq!(planned.status[SALE][2], None, "March is empty");
    assert_eq!(planned.status[SALE][3], Some(Reason::Secondary));
    assert!(planned.safe);
}

#[test]
fn a_release_that_would_give_away_an_earlier_cell_suppresses_more() {
    let first = vec![
        filing(1, "01", 1, 10),
        filing(2, "01", 1, 20),
        filing(3, "01", 1, 30),
        filing(1, "02", 1, 5),
        filing(2, "02", 1, 7),
    ];
    let mut second = first.clone();
    second[4] = filing(2, "02", 2, 9);
    second.push(filing(4, "02", 1, 4));
    let r1 = with_primary(&["01", "02"], first);
    let p1 = plan(&[], r1.clone(), &none_released(), RULES).unwrap();
    assert!(p1.safe);
    assert_eq!(
        p1.status[SALE],
        [Some(Reason::Secondary), Some(Reason::Threshold), None]
    );
    let r1 = Vintage {
        status: p1.status,
        ..r1
    };
    // On its own, release 2's February (3 firms, 18) passes both rules.
    let r2 = with_primary(&["01", "02"], second);
    assert_eq!(r2.status[SALE], [None, None, None]);
    let p2 = plan(&[r1], r2, &none_released(), RULES).unwrap();
    assert!(p2.safe);
    assert_eq!(
        p2.status[SALE],
        [Some(Reason::Secondary), Some(Reason::Secondary), None]
    );
    assert!(p2.linked.contains(&Linked {
        vintage: 0,
        row: SALE,
        col: 1,
        suppressed_col: 1
    }));
    assert!(p2.audit.iter().all(CellAudit::protected));
}

#[test]
fn what_an_earlier_release_gave_away_does_not_block_the_next() {
    // Released before the audit: February protected only by an empty
    // January, so its value follows from the total.
    let filings = vec![
        filing(1, "02", 1, 100),
        filing(2, "02", 1, 50),
        filing(3, "03", 1, 10),
        filing(4, "03", 1, 10),
        filing(5, "03", 1, 10),
    ];
    let mut r1 = with_primary(&["01", "02", "03"], filings.clone());
    for row in 0..ROWS {
        r1.status[row][0] = Some(Reason::Secondary);
    }
    let exposed = audit(&[r1.clone()], RULES).unwrap();
    assert!(exposed.iter().any(|c| !c.protected()));
    // The next release holds the same February, already given away: it
    // is reported unprotected, and hiding it hides nothing new.
    let r2 = with_primary(&["01", "02", "03"], filings);
    let p2 = plan(&[r1], r2, &none_released(), RULES).unwrap();
    assert!(p2.safe, "{:?}", p2.audit);
    assert_eq!(
        p2.status[FIRMS_ROW][0], None,
        "January is 0 in the new release"
    );
    assert!(
        p2.audit
            .iter()
            .any(|c| c.vintage == 1 && c.col == 1 && !c.protected())
    );
}

#[test]
fn a_firm_withdrawn_from_a_month_is_audited_across_both_releases() {
    // Release 1 hides February (A 100, B 50) behind March (30, three
    // firms) and publishes the total 180. By release 2, B's return was
    // sent back: February is A's 100 alone, and the total 130.
    let first = vec![
        filing(1, "02", 1, 100),
        filing(2, "02", 1, 50),
        filing(3, "03", 1, 10),
        filing(4, "03", 1, 10),
        filing(5, "03", 1, 10),
    ];
    let r1 = with_primary(&["02", "03"], first.clone());
    let p1 = plan(&[], r1.clone(), &none_released(), RULES).unwrap();
    assert!(p1.safe);
    let r1 = Vintage {
        status: p1.status,
        ..r1
    };
    let second: Vec<Filing> = first.into_iter().filter(|f| f.firm != 2).collect();
    let r2 = with_primary(&["02", "03"], second);
    let p2 = plan(&[r1], r2, &none_released(), RULES).unwrap();
    assert!(p2.safe, "{:?}", p2.audit);
    // The two totals give B = 50 exactly, but not A or March: release 1's
    // February (A + B) lies in [50, 180], release 2's (A) in [0, 130].
    let bounds = |v: usize| {
        p2.audit
            .iter()
            .find(|c| (c.vintage, c.row, c.col) == (v, SALE, 0))
            .map(|c| (c.bounds.lower.round(), c.bounds.upper.map(f64::round)))
    };
    assert_eq!(bounds(0), Some((50.0, Some(180.0))));
    assert_eq!(bounds(1), Some((0.0, Some(130.0))));
}

#[test]
fn a_cell_an_admin_released_is_never_suppressed() {
    let v = with_primary(
        &["01", "02"],
        vec![
            filing(1, "01", 1, 100),
            filing(2, "01", 1, 50),
            filing(3, "02", 1, 10),
            filing(4, "02", 1, 10),
            filing(5, "02", 1, 10),
        ],
    );
    let mut released = none_released();
    released[SALE][1] = true;
    let planned = plan(&[], v, &released, RULES).unwrap();
    assert_eq!(planned.status[SALE][1], None);
    assert_eq!(planned.status[SALE][2], Some(Reason::Secondary));
}
