//! Sign-in, sign-out, the first admin's setup link and password changes.

pub mod device;
pub mod invite;
pub mod login;
pub mod passkey;
pub mod password;
pub mod reset;
pub mod setup;
pub mod verify;

use actix_web::{HttpRequest, HttpResponse};

use super::extract::SignedIn;
use super::{paths, redirect};

/// `/`: where a user starts, by role.
pub async fn home(req: HttpRequest) -> HttpResponse {
    match SignedIn::extract_quietly(&req).await {
        Some(who) if who.role().is_staff() => redirect(paths::DASHBOARD),
        Some(who) if who.role().is_observer() => redirect(paths::OBSERVER_HOME),
        Some(_) => redirect(paths::RETURNS),
        None => redirect(paths::LOGIN),
    }
}
