//! Money and count value types: `Yen` amounts, non-negative `Count`s, their
//! lenient-but-strict parsing of form input, and digit-grouped display.

use crate::i18n::Key;
use std::fmt;

use super::text::fold_full_width;

/// Largest accepted yen amount: 10^15 yen (1,000兆円).
const YEN_MAX: i64 = 1_000_000_000_000_000;
/// Largest accepted count: 10^12.
const COUNT_MAX: i64 = 1_000_000_000_000;
/// Yen per 億 (10^8).
const YEN_PER_OKU: i64 = 100_000_000;
/// Yen per 万 (10^4).
pub const YEN_PER_MAN: i64 = 10_000;
/// 億 per 兆 (10^12 yen).
const OKU_PER_CHO: i64 = 10_000;
/// From here on an amount is written in whole 億 (100億円).
const WHOLE_OKU_FROM: i64 = 100 * YEN_PER_OKU;

/// Why an amount or count could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing was entered.
    #[error("err.required")]
    Empty,
    /// The value is negative (or written with a leading minus sign).
    #[error("err.number.negative")]
    Negative,
    /// Not a whole number in an accepted notation (decimals, letters, bad grouping).
    #[error("err.number.invalid")]
    NotANumber,
    /// Above the accepted maximum (10^15 for yen, 10^12 for counts).
    #[error("err.number.too_large")]
    TooLarge,
}

impl AmountError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            AmountError::Empty => msg!("err.required"),
            AmountError::Negative => msg!("err.number.negative"),
            AmountError::NotANumber => msg!("err.number.invalid"),
            AmountError::TooLarge => msg!("err.number.too_large"),
        }
    }
}

/// A non-negative amount of Japanese yen, at most 10^15.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yen(i64);

impl Yen {
    /// Wraps a raw value; rejects negatives and values above 10^15.
    pub fn new(value: i64) -> Result<Yen, AmountError> {
        check_range(value, YEN_MAX).map(Yen)
    }

    /// Parses form input such as `1,234,567`, `￥１，２３４円` or `¥ 500`.
    pub fn parse(input: &str) -> Result<Yen, AmountError> {
        parse_whole_number(input, true, YEN_MAX).map(Yen)
    }

    /// The amount in yen.
    pub fn value(&self) -> i64 {
        self.0
    }

    /// The amount as a Japanese reader writes it, in 万 / 億 / 兆 with the
    /// unit: under 100億 to the nearest 万 (5,000万円, 1億2,000万円), from
    /// 100億 to the nearest 億 (506億円, 1兆2,000億円), under 1万 in yen.
    /// Rounding is half up, and a rounded amount starts with 約 (約506億円).
    pub fn man_oku(&self) -> String {
        let v = self.0;
        if v < YEN_PER_MAN {
            return format!("{}円", group_digits(v));
        }
        let (step, exact) = if v < WHOLE_OKU_FROM {
            (YEN_PER_MAN, v % YEN_PER_MAN == 0)
        } else {
            (YEN_PER_OKU, v % YEN_PER_OKU == 0)
        };
        let units = (v + step / 2) / step;
        let about = if exact { "" } else { "約" };
        let body = if step == YEN_PER_MAN {
            // `units` is in 万; 10,000万 is 1億.
            join_units(units / 10_000, "億", units % 10_000, "万")
        } else {
            join_units(units / OKU_PER_CHO, "兆", units % OKU_PER_CHO, "億")
        };
        format!("{about}{body}円")
    }
}

/// "1億2,000万", "1億", "5,000万": the larger unit when there is one, the
/// smaller when it is not zero.
fn join_units(big: i64, big_unit: &str, small: i64, small_unit: &str) -> String {
    let mut out = String::new();
    if big > 0 {
        out.push_str(&group_digits(big));
        out.push_str(big_unit);
    }
    if small > 0 || big == 0 {
        out.push_str(&group_digits(small));
        out.push_str(small_unit);
    }
    out
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&group_digits(self.0))
    }
}

/// A non-negative count (accesses, trades, accounts), at most 10^12.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(i64);

impl Count {
    /// Wraps a raw value; rejects negatives and values above 10^12.
    pub fn new(value: i64) -> Result<Count, AmountError> {
        check_range(value, COUNT_MAX).map(Count)
    }

    /// Parses form input such as `1,234` or `１２３４` (no currency symbols).
    pub fn parse(input: &str) -> Result<Count, AmountError> {
        parse_whole_number(input, false, COUNT_MAX).map(Count)
    }

    /// The count.
    pub fn value(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&group_digits(self.0))
    }
}

/// Formats an integer with `,` every three digits; negatives get a leading
/// `-` (used to display deltas): -1234567 → "-1,234,567".
pub fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn check_range(value: i64, max: i64) -> Result<i64, AmountError> {
    if value < 0 {
        Err(AmountError::Negative)
    } else if value > max {
        Err(AmountError::TooLarge)
    } else {
        Ok(value)
    }
}

fn starts_with_minus(s: &str) -> bool {
    s.starts_with(['-', '\u{2212}'])
}

/// Shared parser: full-width folding, trimming, optional `¥`/`￥` prefix and
/// `円` suffix, minus detection, strict 3-digit `,` grouping, range check.
fn parse_whole_number(input: &str, currency: bool, max: i64) -> Result<i64, AmountError> {
    let folded: String = input.chars().map(fold_full_width).collect();
    let mut s = folded.trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    if starts_with_minus(s) {
        return Err(AmountError::Negative);
    }
    if currency {
        if let Some(rest) = s.strip_prefix(['¥', '￥']) {
            s = rest.trim_start();
        }
        if let Some(rest) = s.strip_suffix('円') {
            s = rest.trim_end();
        }
        if starts_with_minus(s) {
            return Err(AmountError::Negative);
        }
    }
    if !well_grouped(s) {
        return Err(AmountError::NotANumber);
    }
    let mut value: i64 = 0;
    for d in s.bytes().filter(u8::is_ascii_digit) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d - b'0')))
            .ok_or(AmountError::TooLarge)?;
    }
    check_range(value, max)
}

