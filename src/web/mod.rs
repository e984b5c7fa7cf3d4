//! HTTP: routes, extractors, views. Handlers parse input, call a service on
//! the blocking pool and render a template; they never write SQL.

pub mod account;
pub mod admin;
pub mod api;
pub mod api_clients;
pub mod assets;
pub mod auth;
pub mod charts;
pub mod conditional;
pub mod csrf;
pub mod dashboard;
pub mod dashboard_incidents;
pub mod dashboard_pages;
pub mod error_page;
pub mod extract;
pub mod form_rules;
pub mod fresh;
pub mod gzip;
pub mod hashing;
pub mod health;
pub mod incident_thread;
pub mod incidents;
pub mod language;
pub mod mail_links;
pub mod observers;
pub mod open_data;
pub mod page_cache;
pub mod paths;
pub mod request_log;
pub mod retained;
pub mod returns;
pub mod review;
pub mod review_threads;
pub mod revisions;
pub mod routing;
pub mod rules;
pub mod security_headers;
pub mod slow_clients;
pub mod statistics;
pub mod users;
pub mod view;

#[cfg(test)]
mod message_families_tests;

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::DbPool;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// The key that seals TOTP secrets at rest.
    pub keys: Arc<crate::secrets::Keyring>,
    /// Password hashing, on a few threads of lower priority (`hashing`),
    /// so a sign-in flood cannot starve the pages or the database calls.
    pub hashing: Arc<hashing::HashingPool>,
    /// The dashboard's distinct-firm totals, kept until their range changes.
    pub distinct_firms: Arc<crate::services::summary::DistinctCache>,
    /// Released publications, read once (they never change).
    pub releases: Arc<crate::services::release_cache::ReleaseCache>,
    /// Public pages as anonymous visitors get them.
    pub public_pages: Arc<page_cache::PageCache>,
    /// Sessions (with their users) by token hash, while fresh.
    pub sessions: Arc<fresh::Fresh<(crate::db::models::Session, crate::db::models::User)>>,
    /// The dashboard's figures by language and asked range, while fresh.
    pub dashboards: Arc<fresh::Fresh<Arc<dashboard::Figures>>>,
    /// The dashboard's incident figures, while fresh and while they hold at
    /// the clock's time (`dashboard_incidents`).
    pub incident_figures: Arc<fresh::Fresh<Arc<dashboard_incidents::Kept>>>,
    /// Signed-in dashboards, whole, while drawn from what is current.
    pub dashboard_pages: Arc<dashboard_pages::DashboardPages>,
    /// The released publications the statistics list shows, while fresh.
    pub released: Arc<fresh::Fresh<Arc<Vec<crate::services::publications::Listed>>>>,
    /// API tokens' holders by token, while fresh (like the sessions).
    pub api_tokens: Arc<fresh::Fresh<crate::services::api_tokens::lookup::Holder>>,
    /// Requests per API client in the current minute (`api::rate`).
    pub api_rates: Arc<api::rate::ClientRates>,
    /// The filing API's OpenAPI document, built on first use (`api::openapi`).
    pub api_document: Arc<std::sync::OnceLock<api::openapi::Published>>,
}

impl AppState {
    /// Runs password hashing on the hashing threads.
    pub async fn run_hashing<T, F>(&self, work: F) -> crate::error::AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.hashing.run(work).await
    }
}

/// Body size limit for forms: above what any form whose text fields stop at
/// their `maxlength` (domain::limits; about 7,000 characters on the return
/// form, at most 9 bytes each once URL-encoded) can send.
pub const FORM_LIMIT: usize = 256 * 1024;

/// A POST route reached by GET (reload, back button) goes to its page.
fn redirect(to: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.into()))
        .finish()
}

