//! FSA registration number of a financial instruments business operator
//! (e.g. `関東財務局長（金商）第123号`): light normalisation, no format policing.

use crate::i18n::Key;
use std::fmt;

use super::text::{collapse_whitespace, is_forbidden_control};

const MAX_CHARS: usize = super::limits::REGISTRATION_NO;

/// Why a registration number could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// Nothing was entered.
    #[error("err.required")]
    Empty,
    /// Longer than `max` characters after normalisation.
    #[error("err.text.too_long")]
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// Contains a control character.
    #[error("err.text.control")]
    Control,
}

impl RegistrationError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            RegistrationError::Empty => msg!("err.required"),
            RegistrationError::TooLong { .. } => msg!("err.text.too_long"),
            RegistrationError::Control => msg!("err.text.control"),
        }
    }
}

/// A normalised registration number: trimmed, inner whitespace runs collapsed
/// to one ASCII space, half-width `(` `)` turned into full-width `（` `）`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistrationNo(String);

impl RegistrationNo {
    /// Accepts any 1..=64 character text without control characters.
    pub fn parse(input: &str) -> Result<RegistrationNo, RegistrationError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(RegistrationError::Empty);
        }
        if trimmed.chars().any(|c| is_forbidden_control(c, false)) {
            return Err(RegistrationError::Control);
        }
        let normalised: String = collapse_whitespace(trimmed)
            .chars()
            .map(|c| match c {
                '(' => '（',
                ')' => '）',
                other => other,
            })
            .collect();
        if normalised.chars().count() > MAX_CHARS {
            return Err(RegistrationError::TooLong { max: MAX_CHARS });
        }
        Ok(RegistrationNo(normalised))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegistrationNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BUREAUS: [&str; 11] = [
        "北海道財務局長",
        "東北財務局長",
        "関東財務局長",
        "東海財務局長",
        "北陸財務局長",
        "近畿財務局長",
        "中国財務局長",
        "四国財務局長",
        "九州財務局長",
        "福岡財務支局長",
        "沖縄総合事務局長",
    ];

    fn ok(s: &str) -> String {
        RegistrationNo::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn accepts_every_bureau_in_both_parenthesis_widths() {
        for b in BUREAUS {
            let full = format!("{b}（金商）第123号");
            assert_eq!(ok(&full), full);
            assert_eq!(ok(&format!("{b}(金商)第123号")), full);
        }
    }

    #[test]
    fn trims_and_collapses_whitespace() {
        assert_eq!(
            ok("  関東財務局長 \u{3000} （金商）  第 45 号 "),
            "関東財務局長 （金商） 第 45 号"
        );
        assert_eq!(
            ok("\t関東財務局長（金商）第1号\n"),
            "関東財務局長（金商）第1号"
        );
        assert_eq!(ok("Kanto (FIBO) No. 1"), "Kanto （FIBO） No. 1");
    }

    #[test]
    fn rejects_with_keys() {
        assert_eq!(
            RegistrationNo::parse(" \u{3000} "),
            Err(RegistrationError::Empty)
        );
        assert_eq!(
            RegistrationNo::parse("関東\n財務局長").unwrap_err().key(),
            msg!("err.text.control")
        );
        assert_eq!(
            RegistrationNo::parse("関東\u{7}").unwrap_err().key(),
            msg!("err.text.control")
        );
        assert_eq!(
            RegistrationNo::parse("abc\u{202E}def").unwrap_err().key(),
            msg!("err.text.control")
        );
        assert_eq!(RegistrationError::Empty.key(), msg!("err.required"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let sixty_four = "局".repeat(64);
        assert_eq!(ok(&sixty_four), sixty_four);
        let err = RegistrationNo::parse(&"局".repeat(65)).unwrap_err();
        assert_eq!(err, RegistrationError::TooLong { max: 64 });
        assert_eq!(err.key(), msg!("err.text.too_long"));
        // Collapsing happens before the length check.
        assert!(RegistrationNo::parse(&format!("{}{}a", "b".repeat(62), " ".repeat(30))).is_ok());
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(s in any::<String>()) {
            if let Ok(r) = RegistrationNo::parse(&s) {
                prop_assert_eq!(RegistrationNo::parse(r.as_str()), Ok(r.clone()));
                prop_assert!(!r.as_str().contains(['(', ')', '\n', '\r', '\t']));
                prop_assert!(!r.as_str().contains("  "));
                let n = r.as_str().chars().count();
                prop_assert!((1..=64).contains(&n));
            }
        }
    }
}
