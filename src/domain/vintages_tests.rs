//! The interval audit on hand-worked tables: the bounds it finds equal the
//! ones worked out by hand below each table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

pub const RULES: Rules = Rules {
    min_firms: 3,
    p_percent: 10,
};

/// The sale-amount row (every other row follows the same firms).
pub const SALE: usize = 3;

/// A filing of `firm` for `month` (version `version`) with this sale
/// amount; one trade and one access, so every row has the same firms.
pub fn filing(firm: i64, month: &str, version: i64, sale: i64) -> Filing {
    Filing {
        firm,
        month: month.to_owned(),
        version,
        values: [1, 1, 1, sale, sale],
    }
}

pub fn months(names: &[&str]) -> Vec<String> {
    names.iter().map(|m| (*m).to_owned()).collect()
}

/// The release of `names` from `filings`, its primary suppressions marked.
pub fn with_primary(names: &[&str], filings: Vec<Filing>) -> Vintage {
    let mut v = Vintage::new(months(names), filings);
    for row in 0..ROWS {
        for col in 0..v.width() {
            v.status[row][col] =
                crate::domain::disclosure::primary(&v.contributions(row, col), RULES);
        }
    }
    v
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn cell(audit: &[CellAudit], vintage: usize, row: usize, col: usize) -> &CellAudit {
    audit
        .iter()
        .find(|c| (c.vintage, c.row, c.col) == (vintage, row, col))
        .expect("the cell is suppressed")
}

/// Jan (no filings), Feb (2 firms: 100 + 50), Mar (4 firms: 100), Apr (6
/// firms: 300); total 550. Feb and Mar hidden: Feb + Mar = 550 − 0 − 300
/// = 250, each at least 0, so each lies in [0, 250].
#[test]
fn one_dimension_months_and_total() {
    let mut filings = vec![filing(1, "02", 1, 100), filing(2, "02", 1, 50)];
    filings.extend((10..14).map(|f| filing(f, "03", 1, 25)));
    filings.extend((20..26).map(|f| filing(f, "04", 1, 50)));
    let mut v = Vintage::new(months(&["01", "02", "03", "04"]), filings);
    assert_eq!((v.value(SALE, 0), v.firms(SALE, 0)), (0, 0));
    assert_eq!(v.value(SALE, 4), 550);
    v.status[SALE][1] = Some(Reason::Threshold);
    v.status[SALE][2] = Some(Reason::Secondary);
    let audit = audit(&[v], RULES).unwrap();
    let feb = cell(&audit, 0, SALE, 1);
    assert!(close(feb.bounds.lower, 0.0) && close(feb.bounds.upper.unwrap(), 250.0));
    assert!(feb.protected());
    let mar = cell(&audit, 0, SALE, 2);
    assert!(close(mar.bounds.lower, 0.0) && close(mar.bounds.upper.unwrap(), 250.0));
}

/// Two rows of one table, each with its own pattern. Sale: Feb (2 firms,
/// 12) and Jan (3 firms, 60) hidden, total 72 published: each in
/// [0, 72]. Count of firms: Feb (2) and Jan (3) hidden, total 3 (A, B, C)
/// published: the total is at least each month's count and at most their
/// sum, so Feb and Jan each lie in [0, 3]; 3 reaches the minimum count,
/// so Feb's count is protected.
#[test]
fn two_dimensions_months_by_figures() {
    let filings = vec![
        filing(1, "01", 1, 10),
        filing(2, "01", 1, 20),
        filing(3, "01", 1, 30),
        filing(1, "02", 1, 5),
        filing(2, "02", 1, 7),
    ];
    let mut v = Vintage::new(months(&["01", "02"]), filings);
    for row in 0..ROWS {
        v.status[row][1] = Some(Reason::Threshold);
        v.status[row][0] = Some(Reason::Secondary);
    }
    assert_eq!(v.value(FIRMS_ROW, 2), 3, "distinct firms");
    let audit = audit(&[v], RULES).unwrap();
    let sale = cell(&audit, 0, SALE, 1);
    assert!(close(sale.bounds.lower, 0.0) && close(sale.bounds.upper.unwrap(), 72.0));
    let firms = cell(&audit, 0, FIRMS_ROW, 1);
    assert!(close(firms.bounds.lower, 0.0) && close(firms.bounds.upper.unwrap(), 3.0));
    assert_eq!(
        firms.required,
        Some(Required {
            lower_at_most: 2.0,
            upper_at_least: 3.0
        })
    );
    assert!(firms.protected());
}

/// Release 1 (Jan: 10 + 20 + 30; Feb: A 5, B 7) hides Feb and Jan and
/// publishes the total 72. Release 2 sees B revise Feb to 9 and D file 4
/// late, and publishes Jan 60, Feb 18 and the total 78. Jan's filings are
/// the same in both, so release 2's Jan gives release 1's Jan (60), and
/// release 1's Feb is then 72 − 60 = 12 exactly.
#[test]
fn two_linked_releases_with_a_revision() {
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
    let mut r1 = Vintage::new(months(&["01", "02"]), first);
    r1.status[SALE][1] = Some(Reason::Threshold);
    r1.status[SALE][0] = Some(Reason::Secondary);
    let r2 = Vintage::new(months(&["01", "02"]), second);
    assert_eq!(r2.value(SALE, 1), 18);
    let both = audit(&[r1.clone(), r2.clone()], RULES).unwrap();
    let feb = cell(&both, 0, SALE, 1);
    assert!(close(feb.bounds.lower, 12.0) && close(feb.bounds.upper.unwrap(), 12.0));
    assert!(!feb.protected());
    // With release 2's Feb and Jan hidden too, only the totals link them:
    // Jan + A + B(v1) = 72 and Jan + A + B(v2) + D = 78, so release 1's
    // Feb (A + B(v1)) lies in [0, 72]; release 2's Feb is 78 − Jan, and
    // Jan is at most 72, so it lies in [6, 78].
    let mut r2 = r2;
    r2.status[SALE][1] = Some(Reason::Secondary);
    r2.status[SALE][0] = Some(Reason::Secondary);
    let both = audit(&[r1, r2], RULES).unwrap();
    let feb1 = cell(&both, 0, SALE, 1);
    assert!(close(feb1.bounds.lower, 0.0) && close(feb1.bounds.upper.unwrap(), 72.0));
    let feb2 = cell(&both, 1, SALE, 1);
    assert!(close(feb2.bounds.lower, 6.0) && close(feb2.bounds.upper.unwrap(), 78.0));
}

#[test]
fn the_protection_level_follows_the_rule() {
    let rules = RULES;
    assert_eq!(required(Reason::Secondary, 50, SALE, rules), None);
    assert_eq!(
        required(Reason::Dominance, 200, SALE, rules),
        Some(Required {
            lower_at_most: 180.0,
            upper_at_least: 220.0
        })
    );
    // A count of one firm: the interval must reach three.
    assert_eq!(
        required(Reason::Threshold, 1, FIRMS_ROW, rules).map(|r| r.upper_at_least),
        Some(3.0)
    );
}
