//! The signed-in user's own account: second factors, sessions, step-up.

pub mod enrol;
pub mod overview;
pub mod passkeys;
pub mod reauth;
pub mod sessions;

use chrono::{Duration, NaiveDateTime};

use super::extract::SignedIn;
use crate::error::AppError;

/// How recent a sign-in must be to change a credential.
pub const STEP_UP_WINDOW: Duration = Duration::minutes(10);

/// Sends the user to re-authenticate unless they did within the window.
pub fn require_recent(who: &SignedIn, now: NaiveDateTime, back_to: &str) -> Result<(), AppError> {
    if now - who.session.authenticated_at > STEP_UP_WINDOW {
        return Err(AppError::ReauthenticationRequired(back_to.to_owned()));
    }
    Ok(())
}
