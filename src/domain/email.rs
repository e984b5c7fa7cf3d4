//! E-mail address value type: conservative syntax check that is safe to place
//! in mail headers (no CR/LF, quotes, angle brackets, commas or semicolons).

use crate::i18n::Key;
use std::fmt;

use super::text::{fold_full_width, is_forbidden_control};

const MAX_LEN: usize = super::limits::EMAIL;
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;
/// Local-part punctuation accepted besides a-z, 0-9 and `.`: the RFC 5322
/// `atext` set without quotes (`'` `"`).
const LOCAL_PUNCT: &str = "!#$%&*+/=?^_`{|}~-";

/// Why an e-mail address could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was entered.
    #[error("err.required")]
    Empty,
    /// Not an acceptable address.
    #[error("err.email.invalid")]
    Invalid,
}

impl EmailError {
    /// Stable message key, translated by the web layer.
    pub fn key(&self) -> Key {
        match self {
            EmailError::Empty => msg!("err.required"),
            EmailError::Invalid => msg!("err.email.invalid"),
        }
    }
}

/// A validated, lower-case e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Rejects control characters anywhere (even surrounding CR/LF), then
    /// trims, folds full-width ASCII (IME input), lower-cases and checks syntax.
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        if input.chars().any(|c| is_forbidden_control(c, false)) {
            return Err(EmailError::Invalid);
        }
        let s: String = input
            .trim()
            .chars()
            .map(|c| fold_full_width(c).to_ascii_lowercase())
            .collect();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > MAX_LEN || !s.is_ascii() {
            return Err(EmailError::Invalid);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::Invalid);
        };
        if valid_local(local) && valid_domain(domain) {
            Ok(EmailAddress(s))
        } else {
            Err(EmailError::Invalid)
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Dot-atom: non-empty atoms of allowed characters separated by single dots.
fn valid_local(local: &str) -> bool {
    local.len() <= MAX_LOCAL
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || LOCAL_PUNCT.contains(c)
                })
        })
}

/// At least two labels of [a-z0-9-], 1..=63 long, not starting or ending with
/// `-`; the top-level label must not be all digits (no bare IP addresses).
/// A second `@` lands here and fails the label alphabet.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=MAX_LABEL).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    domain.len() <= MAX_DOMAIN
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        EmailAddress::parse(s).unwrap().as_str().to_owned()
    }

    fn invalid(s: &str) {
        assert_eq!(EmailAddress::parse(s), Err(EmailError::Invalid), "{s:?}");
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(ok("Taro.Yamada@Example.co.jp"), "taro.yamada@example.co.jp");
        assert_eq!(
            ok("  compliance+fsa@sec-firm.jp "),
            "compliance+fsa@sec-firm.jp"
        );
        assert_eq!(ok("a@b.co"), "a@b.co");
        assert_eq!(ok("x_y-z@mail.x1-2.example"), "x_y-z@mail.x1-2.example");
        assert_eq!(ok("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"), "taro@example.jp");
        assert_eq!(EmailAddress::parse("A@B.JP").unwrap().to_string(), "a@b.jp");
    }

    #[test]
    fn required_and_keys() {
        assert_eq!(EmailAddress::parse("   "), Err(EmailError::Empty));
        assert_eq!(EmailError::Empty.key(), msg!("err.required"));
        assert_eq!(EmailError::Invalid.key(), msg!("err.email.invalid"));
    }

    #[test]
    fn rejects_header_injection() {
        invalid("a@b.jp\r\nBcc: evil@x.com");
        invalid("a@b.jp\nBcc: evil@x.com");
        invalid("a@b.jp\r\n");
        invalid("\na@b.jp");
        invalid("a\u{0}@b.jp");
        invalid("a@b.jp\u{85}");
    }

    #[test]
    fn rejects_structural_problems() {
        for s in [
            "plain",
            "@b.jp",
            "a@",
            "a@@b.jp",
            "a@b@c.jp",
            "a@localhost",
            "a@b.jp.",
            "a@.b.jp",
            "a@b..jp",
            "a@-b.jp",
            "a@b-.jp",
            "a@b_c.jp",
            "a@1.2.3.4",
            "a b@c.jp",
            "a@b c.jp",
            "\"a\"@b.jp",
            "a'b@c.jp",
            "<a@b.jp>",
            "a,b@c.jp",
            "a;b@c.jp",
            "a@b.jp;c@d.jp",
            ".a@b.jp",
            "a.@b.jp",
            "a..b@c.jp",
            "ä@b.jp",
            "a@bü.jp",
            "a@b.jp,c@d.jp",
            "a\u{202E}@b.jp",
        ] {
            invalid(s);
        }
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        assert!(EmailAddress::parse(&format!("{local64}@b.jp")).is_ok());
        invalid(&format!("{}@b.jp", "a".repeat(65)));
        let label63 = "b".repeat(63);
        assert!(EmailAddress::parse(&format!("a@{label63}.jp")).is_ok());
        invalid(&format!("a@{}.jp", "b".repeat(64)));
        // 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254; one more character is too long.
        let domain = format!("{0}.{0}.{1}", label63, "c".repeat(61));
        let addr = format!("{local64}@{domain}");
        assert_eq!(addr.len(), 254);
        assert!(EmailAddress::parse(&addr).is_ok());
        invalid(&format!("{local64}@{domain}c"));
    }

    proptest! {
        #[test]
        fn generated_addresses_round_trip(
            local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]",
            host in "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
            tld in "[a-z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let addr = format!("{local}@{host}.{tld}");
            let parsed = EmailAddress::parse(&addr.to_uppercase()).unwrap();
            prop_assert_eq!(parsed.as_str(), addr.as_str());
            prop_assert_eq!(EmailAddress::parse(parsed.as_str()), Ok(parsed.clone()));
        }

        #[test]
        fn accepted_addresses_are_header_safe(s in any::<String>()) {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert!(e.as_str().len() <= 254);
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
                prop_assert!(!e.as_str().contains(['\r', '\n', '"', '\'', '<', '>', ',', ';', ' ']));
            }
        }
    }
}