/// ASCII digits only, or digit groups separated by `,` where the first group
/// has 1-3 digits and every later group exactly 3.
fn well_grouped(s: &str) -> bool {
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = s.split(',');
    let Some(first) = groups.next() else {
        return false;
    };
    if !all_digits(first) {
        return false;
    }
    let mut grouped = false;
    for g in groups {
        grouped = true;
        if g.len() != 3 || !all_digits(g) {
            return false;
        }
    }
    !grouped || first.len() <= 3
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    #[rustfmt::skip]
    fn parses_plain_grouped_symbol_and_full_width_forms() {
        let cases = [
            ("0", 0), (" 1234567 ", 1_234_567), ("1,234,567", 1_234_567), ("¥1,000", 1000),
            ("￥ 1,000 円", 1000), ("500円", 500), ("007", 7), ("１，２３４，５６７", 1_234_567),
            ("￥１２３円", 123), ("\u{3000}４５\u{3000}", 45),
        ];
        for (s, v) in cases {
            assert_eq!(Yen::parse(s).map(|y| y.value()), Ok(v), "{s:?}");
        }
        assert_eq!(Count::parse("１，０００").unwrap().value(), 1000);
    }

    #[test]
    #[rustfmt::skip]
    fn rejects_with_stable_keys() {
        // Inputs separated by `|`.
        let cases = [
            ("|   |\u{3000}", msg!("err.required")),
            ("-1|-0|¥-5|－５|\u{2212}3", msg!("err.number.negative")),
            ("1.5|1,5|1,0000|1234,567|,123|123,|1,,234|+5|1 000|abc|¥|円5|1e6|５．０", msg!("err.number.invalid")),
            ("1000000000000001|99999999999999999999999999", msg!("err.number.too_large")),
        ];
        for (inputs, expected) in cases {
            for s in inputs.split('|') {
                assert_eq!(Yen::parse(s).unwrap_err().key(), expected, "{s:?}");
            }
        }
    }

    #[test]
    fn limits_are_inclusive() {
        assert_eq!(Yen::parse("1,000,000,000,000,000"), Yen::new(YEN_MAX));
        assert_eq!(Count::parse("1000000000000"), Count::new(COUNT_MAX));
        assert_eq!(Count::parse("1000000000001"), Err(AmountError::TooLarge));
        assert_eq!(Yen::new(YEN_MAX + 1), Err(AmountError::TooLarge));
        assert_eq!(Count::new(-1), Err(AmountError::Negative));
        assert_eq!(Yen::new(-1), Err(AmountError::Negative));
    }

    #[test]
    fn count_rejects_currency_symbols() {
        assert_eq!(Count::parse("¥5"), Err(AmountError::NotANumber));
        assert_eq!(Count::parse("5円"), Err(AmountError::NotANumber));
        assert_eq!(Count::parse("-5"), Err(AmountError::Negative));
    }

    #[test]
    fn display_groups_digits() {
        assert_eq!(Yen::new(1_234_567).unwrap().to_string(), "1,234,567");
        assert_eq!(Yen::new(0).unwrap().to_string(), "0");
        assert_eq!(Count::new(999).unwrap().to_string(), "999");
        assert_eq!(Count::new(1000).unwrap().to_string(), "1,000");
        assert_eq!(group_digits(-1_234_567), "-1,234,567");
        assert_eq!(group_digits(-12), "-12");
        assert_eq!(group_digits(100_000), "100,000");
        assert_eq!(group_digits(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    #[rustfmt::skip]
    fn man_oku_writes_amounts_as_japanese_readers_do() {
        let cases = [
            (0, "0円"), (9_999, "9,999円"), (10_000, "1万円"), (50_000_000, "5,000万円"),
            (49_995_000, "約5,000万円"), (49_994_999, "約4,999万円"), (99_990_000, "9,999万円"),
            (99_995_000, "約1億円"), (100_000_000, "1億円"), (120_000_000, "1億2,000万円"),
            (123_456_789, "約1億2,346万円"), (9_999_990_000, "99億9,999万円"),
            (10_000_000_000, "100億円"), (50_600_000_000, "506億円"),
            (50_649_999_999, "約506億円"), (50_650_000_000, "約507億円"),
            (292_249_000_000, "約2,922億円"), (1_200_000_000_000, "1兆2,000億円"),
            (1_000_000_000_000, "1兆円"), (YEN_MAX, "1,000兆円"),
        ];
        for (v, expected) in cases {
            assert_eq!(Yen::new(v).unwrap().man_oku(), expected, "{v}");
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(v in 0..=YEN_MAX) {
            let y = Yen::new(v).unwrap();
            prop_assert_eq!(Yen::parse(&y.to_string()), Ok(y));
            prop_assert_eq!(Yen::parse(&v.to_string()), Ok(y));
            prop_assert_eq!(Yen::parse(&format!("¥{y}円")), Ok(y));
        }

        #[test]
        fn count_display_round_trips(v in 0..=COUNT_MAX) {
            let c = Count::new(v).unwrap();
            prop_assert_eq!(Count::parse(&c.to_string()), Ok(c));
        }

        #[test]
        fn group_digits_strips_back(n in any::<i64>()) {
            let g = group_digits(n);
            prop_assert_eq!(g.replace(',', "").parse::<i64>().unwrap(), n);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Yen::parse(&s);
            let _ = Count::parse(&s);
        }
    }
}
