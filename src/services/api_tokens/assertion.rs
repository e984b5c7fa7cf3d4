//! The client assertion (RFC 7523 §3): read without trusting it (its
//! header and claims, checked against the clock and this endpoint's URL,
//! no database), then verified against the client's keys. Time comes from
//! the portal's clock, never the library's: the library only checks the
//! signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{ErrorCode, Refusal};
use crate::db::models::ApiClientKeyRow;
use crate::domain::api_client::{KeyAlg, looks_like_client_id};
use crate::domain::jwk::PublicJwk;
use crate::i18n::Key;

/// The longest an assertion may live (`exp` after now, and after `iat`).
pub const ASSERTION_LIFETIME: Duration = Duration::minutes(5);
/// How far the client's clock may run ahead of ours.
pub const CLOCK_SKEW: Duration = Duration::seconds(30);
/// The longest `jti` taken.
pub const JTI_MAX: usize = 200;
/// The longest assertion read (a signed JWT with these claims is far
/// shorter).
const ASSERTION_MAX: usize = 8 * 1024;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    /// Extensions that must be understood: none are.
    crit: Option<serde_json::Value>,
}

/// `aud`: one audience or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, url: &str) -> bool {
        match self {
            Audience::One(one) => one == url,
            Audience::Many(many) => many.iter().any(|a| a == url),
        }
    }
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

/// The claims that matter once checked.
#[derive(Clone, Debug)]
pub struct Claims {
    /// The client id (`iss` = `sub`).
    pub iss: String,
    pub jti: String,
}

/// An assertion whose shape and claims are in order, not yet verified.
#[derive(Clone, Debug)]
pub struct Read {
    pub alg: KeyAlg,
    pub kid: Option<String>,
    pub claims: Claims,
    /// `exp`: the jti is kept until then.
    pub expires_at: NaiveDateTime,
}

fn refuse(description: Key) -> Refusal {
    Refusal::new(ErrorCode::InvalidClient, description)
}

fn part<T: serde::de::DeserializeOwned>(encoded: &str) -> Result<T, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| refuse(msg!("api.oauth.malformed")))?;
    serde_json::from_slice(&bytes).map_err(|_| refuse(msg!("api.oauth.malformed")))
}

fn at(seconds: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc())
}

/// Reads an assertion and checks its claims (no signature yet).
pub fn read(assertion: &str, audience: &str, now: NaiveDateTime) -> Result<Read, Refusal> {
    if assertion.len() > ASSERTION_MAX {
        return Err(refuse(msg!("api.oauth.malformed")));
    }
    let mut parts = assertion.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refuse(msg!("api.oauth.malformed")));
    };
    let header: Header = part(header)?;
    if header.crit.is_some() {
        return Err(refuse(msg!("api.oauth.malformed")));
    }
    let alg = KeyAlg::parse(&header.alg).map_err(|_| refuse(msg!("api.oauth.alg")))?;
    let claims: RawClaims = part(claims)?;
    let iss = match (claims.iss, claims.sub) {
        (Some(iss), Some(sub)) if iss == sub && looks_like_client_id(&iss) => iss,
        _ => return Err(refuse(msg!("api.oauth.iss_sub"))),
    };
    if !claims.aud.is_some_and(|aud| aud.names(audience)) {
        return Err(refuse(msg!("api.oauth.audience")));
    }
    let jti = match claims.jti {
        Some(jti) if !jti.is_empty() && jti.chars().count() <= JTI_MAX => jti,
        _ => return Err(refuse(msg!("api.oauth.jti"))),
    };
    let expires_at = claims
        .exp
        .and_then(at)
        .ok_or_else(|| refuse(msg!("api.oauth.expired")))?;
    check_times(expires_at, claims.iat, claims.nbf, now)?;
    Ok(Read {
        alg,
        kid: header.kid,
        claims: Claims { iss, jti },
        expires_at,
    })
}

/// `exp` in the future and at most `ASSERTION_LIFETIME` away (from now and
/// from `iat`); `iat` and `nbf` not in the future.
fn check_times(
    expires_at: NaiveDateTime,
    iat: Option<i64>,
    nbf: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), Refusal> {
    if expires_at <= now {
        return Err(refuse(msg!("api.oauth.expired")));
    }
    if expires_at > now + ASSERTION_LIFETIME + CLOCK_SKEW {
        return Err(refuse(msg!("api.oauth.exp_too_far")));
    }
    for stamp in [iat, nbf].into_iter().flatten() {
        let stamp = at(stamp).ok_or_else(|| refuse(msg!("api.oauth.malformed")))?;
        if stamp > now + CLOCK_SKEW {
            return Err(refuse(msg!("api.oauth.not_yet")));
        }
    }
    if let Some(issued) = iat.and_then(at)
        && expires_at - issued > ASSERTION_LIFETIME
    {
        return Err(refuse(msg!("api.oauth.exp_too_far")));
    }
    Ok(())
}

