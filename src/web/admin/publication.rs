//! One publication (admin): its preview with the cells disclosure control
//! hides and why, releasing single cells with a justification, and the way
//! to the release's check-your-answers page (`publication_release`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::PublicationStatus;
use crate::domain::disclosure::Reason;
use crate::error::AppResult;
use crate::services::publication_table::{FIGURES, TOTAL, cell_key};
use crate::services::scheduled_releases::{self, Cancelled};
use crate::services::{Invalid, publication_release, publications};
use crate::web::admin::audit_view::{self, AuditView};
use crate::web::csrf::{CsrfForm, CsrfOnly, HasCsrf};
use crate::web::extract::Admin;
use crate::web::statistics::{cell_label, figure_key, show, title_of};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, redirect};

const LIST: &str = crate::web::paths::ADMIN_PUBLICATIONS;

#[derive(Template)]
#[template(path = "admin/publication.html")]
struct DraftPage {
    c: Chrome,
    id: i64,
    title: String,
    draft: bool,
    cutoff_at: String,
    p_percent: i32,
    months: Vec<String>,
    /// (label, [(shown, reason key or "")]).
    rows: Vec<(String, Vec<(String, String)>)>,
    overrides: Vec<(String, String, String)>,
    /// (cell key, the cell as a reader names it).
    cells: Vec<(String, String)>,
    errors: Vec<String>,
    audit: AuditView,
    /// When a scheduled release becomes public.
    scheduled_for: Option<String>,
    /// What the last action did (a schedule cancelled, or too late to).
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverrideForm {
    csrf: String,
    cell: String,
    justification: String,
}

impl HasCsrf for OverrideForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn draft_page(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    invalid: &Invalid,
) -> AppResult<HttpResponse> {
    let (p, table, overrides, audited) = crate::db::run(&state.pool, move |conn| {
        let p = publications::find(conn, id)?;
        let (table, audited) = if p.status != PublicationStatus::Draft {
            let stored = publication_release::stored_audit(conn, id)?;
            let kept = stored.is_some();
            let audit = stored.unwrap_or_default();
            let safe = audit.iter().all(|a| a.protected);
            (
                publications::released_table(&p)?,
                (audit, Vec::new(), safe, kept),
            )
        } else {
            let computed = publications::preview(conn, &p)?;
            let audited = (computed.audit, computed.linked, computed.safe, true);
            (computed.table, audited)
        };
        Ok((p, table, publications::overrides(conn, id)?, audited))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let (audit, linked, safe, kept) = audited;
    let audit = audit_view::build(&c.t, &audit, &linked, safe, kept);
    let rows = table
        .rows
        .iter()
        .map(|r| {
            let cells = r.cells.iter().map(|cell| {
                let reason = match (cell.reason, cell.overridden) {
                    (_, true) => Some(msg!("publication.reason_released")),
                    (Some(Reason::Threshold), _) => Some(msg!("publication.reason_threshold")),
                    (Some(Reason::Dominance), _) => Some(msg!("publication.reason_dominance")),
                    (Some(Reason::Secondary), _) => Some(msg!("publication.reason_secondary")),
                    (None, false) => None,
                };
                (
                    show(&r.figure, cell.value),
                    reason.map(|k| c.t.t(k).to_owned()).unwrap_or_default(),
                )
            });
            (c.t.t(figure_key(&r.figure)).to_owned(), cells.collect())
        })
        .collect();
    let cells = FIGURES
        .iter()
        .flat_map(|f| {
            table
                .months
                .iter()
                .map(String::as_str)
                .chain([TOTAL])
                .map(|m| {
                    let key = cell_key(f, m);
                    let label = cell_label(&c.t, &key);
                    (key, label)
                })
        })
        .collect();
    let overrides = overrides
        .into_iter()
        .map(|o| {
            let cell = cell_label(&c.t, &o.cell);
            (cell, o.justification, c.when(&o.created_at))
        })
        .collect();
    let page = DraftPage {
        id,
        title: title_of(&c.t, &p).to_owned(),
        draft: p.status == PublicationStatus::Draft,
        cutoff_at: c.when(&p.cutoff_at),
        p_percent: p.p_percent,
        months: table.months,
        rows,
        overrides,
        cells,
        errors: invalid
            .0
            .iter()
            .map(|(_, key)| c.t.t(key).to_owned())
            .collect(),
        audit,
        scheduled_for: (p.status == PublicationStatus::Scheduled)
            .then(|| p.released_at.map(|at| c.when(&at)))
            .flatten(),
        notice: match req.query_string() {
            "unscheduled=1" => Some(c.t.t(msg!("publication.unscheduled")).to_owned()),
            "too_late=1" => Some(c.t.t(msg!("publication.unschedule_too_late")).to_owned()),
            "not_scheduled=1" => Some(c.t.t(msg!("publication.not_scheduled")).to_owned()),
            _ => None,
        },
        c,
    };
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    draft_page(&req, &state, &who, id.into_inner(), &Invalid::default()).await
}

pub async fn override_cell(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<OverrideForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (now, actor) = (state.clock.now(), who.0.actor());
    let outcome = crate::db::run(&state.pool, move |conn| {
        publications::override_cell(conn, &actor, id, &form.cell, &form.justification, now)
    })
    .await?;
    match outcome {
        Ok(()) => Ok(redirect(format!("{LIST}/{id}"))),
        Err(invalid) => draft_page(&req, &state, &who, id, &invalid).await,
    }
}

/// A GET on a POST route goes back to the publication.
pub async fn back_to_page(id: web::Path<i64>) -> HttpResponse {
    redirect(format!("{LIST}/{}", id.into_inner()))
}

/// Cancels a scheduled release before its time (a draft again).
pub async fn unschedule(
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (now, actor) = (state.clock.now(), who.0.actor());
    let done = crate::db::run(&state.pool, move |conn| {
        scheduled_releases::unschedule(conn, &actor, id, now)
    })
    .await?;
    let outcome = match done {
        Cancelled::Done => "unscheduled=1",
        Cancelled::TooLate => "too_late=1",
        Cancelled::NotScheduled => "not_scheduled=1",
    };
    Ok(redirect(format!("{LIST}/{id}?{outcome}")))
}
