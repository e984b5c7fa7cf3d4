//! Password policy (NIST SP 800-63B: length, not composition) and argon2id
//! hashing. Callers are already on the blocking pool.

use crate::i18n::Key;
use std::sync::LazyLock;

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};

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

/// The most memory a stored hash may ask for (the portal's own cost): a
/// stored hash that asks for more is refused, not obeyed.
const MAX_BLOCKS: usize = 19_456;

thread_local! {
    /// The memory argon2 works in, kept by each thread that verifies (the
    /// hashing threads, a fixed few) from one verification to the next: a
    /// flood of sign-ins reuses it instead of asking the allocator for
    /// 19 MiB a time, which the allocator keeps once returned (the
    /// server's memory grew by ~20 MiB a flood).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `blocks` blocks of this thread's kept memory.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        f(&mut memory[..blocks])
    })
}

/// Whether `password` is the one `stored` (a PHC string) was made from,
/// compared in constant time.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let hashed = with_memory(blocks, |memory| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    });
    hashed.is_ok() && Output::new(&out).is_ok_and(|computed| computed == *expected)
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
    fn a_hash_verifies_its_password_only_and_strangers_are_refused() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapler", &stored));
        assert!(!verify("correct horse battery staple", "not a hash"));
        assert!(!verify(
            "correct horse battery staple",
            &stored.replace("argon2id", "argon2x")
        ));
        // A stored hash asking for more memory than the portal's own is
        // refused before any is taken.
        let greedy = stored.replace("m=19456", "m=4194304");
        assert!(!verify("correct horse battery staple", &greedy));
        // The kept memory serves the next verification on this thread.
        assert!(verify("correct horse battery staple", &stored));
        assert_eq!(MEMORY.with(|m| m.borrow().len()), MAX_BLOCKS);
    }

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
