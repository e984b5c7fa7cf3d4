//! Submission receipt numbers `R-{YYYYMM}-{firm:05}-V{version:02}-{6 Crockford
//! base32}`: generation from a caller-supplied RNG and strict parsing.

use crate::i18n::Key;
use std::fmt;

use super::period::Period;

/// Crockford base32 alphabet (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_LEN: usize = 6;

/// Why a receipt number could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Nothing was entered.
    #[error("err.required")]
    Empty,
    /// Not a well-formed receipt number.
    #[error("err.receipt.invalid")]
    Invalid,
}

impl ReceiptError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            ReceiptError::Empty => msg!("err.required"),
            ReceiptError::Invalid => msg!("err.receipt.invalid"),
        }
    }
}

/// A receipt number such as `R-202504-00012-V02-7QX4KZ`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiptNumber(String);

impl ReceiptNumber {
    /// A new receipt number with a 30-bit random suffix. Negative `firm_id`
    /// or `version` are clamped to 0; wider values simply use more digits.
    pub fn generate(period: Period, firm_id: i64, version: i32, rng: &mut impl rand::Rng) -> Self {
        let bits = rng.next_u32();
        let suffix: String = (0..RANDOM_LEN)
            .map(|i| char::from(CROCKFORD[((bits >> (27 - 5 * i)) & 31) as usize]))
            .collect();
        ReceiptNumber(format!(
            "R-{:04}{:02}-{:05}-V{:02}-{suffix}",
            period.year(),
            period.month(),
            firm_id.max(0),
            version.max(0),
        ))
    }

    /// Parses a receipt number typed or pasted by a user: trims, upper-cases
    /// and applies Crockford's decoding aliases in the random part
    /// (O → 0, I/L → 1). Period, firm and version must be canonical.
    pub fn parse(input: &str) -> Result<ReceiptNumber, ReceiptError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(ReceiptError::Empty);
        }
        let parts: Vec<&str> = s.split('-').collect();
        let [tag, yyyymm, firm, version, random] = parts.as_slice() else {
            return Err(ReceiptError::Invalid);
        };
        let suffix = canonical_suffix(random).ok_or(ReceiptError::Invalid)?;
        let ok = *tag == "R"
            && valid_period(yyyymm)
            && canonical_number::<i64>(firm, 5)
            && version
                .strip_prefix('V')
                .is_some_and(|v| canonical_number::<i32>(v, 2));
        if !ok {
            return Err(ReceiptError::Invalid);
        }
        Ok(ReceiptNumber(format!(
            "R-{yyyymm}-{firm}-{version}-{suffix}"
        )))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_period(yyyymm: &str) -> bool {
    yyyymm.len() == 6
        && yyyymm.is_char_boundary(4)
        && Period::parse(&format!("{}-{}", &yyyymm[..4], &yyyymm[4..])).is_ok()
}

/// ASCII digits that parse as `T` and equal their own `{:0width$}` rendering
/// (so zero-padded to at least `width`, with no extra leading zeros).
fn canonical_number<T>(s: &str, width: usize) -> bool
where
    T: std::str::FromStr + fmt::Display,
{
    s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<T>().is_ok_and(|n| format!("{n:0width$}") == s)
}

fn canonical_suffix(random: &str) -> Option<String> {
    if random.len() != RANDOM_LEN {
        return None;
    }
    random
        .chars()
        .map(|c| match c {
            'O' => Some('0'),
            'I' | 'L' => Some('1'),
            c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn generates_documented_format() {
        let mut rng = StdRng::seed_from_u64(7);
        let r = ReceiptNumber::generate(p("2025-04"), 12, 2, &mut rng);
        let s = r.as_str();
        assert_eq!(s.len(), "R-202504-00012-V02-7QX4KZ".len());
        assert!(s.starts_with("R-202504-00012-V02-"), "{s}");
        assert!(s[19..].bytes().all(|b| CROCKFORD.contains(&b)));
        assert_eq!(ReceiptNumber::parse(s), Ok(r.clone()));
        assert_eq!(r.to_string(), s);
    }

    #[test]
    fn wide_and_negative_numbers() {
        let mut rng = StdRng::seed_from_u64(1);
        let r = ReceiptNumber::generate(p("2025-04"), 1_234_567, 123, &mut rng);
        assert!(r.as_str().starts_with("R-202504-1234567-V123-"));
        assert!(ReceiptNumber::parse(r.as_str()).is_ok());
        let n = ReceiptNumber::generate(p("2025-04"), -5, -1, &mut rng);
        assert!(n.as_str().starts_with("R-202504-00000-V00-"));
    }

    #[test]
    fn different_draws_differ() {
        let mut rng = StdRng::seed_from_u64(42);
        let a = ReceiptNumber::generate(p("2025-04"), 1, 1, &mut rng);
        let b = ReceiptNumber::generate(p("2025-04"), 1, 1, &mut rng);
        assert_ne!(a, b);
    }

    #[test]
    fn parse_normalises_user_input() {
        let r = ReceiptNumber::parse(" r-202504-00012-v02-7qx4kz ").unwrap();
        assert_eq!(r.as_str(), "R-202504-00012-V02-7QX4KZ");
        let aliased = ReceiptNumber::parse("R-202504-00012-V02-O1LI4Z").unwrap();
        assert_eq!(aliased.as_str(), "R-202504-00012-V02-01114Z");
    }

    #[test]
    fn parse_rejects_malformed() {
        assert_eq!(ReceiptNumber::parse("  "), Err(ReceiptError::Empty));
        for bad in [
            "R-202504-00012-V02-7QX4K",
            "R-202504-00012-V02-7QX4KZZ",
            "R-202504-00012-V02-7QX4KU",
            "X-202504-00012-V02-7QX4KZ",
            "R-202513-00012-V02-7QX4KZ",
            "R-199912-00012-V02-7QX4KZ",
            "R-2025-04-00012-V02-7QX4KZ",
            "R-202504-0012-V02-7QX4KZ",
            "R-202504-012345-V02-7QX4KZ",
            "R-202504-00012-V2-7QX4KZ",
            "R-202504-00012-V002-7QX4KZ",
            "R-202504-00012-02-7QX4KZ",
            "R-202504-+0012-V02-7QX4KZ",
            "R-202504-00012-V02-7QX4K!",
            "R-20250４-00012-V02-7QX4KZ",
            "R-202504-00012-V02-7QX4KZ-",
            "R202504-00012-V02-7QX4KZ",
            "R-202504-00012-V02-7ÖX4KZ",
        ] {
            assert_eq!(
                ReceiptNumber::parse(bad),
                Err(ReceiptError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(ReceiptError::Invalid.key(), msg!("err.receipt.invalid"));
    }

    proptest! {
        #[test]
        fn generated_numbers_parse(
            y in 2000i32..=2100, m in 1u32..=12, firm in 0i64..=i64::MAX,
            version in 0i32..=i32::MAX, seed in any::<u64>(),
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let r = ReceiptNumber::generate(Period::new(y, m).unwrap(), firm, version, &mut rng);
            prop_assert_eq!(ReceiptNumber::parse(r.as_str()), Ok(r.clone()));
            prop_assert_eq!(ReceiptNumber::parse(&r.as_str().to_lowercase()), Ok(r.clone()));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = ReceiptNumber::parse(&s);
        }
    }
}
