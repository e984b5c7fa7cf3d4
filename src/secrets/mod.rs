//! Secrets at rest and in memory: the key file that seals TOTP secrets in
//! the database (AES-256-GCM, a random nonce per value, the owner's id as
//! associated data), the keyring the server reads it through, rotation
//! under a new key, and [`Redacted`], which keeps a secret out of `Debug`
//! and so out of every log line.

pub mod key_file;
pub mod keyring;
pub mod redacted;
pub mod rotation;
pub mod seal;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod debug_tests;

pub use key_file::SecretKey;
pub use keyring::Keyring;
pub use redacted::Redacted;
