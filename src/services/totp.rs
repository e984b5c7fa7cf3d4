//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s, ±1
//! step) as a fallback second factor. Each accepted step is remembered, so
//! a code is good once.

use chrono::NaiveDateTime;
use totp_rs::{Builder, Secret, Totp};

use crate::error::AppError;

pub const ISSUER: &str = "Incident Portal";

/// A new random secret (160 bits), base32 as authenticator apps show it.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn build(secret_base32: &str, account: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::Internal(format!("stored TOTP secret unreadable: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', ""))
        .build()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The `otpauth://` URI an authenticator app imports.
pub fn otpauth_uri(secret_base32: &str, account: &str) -> Result<String, AppError> {
    build(secret_base32, account)?
        .to_url()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

fn unix_seconds(at: NaiveDateTime) -> u64 {
    u64::try_from(at.and_utc().timestamp()).unwrap_or(0)
}

/// The step a code matches (current ±1), if it is later than the last
/// accepted step.
pub fn check(
    secret_base32: &str,
    code: &str,
    now: NaiveDateTime,
    last_step: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = build(secret_base32, "check")?;
    let step = totp
        .check(&code, unix_seconds(now))
        .and_then(|s| i64::try_from(s).ok());
    Ok(step.filter(|s| last_step.is_none_or(|last| *s > last)))
}

/// The code for `at` (tests and the demo seed's printed instructions).
pub fn code_at(secret_base32: &str, at: NaiveDateTime) -> Result<String, AppError> {
    Ok(build(secret_base32, "code")?
        .generate(unix_seconds(at))
        .to_string())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;

    fn at(s: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 5, 20)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            + Duration::seconds(s)
    }

    #[test]
    fn a_code_is_good_once_and_within_one_step() {
        let secret = new_secret();
        let code = code_at(&secret, at(0)).unwrap();
        let step = check(&secret, &code, at(0), None).unwrap().unwrap();
        assert_eq!(
            check(&secret, &code, at(0), Some(step)).unwrap(),
            None,
            "replay"
        );
        assert!(check(&secret, &code, at(29), None).unwrap().is_some());
        assert!(
            check(&secret, &code, at(31), None).unwrap().is_some(),
            "one step late"
        );
        assert!(
            check(&secret, &code, at(95), None).unwrap().is_none(),
            "too late"
        );
        assert!(check(&secret, "12345", at(0), None).unwrap().is_none());
        assert!(check(&secret, "abcdef", at(0), None).unwrap().is_none());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(check(&secret, &spaced, at(0), None).unwrap().is_some());
    }

    #[test]
    fn the_uri_names_the_portal_and_account() {
        let uri = otpauth_uri(&new_secret(), "hanako@firm.example").unwrap();
        assert!(uri.starts_with("otpauth://totp/"));
        assert!(uri.contains("Incident%20Portal") || uri.contains("Incident+Portal"));
    }
}
