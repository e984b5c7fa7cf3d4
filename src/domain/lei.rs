//! ISO 17442 Legal Entity Identifier: normalisation and ISO 7064 MOD 97-10
//! check-digit validation and generation.

use crate::i18n::Key;
use std::fmt;

use super::text::fold_full_width;

const LEI_LEN: usize = 20;

/// Why an LEI could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LeiError {
    /// Nothing was entered.
    #[error("err.required")]
    Empty,
    /// Not exactly 20 characters.
    #[error("err.lei.length")]
    Length,
    /// A character outside A-Z / 0-9.
    #[error("err.lei.chars")]
    Chars,
    /// Check digits (characters 19-20) are not numeric or do not verify.
    #[error("err.lei.checksum")]
    Checksum,
}

impl LeiError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            LeiError::Empty => msg!("err.required"),
            LeiError::Length => msg!("err.lei.length"),
            LeiError::Chars => msg!("err.lei.chars"),
            LeiError::Checksum => msg!("err.lei.checksum"),
        }
    }
}

/// A validated, upper-case, 20-character LEI.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lei(String);

impl Lei {
    /// Trims, folds full-width letters/digits to ASCII, upper-cases, then checks
    /// length, alphabet and the MOD 97-10 check digits (which must be 02..=98).
    pub fn parse(input: &str) -> Result<Lei, LeiError> {
        let s: String = input
            .trim()
            .chars()
            .map(|c| fold_full_width(c).to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(LeiError::Empty);
        }
        if s.chars().count() != LEI_LEN {
            return Err(LeiError::Length);
        }
        if !s.bytes().all(is_lei_byte) {
            return Err(LeiError::Chars);
        }
        let (body, check) = s.split_at(LEI_LEN - 2);
        match check_digits(body) {
            Some(expected) if expected == check => Ok(Lei(s)),
            _ => Err(LeiError::Checksum),
        }
    }

