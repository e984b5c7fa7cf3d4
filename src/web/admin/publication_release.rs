//! Releasing a publication (admin): the check-your-answers page showing
//! everything that becomes public (both titles, both footnote lists, the
//! cut-off, the months and the table as the public will see it), and the
//! confirmation, which carries the draft's content hash so that a draft
//! changed since the page was shown is not released.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::PublicationStatus;
use crate::error::{AppError, AppResult};
use crate::services::publication_release::{self, Outcome, ToConfirm};
use crate::services::{publications, publish};
use crate::web::admin::audit_view::{self, AuditView};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::statistics::{cell_label, display_rows};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};
use validator::Validate;

#[derive(Template)]
#[template(path = "admin/publication_release.html")]
struct ConfirmPage {
    c: Chrome,
    id: i64,
    /// The title in the reader's language (the page's heading).
    heading: String,
    title_en: String,
    title_ja: String,
    footnotes_en: Vec<String>,
    footnotes_ja: Vec<String>,
    cutoff_at: String,
    period_from: String,
    period_to: String,
    p_percent: i32,
    months: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    /// (cell, justification) released despite disclosure control.
    overrides: Vec<(String, String)>,
    content_sha256: String,
    /// Why nothing was released, when a confirmation was refused.
    refused: Option<String>,
    audit: AuditView,
    /// The release time typed into the schedule form, and its problem.
    schedule_at: String,
    schedule_error: Option<String>,
}

/// What the schedule form typed, with the problem beside it.
#[derive(Default)]
struct Typed {
    at: String,
    error: Option<Key>,
}

/// The confirmation: the content hash of the draft the page showed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
    content_sha256: String,
}

impl HasCsrf for ConfirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn public_page(id: i64) -> HttpResponse {
    redirect(paths::STATISTICS_RELEASE.replace("{id}", &id.to_string()))
}

fn respond(
    req: &HttpRequest,
    who: &Admin,
    shown: ToConfirm,
    refused: Option<Key>,
) -> AppResult<HttpResponse> {
    respond_typed(req, who, shown, refused, Typed::default())
}

fn respond_typed(
    req: &HttpRequest,
    who: &Admin,
    shown: ToConfirm,
    refused: Option<Key>,
    typed: Typed,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, &who.0);
    let p = shown.publication;
    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    let page = ConfirmPage {
        id: p.id,
        heading: crate::web::statistics::in_reader_language(&c.t, &p.title, &p.title_ja).to_owned(),
        footnotes_en: lines(&p.footnotes),
        footnotes_ja: lines(&p.footnotes_ja),
        title_en: p.title,
        title_ja: p.title_ja,
        cutoff_at: c.when(&p.cutoff_at),
        period_from: p.period_from,
        period_to: p.period_to,
        p_percent: p.p_percent,
        rows: display_rows(&c.t, &shown.table),
        months: shown.table.months,
        overrides: shown
            .overrides
            .into_iter()
            .map(|o| (cell_label(&c.t, &o.cell), o.justification))
            .collect(),
        content_sha256: shown.sha256,
        refused: refused.map(|key| c.t.t(key).to_owned()),
        audit: audit_view::build(&c.t, &shown.audit, &shown.linked, shown.safe, true),
        schedule_at: typed.at,
        schedule_error: typed.error.map(|key| c.t.t(key).to_owned()),
        c,
    };
    let status = if typed.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if refused.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

async fn load(state: &AppState, id: i64) -> AppResult<Option<ToConfirm>> {
    let found = crate::db::run(&state.pool, move |conn| {
        publication_release::to_confirm(conn, id)
    })
    .await;
    match found {
        Ok(shown) => Ok(Some(shown)),
        // Released already: there is nothing left to confirm.
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where a publication no longer a draft is shown: a release on its
/// public page, a scheduled one on its own page (when, and cancel).
async fn gone(state: &AppState, id: i64) -> AppResult<HttpResponse> {
    let p = crate::db::run(&state.pool, move |conn| publications::find(conn, id)).await?;
    Ok(if p.status == PublicationStatus::Released {
        public_page(id)
    } else {
        admin_page(id)
    })
}

/// The check-your-answers page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    match load(&state, id).await? {
        Some(shown) => respond(&req, &who, shown, None),
        None => gone(&state, id).await,
    }
}

