//! The dashboard's four charts, drawn on the server as SVG from the same
//! summary rows as the table (never from a scan of returns): sale and
//! purchase amounts by month, unauthorized accesses and fraudulent trades
//! by month, purchases by market and attack vectors over the range. Each
//! is an image with a title and a description for screen readers, and a
//! data table of every value beside it.

pub mod scale;
pub mod svg;

use crate::i18n::Key;
use std::collections::HashMap;

use self::scale::{Scale, tick_labels};
use self::svg::{Drawing, Series};
use crate::db::models::SummaryRow;
use crate::domain::period::Period;
use crate::domain::yen::Yen;
use crate::i18n::Lang;
use crate::services::summary::Breakdown;
use crate::web::view::Chrome;

/// Navy, 11:1 on white.
const FIRST: &str = "#0b3d6e";
/// Dark orange, 4.7:1 on white, and hatched.
const SECOND: &str = "#b35c00";

const MARKETS: [Key; 4] = [
    msg!("trades.market.domestic"),
    msg!("trades.market.china_hk"),
    msg!("trades.market.us"),
    msg!("trades.market.other"),
];

const VECTORS: [Key; 6] = [
    msg!("field.vector_phishing"),
    msg!("field.vector_credential_stuffing"),
    msg!("field.vector_malware"),
    msg!("field.vector_sim_swap"),
    msg!("field.vector_insider"),
    msg!("field.vector_unknown"),
];

/// Every value of a chart as a table: a header row, one row per category,
/// then the total.
pub struct DataTable {
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
    pub total: Vec<String>,
}

pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub drawing: Drawing,
    pub table: DataTable,
    pub note: Option<String>,
}

/// A figure as the table writes it: counts grouped, yen with ¥ and, on the
/// Japanese page, about how many 億円.
fn text(c: &Chrome, value: i64, money: bool) -> String {
    if !money {
        return c.count(&value);
    }
    let oku = (c.t.lang == Lang::Ja)
        .then(|| Yen::new(value).ok())
        .flatten()
        .map(|y| c.t.tf(msg!("dashboard.yen_ja"), &[("n", &y.man_oku())]))
        .unwrap_or_default();
    format!("{}{oku}", c.yen(&value))
}

/// "2025-03 to 2025-04, in all: A: 1; B: 2." for the description.
fn desc(c: &Chrome, periods: &[Period], totals: &[(String, String)]) -> String {
    let from = periods.first().map(ToString::to_string).unwrap_or_default();
    let to = periods.last().map(ToString::to_string).unwrap_or_default();
    let totals = totals
        .iter()
        .map(|(name, value)| {
            c.t.tf(
                msg!("dashboard.chart_item"),
                &[("name", name), ("value", value)],
            )
        })
        .reduce(|list, item| {
            c.t.tf(
                msg!("dashboard.chart_list_more"),
                &[("list", &list), ("item", &item)],
            )
        })
        .unwrap_or_default();
    c.t.tf(
        msg!("dashboard.chart_desc"),
        &[("from", &from), ("to", &to), ("totals", &totals)],
    )
}

/// Two series by month, grouped bars.
fn monthly(
    c: &Chrome,
    id: &'static str,
    title_key: Key,
    periods: &[Period],
    series: [(Key, Vec<i64>); 2],
    money: bool,
) -> Chart {
    let months: Vec<String> = periods.iter().map(ToString::to_string).collect();
    let names: Vec<String> = series.iter().map(|(k, _)| c.t.t(*k).to_owned()).collect();
    let values: Vec<Vec<i64>> = series.into_iter().map(|(_, v)| v).collect();
    let max = values.iter().flatten().copied().max().unwrap_or(0);
    let scale = Scale::fit(max);
    let titles: Vec<Vec<String>> = values
        .iter()
        .zip(&names)
        .map(|(vs, name)| {
            vs.iter()
                .zip(&months)
                .map(|(v, month)| {
                    c.t.tf(
                        msg!("dashboard.chart_bar"),
                        &[
                            ("month", month),
                            ("name", name),
                            ("value", &text(c, *v, money)),
                        ],
                    )
                })
                .collect()
        })
        .collect();
    let totals: Vec<i64> = values
        .iter()
        .map(|vs| vs.iter().fold(0_i64, |a, v| a.saturating_add(*v)))
        .collect();
    let styled = [
        Series {
            name: names[0].clone(),
            colour: FIRST,
            hatched: false,
        },
        Series {
            name: names[1].clone(),
            colour: SECOND,
            hatched: true,
        },
    ];
    let drawing = svg::columns(
        id,
        &months,
        &styled,
        &values,
        &titles,
        &scale,
        &tick_labels(&c.t, &scale, money),
    );
    let table = DataTable {
        head: std::iter::once(c.t.t(msg!("dashboard.month")).to_owned())
            .chain(names.iter().cloned())
            .collect(),
        rows: months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let cells = values.iter().map(|vs| text(c, vs[i], money)).collect();
                (m.clone(), cells)
            })
            .collect(),
        total: totals.iter().map(|v| text(c, *v, money)).collect(),
    };
    let desc = desc(
        c,
        periods,
        &names
            .iter()
            .cloned()
            .zip(totals.iter().map(|v| text(c, *v, money)))
            .collect::<Vec<_>>(),
    );
    Chart {
        id,
        title: c.t.t(title_key).to_owned(),
        desc,
        drawing,
        table,
        note: None,
    }
}

