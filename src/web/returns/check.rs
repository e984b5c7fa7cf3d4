//! Check your answers: the whole draft section by section, each with a
//! "Change" link to its page, the problems still open at the top (each
//! linking to where it is fixed), and the hand-over: "Mark ready for
//! approval", offered only when no rule fails and every warning is
//! explained; otherwise the list of what to fix stands in its place.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{load, warning_lines};
use super::summary_view::{SummaryBlock, blocks, statuses};
use super::{reportable_period, sections};
use crate::domain::period::Period;
use crate::domain::return_sections::ReturnSection;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::services::handover::{self, ReadyMark, Refusal};
use crate::services::returns::ReturnState;
use crate::services::submission::Assessment;
use crate::services::trades::UploadSummary;
use crate::services::{four_eyes, trades};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "returns/check.html")]
struct CheckPage {
    c: Chrome,
    period: String,
    tasks_href: String,
    ready_action: String,
    prepared_sha256: String,
    nil: bool,
    nothing: bool,
    summary: Vec<SummaryBlock>,
    /// (link, label, message) of each thing to fix.
    problems: Vec<(String, String, String)>,
    can_mark: bool,
    ready_line: String,
    refused: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadyForm {
    csrf: String,
    prepared_sha256: String,
}

impl HasCsrf for ReadyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

struct Gathered {
    state: ReturnState,
    checks: Assessment,
    sha256: String,
    upload: Option<UploadSummary>,
    ready: Option<ReadyMark>,
}

async fn gather(state: &AppState, who: &FirmUser, period: Period) -> AppResult<Gathered> {
    let (_, loaded, checks) = load(state, who, period).await?;
    let (firm_id, return_id) = (who.firm_id, loaded.row.as_ref().map(|r| r.id));
    // The hash of the draft this page shows, so a save made meanwhile
    // makes the hand-over refuse (as on the approver's page).
    let shown = loaded.draft.clone().unwrap_or_default();
    let (sha256, upload, ready) = crate::db::run(&state.pool, move |conn| {
        let sha = match return_id {
            Some(id) => four_eyes::draft_sha256(conn, id, &shown)?,
            None => four_eyes::empty_sha256(),
        };
        Ok((
            sha,
            trades::summary_for(conn, firm_id, period)?,
            handover::ready_mark(conn, firm_id, period)?,
        ))
    })
    .await?;
    Ok(Gathered {
        state: loaded,
        checks,
        sha256,
        upload,
        ready,
    })
}

/// Where a problem with `field` is fixed: its section's page, at the field.
fn fix_href(period: Period, field: &str) -> String {
    match ReturnSection::of_field(field) {
        Some(section) => format!("{}#{field}", paths::return_section(period, section)),
        None => paths::return_check(period),
    }
}

/// Every rule that fails and every unexplained warning, in form order.
pub fn problems(
    t: &Tr,
    period: Period,
    form: &crate::services::return_form::FiguresForm,
    checks: &Assessment,
) -> Vec<(String, String, String)> {
    let mut all: Vec<(String, String, String)> = sections::build(t, form, &checks.errors)
        .summary(t)
        .into_iter()
        .map(|(id, label, message)| (fix_href(period, &id), label, message))
        .collect();
    if !checks.explained {
        for (id, label, message) in warning_lines(t, checks) {
            let explain = t.t(msg!("err.explanation.required"));
            all.push((fix_href(period, &id), label, format!("{message} {explain}")));
        }
    }
    all
}

/// A nil draft's problems: its explanation (over a month with incidents),
/// written on the task list, where the nil draft keeps it.
fn nil_problems(t: &Tr, period: Period, checks: &Assessment) -> Vec<(String, String, String)> {
    let href = format!("{}#warnings_explanation", paths::return_page(period));
    let mut all: Vec<(String, String, String)> = checks
        .errors
        .0
        .iter()
        .map(|(field, key)| {
            (
                href.clone(),
                t.named(&format!("field.{field}")).to_owned(),
                crate::web::rules::message(t, crate::domain::rules::Subject::Return, *key),
            )
        })
        .collect();
    if !checks.explained {
        let explain = t.t(msg!("err.explanation.required"));
        for (_, label, message) in warning_lines(t, checks) {
            all.push((href.clone(), label, format!("{message} {explain}")));
        }
    }
    all
}

fn respond(
    req: &HttpRequest,
    who: &FirmUser,
    period: Period,
    g: Gathered,
    refused: Option<Refusal>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, &who.who);
    let draft = g.state.draft.clone();
    let nil = draft.as_ref().is_some_and(|d| d.is_nil());
    let form = g.state.form();
    let trade_line = match &g.upload {
        Some(u) => c.t.tf(
            msg!("task.trades_file"),
            &[("file", &u.file_name), ("rows", &c.count(&u.totals.rows))],
        ),
        None => c.t.t(msg!("task.trades_none")).to_owned(),
    };
    let states = statuses(&form, &g.checks, g.upload.is_some());
    let summary = if nil {
        Vec::new()
    } else {
        blocks(&c.t, period, &form, &states, trade_line, true)
    };
    let problems = if nil {
        nil_problems(&c.t, period, &g.checks)
    } else {
        problems(&c.t, period, &form, &g.checks)
    };
    let ready_line = g.ready.as_ref().map_or_else(String::new, |m| {
        let args = [("who", m.by.as_str()), ("when", &c.when(&m.at))];
        if m.current {
            c.t.tf(msg!("task.ready"), &args)
        } else {
            c.t.tf(msg!("task.ready_changed"), &args)
        }
    });
    let page = CheckPage {
        period: period.to_string(),
        tasks_href: paths::return_page(period),
        ready_action: paths::return_ready(period),
        prepared_sha256: g.sha256,
        nil,
        nothing: draft.is_none(),
        summary,
        can_mark: draft.is_some() && problems.is_empty(),
        problems,
        ready_line,
        refused: refused.map(|r| c.t.t(r.key()).to_owned()),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let g = gather(&state, &who, period).await?;
    respond(&req, &who, period, g, None, StatusCode::OK)
}

/// The preparer hands the checked draft over to the approvers.
pub async fn mark_ready(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ReadyForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let (actor, firm_id, now) = (who.who.actor(), who.firm_id, state.clock.now());
    let links = state.mail_links();
    let shown = form.prepared_sha256.clone();
    let marked = crate::db::run(&state.pool, move |conn| {
        let checked = handover::Checked {
            sha256: &shown,
            reason_in_draft: false,
        };
        handover::mark_ready(conn, &actor, firm_id, period, checked, &links, now)
    })
    .await?;
    match marked {
        Ok(()) => Ok(redirect(format!("{}?ready=1", paths::return_page(period)))),
        Err(refusal) => {
            let g = gather(&state, &who, period).await?;
            respond(&req, &who, period, g, Some(refusal), StatusCode::CONFLICT)
        }
    }
}

/// GET on the hand-over's POST route (reload, back button): back to the
/// check page.
pub async fn back_to_check(period: web::Path<String>) -> HttpResponse {
    match Period::parse(&period) {
        Ok(period) => redirect(paths::return_check(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
