//! The `Idempotency-Key` a filing API client sends with every `POST` and
//! `PUT`: 1 to 255 printable ASCII characters, kept exactly as sent (a key
//! is compared byte for byte, so nothing is normalised).

use std::fmt;

use crate::i18n::Key;

/// The longest key accepted, in characters (ASCII, so also bytes).
pub const MAX_CHARS: usize = 255;

/// Why a key could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    /// Nothing was sent.
    #[error("err.idempotency_key.invalid")]
    Empty,
    /// Longer than [`MAX_CHARS`].
    #[error("err.idempotency_key.invalid")]
    TooLong,
    /// A character outside printable ASCII (space to `~`), or a space at
    /// either end (HTTP strips those, so the key would not be what was sent).
    #[error("err.idempotency_key.invalid")]
    NotPrintable,
}

impl IdempotencyKeyError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        msg!("err.idempotency_key.invalid")
    }
}

/// A client's idempotency key, as sent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Accepts 1 to 255 printable ASCII characters (space to `~`), with no
    /// space at either end.
    pub fn parse(input: &str) -> Result<IdempotencyKey, IdempotencyKeyError> {
        if input.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if !input.bytes().all(|b| (b' '..=b'~').contains(&b))
            || input.starts_with(' ')
            || input.ends_with(' ')
        {
            return Err(IdempotencyKeyError::NotPrintable);
        }
        if input.len() > MAX_CHARS {
            return Err(IdempotencyKeyError::TooLong);
        }
        Ok(IdempotencyKey(input.to_owned()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_printable_ascii_up_to_255_characters() {
        for ok in [
            "a",
            "7f0c1e9a-4b1d-4c55-9a51-0d6f3c2b9e10",
            "2025-04 draft #3 (retry)",
            "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
        ] {
            assert_eq!(IdempotencyKey::parse(ok).unwrap().as_str(), ok);
        }
        let longest = "k".repeat(MAX_CHARS);
        assert_eq!(IdempotencyKey::parse(&longest).unwrap().as_str(), longest);
    }

    #[test]
    fn refuses_empty_long_and_unprintable_keys() {
        use IdempotencyKeyError::*;
        let cases = [
            (String::new(), Empty),
            ("k".repeat(MAX_CHARS + 1), TooLong),
            (" lead".to_owned(), NotPrintable),
            ("trail ".to_owned(), NotPrintable),
            ("tab\there".to_owned(), NotPrintable),
            ("line\nbreak".to_owned(), NotPrintable),
            ("del\u{7f}".to_owned(), NotPrintable),
            ("キー".to_owned(), NotPrintable),
            ("ｋｅｙ".to_owned(), NotPrintable),
        ];
        for (input, expected) in cases {
            assert_eq!(IdempotencyKey::parse(&input), Err(expected), "{input:?}");
            assert_eq!(expected.key(), msg!("err.idempotency_key.invalid"));
        }
    }

    proptest! {
        #[test]
        fn any_printable_key_is_kept_verbatim(s in "[!-~]([ -~]{0,253}[!-~])?") {
            let key = IdempotencyKey::parse(&s).unwrap();
            prop_assert_eq!(key.as_str(), s.as_str());
        }

        #[test]
        fn anything_else_is_refused_never_panics(s in any::<String>()) {
            let printable = !s.is_empty()
                && s.len() <= MAX_CHARS
                && s.bytes().all(|b| (b' '..=b'~').contains(&b))
                && !s.starts_with(' ')
                && !s.ends_with(' ');
            prop_assert_eq!(IdempotencyKey::parse(&s).is_ok(), printable);
        }
    }
}