/// The confirmation: releases the draft if it is still what the page
/// showed; otherwise shows the page again with what it is now.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (now, actor) = (state.clock.now(), who.0.actor());
    let outcome = crate::db::run(&state.pool, move |conn| {
        publication_release::release(conn, &actor, id, &form.content_sha256, now)
    })
    .await?;
    match outcome {
        Outcome::Released { .. } | Outcome::AlreadyReleased => Ok(public_page(id)),
        // Scheduled before: its own page says when, and offers to cancel.
        Outcome::AlreadyScheduled => Ok(admin_page(id)),
        Outcome::Scheduled { .. } => Ok(admin_page(id)),
        Outcome::Stale => match load(&state, id).await? {
            Some(shown) => respond(&req, &who, shown, Some(msg!("publication.release_stale"))),
            None => gone(&state, id).await,
        },
        Outcome::Unsafe => match load(&state, id).await? {
            Some(shown) => respond(&req, &who, shown, Some(msg!("publication.release_unsafe"))),
            None => gone(&state, id).await,
        },
    }
}

fn admin_page(id: i64) -> HttpResponse {
    redirect(paths::ADMIN_PUBLICATION.replace("{id}", &id.to_string()))
}

/// The schedule: the content hash of the draft the page showed, and when
/// it is to become public (Japan time).
#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct ScheduleForm {
    csrf: String,
    content_sha256: String,
    #[validate(custom(function = "form_rules::release_time"))]
    at: String,
}

impl HasCsrf for ScheduleForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Schedules the draft if it is still what the page showed; a time that
/// does not parse or has passed comes back beside the field.
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ScheduleForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (now, actor) = (state.clock.now(), who.0.actor());
    let beside = |key: Key| Typed {
        at: form.at.clone(),
        error: Some(key),
    };
    if let Err(errors) = form.validate() {
        let key = form_rules::invalid(&errors, &["at"])
            .for_field("at")
            .unwrap_or(msg!("publication.schedule_invalid"));
        return again(&req, &state, &who, id, beside(key)).await;
    }
    let at = match publish::parse_cutoff(&form.at) {
        Some(at) if at > now => at,
        Some(_) => return again(&req, &state, &who, id, beside(SCHEDULE_PAST)).await,
        None => {
            let key = msg!("publication.schedule_invalid");
            return again(&req, &state, &who, id, beside(key)).await;
        }
    };
    let sha = form.content_sha256.clone();
    let outcome = crate::db::run(&state.pool, move |conn| {
        publication_release::schedule(conn, &actor, id, &sha, at, now)
    })
    .await;
    match outcome {
        Ok(Outcome::Scheduled { .. } | Outcome::AlreadyScheduled) => Ok(admin_page(id)),
        Ok(Outcome::Released { .. } | Outcome::AlreadyReleased) => Ok(public_page(id)),
        Ok(Outcome::Stale) => {
            let why = msg!("publication.release_stale");
            refuse(&req, &state, &who, id, why, &form.at).await
        }
        Ok(Outcome::Unsafe) => {
            let why = msg!("publication.release_unsafe");
            refuse(&req, &state, &who, id, why, &form.at).await
        }
        Err(AppError::BadRequest(key))
            if key == SCHEDULE_PAST || key == msg!("publication.schedule_too_far") =>
        {
            again(&req, &state, &who, id, beside(key)).await
        }
        Err(e) => Err(e),
    }
}

const SCHEDULE_PAST: Key = msg!("publication.schedule_past");

async fn again(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    typed: Typed,
) -> AppResult<HttpResponse> {
    match load(state, id).await? {
        Some(shown) => respond_typed(req, who, shown, None, typed),
        None => gone(state, id).await,
    }
}

/// The page again with why nothing was scheduled, the time as typed.
async fn refuse(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    why: Key,
    typed: &str,
) -> AppResult<HttpResponse> {
    let typed = Typed {
        at: typed.to_owned(),
        error: None,
    };
    match load(state, id).await? {
        Some(shown) => respond_typed(req, who, shown, Some(why), typed),
        None => gone(state, id).await,
    }
}