/// Range totals by category, one horizontal bar each.
fn breakdown(
    c: &Chrome,
    id: &'static str,
    keys: (Key, Key, Key),
    periods: &[Period],
    categories: &[Key],
    values: &[i64],
    money: bool,
) -> Chart {
    let (title_key, category_key, value_key) = keys;
    let names: Vec<String> = categories.iter().map(|k| c.t.t(*k).to_owned()).collect();
    let scale = Scale::fit(values.iter().copied().max().unwrap_or(0));
    let shown: Vec<String> = values.iter().map(|v| text(c, *v, money)).collect();
    let direct: Vec<String> = values
        .iter()
        .map(|v| if money { c.yen(v) } else { c.count(v) })
        .collect();
    let titles: Vec<String> = names
        .iter()
        .zip(&shown)
        .map(|(name, value)| {
            c.t.tf(
                msg!("dashboard.chart_item"),
                &[("name", name), ("value", value)],
            )
        })
        .collect();
    let drawing = svg::rows(
        &names,
        values,
        &direct,
        &titles,
        FIRST,
        &scale,
        &tick_labels(&c.t, &scale, money),
    );
    let total = values.iter().fold(0_i64, |a, v| a.saturating_add(*v));
    Chart {
        id,
        title: c.t.t(title_key).to_owned(),
        desc: desc(
            c,
            periods,
            &names
                .iter()
                .cloned()
                .zip(shown.iter().cloned())
                .collect::<Vec<_>>(),
        ),
        drawing,
        table: DataTable {
            head: vec![c.t.t(category_key).to_owned(), c.t.t(value_key).to_owned()],
            rows: names
                .into_iter()
                .zip(shown.into_iter().map(|s| vec![s]))
                .collect(),
            total: vec![text(c, total, money)],
        },
        note: Some(c.t.t(msg!("dashboard.chart_breakdown_note")).to_owned()),
    }
}

/// The four charts for `periods`, from the summary `rows` (months without
/// a row count as zero).
pub fn build(c: &Chrome, periods: &[Period], rows: &[SummaryRow]) -> Vec<Chart> {
    let by_period: HashMap<&str, &SummaryRow> =
        rows.iter().map(|r| (r.period.as_str(), r)).collect();
    let shown: Vec<Option<&SummaryRow>> = periods
        .iter()
        .map(|p| by_period.get(p.to_string().as_str()).copied())
        .collect();
    let pick =
        |f: fn(&SummaryRow) -> i64| -> Vec<i64> { shown.iter().map(|r| r.map_or(0, f)).collect() };
    let mut markets = [0_i64; 4];
    let mut vectors = [0_i64; 6];
    for row in shown.iter().flatten() {
        let b = Breakdown::from(*row);
        for (sum, v) in markets.iter_mut().zip(b.purchase_by_market) {
            *sum = sum.saturating_add(v);
        }
        for (sum, v) in vectors.iter_mut().zip(b.vectors) {
            *sum = sum.saturating_add(v);
        }
    }
    vec![
        monthly(
            c,
            "chart-amounts",
            msg!("dashboard.chart_amounts"),
            periods,
            [
                (msg!("table.sale_amount"), pick(|r| r.sale_amount_jpy)),
                (
                    msg!("table.purchase_amount"),
                    pick(|r| r.purchase_amount_jpy),
                ),
            ],
            true,
        ),
        monthly(
            c,
            "chart-cases",
            msg!("dashboard.chart_cases"),
            periods,
            [
                (
                    msg!("table.unauthorized_accesses"),
                    pick(|r| r.unauthorized_accesses),
                ),
                (
                    msg!("table.fraudulent_trades"),
                    pick(|r| r.fraudulent_trades),
                ),
            ],
            false,
        ),
        breakdown(
            c,
            "chart-markets",
            (
                msg!("dashboard.chart_markets"),
                msg!("trades.col.market"),
                msg!("table.purchase_amount"),
            ),
            periods,
            &MARKETS,
            &markets,
            true,
        ),
        breakdown(
            c,
            "chart-vectors",
            (
                msg!("dashboard.chart_vectors"),
                msg!("dashboard.chart_vector"),
                msg!("dashboard.chart_cases_count"),
            ),
            periods,
            &VECTORS,
            &vectors,
            false,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn colours_meet_aa_contrast_on_the_page() {
        // Bars are graphical objects (3:1); text is text (4.5:1).
        assert!(contrast(FIRST, "#ffffff") >= 3.0);
        assert!(contrast(SECOND, "#ffffff") >= 3.0);
        assert!(contrast(svg::INK, "#ffffff") >= 4.5);
        // The hatch's white stripes leave the bar's outline in its colour.
        assert!(contrast(FIRST, SECOND) > 1.5);
    }
}
