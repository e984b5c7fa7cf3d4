//! Staff write a return's review threads from the version page: comment on
//! a section (firm-visible or internal), send the review (every drafted
//! comment at once) and resolve a comment. A mistake shows the page again
//! with the message beside the field and what was typed (422); an action
//! on a stale page (the version decided or superseded, the drafts changed,
//! the comment resolved already) is refused on the page (409).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::version::{Typed, show_with};
use crate::error::{AppError, AppResult};
use crate::services::review_comments::{self, Draft};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Staff;
use crate::web::review_threads::CommentTyped;
use crate::web::{AppState, paths, redirect};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    csrf: String,
    section: String,
    visibility: String,
    body: String,
}

impl HasCsrf for CommentForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    csrf: String,
    drafts: String,
}

impl HasCsrf for SendForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResolveForm {
    csrf: String,
}

impl HasCsrf for ResolveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn number(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Back to the comments of the version, or the page again with the
/// refusal of a conflict (409).
async fn done_or_refused(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    outcome: AppResult<()>,
) -> AppResult<HttpResponse> {
    match outcome {
        Ok(()) => Ok(redirect(paths::review_comments_anchor(id))),
        Err(AppError::Conflict(key)) => {
            let typed = Typed {
                refusal: Some(key),
                ..Typed::default()
            };
            show_with(req, state, who, id, None, typed).await
        }
        Err(e) => Err(e),
    }
}

/// Staff comment on the version.
pub async fn draft(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    let id = number(&id)?;
    let (now, actor, author) = (state.clock.now(), who.0.actor(), who.0.user.clone());
    let (section, visibility, body) = (
        form.section.clone(),
        form.visibility.clone(),
        form.body.clone(),
    );
    let outcome = crate::db::run(&state.pool, move |conn| {
        let typed = Draft {
            section: &section,
            visibility: &visibility,
            body: &body,
        };
        review_comments::draft(conn, &actor, &author, id, &typed, now)
    })
    .await;
    let invalid = match outcome {
        Ok(Ok(_)) => return Ok(redirect(paths::review_comments_anchor(id))),
        Ok(Err(invalid)) => invalid,
        Err(e) => return done_or_refused(&req, &state, &who, id, Err(e)).await,
    };
    let typed = Typed {
        comment: CommentTyped {
            section: form.section,
            visibility: form.visibility,
            body: form.body,
            invalid: Some(invalid),
        },
        ..Typed::default()
    };
    show_with(&req, &state, &who, id, None, typed).await
}

/// Staff send the review: the drafts the page showed, to the firm.
pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<SendForm>,
) -> AppResult<HttpResponse> {
    let id = number(&id)?;
    let (now, actor, links) = (state.clock.now(), who.0.actor(), state.mail_links());
    let outcome = crate::db::run(&state.pool, move |conn| {
        review_comments::send(conn, &actor, id, &form.drafts, &links, now).map(drop)
    })
    .await;
    done_or_refused(&req, &state, &who, id, outcome).await
}

/// Staff resolve a comment of the version's return.
pub async fn resolve(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    path: web::Path<(String, String)>,
    CsrfForm(_form): CsrfForm<ResolveForm>,
) -> AppResult<HttpResponse> {
    let (id, comment) = (number(&path.0)?, number(&path.1)?);
    let (now, actor) = (state.clock.now(), who.0.actor());
    let outcome = crate::db::run(&state.pool, move |conn| {
        review_comments::resolve(conn, &actor, id, comment, now)
    })
    .await;
    done_or_refused(&req, &state, &who, id, outcome).await
}

/// A GET on the resolve route (reload, back button) goes to the version.
pub async fn back_to_version(path: web::Path<(String, String)>) -> HttpResponse {
    match path.0.parse::<i64>() {
        Ok(id) => redirect(paths::review_comments_anchor(id)),
        Err(_) => redirect(paths::REVIEW),
    }
}
