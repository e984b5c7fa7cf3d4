//! The value axis of a chart: a round step (1, 2 or 5 times a power of
//! ten) and a top at or above the largest value, so a bar's height never
//! divides by zero, never goes below the axis and never leaves the plot;
//! and the tick labels in the page language's units (¥bn / ¥m in English,
//! 億円 / 万円 on the Japanese page, as the FSA writes amounts).

use crate::domain::yen::group_digits;
use crate::i18n::Key;
use crate::i18n::{Lang, Tr};

/// The largest value an axis spans (10^18): a larger value is drawn at the
/// top, while its label and the data table still state it in full.
const CEILING: i64 = 1_000_000_000_000_000_000;

/// `a / b` rounded up, for `0 <= a <= CEILING` and `b >= 1`.
fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub step: i64,
    pub top: i64,
}

impl Scale {
    /// About four steps up to `max` (negatives count as zero).
    pub fn fit(max: i64) -> Scale {
        let max = max.clamp(0, CEILING);
        let raw = ceil_div(max, 4).max(1);
        let mut magnitude = 1_i64;
        while magnitude <= raw / 10 {
            magnitude *= 10;
        }
        let step = [1, 2, 5]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10 * magnitude);
        let top = ceil_div(max, step).max(1) * step;
        Scale { step, top }
    }

    /// 0, step, 2 × step … top.
    pub fn ticks(&self) -> Vec<i64> {
        (0..=self.top / self.step).map(|i| i * self.step).collect()
    }

    /// The share of the axis that `value` fills, in `[0, 1]`.
    pub fn fraction(&self, value: i64) -> f64 {
        value.clamp(0, self.top) as f64 / self.top as f64
    }
}

/// A unit in which an axis of yen is labelled: its size and the catalogue
/// key that writes a number in it.
struct Unit {
    size: i64,
    key: Key,
}

const EN_UNITS: [Unit; 3] = [
    Unit {
        size: 1_000_000_000,
        key: msg!("dashboard.chart_yen_bn"),
    },
    Unit {
        size: 1_000_000,
        key: msg!("dashboard.chart_yen_m"),
    },
    Unit {
        size: 1,
        key: msg!("dashboard.chart_yen"),
    },
];

const JA_UNITS: [Unit; 3] = [
    Unit {
        size: 100_000_000,
        key: msg!("dashboard.chart_yen_oku"),
    },
    Unit {
        size: 10_000,
        key: msg!("dashboard.chart_yen_man"),
    },
    Unit {
        size: 1,
        key: msg!("dashboard.chart_yen"),
    },
];

/// `value / size` with `decimals` digits after the point (exact: no
/// floating point), the whole part digit-grouped.
fn in_unit(value: i64, size: i64, decimals: u32) -> String {
    let whole = group_digits(value / size);
    if decimals == 0 {
        return whole;
    }
    let scale = 10_i64.pow(decimals);
    let fraction = (value % size) / (size / scale);
    format!("{whole}.{fraction:0width$}", width = decimals as usize)
}

