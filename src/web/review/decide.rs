//! The regulator's decision on a version: accept it, or return it to the
//! firm with a reason and its open comments. A refused decision
//! (superseded, already decided) is a 409 with a plain message; an
//! acceptance while a firm-visible comment is open shows the page again
//! saying so (409); a missing (with no open comment) or too long reason
//! shows the form again (422) with what was typed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use validator::Validate;

use super::version::{ReasonState, Typed, show, show_with};
use crate::error::{AppError, AppResult};
use crate::services::review;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Staff;
use crate::web::form_rules;
use crate::web::{AppState, paths, redirect};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    csrf: String,
}

impl HasCsrf for AcceptForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct ReturnForm {
    csrf: String,
    #[validate(custom(function = "form_rules::return_reason"))]
    reason: String,
}

impl HasCsrf for ReturnForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn version_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Accepts the version; while a firm-visible comment is open, the page
/// comes back saying so (409).
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(_form): CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let id = version_id(&id)?;
    let (now, actor) = (state.clock.now(), who.0.actor());
    let outcome = crate::db::run(&state.pool, move |conn| {
        review::accept(conn, &actor, id, now).map(|_| ())
    })
    .await;
    if let Err(AppError::Conflict(review::OPEN_COMMENTS)) = outcome {
        let typed = Typed {
            refusal: Some(review::OPEN_COMMENTS),
            ..Typed::default()
        };
        return show_with(&req, &state, &who, id, None, typed).await;
    }
    outcome?;
    Ok(redirect(format!(
        "{}?done=accepted",
        paths::review_version(id)
    )))
}

pub async fn send_back(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let id = version_id(&id)?;
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, &["reason"]);
        let typed = ReasonState {
            error_key: Some(invalid.for_field("reason").unwrap_or(msg!("err.required"))),
            reason: form.reason,
        };
        return show(&req, &state, &who, id, None, typed).await;
    }
    let (now, actor) = (state.clock.now(), who.0.actor());
    let base = state.mail_links();
    let reason = form.reason.clone();
    let outcome = crate::db::run(&state.pool, move |conn| {
        review::send_back(conn, &actor, id, &reason, &base, now)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(redirect(format!(
            "{}?done=returned",
            paths::review_version(id)
        ))),
        Err(invalid) => {
            let typed = ReasonState {
                reason: form.reason,
                error_key: Some(invalid.for_field("reason").unwrap_or(msg!("err.required"))),
            };
            show(&req, &state, &who, id, None, typed).await
        }
    }
}

/// A GET on a decision route (reload, back button) goes to the version.
pub async fn back_to_version(id: web::Path<String>) -> HttpResponse {
    match id.parse::<i64>() {
        Ok(id) => redirect(paths::review_version(id)),
        Err(_) => redirect(paths::REVIEW),
    }
}
