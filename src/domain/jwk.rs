//! A client's public key as a JSON Web Key (RFC 7517), checked once when it
//! is pasted: a public key only (a key carrying `d` or any other private
//! member is refused), EC on P-256 (ES256) or OKP Ed25519 (EdDSA), with
//! coordinates that make a valid point. It is kept in its canonical form,
//! the members RFC 7638 hashes for the key's thumbprint (its `kid`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::api_client::KeyAlg;
use crate::i18n::Key;

/// Members that belong to private or symmetric keys (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Bytes of a P-256 coordinate and of an Ed25519 public key.
const COORDINATE: usize = 32;

/// Why a pasted key is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwkError {
    /// Not a JSON object.
    NotJson,
    /// It carries private key material.
    Private,
    /// Not an EC P-256 or OKP Ed25519 signing key.
    Unsupported,
    /// Its coordinates are not a valid public key.
    InvalidPoint,
}

impl JwkError {
    pub fn key(self) -> Key {
        match self {
            JwkError::NotJson => msg!("err.jwk.not_json"),
            JwkError::Private => msg!("err.jwk.private"),
            JwkError::Unsupported => msg!("err.jwk.unsupported"),
            JwkError::InvalidPoint => msg!("err.jwk.invalid_point"),
        }
    }
}

/// A checked public signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk {
    alg: KeyAlg,
    /// URL-safe base64 (no padding) of the x coordinate (Ed25519: the key).
    x: String,
    /// Of the y coordinate (EC only).
    y: Option<String>,
}

fn text<'a>(object: &'a Map<String, Value>, member: &str) -> Result<Option<&'a str>, JwkError> {
    match object.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwkError::Unsupported),
    }
}

/// A coordinate: canonical unpadded URL-safe base64 of exactly 32 bytes.
fn coordinate(object: &Map<String, Value>, member: &str) -> Result<[u8; COORDINATE], JwkError> {
    let encoded = text(object, member)?.ok_or(JwkError::InvalidPoint)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| JwkError::InvalidPoint)?;
    bytes.try_into().map_err(|_| JwkError::InvalidPoint)
}

impl PublicJwk {
    /// Parses and checks a pasted JWK.
    pub fn parse(pasted: &str) -> Result<PublicJwk, JwkError> {
        let value: Value = serde_json::from_str(pasted.trim()).map_err(|_| JwkError::NotJson)?;
        let Value::Object(object) = value else {
            return Err(JwkError::NotJson);
        };
        if PRIVATE_MEMBERS.iter().any(|m| object.contains_key(*m)) {
            return Err(JwkError::Private);
        }
        if text(&object, "use")?.is_some_and(|u| u != "sig") {
            return Err(JwkError::Unsupported);
        }
        match object.get("key_ops") {
            None => {}
            Some(Value::Array(ops)) if ops.iter().all(|op| op == "verify") => {}
            Some(_) => return Err(JwkError::Unsupported),
        }
        let alg = match (text(&object, "kty")?, text(&object, "crv")?) {
            (Some("EC"), Some("P-256")) => KeyAlg::Es256,
            (Some("OKP"), Some("Ed25519")) => KeyAlg::EdDsa,
            _ => return Err(JwkError::Unsupported),
        };
        if text(&object, "alg")?.is_some_and(|a| a != alg.as_str()) {
            return Err(JwkError::Unsupported);
        }
        let x = coordinate(&object, "x")?;
        let y = match alg {
            KeyAlg::Es256 => {
                let y = coordinate(&object, "y")?;
                let mut sec1 = Vec::with_capacity(1 + 2 * COORDINATE);
                sec1.push(0x04);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| JwkError::InvalidPoint)?;
                Some(URL_SAFE_NO_PAD.encode(y))
            }
            KeyAlg::EdDsa => {
                if object.contains_key("y") {
                    return Err(JwkError::Unsupported);
                }
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| JwkError::InvalidPoint)?;
                if key.is_weak() {
                    return Err(JwkError::InvalidPoint);
                }
                None
            }
        };
        Ok(PublicJwk {
            alg,
            x: URL_SAFE_NO_PAD.encode(x),
            y,
        })
    }

    pub fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// The x coordinate (Ed25519: the public key), URL-safe base64.
    pub fn x(&self) -> &str {
        &self.x
    }

    /// The y coordinate (EC only), URL-safe base64.
    pub fn y(&self) -> Option<&str> {
        self.y.as_deref()
    }

    /// The required members in lexicographic order with no white space
    /// (RFC 7638 §3): what is stored, and what the thumbprint hashes. The
    /// values are base64url and fixed names, so nothing needs escaping.
    pub fn canonical(&self) -> String {
        match (&self.alg, &self.y) {
            (KeyAlg::Es256, Some(y)) => {
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{y}"}}"#, self.x)
            }
            _ => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, self.x),
        }
    }

    /// The RFC 7638 thumbprint (SHA-256, URL-safe base64): the key's `kid`.
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1 hashes an RSA key; RFC 8037 §A.3 gives this Ed25519
    /// key's thumbprint.
    const RFC8037_KEY: &str =
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        let key = PublicJwk::parse(RFC8037_KEY).unwrap();
        assert_eq!(key.alg(), KeyAlg::EdDsa);
        assert_eq!(
            key.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        assert_eq!(PublicJwk::parse(&key.canonical()).unwrap(), key);
    }

    #[test]
    fn a_p256_point_is_checked() {
        // RFC 7515 §A.3's ES256 key, public part.
        let public = r#"{"kty":"EC","crv":"P-256",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        let key = PublicJwk::parse(public).unwrap();
        assert_eq!(key.alg(), KeyAlg::Es256);
        assert!(
            key.canonical()
                .starts_with(r#"{"crv":"P-256","kty":"EC","x":"#)
        );
        // The same x with another y is off the curve.
        let off = public.replace("x_FEzRu9m36HLN", "y_FEzRu9m36HLN");
        assert_eq!(PublicJwk::parse(&off), Err(JwkError::InvalidPoint));
        let private = public.replace(
            r#""kty""#,
            r#""d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI","kty""#,
        );
        assert_eq!(PublicJwk::parse(&private), Err(JwkError::Private));
    }

    #[test]
    fn other_keys_are_refused() {
        for (pasted, why) in [
            ("not json", JwkError::NotJson),
            ("[1,2]", JwkError::NotJson),
            (r#"{"kty":"oct","k":"c2VjcmV0"}"#, JwkError::Private),
            (
                r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
                JwkError::Unsupported,
            ),
            (
                r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
                JwkError::Unsupported,
            ),
            (
                r#"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
                JwkError::Unsupported,
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
                JwkError::Unsupported,
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
                JwkError::Unsupported,
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}"#,
                JwkError::InvalidPoint,
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#,
                JwkError::InvalidPoint,
            ),
            // The identity (small order): a "key" every signature fits.
            (
                r#"{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
                JwkError::InvalidPoint,
            ),
        ] {
            assert_eq!(PublicJwk::parse(pasted), Err(why), "{pasted}");
        }
    }
}