fn decoding_key(key: &ApiClientKeyRow) -> Option<DecodingKey> {
    let jwk = PublicJwk::parse(&key.public_jwk).ok()?;
    match (jwk.alg(), jwk.y()) {
        (KeyAlg::Es256, Some(y)) => DecodingKey::from_ec_components(jwk.x(), y).ok(),
        (KeyAlg::EdDsa, None) => DecodingKey::from_ed_components(jwk.x()).ok(),
        _ => None,
    }
}

/// The key among `keys` (the client's un-retired keys) whose signature
/// the assertion carries: the one its `kid` names, or, without a `kid`,
/// any of them of the header's algorithm.
pub fn verify(assertion: &str, read: &Read, keys: &[ApiClientKeyRow]) -> Option<ApiClientKeyRow> {
    let algorithm = match read.alg {
        KeyAlg::Es256 => Algorithm::ES256,
        KeyAlg::EdDsa => Algorithm::EdDSA,
    };
    let mut validation = Validation::new(algorithm);
    // Times, audience and issuer are checked by `read` against the
    // portal's clock and URL; the library checks the signature only.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    keys.iter()
        .filter(|k| k.alg == read.alg)
        .filter(|k| read.kid.as_ref().is_none_or(|kid| *kid == k.kid))
        .find(|k| {
            decoding_key(k).is_some_and(|decoding| {
                jsonwebtoken::decode::<serde_json::Value>(assertion, &decoding, &validation).is_ok()
            })
        })
        .cloned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const AUD: &str = "https://portal.example/api/v1/token";
    const CLIENT: &str = "pc_abcdefghijklmnopqrstuv";

    fn now() -> NaiveDateTime {
        at(1_750_000_000).unwrap()
    }

    fn jwt(header: &str, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn claims(exp_in: i64) -> serde_json::Value {
        serde_json::json!({
            "iss": CLIENT, "sub": CLIENT, "aud": AUD,
            "exp": 1_750_000_000 + exp_in, "jti": "one"
        })
    }

    fn why(assertion: &str) -> &'static str {
        read(assertion, AUD, now()).unwrap_err().description.name()
    }

    #[test]
    fn a_well_formed_assertion_is_read() {
        let read = read(&jwt(r#"{"alg":"ES256","kid":"k"}"#, claims(60)), AUD, now()).unwrap();
        assert_eq!(read.alg, KeyAlg::Es256);
        assert_eq!(read.kid.as_deref(), Some("k"));
        assert_eq!(read.claims.iss, CLIENT);
        let many = serde_json::json!({
            "iss": CLIENT, "sub": CLIENT, "aud": ["other", AUD],
            "exp": 1_750_000_060, "iat": 1_750_000_000, "jti": "x"
        });
        assert!(super::read(&jwt(r#"{"alg":"EdDSA"}"#, many), AUD, now()).is_ok());
    }

    #[test]
    fn claims_out_of_line_are_refused_before_any_key_is_read() {
        let header = r#"{"alg":"ES256"}"#;
        assert_eq!(why(&jwt(r#"{"alg":"none"}"#, claims(60))), "api.oauth.alg");
        assert_eq!(why(&jwt(r#"{"alg":"HS256"}"#, claims(60))), "api.oauth.alg");
        assert_eq!(
            why(&jwt(r#"{"alg":"ES256","crit":["b64"]}"#, claims(60))),
            "api.oauth.malformed"
        );
        assert_eq!(why(&jwt(header, claims(0))), "api.oauth.expired");
        assert_eq!(why(&jwt(header, claims(-5))), "api.oauth.expired");
        // Five minutes, and the client's clock a little ahead of ours.
        assert!(read(&jwt(header, claims(330)), AUD, now()).is_ok());
        assert_eq!(why(&jwt(header, claims(331))), "api.oauth.exp_too_far");
        assert_eq!(why(&jwt(header, claims(600))), "api.oauth.exp_too_far");
        let mut long = claims(60);
        long["iat"] = serde_json::json!(1_750_000_000 - 300);
        assert_eq!(why(&jwt(header, long)), "api.oauth.exp_too_far");
        let mut early = claims(60);
        early["nbf"] = serde_json::json!(1_750_000_000 + 31);
        assert_eq!(why(&jwt(header, early)), "api.oauth.not_yet");
        let mut wrong = claims(60);
        wrong["aud"] = serde_json::json!("https://portal.example/api/v1/token/");
        assert_eq!(why(&jwt(header, wrong)), "api.oauth.audience");
        let mut other = claims(60);
        other["sub"] = serde_json::json!("pc_zzzzzzzzzzzzzzzzzzzzzz");
        assert_eq!(why(&jwt(header, other)), "api.oauth.iss_sub");
        let mut no_jti = claims(60);
        no_jti["jti"] = serde_json::json!("");
        assert_eq!(why(&jwt(header, no_jti)), "api.oauth.jti");
        let mut long_jti = claims(60);
        long_jti["jti"] = serde_json::json!("j".repeat(JTI_MAX + 1));
        assert_eq!(why(&jwt(header, long_jti)), "api.oauth.jti");
        assert_eq!(why("a.b"), "api.oauth.malformed");
        assert_eq!(why("a.b.c.d"), "api.oauth.malformed");
    }
}