/// Declares every route once: registers them and lists them in
/// `ROUTE_TABLE`, which the authorization-matrix test walks (a route
/// without a row there fails it).
macro_rules! portal_routes {
    ($($method:ident $path:expr => $handler:expr;)*) => {
        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT));
            routing::register(cfg, vec![$(($path, web::$method().to($handler))),*]);
        }

        /// (method, path pattern) of every route.
        pub const ROUTE_TABLE: &[(&str, &str)] = &[$((stringify!($method), $path)),*];
    };
}

portal_routes! {
    get paths::HEALTHZ => health::healthz;
    get paths::READYZ => health::readyz;
    get paths::STYLESHEET => assets::stylesheet;
    get paths::PASSKEY_SCRIPT => assets::passkey_script;
    get paths::FOCUS_SCRIPT => assets::focus_script;
    get paths::HOME => auth::home;
    post paths::LANGUAGE => language::switch;
    get paths::LANGUAGE => language::switch_cookie;
    get paths::LOGIN => auth::login::form;
    post paths::LOGIN => auth::login::submit;
    post paths::LOGOUT => auth::login::logout;
    get paths::LOGOUT => || async { redirect(paths::HOME) };
    get paths::INVITATION => auth::invite::form;
    post paths::INVITATION => auth::invite::accept;
    get paths::PASSWORD_FORGOT => auth::reset::forgot_form;
    post paths::PASSWORD_FORGOT => auth::reset::forgot_submit;
    get paths::PASSWORD_RESET => auth::reset::reset_form;
    post paths::PASSWORD_RESET => auth::reset::reset_submit;
    get paths::SETUP => auth::setup::form;
    post paths::SETUP => auth::setup::submit;
    get paths::LOGIN_VERIFY => auth::verify::form;
    post paths::LOGIN_VERIFY_TOTP => auth::verify::totp;
    post paths::LOGIN_VERIFY_RECOVERY => auth::verify::recovery;
    post paths::LOGIN_VERIFY_PASSKEY_OPTIONS => auth::passkey::verify_options;
    post paths::LOGIN_VERIFY_PASSKEY => auth::passkey::verify;
    get paths::LOGIN_VERIFY_PASSKEY => || async { redirect(paths::LOGIN_VERIFY) };
    post paths::LOGIN_PASSKEY_OPTIONS => auth::passkey::login_options;
    post paths::LOGIN_PASSKEY => auth::passkey::login;
    get paths::LOGIN_PASSKEY => || async { redirect(paths::LOGIN) };
    get paths::ACCOUNT => account::overview::page;
    post paths::RECOVERY_CODES => account::overview::new_recovery_codes;
    get paths::ENROL => account::enrol::form;
    post paths::ENROL_TOTP => account::enrol::confirm_totp;
    get paths::REAUTH => account::reauth::form;
    post paths::REAUTH => account::reauth::submit;
    post paths::REAUTH_PASSKEY_OPTIONS => auth::passkey::reauth_options;
    post paths::REAUTH_PASSKEY => auth::passkey::reauth;
    get paths::REAUTH_PASSKEY => || async { redirect(paths::REAUTH) };
    get paths::PASSKEYS => account::passkeys::list;
    post paths::PASSKEY_REGISTER_OPTIONS => account::passkeys::register_options;
    post paths::PASSKEY_REGISTER => account::passkeys::register;
    post paths::PASSKEY_RENAME => account::passkeys::rename;
    post paths::PASSKEY_REMOVE => account::passkeys::remove;
    get paths::PASSKEY_REGISTER => account::passkeys::back_to_list;
    get paths::PASSKEY_RENAME => account::passkeys::back_to_list;
    get paths::PASSKEY_REMOVE => account::passkeys::back_to_list;
    get paths::SESSIONS => account::sessions::page;
    post paths::SESSIONS_END_OTHERS => account::sessions::end_others;
    get paths::PASSWORD => auth::password::form;
    post paths::PASSWORD => auth::password::submit;
    get paths::RETURNS => returns::list::page;
    get paths::RETURN => returns::tasks::page;
    post paths::RETURN_DRAFT => returns::form::save_draft;
    get paths::RETURN_SECTION => returns::section::page;
    post paths::RETURN_SECTION => returns::section::save;
    get paths::RETURN_CHECK => returns::check::page;
    post paths::RETURN_READY => returns::check::mark_ready;
    get paths::RETURN_READY => returns::check::back_to_check;
    get paths::RETURN_APPROVE => returns::approve::page;
    post paths::RETURN_SUBMIT => returns::approve::submit;
    post paths::RETURN_NIL => returns::nil::mark;
    post paths::RETURN_NIL_EXPLANATION => returns::tasks::explain_nil;
    get paths::RETURN_DRAFT => returns::form::back_to_page;
    get paths::RETURN_SUBMIT => returns::form::back_to_page;
    get paths::RETURN_NIL => returns::form::back_to_page;
    get paths::RETURN_NIL_EXPLANATION => returns::form::back_to_page;
    get paths::RETURN_VERSION => returns::version::page;
    get paths::RETURN_TRADES => returns::trades::page;
    post paths::RETURN_TRADES => returns::trades::upload;
    post paths::RETURN_TRADES_USE => returns::trades::use_figures;
    post paths::RETURN_TRADES_REMOVE => returns::trades::remove;
    get paths::RETURN_TRADES_USE => returns::trades::back_to_page;
    get paths::RETURN_TRADES_REMOVE => returns::trades::back_to_page;
    get paths::RETURN_TRADES_TEMPLATE => returns::trades::template;
    get paths::DASHBOARD => dashboard::page;
    get paths::REVIEW => review::list::page;
    get paths::REVIEW_VERSION => review::version::page;
    get paths::REVIEW_FIRM => review::firm::page;
    post paths::REVIEW_ACCEPT => review::decide::accept;
    post paths::REVIEW_RETURN => review::decide::send_back;
    get paths::REVIEW_ACCEPT => review::decide::back_to_version;
    get paths::REVIEW_RETURN => review::decide::back_to_version;
    get paths::REVIEW_COMPARE => review::compare::staff_page;
    get paths::RETURN_COMPARE => review::compare::firm_page;
    get paths::REVIEW_BOARD => review::board::page;
    get paths::REVIEW_COMPLETENESS => review::completeness::page;
    get paths::REVIEW_QUEUE => review::queue::page;
    get paths::REVIEW_EXPORT_VERSIONS => review::exports::versions;
    get paths::REVIEW_EXPORT_TRADES => review::exports::trades;
    get paths::REVIEW_INCIDENTS => review::incidents::page;
    get paths::REVIEW_INCIDENT => review::incident::page;
    post paths::REVIEW_INCIDENT_TRIAGE => review::incident_forms::triage;
    post paths::REVIEW_INCIDENT_MESSAGES => review::incident_forms::message;
    post paths::REVIEW_INCIDENT_CAMPAIGN => review::incident_forms::campaign;
    get paths::REVIEW_INCIDENT_TRIAGE => review::incident_forms::back_to_incident;
    get paths::REVIEW_INCIDENT_MESSAGES => review::incident_forms::back_to_incident;
    get paths::REVIEW_INCIDENT_CAMPAIGN => review::incident_forms::back_to_incident;
    get paths::REVIEW_CAMPAIGN => review::campaign::page;
    post paths::INCIDENT_MESSAGES => incident_thread::reply;
    get paths::INCIDENT_MESSAGES => incident_thread::back_to_thread;
    get paths::RULES => rules::page;
    get paths::RULES_JSON => rules::json;
    get paths::STATISTICS => statistics::list;
    // Before `/statistics/{id}`, whose `{id}` would match `catalog.json`,
    // `7.json` and `revisions` too (and answer 404, not being a number).
    get paths::STATISTICS_CATALOG => open_data::catalog;
    get paths::STATISTICS_JSON => open_data::release_json;
    get paths::STATISTICS_REVISIONS => revisions::page;
    get paths::STATISTICS_REVISIONS_CSV => revisions::csv;
    get paths::STATISTICS_RELEASE => statistics::release;
    get paths::STATISTICS_CSV => statistics::csv_en;
    get paths::STATISTICS_CSV_JA => statistics::csv_ja;
    get paths::STATISTICS_CSVW => open_data::csvw_en;
    get paths::STATISTICS_CSVW_JA => open_data::csvw_ja;
    get paths::ADMIN_PUBLICATIONS => admin::publications::list;
    post paths::ADMIN_PUBLICATIONS => admin::publications::create;
    get paths::ADMIN_PUBLICATION => admin::publication::page;
    post paths::ADMIN_PUBLICATION_OVERRIDE => admin::publication::override_cell;
    get paths::ADMIN_PUBLICATION_RELEASE => admin::publication_release::page;
    post paths::ADMIN_PUBLICATION_RELEASE => admin::publication_release::confirm;
    post paths::ADMIN_PUBLICATION_SCHEDULE => admin::publication_release::schedule;
    post paths::ADMIN_PUBLICATION_UNSCHEDULE => admin::publication::unschedule;
    get paths::ADMIN_PUBLICATION_OVERRIDE => admin::publication::back_to_page;
    get paths::ADMIN_CALENDAR => admin::calendar::page;
    post paths::ADMIN_CALENDAR => admin::calendar::save;
    get paths::ADMIN_INCIDENT_DEADLINES => admin::incident_deadlines::page;
    post paths::ADMIN_INCIDENT_DEADLINES => admin::incident_deadlines::save;
    get paths::ADMIN_FIRMS => admin::firms::page;
    post paths::ADMIN_FIRMS => admin::firms::create;
    get paths::ADMIN_FIRM_FIRST_PERIOD => admin::firm_start::page;
    post paths::ADMIN_FIRM_FIRST_PERIOD => admin::firm_start::save;
    post paths::ADMIN_FIRM_EXEMPTION => admin::firms::set_exemption;
    get paths::ADMIN_FIRM_EXEMPTION => || async { redirect(paths::ADMIN_FIRMS) };
    get paths::ADMIN_USERS => users::admin_page;
    post paths::ADMIN_USERS => users::admin_invite;
    get paths::FIRM_USERS => users::firm_page;
    post paths::FIRM_USERS => users::firm_invite;
    post paths::USER_ACTIVE => users::set_active;
    get paths::ADMIN_AUDIT => admin::audit::page;
    get paths::ADMIN_POLICY => admin::policy::page;
    post paths::ADMIN_POLICY => admin::policy::save;
    post paths::API_TOKEN => api::token::token;
    get paths::API_WHOAMI => api::whoami::whoami;
    get paths::FIRM_API_CLIENTS => api_clients::firm_page;
    post paths::FIRM_API_CLIENTS => api_clients::firm_register;
    get paths::ADMIN_API_CLIENTS => api_clients::admin_page;
    post paths::ADMIN_API_CLIENTS => api_clients::admin_register;
    get paths::API_CLIENT => api_clients::client::page;
    post paths::API_CLIENT_CONFIRM => api_clients::client::confirm;
    post paths::API_CLIENT_SUSPEND => api_clients::client::suspend;
    post paths::API_CLIENT_KEYS => api_clients::client::add_key;
    post paths::API_CLIENT_KEY_RETIRE => api_clients::client::retire_key;
    get paths::API_CLIENT_CONFIRM => api_clients::client::back_to_page;
    get paths::API_CLIENT_SUSPEND => api_clients::client::back_to_page;
    get paths::API_CLIENT_KEYS => api_clients::client::back_to_page;
    get paths::API_CLIENT_KEY_RETIRE => api_clients::client::back_to_key_page;
    get paths::API_PERIODS => api::periods::list;
    get paths::API_DRAFT => api::drafts::get;
    put paths::API_DRAFT => api::drafts::put;
    put paths::API_DRAFT_TRADES => api::trades::put;
    post paths::API_DRAFT_READY => api::drafts::ready;
    post paths::API_VALIDATE => api::drafts::validate;
    get paths::API_VERSIONS => api::versions::list;
    get paths::API_VERSION => api::versions::one;
    get paths::API_SUMMARY => api::summary::summary;
    get paths::API_COMPLETENESS => api::summary::completeness;
    get paths::API_OPENAPI => api::openapi::document;
    get paths::API_REFERENCE => api::reference::page;
    get paths::INCIDENTS => incidents::list;
    // Before `/incidents/{id}`, whose `{id}` would match `new`.
    get paths::INCIDENT_NEW => incidents::form::new_form;
    post paths::INCIDENT_NEW => incidents::form::create;
    get paths::INCIDENT => incidents::page::page;
    get paths::INCIDENT_STAGE => incidents::form::stage_form;
    post paths::INCIDENT_STAGE => incidents::form::send_stage;
    post paths::INCIDENT_APPROVE => incidents::page::approve;
    get paths::INCIDENT_APPROVE => incidents::page::back_to_page;
    post paths::INCIDENT_RECLASSIFY => incidents::page::reclassify;
    get paths::INCIDENT_RECLASSIFY => incidents::page::back_to_page;
    get paths::API_INCIDENTS => api::incidents::list;
    post paths::API_INCIDENTS => api::incidents::create;
    get paths::API_INCIDENT => api::incidents::one;
    put paths::API_INCIDENT_STAGE => api::incidents::put_stage;
    // Review threads.
    post paths::REVIEW_COMMENTS => review::comments::draft;
    post paths::REVIEW_COMMENTS_SEND => review::comments::send;
    post paths::REVIEW_COMMENT_RESOLVE => review::comments::resolve;
    get paths::REVIEW_COMMENTS => review::decide::back_to_version;
    get paths::REVIEW_COMMENTS_SEND => review::decide::back_to_version;
    get paths::REVIEW_COMMENT_RESOLVE => review::comments::back_to_version;
    post paths::RETURN_COMMENT_ANSWER => returns::comments::answer;
    get paths::RETURN_COMMENT_ANSWER => returns::comments::back_to_return;
    // Retention: the admin's setting, and a firm's legal hold.
    get paths::ADMIN_RETENTION => admin::retention::page;
    post paths::ADMIN_RETENTION => admin::retention::save;
    get paths::ADMIN_FIRM_LEGAL_HOLD => admin::legal_hold::page;
    post paths::ADMIN_FIRM_LEGAL_HOLD => admin::legal_hold::place;
    post paths::ADMIN_FIRM_LEGAL_HOLD_LIFT => admin::legal_hold::lift;
    get paths::ADMIN_FIRM_LEGAL_HOLD_LIFT => admin::legal_hold::back_to_page;
    // supervision: observers
    get paths::OBSERVER_HOME => observers::home;
    get paths::OBSERVER_DASHBOARD => observers::dashboard;
    get paths::OBSERVER_VERSION => observers::version::page;
    get paths::ADMIN_OBSERVERS => admin::observers::list;
    get paths::ADMIN_OBSERVER => admin::observers::scope_page;
    post paths::ADMIN_OBSERVER => admin::observers::save_scope;
    get paths::ADMIN_OBSERVER_VIEWS => admin::observers::views;
    // Controlled extracts: an admin grants or revokes a staff user's right.
    post paths::USER_EXPORT_RIGHT => users::set_export_right;
    get paths::USER_EXPORT_RIGHT => || async { redirect(paths::ADMIN_USERS) };
    // Supervision: deadline extensions and timeliness over time.
    get paths::RETURN_EXTENSION => returns::extension::page;
    post paths::RETURN_EXTENSION => returns::extension::request;
    get paths::REVIEW_EXTENSIONS => review::extensions::queue;
    get paths::REVIEW_EXTENSION => review::extensions::page;
    post paths::REVIEW_EXTENSION => review::extensions::decide;
    get paths::REVIEW_TIMELINESS => review::timeliness::page;
}
