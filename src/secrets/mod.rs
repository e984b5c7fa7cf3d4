//! Secrets at rest and in memory: the key file that seals TOTP secrets in
//! the database (AES-256-GCM, a random nonce per value, the owner's id as
//! associated data), the keyring the server reads it through, and rotation
//! under a new key. Types that hold a secret (the key, user and session
//! rows, the signed-in user, settings) have a hand-written `Debug` that
//! shows none; `debug_tests` holds them to it.

pub mod key_file;
pub mod keyring;
pub mod rotation;
pub mod seal;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod debug_tests;

pub use key_file::SecretKey;
pub use keyring::Keyring;
