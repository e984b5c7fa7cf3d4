//! HTTP: routes, extractors, views. Handlers parse input, call a service on
//! the blocking pool and render a template; they never write SQL.

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod dashboard;
pub mod error_page;
pub mod extract;
pub mod health;
pub mod paths;
pub mod request_log;
pub mod returns;
pub mod review;
pub mod security_headers;
pub mod users;
pub mod view;

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::DbPool;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Bounds concurrent password hashing so a sign-in flood cannot starve
    /// the blocking pool that database calls need.
    pub hashing: Arc<Semaphore>,
}

impl AppState {
    /// Runs password hashing on the blocking pool, never more at once than
    /// the semaphore allows.
    pub async fn run_hashing<T, F>(&self, work: F) -> crate::error::AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        use crate::error::AppError;
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::Internal("hashing semaphore closed".into()))?;
        web::block(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| AppError::Internal("hashing was cancelled".into()))
    }
}

/// Body size limit for forms (a return with a long narrative fits easily).
pub const FORM_LIMIT: usize = 64 * 1024;

/// A POST route reached by GET (reload, back button) goes to its page.
fn redirect(to: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.into()))
        .finish()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT))
        .route(paths::HEALTHZ, web::get().to(health::healthz))
        .route(paths::READYZ, web::get().to(health::readyz))
        .route(paths::STYLESHEET, web::get().to(assets::stylesheet))
        .route(paths::PASSKEY_SCRIPT, web::get().to(assets::passkey_script))
        .route(paths::HOME, web::get().to(auth::home))
        .route(paths::LOGIN, web::get().to(auth::login::form))
        .route(paths::LOGIN, web::post().to(auth::login::submit))
        .route(paths::LOGOUT, web::post().to(auth::login::logout))
        .route(
            paths::LOGOUT,
            web::get().to(|| async { redirect(paths::HOME) }),
        )
        .route(paths::INVITATION, web::get().to(auth::invite::form))
        .route(paths::INVITATION, web::post().to(auth::invite::accept))
        .route(
            paths::PASSWORD_FORGOT,
            web::get().to(auth::reset::forgot_form),
        )
        .route(
            paths::PASSWORD_FORGOT,
            web::post().to(auth::reset::forgot_submit),
        )
        .route(
            paths::PASSWORD_RESET,
            web::get().to(auth::reset::reset_form),
        )
        .route(
            paths::PASSWORD_RESET,
            web::post().to(auth::reset::reset_submit),
        )
        .route(paths::SETUP, web::get().to(auth::setup::form))
        .route(paths::SETUP, web::post().to(auth::setup::submit))
        .route(paths::LOGIN_VERIFY, web::get().to(auth::verify::form))
        .route(paths::LOGIN_VERIFY_TOTP, web::post().to(auth::verify::totp))
        .route(
            paths::LOGIN_VERIFY_RECOVERY,
            web::post().to(auth::verify::recovery),
        )
        .route(
            paths::LOGIN_VERIFY_PASSKEY_OPTIONS,
            web::post().to(auth::passkey::verify_options),
        )
        .route(
            paths::LOGIN_VERIFY_PASSKEY,
            web::post().to(auth::passkey::verify),
        )
        .route(
            paths::LOGIN_VERIFY_PASSKEY,
            web::get().to(|| async { redirect(paths::LOGIN_VERIFY) }),
        )
        .route(
            paths::LOGIN_PASSKEY_OPTIONS,
            web::post().to(auth::passkey::login_options),
        )
        .route(paths::LOGIN_PASSKEY, web::post().to(auth::passkey::login))
        .route(
            paths::LOGIN_PASSKEY,
            web::get().to(|| async { redirect(paths::LOGIN) }),
        )
        .route(paths::ACCOUNT, web::get().to(account::overview::page))
        .route(
            paths::RECOVERY_CODES,
            web::post().to(account::overview::new_recovery_codes),
        )
        .route(paths::ENROL, web::get().to(account::enrol::form))
        .route(
            paths::ENROL_TOTP,
            web::post().to(account::enrol::confirm_totp),
        )
        .route(paths::REAUTH, web::get().to(account::reauth::form))
        .route(paths::REAUTH, web::post().to(account::reauth::submit))
        .route(
            paths::REAUTH_PASSKEY_OPTIONS,
            web::post().to(auth::passkey::reauth_options),
        )
        .route(paths::REAUTH_PASSKEY, web::post().to(auth::passkey::reauth))
        .route(
            paths::REAUTH_PASSKEY,
            web::get().to(|| async { redirect(paths::REAUTH) }),
        )
        .route(paths::PASSKEYS, web::get().to(account::passkeys::list))
        .route(
            paths::PASSKEY_REGISTER_OPTIONS,
            web::post().to(account::passkeys::register_options),
        )
        .route(
            paths::PASSKEY_REGISTER,
            web::post().to(account::passkeys::register),
        )
        .route(
            paths::PASSKEY_RENAME,
            web::post().to(account::passkeys::rename),
        )
        .route(
            paths::PASSKEY_REMOVE,
            web::post().to(account::passkeys::remove),
        )
        .route(
            paths::PASSKEY_REGISTER,
            web::get().to(account::passkeys::back_to_list),
        )
        .route(
            paths::PASSKEY_RENAME,
            web::get().to(account::passkeys::back_to_list),
        )
        .route(
            paths::PASSKEY_REMOVE,
            web::get().to(account::passkeys::back_to_list),
        )
        .route(paths::SESSIONS, web::get().to(account::sessions::page))
        .route(
            paths::SESSIONS_END_OTHERS,
            web::post().to(account::sessions::end_others),
        )
        .route(paths::PASSWORD, web::get().to(auth::password::form))
        .route(paths::PASSWORD, web::post().to(auth::password::submit))
        .route(paths::RETURNS, web::get().to(returns::list::page))
        .route(paths::RETURN, web::get().to(returns::form::page))
        .route(
            paths::RETURN_DRAFT,
            web::post().to(returns::form::save_draft),
        )
        .route(paths::RETURN_SUBMIT, web::post().to(returns::form::submit))
        .route(paths::RETURN_NIL, web::post().to(returns::form::submit_nil))
        .route(
            paths::RETURN_DRAFT,
            web::get().to(returns::form::back_to_page),
        )
        .route(
            paths::RETURN_SUBMIT,
            web::get().to(returns::form::back_to_page),
        )
        .route(
            paths::RETURN_NIL,
            web::get().to(returns::form::back_to_page),
        )
        .route(paths::RETURN_VERSION, web::get().to(returns::version::page))
        .route(paths::DASHBOARD, web::get().to(dashboard::page))
        .route(paths::REVIEW, web::get().to(review::list::page))
        .route(paths::REVIEW_VERSION, web::get().to(review::version::page))
        .route(paths::ADMIN_FIRMS, web::get().to(admin::firms::page))
        .route(paths::ADMIN_FIRMS, web::post().to(admin::firms::create))
        .route(paths::ADMIN_USERS, web::get().to(users::admin_page))
        .route(paths::ADMIN_USERS, web::post().to(users::admin_invite))
        .route(paths::FIRM_USERS, web::get().to(users::firm_page))
        .route(paths::FIRM_USERS, web::post().to(users::firm_invite))
        .route(paths::USER_ACTIVE, web::post().to(users::set_active))
        .route(paths::ADMIN_AUDIT, web::get().to(admin::audit::page));
}
