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

use crate::error::{AppError, AppResult};
use crate::services::publication_release::{self, Outcome, ToConfirm};
use crate::web::admin::audit_view::{self, AuditView};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::statistics::{cell_label, display_rows};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

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
        c,
    };
    let status = if refused.is_some() {
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
        None => Ok(public_page(id)),
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
        Outcome::Stale => match load(&state, id).await? {
            Some(shown) => respond(&req, &who, shown, Some(msg!("publication.release_stale"))),
            None => Ok(public_page(id)),
        },
        Outcome::Unsafe => match load(&state, id).await? {
            Some(shown) => respond(&req, &who, shown, Some(msg!("publication.release_unsafe"))),
            None => Ok(public_page(id)),
        },
    }
}
