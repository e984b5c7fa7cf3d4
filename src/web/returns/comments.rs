//! A firm user (reporter or approver) answers one of the regulator's
//! comments on the firm's return, from the return's page. A mistake, or a
//! comment resolved meanwhile, shows the page again with the message
//! beside the answer and the text as typed (422).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::reportable_period;
use super::tasks::{Refill, respond};
use crate::error::{AppError, AppResult};
use crate::services::review_answers;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::review_threads::AnswerTyped;
use crate::web::{AppState, paths, redirect};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    csrf: String,
    body: String,
}

impl HasCsrf for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&path.0, &state.clock)?;
    let comment_id: i64 = path.1.parse().map_err(|_| AppError::NotFound)?;
    let (now, actor, links) = (state.clock.now(), who.who.actor(), state.mail_links());
    let (author, body) = (who.who.user.clone(), form.body.clone());
    let outcome = crate::db::run(&state.pool, move |conn| {
        review_answers::answer(
            conn, &actor, &author, period, comment_id, &body, &links, now,
        )
    })
    .await?;
    let invalid = match outcome {
        Ok(()) => return Ok(redirect(paths::return_comment(period, comment_id))),
        Err(invalid) => invalid,
    };
    let typed = AnswerTyped {
        comment_id,
        body: form.body,
        error: invalid.for_field("body").unwrap_or(msg!("err.required")),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    respond(
        &req,
        &state,
        &who,
        period,
        None,
        Some(Refill::Answer(typed)),
        status,
    )
    .await
}

/// A GET on the answer route (reload, back button) goes to the return.
pub async fn back_to_return(path: web::Path<(String, String)>) -> HttpResponse {
    match crate::domain::period::Period::parse(&path.0) {
        Ok(period) => redirect(paths::return_page(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
