//! The filing API (`/api/v1`, JSON), beside the pages and calling the same
//! services. Its callers are API clients with bearer tokens (`caller`),
//! got at the token endpoint (`token`); its refusals are problem details
//! (`problem`).

// A refusal is a `Problem` (its fields are the API's contract), returned
// by value: it is made once per refused request, where its size costs
// nothing worth a box.
#![allow(clippy::result_large_err)]

pub mod caller;
pub mod problem;
pub mod token;
pub mod whoami;

use super::{AppState, paths};

/// This portal's token endpoint as clients reach it: the only audience an
/// assertion may name (RFC 7523 §3).
pub fn token_url(state: &AppState) -> String {
    format!("{}{}", state.config.public_url, paths::API_TOKEN)
}