/// The tick labels of `scale`, for amounts of yen (`money`) or counts.
pub fn tick_labels(t: &Tr, scale: &Scale, money: bool) -> Vec<String> {
    let ticks = scale.ticks();
    if !money {
        return ticks.into_iter().map(group_digits).collect();
    }
    let units = match t.lang {
        Lang::En => &EN_UNITS,
        Lang::Ja => &JA_UNITS,
    };
    let unit = units
        .iter()
        .find(|u| scale.top >= u.size)
        .unwrap_or(&units[units.len() - 1]);
    // Enough decimals that the step shows (a step is a power of ten times
    // 1, 2 or 5, and a unit is a power of ten).
    let mut decimals = 0;
    while decimals < 18 && (scale.step % (unit.size / 10_i64.pow(decimals)).max(1)) != 0 {
        decimals += 1;
    }
    ticks
        .into_iter()
        .map(|v| {
            if v == 0 {
                "0".to_owned()
            } else {
                t.tf(unit.key, &[("n", &in_unit(v, unit.size, decimals))])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_data_still_has_an_axis_and_flat_bars() {
        let s = Scale::fit(0);
        assert_eq!(s, Scale { step: 1, top: 1 });
        assert_eq!(s.ticks(), [0, 1]);
        assert_eq!(s.fraction(0), 0.0);
    }

    #[test]
    fn the_top_is_a_round_step_at_or_above_the_largest_value() {
        assert_eq!(Scale::fit(1), Scale { step: 1, top: 1 });
        assert_eq!(Scale::fit(3), Scale { step: 1, top: 3 });
        assert_eq!(
            Scale::fit(550),
            Scale {
                step: 200,
                top: 600
            }
        );
        assert_eq!(
            Scale::fit(1_000),
            Scale {
                step: 500,
                top: 1_000
            }
        );
        assert_eq!(
            Scale::fit(5_500_000),
            Scale {
                step: 2_000_000,
                top: 6_000_000
            }
        );
        for max in [1, 7, 10, 99, 101, 12_345, 50_600_000_000, 999_999_999_999] {
            let s = Scale::fit(max);
            assert!(s.top >= max && s.top - max < s.step, "{max}: {s:?}");
            assert!(s.ticks().len() <= 6, "{max}: {s:?}");
            assert_eq!(s.fraction(max), max as f64 / s.top as f64);
        }
    }

    #[test]
    fn one_huge_value_fits_without_overflow() {
        let s = Scale::fit(i64::MAX);
        assert!(s.top >= CEILING && s.top <= 2 * CEILING, "{s:?}");
        assert_eq!(s.fraction(i64::MAX), 1.0);
        assert_eq!(s.fraction(1), 1.0 / s.top as f64);
        let big = Scale::fit(3 * 1_000_000_000_000_000);
        assert_eq!(big.top, 3 * 1_000_000_000_000_000);
        assert_eq!(big.fraction(1_000_000_000_000_000) * 3.0, 1.0);
    }

    #[test]
    fn negative_values_never_go_below_the_axis() {
        assert_eq!(Scale::fit(-5), Scale::fit(0));
        assert_eq!(Scale::fit(100).fraction(-40), 0.0);
    }

    #[test]
    fn amounts_are_labelled_in_the_page_language_units() {
        let en = Tr::new(Lang::En);
        let ja = Tr::new(Lang::Ja);
        let s = Scale::fit(50_600_000_000);
        assert_eq!(tick_labels(&en, &s, true), ["0", "¥20bn", "¥40bn", "¥60bn"]);
        assert_eq!(
            tick_labels(&ja, &s, true),
            ["0", "200億円", "400億円", "600億円"]
        );
        let s = Scale::fit(5_500_000);
        assert_eq!(tick_labels(&en, &s, true), ["0", "¥2m", "¥4m", "¥6m"]);
        assert_eq!(
            tick_labels(&ja, &s, true),
            ["0", "200万円", "400万円", "600万円"]
        );
        let s = Scale::fit(1_200_000_000);
        assert_eq!(
            tick_labels(&en, &s, true),
            ["0", "¥0.5bn", "¥1.0bn", "¥1.5bn"]
        );
        let s = Scale::fit(120_000_000);
        assert_eq!(
            tick_labels(&ja, &s, true),
            ["0", "0.5億円", "1.0億円", "1.5億円"]
        );
        let s = Scale::fit(900);
        assert_eq!(tick_labels(&en, &s, true), ["0", "¥500", "¥1,000"]);
        assert_eq!(
            tick_labels(&en, &Scale::fit(550), false),
            ["0", "200", "400", "600"]
        );
        assert_eq!(
            tick_labels(&en, &Scale::fit(12_000), false),
            ["0", "5,000", "10,000", "15,000"]
        );
    }
}
