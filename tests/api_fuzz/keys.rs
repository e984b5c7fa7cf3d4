//! A test key as the PEM file a firm's system keeps it in: PKCS#8, as
//! OpenSSL and Python's `cryptography` read it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::pkcs8::{EncodePrivateKey, LineEnding};

use crate::api_support::TestKey;

/// PKCS#8's wrapping of a 32-byte Ed25519 seed (RFC 8410 §7): version 0,
/// the algorithm id-Ed25519 (1.3.101.112), and the seed as an octet
/// string inside an octet string.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The private key as a PEM file.
pub fn private_pem(key: &TestKey) -> String {
    match key {
        TestKey::Es256(key) => key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        TestKey::Ed25519(key) => {
            let mut der = ED25519_PKCS8_PREFIX.to_vec();
            der.extend_from_slice(key.as_bytes());
            pem("PRIVATE KEY", &der)
        }
    }
}
