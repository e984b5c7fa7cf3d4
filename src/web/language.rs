//! The language switch on every page. Before sign-in the choice is kept in
//! a cookie (a GET: it changes nothing on the server, so a public page
//! carries no per-visitor token and can be served from a cache); signed in,
//! it is a CSRF-checked POST that keeps it in the user's profile as well
//! (audited), so their pages and emails follow it on every device.

use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use validator::Validate;

use crate::error::{AppError, AppResult};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::services::preferences;
use crate::web::csrf::{CsrfForm, HasCsrf, with_cookie};
use crate::web::extract::{SignedIn, session_token};
use crate::web::{AppState, paths, redirect};

/// The switch is a pair of buttons: a language it does not offer is a bad
/// request (400), and a `back` that is not a path of this site goes home.
#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct LanguageForm {
    csrf: String,
    #[validate(custom(function = "crate::web::form_rules::language"))]
    lang: String,
    back: String,
}

impl HasCsrf for LanguageForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The page to go back to: a path on this site, never another origin (the
/// portal's one check of a local path: no scheme, no `//` host, no
/// backslash a browser would read as a slash, no control character that
/// could split a header).
pub fn local_path(back: &str) -> &str {
    local_path_or(back, paths::HOME)
}

/// [`local_path`], falling back to `default`.
pub fn local_path_or<'a>(back: &'a str, default: &'a str) -> &'a str {
    let local = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && back.len() <= 2048
        && !back.chars().any(char::is_control);
    if local { back } else { default }
}

pub async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> AppResult<HttpResponse> {
    form.validate()
        .map_err(|_| AppError::BadRequest(msg!("error.bad_form")))?;
    let lang = Lang::parse(&form.lang).ok_or(AppError::BadRequest(msg!("error.bad_form")))?;
    if session_token(&req).is_some()
        && let Ok(who) = SignedIn::load_any(req.clone()).await
    {
        let (user_id, actor, now) = (who.user.id, who.actor(), state.clock.now());
        crate::db::run(&state.pool, move |conn| {
            preferences::set_language(conn, user_id, lang, &actor, now)
        })
        .await?;
    }
    with_cookie(redirect(local_path(&form.back)), Some(lang_cookie(lang)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguageQuery {
    lang: String,
    back: String,
}

/// The switch before sign-in: only the cookie.
pub async fn switch_cookie(query: web::Query<LanguageQuery>) -> AppResult<HttpResponse> {
    let lang = Lang::parse(&query.lang).ok_or(AppError::BadRequest(msg!("error.bad_form")))?;
    with_cookie(redirect(local_path(&query.back)), Some(lang_cookie(lang)))
}

fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn goes_back_only_to_this_site() {
        assert_eq!(local_path("/returns/2025-04?x=1"), "/returns/2025-04?x=1");
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "",
            "returns",
            "/a\nb",
        ] {
            assert_eq!(local_path(outside), "/", "{outside:?}");
        }
    }
}
