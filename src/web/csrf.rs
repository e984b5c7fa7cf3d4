//! CSRF protection for every POST. Signed-in forms carry the session's
//! synchroniser token; forms before sign-in carry a double-submit token that
//! must match a `__Host-` cookie (which no other site can set or read).
//! Handlers take `CsrfForm<T>` instead of `web::Form<T>`, so a form cannot
//! be read without the check. The filing API (`web::api`) alone reads
//! plain forms: it reads no cookie at all, its callers proving themselves
//! with a signed assertion or a bearer token in the request itself, which
//! no other site can make a browser send.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::error::UrlencodedError;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use super::extract::{SignedIn, session_token};
use crate::error::AppError;
use crate::services::sessions::Stage;
use crate::services::tokens::{looks_like_token, new_token, same_secret};

pub const CSRF_COOKIE: &str = "__Host-csrf";

/// A form with a `csrf` field.
pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

/// A form whose CSRF token has been checked.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest for CsrfForm<T>
where
    T: DeserializeOwned + HasCsrf + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let form = match form.await {
                Ok(form) => form.into_inner(),
                Err(error) => {
                    let too_large = error
                        .as_error::<UrlencodedError>()
                        .is_some_and(|e| matches!(e, UrlencodedError::Overflow { .. }));
                    return Err(if too_large {
                        AppError::TooLarge
                    } else {
                        AppError::BadRequest(msg!("error.bad_form"))
                    });
                }
            };
            // A full session's forms carry its own token. Before sign-in is
            // complete (no session, or one still owing a factor) the forms of
            // the sign-in pages carry the double-submit token instead.
            let had_session = session_token(&req).is_some();
            let session = if had_session {
                match SignedIn::load_any(req.clone()).await {
                    Ok(session) => Some(session),
                    // The database could not say (an outage): a 503, not
                    // a sign-in page that would lose the form.
                    Err(
                        error
                        @ (AppError::Unavailable(_) | AppError::Db(_) | AppError::Internal(_)),
                    ) => return Err(error),
                    Err(_) => None,
                }
            } else {
                None
            };
            let mut expected = Vec::new();
            if let Some(signed_in) = &session {
                expected.push(signed_in.session.csrf_token.clone());
            }
            if session.as_ref().is_none_or(|s| s.stage() != Stage::Full)
                && let Some(anonymous) = anonymous_cookie(&req)
            {
                expected.push(anonymous);
            }
            if expected.iter().any(|e| same_secret(e, form.csrf())) {
                Ok(CsrfForm(form))
            } else if had_session && session.is_none() {
                // The session expired while the form was open: the same
                // answer as every guard gives, a redirect to sign in.
                Err(AppError::Unauthenticated)
            } else {
                Err(AppError::Csrf)
            }
        })
    }
}

fn anonymous_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| looks_like_token(t))
}

/// Adds the cookie, if any, to a response.
pub fn with_cookie(
    mut response: HttpResponse,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// The token for a form shown before sign-in, and the cookie to set when
/// the browser has none yet.
pub fn anonymous_token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match anonymous_cookie(req) {
        Some(token) => (token, None),
        None => {
            let token = new_token();
            let cookie = Cookie::build(CSRF_COOKIE, token.clone())
                .path("/")
                .secure(true)
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            (token, Some(cookie))
        }
    }
}

/// A POST with only its CSRF token (a button that does one thing).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

impl HasCsrf for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}
