//! The sealed format of a secret in the database:
//! `sealed:v1:<base64 of nonce ‖ ciphertext ‖ tag>`, AES-256-GCM with a
//! random 96-bit nonce per value and `<purpose>:<owner id>` as associated
//! data, so a sealed value copied to another user's row does not open.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use super::SecretKey;

const PREFIX: &str = "sealed:v1:";
/// A `LIKE` pattern matching every sealed value.
pub const SEALED_LIKE: &str = "sealed:v1:%";
const NONCE_LEN: usize = 12;

/// What a stored value is sealed for (part of the associated data).
pub const TOTP: &str = "users:totp_secret";

/// Why a value did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the value is not sealed")]
    NotSealed,
    #[error("the sealed value does not open with this key (wrong key, owner or damaged)")]
    Refused,
}

/// Whether a stored value is in the sealed format.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

fn cipher(key: &SecretKey) -> Aes256Gcm {
    Aes256Gcm::new(&(*key.bytes()).into())
}

fn associated(purpose: &str, owner: i64) -> String {
    format!("{purpose}:{owner}")
}

/// Seals `plain` for `owner`.
pub fn seal(key: &SecretKey, purpose: &str, owner: i64, plain: &str) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let aad = associated(purpose, owner);
    let payload = Payload {
        msg: plain.as_bytes(),
        aad: aad.as_bytes(),
    };
    // Encryption fails only for messages near 64 GiB.
    let sealed = cipher(key)
        .encrypt(&nonce.into(), payload)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    format!("{PREFIX}{}", STANDARD.encode(out))
}

/// Opens a sealed value of `owner`.
pub fn open(key: &SecretKey, purpose: &str, owner: i64, stored: &str) -> Result<String, OpenError> {
    let encoded = stored.strip_prefix(PREFIX).ok_or(OpenError::NotSealed)?;
    let bytes = STANDARD.decode(encoded).map_err(|_| OpenError::Refused)?;
    if bytes.len() <= NONCE_LEN {
        return Err(OpenError::Refused);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Refused)?;
    let aad = associated(purpose, owner);
    let payload = Payload {
        msg: sealed,
        aad: aad.as_bytes(),
    };
    let plain = cipher(key)
        .decrypt(&nonce.into(), payload)
        .map_err(|_| OpenError::Refused)?;
    String::from_utf8(plain).map_err(|_| OpenError::Refused)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_for_its_owner_and_key_only() {
        let key = SecretKey::generate();
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let sealed = seal(&key, TOTP, 7, secret);
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains(secret));
        assert_ne!(
            sealed,
            seal(&key, TOTP, 7, secret),
            "a fresh nonce each time"
        );
        assert_eq!(open(&key, TOTP, 7, &sealed).unwrap(), secret);
        assert_eq!(open(&key, TOTP, 8, &sealed), Err(OpenError::Refused));
        let other = SecretKey::generate();
        assert_eq!(open(&other, TOTP, 7, &sealed), Err(OpenError::Refused));
        assert_eq!(open(&key, TOTP, 7, secret), Err(OpenError::NotSealed));
        assert_eq!(
            open(&key, TOTP, 7, "sealed:v1:AAAA"),
            Err(OpenError::Refused)
        );
    }
}
