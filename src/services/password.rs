//! Password policy (NIST SP 800-63B: length, not composition) and argon2id
//! hashing. Callers are already on the blocking pool.

use crate::i18n::Key;
use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::error::AppError;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = crate::domain::limits::PASSWORD;

/// Passwords that meet the length rule but are among the most used.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789000",
    "111111111111",
    "000000000000",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "qwertyuiopas",
    "qwerty123456",
    "qwertyuiop123",
    "1q2w3e4r5t6y",
    "iloveyou1234",
    "abcdefghijkl",
    "abc123abc123",
    "letmeinletmein",
    "welcome12345",
    "administrator",
    "changeme1234",
    "trustno1trustno1",
    "monkeymonkey",
    "dragondragon",
    "sunshine1234",
    "aaaaaaaaaaaa",
    "zxcvbnm12345",
    "asdfghjkl123",
    "passw0rd1234",
    "p@ssw0rd1234",
];

/// Checks a new password; the error is a message key. Long passphrases of
/// any characters pass; common, guessable or email-derived ones do not.
pub fn check_policy(password: &str, email: &str) -> Result<(), Key> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(msg!("err.password.too_short"));
    }
    if chars > MAX_CHARS {
        return Err(msg!("err.password.too_long"));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    // A strength estimate (zxcvbn: dictionaries, keyboard patterns, dates,
    // repeats, the user's own email) must put it beyond 10^10 guesses.
    let first: String = password.chars().take(64).collect();
    let estimate = zxcvbn::zxcvbn(&first, &[email, &local, "incident", "portal", "fsa"]);
    if (estimate.score() as u8) < 3 {
        return Err(msg!("err.password.common"));
    }
    if COMMON.contains(&lower.as_str())
        || (local.len() >= 4 && lower.contains(&local))
        || lower.chars().all(|c| lower.starts_with(c))
    {
        return Err(msg!("err.password.common"));
    }
    Ok(())
}

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> Result<String, AppError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2 hash: {e}")))
}

pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash("dummy password for timing").unwrap_or_default());

/// Spends the time of a real verification, for unknown emails.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_not_composition() {
        for good in [
            "correct horse battery staple",
            "a brand new passphrase 2025",
            "another long passphrase 2025",
            "initial password 0001",
            "こんにちは世界、長いパスフレーズです",
        ] {
            assert_eq!(check_policy(good, "someone@firm.example"), Ok(()), "{good}");
        }
        assert_eq!(
            check_policy("short", "a@b.example"),
            Err(msg!("err.password.too_short"))
        );
        assert_eq!(
            check_policy(&"x".repeat(129), "a@b.example"),
            Err(msg!("err.password.too_long"))
        );
        for bad in [
            "password1234",
            "qwertyuiop123",
            "aaaaaaaaaaaaaaaa",
            "hanakosato2025",
            "123456789012",
        ] {
            assert_eq!(
                check_policy(bad, "hanakosato@firm.example"),
                Err(msg!("err.password.common")),
                "{bad}"
            );
        }
    }
}
