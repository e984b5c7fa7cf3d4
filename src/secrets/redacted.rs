//! A wrapper for a value that must never be printed: its `Debug` says only
//! that something is there. Read it with [`Redacted::expose`], on purpose.

use std::fmt;

/// A secret value (password hash, TOTP secret, token, key).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    pub fn new(value: T) -> Self {
        Redacted(value)
    }

    /// The secret itself.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Redacted(value)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Redacted::new("JBSWY3DPEHPK3PXP".to_owned());
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
        assert_eq!(secret.expose(), "JBSWY3DPEHPK3PXP");
    }
}
