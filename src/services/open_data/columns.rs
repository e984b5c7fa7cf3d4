//! The data dictionary: the CSV files' columns in order, each with its
//! header in both files, label, unit and definition. The headers are the
//! ones the CSV files are written with (`publication_table::csv_header`),
//! so the JSON and the CSV on the Web metadata cannot drift from them.

use crate::i18n::{Key, Lang, Tr};
use crate::services::publication_table::csv_header;

use super::Both;

/// What a column's values count or measure.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    /// `count`, or the ISO 4217 code of a currency (`JPY`).
    pub code: &'static str,
    pub name: Key,
}

/// One column of the CSV files.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The English CSV's header, the column's key everywhere.
    pub name: &'static str,
    /// The Japanese CSV's header.
    pub header_ja: &'static str,
    pub label: Key,
    pub definition: Key,
    /// `None` for the period, which is not a quantity.
    pub unit: Option<Unit>,
}

impl Column {
    /// The month (or total) column; the others are figures.
    pub fn is_period(&self) -> bool {
        self.unit.is_none()
    }

    /// The column's header in the CSV of the language asked.
    pub fn header(&self, japanese: bool) -> &'static str {
        if japanese { self.header_ja } else { self.name }
    }
}

const COUNT: Unit = Unit {
    code: "count",
    name: msg!("open_data.unit.count"),
};
/// The ISO 4217 code of the yen.
pub const JPY_CODE: &str = "JPY";
const JPY: Unit = Unit {
    code: JPY_CODE,
    name: msg!("open_data.unit.jpy"),
};

/// Label, definition and unit of each column, in the CSV files' order.
const DESCRIBED: [(Key, Key, Option<Unit>); 6] = [
    (msg!("statistics.month"), msg!("open_data.col.period"), None),
    (
        msg!("statistics.row_firms"),
        msg!("open_data.col.firms"),
        Some(Unit {
            code: "count",
            name: msg!("open_data.unit.firms"),
        }),
    ),
    (
        msg!("statistics.row_accesses"),
        msg!("open_data.col.accesses"),
        Some(COUNT),
    ),
    (
        msg!("statistics.row_trades"),
        msg!("open_data.col.trades"),
        Some(COUNT),
    ),
    (
        msg!("statistics.row_sale"),
        msg!("open_data.col.sale"),
        Some(JPY),
    ),
    (
        msg!("statistics.row_purchase"),
        msg!("open_data.col.purchase"),
        Some(JPY),
    ),
];

/// The CSV files' columns, in order: the period, then the figures.
pub fn columns() -> [Column; 6] {
    let (en, ja) = (csv_header(false), csv_header(true));
    std::array::from_fn(|i| {
        let (label, definition, unit) = DESCRIBED[i];
        Column {
            name: en[i],
            header_ja: ja[i],
            label,
            definition,
            unit,
        }
    })
}

/// A message in both languages.
pub fn both(key: Key) -> Both<&'static str> {
    Both {
        en: Tr::new(Lang::En).t(key),
        ja: Tr::new(Lang::Ja).t(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::publication_table::FIGURES;

    #[test]
    fn the_columns_are_the_period_then_the_figures() {
        let names: Vec<&str> = columns().iter().map(|c| c.name).collect();
        assert_eq!(names[0], "period");
        assert_eq!(names[1..], FIGURES);
        assert!(columns()[0].is_period());
        assert!(columns()[1..].iter().all(|c| !c.is_period()));
        let units: Vec<&str> = columns()[1..]
            .iter()
            .filter_map(|c| c.unit.map(|u| u.code))
            .collect();
        assert_eq!(units, ["count", "count", "count", "JPY", "JPY"]);
    }
}