    /// The canonical 20-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Lei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two ISO 7064 MOD 97-10 check digits for an 18-character upper-case
/// A-Z0-9 prefix: `98 - (n * 100 mod 97)`, zero-padded. `None` if the prefix
/// is not 18 such characters.
pub fn check_digits(first18: &str) -> Option<String> {
    if first18.len() != LEI_LEN - 2 || !first18.bytes().all(is_lei_byte) {
        return None;
    }
    let n = mod97(first18.bytes().chain(*b"00"));
    Some(format!("{:02}", 98 - n))
}

fn is_lei_byte(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

/// Remainder mod 97 of the decimal number obtained by replacing letters with
/// A=10 … Z=35. Input bytes must satisfy `is_lei_byte`.
fn mod97(bytes: impl Iterator<Item = u8>) -> u32 {
    bytes.fold(0u32, |r, b| {
        if b.is_ascii_digit() {
            (r * 10 + u32::from(b - b'0')) % 97
        } else {
            (r * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REAL: [&str; 3] = [
        "5493001KJTIIGC8Y1R12", // Bloomberg Finance L.P.
        "7LTWFZYICNSX8D621K86", // Deutsche Bank AG
        "HWUPKR0MPOU8FGXBT394", // Apple Inc.
    ];

    #[test]
    fn real_leis_are_valid() {
        for lei in REAL {
            assert_eq!(Lei::parse(lei).unwrap().as_str(), lei);
            assert_eq!(check_digits(&lei[..18]).unwrap(), &lei[18..]);
        }
    }

    #[test]
    fn normalises_case_whitespace_and_full_width() {
        let l = Lei::parse("  5493001kjtiigc8y1r12\n").unwrap();
        assert_eq!(l.as_str(), "5493001KJTIIGC8Y1R12");
        assert_eq!(l.to_string(), "5493001KJTIIGC8Y1R12");
        let fw = Lei::parse("５４９３００１ＫＪＴＩＩＧＣ８Ｙ１Ｒ１２").unwrap();
        assert_eq!(fw, l);
    }

    #[test]
    fn altered_digit_fails() {
        assert_eq!(Lei::parse("5493001KJTIIGC8Y1R13"), Err(LeiError::Checksum));
        assert_eq!(Lei::parse("5493002KJTIIGC8Y1R12"), Err(LeiError::Checksum));
        assert_eq!(Lei::parse("7LTWFZYICNSX8D621K87"), Err(LeiError::Checksum));
        assert_eq!(Lei::parse("7LTWFZYICNSX8D631K86"), Err(LeiError::Checksum));
    }

    #[test]
    fn error_keys() {
        assert_eq!(Lei::parse("").unwrap_err().key(), msg!("err.required"));
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R1").unwrap_err().key(),
            msg!("err.lei.length")
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1R123").unwrap_err().key(),
            msg!("err.lei.length")
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1-12").unwrap_err().key(),
            msg!("err.lei.chars")
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1 12").unwrap_err().key(),
            msg!("err.lei.chars")
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1RÉ2").unwrap_err().key(),
            msg!("err.lei.chars")
        );
        assert_eq!(
            Lei::parse("5493001KJTIIGC8Y1RA2").unwrap_err().key(),
            msg!("err.lei.checksum")
        );
    }

    #[test]
    fn non_canonical_check_digits_are_rejected() {
        // "00" satisfies mod 97 == 1 whenever the canonical digits are "97".
        let body = (0..10_000u32)
            .map(|i| format!("ABCD00{i:012}"))
            .find(|b| check_digits(b).as_deref() == Some("97"))
            .unwrap();
        assert!(Lei::parse(&format!("{body}97")).is_ok());
        assert_eq!(mod97(format!("{body}00").bytes()), 1);
        assert_eq!(Lei::parse(&format!("{body}00")), Err(LeiError::Checksum));
    }

    #[test]
    fn check_digits_rejects_bad_prefix() {
        assert_eq!(check_digits("5493001KJTIIGC8Y1"), None);
        assert_eq!(check_digits("5493001kjtiigc8y1r"), None);
        assert_eq!(check_digits("5493001KJTIIGC8Y1-"), None);
    }

    #[test]
    fn digit_letter_swap_can_escape_mod97() {
        // MOD 97-10 detects every same-class substitution, but replacing a
        // digit by a letter (or vice versa) shifts the expansion and can collide.
        assert!(Lei::parse("549300LKJTIIGC8Y1R12").is_ok());
    }

    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    fn arb_valid_lei() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALNUM), 18).prop_map(|v| {
            let body = String::from_utf8(v).unwrap();
            let cd = check_digits(&body).unwrap();
            format!("{body}{cd}")
        })
    }

    proptest! {
        #[test]
        fn generated_leis_parse(lei in arb_valid_lei()) {
            prop_assert_eq!(Lei::parse(&lei), Ok(Lei(lei.clone())));
            prop_assert_eq!(Lei::parse(&lei.to_lowercase()), Ok(Lei(lei.clone())));
        }

        /// Any substitution in the check digits, and any same-class (digit for
        /// digit, letter for letter) substitution in the body, is rejected.
        #[test]
        fn single_substitution_is_rejected(
            lei in arb_valid_lei(),
            pos in 0usize..20,
            pick in 0usize..36,
        ) {
            let mut bytes = lei.clone().into_bytes();
            let old = bytes[pos];
            let pool: Vec<u8> = ALNUM
                .iter()
                .copied()
                .filter(|&c| c != old)
                .filter(|&c| pos >= 18 || c.is_ascii_digit() == old.is_ascii_digit())
                .collect();
            bytes[pos] = pool[pick % pool.len()];
            let altered = String::from_utf8(bytes).unwrap();
            prop_assert!(Lei::parse(&altered).is_err(), "{} accepted", altered);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Lei::parse(&s);
        }
    }
}
