//! The revision history of the published statistics: each month's value of
//! each figure as every release printed it (a revision triangle: months
//! down, releases across), and the same as a tidy CSV. Built from the
//! frozen public tables only, so it shows nothing the releases did not.

use chrono::NaiveDateTime;

use super::publication_table::{FIGURES, Table, neutralise};
use crate::domain::time::to_tokyo;

/// One release as a column of the triangle.
#[derive(Clone, Debug)]
pub struct Column {
    pub id: i64,
    pub title: String,
    pub title_ja: String,
    pub released_at: Option<NaiveDateTime>,
    pub table: Table,
}

/// What a release printed for a figure and month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printed {
    Value(i64),
    /// `x`: suppressed in that release.
    Suppressed,
    /// The month is not in that release.
    Absent,
}

/// The releases, oldest first, and every month any of them covers.
#[derive(Clone, Debug)]
pub struct Triangle {
    pub releases: Vec<Column>,
    pub months: Vec<String>,
}

impl Triangle {
    /// `releases` in any order.
    pub fn new(mut releases: Vec<Column>) -> Triangle {
        releases.sort_by_key(|r| (r.released_at, r.id));
        let mut months: Vec<String> = releases
            .iter()
            .flat_map(|r| r.table.months.iter().cloned())
            .collect();
        months.sort();
        months.dedup();
        Triangle { releases, months }
    }

    /// What release `r` (its index) printed for `figure` in `month`.
    pub fn printed(&self, r: usize, figure: &str, month: &str) -> Printed {
        let Some(table) = self.releases.get(r).map(|c| &c.table) else {
            return Printed::Absent;
        };
        let Some(col) = table.months.iter().position(|m| m == month) else {
            return Printed::Absent;
        };
        let cell = table
            .rows
            .iter()
            .find(|row| row.figure == figure)
            .and_then(|row| row.cells.get(col));
        match cell {
            Some(cell) if cell.reason.is_none() => {
                cell.value.map_or(Printed::Suppressed, Printed::Value)
            }
            Some(_) => Printed::Suppressed,
            None => Printed::Absent,
        }
    }

    /// The change from the last earlier release that printed a value for
    /// the month, when both are values and they differ.
    pub fn change(&self, r: usize, figure: &str, month: &str) -> Option<i64> {
        let Printed::Value(now) = self.printed(r, figure, month) else {
            return None;
        };
        let before = (0..r)
            .rev()
            .find_map(|e| match self.printed(e, figure, month) {
                Printed::Absent => None,
                other => Some(other),
            })?;
        match before {
            Printed::Value(b) if b != now => Some(now - b),
            _ => None,
        }
    }

    /// The tidy CSV: `release_date,period,measure,value`, one line per
    /// release, month and figure, `x` where suppressed; the release date is
    /// its release time in Japan time (RFC 3339), so two releases on one day
    /// stay apart. UTF-8 with BOM and CRLF, like the releases' own files.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}release_date,period,measure,value\r\n");
        for (r, release) in self.releases.iter().enumerate() {
            let date = release
                .released_at
                .map(|at| to_tokyo(at).to_rfc3339())
                .unwrap_or_default();
            for month in &release.table.months {
                for figure in FIGURES {
                    let value = match self.printed(r, figure, month) {
                        Printed::Value(v) => v.to_string(),
                        Printed::Suppressed => "x".to_owned(),
                        Printed::Absent => continue,
                    };
                    let line = [date.as_str(), month, figure, &value].map(neutralise);
                    out.push_str(&line.join(","));
                    out.push_str("\r\n");
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::services::publication_table::{Cell, Row};

    fn table(months: &[&str], sale: &[Option<i64>]) -> Table {
        let cells = |values: &[Option<i64>]| {
            values
                .iter()
                .map(|v| Cell {
                    value: *v,
                    reason: v
                        .is_none()
                        .then_some(crate::domain::disclosure::Reason::Threshold),
                    overridden: false,
                })
                .collect::<Vec<_>>()
        };
        Table {
            months: months.iter().map(|m| (*m).to_owned()).collect(),
            rows: vec![Row {
                figure: "sale_amount_jpy".into(),
                cells: cells(sale),
            }],
        }
    }

    fn column(id: i64, day: u32, t: Table) -> Column {
        Column {
            id,
            title: format!("R{id}"),
            title_ja: format!("R{id}"),
            released_at: chrono::NaiveDate::from_ymd_opt(2025, 6, day)
                .and_then(|d| d.and_hms_opt(0, 0, 0)),
            table: t,
        }
    }

    #[test]
    fn each_month_as_each_release_printed_it_with_the_change() {
        let first = table(&["2025-04", "2025-05"], &[Some(100), None, Some(100)]);
        let second = table(
            &["2025-04", "2025-05", "2025-06"],
            &[Some(130), Some(40), Some(9), Some(179)],
        );
        let t = Triangle::new(vec![column(2, 20, second), column(1, 10, first)]);
        assert_eq!(t.months, ["2025-04", "2025-05", "2025-06"]);
        assert_eq!(t.releases[0].id, 1, "oldest first");
        let sale = "sale_amount_jpy";
        assert_eq!(t.printed(0, sale, "2025-04"), Printed::Value(100));
        assert_eq!(t.printed(0, sale, "2025-05"), Printed::Suppressed);
        assert_eq!(t.printed(0, sale, "2025-06"), Printed::Absent);
        assert_eq!(t.change(1, sale, "2025-04"), Some(30));
        assert_eq!(t.change(1, sale, "2025-05"), None, "was x");
        let csv = t.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "\u{feff}release_date,period,measure,value");
        assert_eq!(
            lines[1],
            "2025-06-10T09:00:00+09:00,2025-04,sale_amount_jpy,100"
        );
        assert_eq!(
            lines[2],
            "2025-06-10T09:00:00+09:00,2025-05,sale_amount_jpy,x"
        );
        assert_eq!(lines.len(), 1 + 2 + 3);
        assert!(csv.contains("\r\n2025-06-20T09:00:00+09:00,2025-06,sale_amount_jpy,9\r\n"));
    }
}
