//! The device cookie: after a successful password step the browser keeps a
//! token that vouches for the account's email address, sealed with the
//! portal's key (so only the portal can make one, and a rotated key voids
//! them all). A sign-in that carries one for the email it types may take
//! the hashing queue's kept places (`hashing::Lane::Known`), so a flood of
//! strangers cannot lock out the people who use the portal. It grants
//! nothing else: the password and second factor are checked as ever, and
//! the account's own throttle still counts every attempt.

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite};

use crate::secrets::Keyring;
use crate::web::hashing::Lane;

/// Host-only, HTTPS-only, invisible to scripts.
pub const DEVICE_COOKIE: &str = "__Host-device";
/// What the sealed token is for (a token for another purpose opens as nothing).
const PURPOSE: &str = "device:sign_in";
/// How long a browser stays known without signing in again.
const DAYS: i64 = 180;

fn subject(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The cookie for a browser that has just passed the password step for `email`.
pub fn cookie(keys: &Keyring, email: &str) -> Cookie<'static> {
    Cookie::build(DEVICE_COOKIE, keys.vouch(PURPOSE, &subject(email)))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::days(DAYS))
        .finish()
}

/// The lane of a sign-in for `email` from this request.
pub fn lane(req: &HttpRequest, keys: &Keyring, email: &str) -> Lane {
    match req.cookie(DEVICE_COOKIE) {
        Some(c) if keys.vouches(PURPOSE, c.value(), &subject(email)) => Lane::Known,
        _ => Lane::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn new_keys() -> (tempfile::TempDir, Keyring) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (keys, _) = Keyring::open_or_create(&dir.path().join("portal.key")).expect("a key");
        (dir, keys)
    }

    fn with(value: &str) -> HttpRequest {
        TestRequest::default()
            .cookie(Cookie::new(DEVICE_COOKIE, value.to_owned()))
            .to_http_request()
    }

    #[test]
    fn a_cookie_vouches_for_its_own_email_only() {
        let (_dir, keys) = new_keys();
        let made = cookie(&keys, " Admin@FSA.example ");
        let value = made.value();
        assert!(!value.contains("admin"), "sealed: {value}");
        assert_eq!(lane(&with(value), &keys, "admin@fsa.example"), Lane::Known);
        assert_eq!(lane(&with(value), &keys, "other@fsa.example"), Lane::Open);
        assert_eq!(
            lane(&with("admin@fsa.example"), &keys, "admin@fsa.example"),
            Lane::Open
        );
        assert_eq!(
            lane(&with("sealed:v1:AAAA"), &keys, "admin@fsa.example"),
            Lane::Open
        );
        assert_eq!(
            lane(
                &TestRequest::default().to_http_request(),
                &keys,
                "admin@fsa.example"
            ),
            Lane::Open
        );
        let (_other_dir, other_keys) = new_keys();
        assert_eq!(
            lane(&with(value), &other_keys, "admin@fsa.example"),
            Lane::Open,
            "another key (a rotation) voids it"
        );
        assert!(made.secure() == Some(true) && made.http_only() == Some(true));
    }
}
