//! The return as a task list, the preparer's start page: each section a
//! link with its status, then check your answers; the approver's page; the
//! nil return (with, over a month with incidents, why it is nil); the
//! regulator's review comments beside each section (with the answer
//! forms); the firm's incidents that began in the month; and the versions
//! already filed.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{VersionLine, load, status_key, warning_lines};
use super::incidents_view::{self, MonthIncidents};
use super::reportable_period;
use super::summary_view::{statuses, title_key};
use crate::domain::period::Period;
use crate::domain::return_sections::SectionStatus;
use crate::domain::rules::Subject;
use crate::error::AppResult;
use crate::services::handover::{self, ReadyMark};
use crate::services::reconcile::{self, Explained};
use crate::services::return_form::FiguresForm;
use crate::services::submission::Assessment;
use crate::services::{incidents, returns, review_threads, trades};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::review_threads::{AnswerTyped, FirmComments};
use crate::web::view::{Chrome, FieldKind, FieldView, render};
use crate::web::{AppState, paths, redirect};

/// One line of the task list.
pub struct TaskLine {
    pub slug: &'static str,
    pub title: String,
    pub href: String,
    pub status: SectionStatus,
}

#[derive(Template)]
#[template(path = "returns/tasks.html")]
struct TasksPage {
    c: Chrome,
    firm_name: String,
    period: String,
    tasks: Vec<TaskLine>,
    done_line: String,
    check_href: String,
    nil_action: String,
    approve_href: String,
    /// The month's deadline and its extensions.
    extension_href: String,
    draft_sha256: String,
    notice: Option<Key>,
    nil_draft: bool,
    ready: Option<(bool, String)>,
    preparers: String,
    draft_note: Option<String>,
    returned: Option<(String, String)>,
    can_submit: bool,
    amending: bool,
    versions: Vec<VersionLine>,
    incidents: Option<MonthIncidents>,
    nil_explain: Option<NilExplain>,
    /// The regulator's sent comments, beside each section.
    comments: FirmComments,
}

/// Why a nil draft is nil although the firm reported incidents that began
/// in the month: the warning, and the explanation field (a nil draft has
/// no section pages to hold it).
struct NilExplain {
    action: String,
    /// Each warning with its rule's ID.
    warnings: Vec<String>,
    field: FieldView,
    explained: bool,
    /// The draft changed before the explanation was saved.
    stale: bool,
}

/// The explanation as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExplainForm {
    csrf: String,
    draft_sha256: String,
    warnings_explanation: String,
}

impl HasCsrf for ExplainForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What the explanation form shows again when it was refused.
pub(crate) struct Typed {
    text: String,
    refused: Option<Explained>,
}

/// A form of the page that came back: the nil explanation, or an answer
/// to one of the regulator's comments.
pub(crate) enum Refill {
    Explain(Typed),
    Answer(AnswerTyped),
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    saved: String,
    ready: String,
}

/// The ready-for-approval mark as a line: (still current, text).
pub(crate) fn ready_line(c: &Chrome, mark: &ReadyMark) -> (bool, String) {
    let args = [("who", mark.by.as_str()), ("when", &c.when(&mark.at))];
    if mark.current {
        (true, c.t.tf(msg!("task.ready"), &args))
    } else {
        (false, c.t.tf(msg!("task.ready_changed"), &args))
    }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let notice = if query.ready == "1" {
        Some(msg!("task.marked_ready"))
    } else if query.saved == "1" {
        Some(msg!("return.saved"))
    } else {
        None
    };
    respond(&req, &state, &who, period, notice, None, StatusCode::OK).await
}

/// A preparer saves why the nil month is nil although the firm reported
/// incidents that began in it. Refusals show the task list again with the
/// message beside the field and what was typed (422; 409 when the draft
/// changed meanwhile).
pub async fn explain_nil(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ExplainForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let (actor, firm_id, now) = (who.who.actor(), who.firm_id, state.clock.now());
    let (typed, shown) = (form.warnings_explanation.clone(), form.draft_sha256.clone());
    let outcome = crate::db::run(&state.pool, move |conn| {
        reconcile::explain_nil(conn, &actor, firm_id, period, &typed, &shown, now)
    })
    .await?;
    let status = match outcome {
        Explained::Saved => {
            return Ok(redirect(format!("{}?saved=1", paths::return_page(period))));
        }
        Explained::Stale => StatusCode::CONFLICT,
        Explained::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let typed = Typed {
        text: form.warnings_explanation,
        refused: Some(outcome),
    };
    respond(
        &req,
        &state,
        &who,
        period,
        None,
        Some(Refill::Explain(typed)),
        status,
    )
    .await
}

/// The explanation block of a nil draft, when the month's incidents call
/// for it or one was written.
fn nil_explain(
    c: &Chrome,
    period: Period,
    draft: &FiguresForm,
    checks: &Assessment,
    typed: Option<Typed>,
) -> Option<NilExplain> {
    let stored = draft.get("warnings_explanation");
    if !draft.is_nil() || (checks.warnings.is_empty() && stored.is_empty() && typed.is_none()) {
        return None;
    }
    let unexplained = !checks.warnings.is_empty() && !checks.explained;
    let (value, refused) = match typed {
        Some(t) => (t.text, t.refused),
        None => (stored.to_owned(), None),
    };
    let error = match refused {
        Some(Explained::Refused(key)) => Some(key),
        Some(Explained::Stale) => None,
        _ if unexplained => Some(msg!("err.explanation.required")),
        _ => checks.errors.for_field("warnings_explanation"),
    };
    Some(NilExplain {
        action: paths::return_nil_explanation(period),
        warnings: warning_lines(&c.t, checks)
            .into_iter()
            .map(|(_, _, message)| message)
            .collect(),
        field: FieldView {
            name: "warnings_explanation",
            label: c.t.t(msg!("field.warnings_explanation")).to_owned(),
            value,
            error: error.map(|k| crate::web::rules::message(&c.t, Subject::Return, k)),
            hint: Some(c.t.t(msg!("reconcile.nil_hint")).to_owned()),
            kind: FieldKind::Multiline,
        },
        explained: checks.explained && !checks.warnings.is_empty(),
        stale: refused == Some(Explained::Stale),
    })
}

pub(crate) async fn respond(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
    notice: Option<Key>,
    refill: Option<Refill>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (firm_name, loaded, checks) = load(state, who, period).await?;
    let firm_id = who.firm_id;
    let (upload, sha, mark, month, thread) = crate::db::run(&state.pool, move |conn| {
        Ok((
            trades::summary_for(conn, firm_id, period)?,
            returns::draft_sha256_now(conn, firm_id, period)?,
            handover::ready_mark(conn, firm_id, period)?,
            incidents::in_month(conn, firm_id, period)?,
            review_threads::for_firm(conn, firm_id, period)?,
        ))
    })
    .await?;
    let (typed, answer) = match refill {
        Some(Refill::Explain(typed)) => (Some(typed), None),
        Some(Refill::Answer(answer)) => (None, Some(answer)),
        None => (None, None),
    };
    let form = loaded.form();
    let c = Chrome::signed_in(req, &who.who);
    let nil_draft = loaded.draft.as_ref().is_some_and(FiguresForm::is_nil);
    let nil_explain = loaded
        .draft
        .as_ref()
        .and_then(|d| nil_explain(&c, period, d, &checks, typed));
    // A nil draft's explanation is not the narrative section's: its
    // sections stay not started.
    let sectioned = if nil_draft { FiguresForm::nil() } else { form };
    let comments = FirmComments::new(&c, thread, period, answer.as_ref());
    let tasks: Vec<TaskLine> = statuses(&sectioned, &checks, upload.is_some())
        .into_iter()
        .map(|(section, status)| TaskLine {
            slug: section.slug(),
            title: c.t.t(title_key(section)).to_owned(),
            href: paths::return_section(period, section),
            status,
        })
        .collect();
    let done = tasks
        .iter()
        .filter(|t| t.status == SectionStatus::Completed)
        .count();
    let done_line = c.t.tf(
        msg!("task.done_count"),
        &[
            ("done", &done.to_string()),
            ("all", &tasks.len().to_string()),
        ],
    );
    let draft_note = loaded
        .row
        .as_ref()
        .and_then(|r| r.draft_updated_at)
        .map(|at| {
            c.t.tf(
                msg!("return.draft_saved_by"),
                &[
                    ("who", loaded.draft_by.as_deref().unwrap_or("?")),
                    ("when", &c.when(&at)),
                ],
            )
        });
    let versions = loaded
        .versions
        .iter()
        .rev()
        .map(|v| VersionLine {
            version_no: v.version_no,
            href: paths::return_version(period, v.version_no),
            receipt_no: v.receipt_no.clone(),
            submitted_at: c.when(&v.submitted_at),
            nil: v.is_nil,
            status_key: status_key(v),
        })
        .collect();
    let page = TasksPage {
        firm_name,
        period: period.to_string(),
        tasks,
        done_line,
        check_href: paths::return_check(period),
        nil_action: paths::return_nil(period),
        approve_href: paths::return_approve(period),
        extension_href: paths::return_extension(period),
        draft_sha256: sha,
        notice,
        nil_draft,
        ready: mark.as_ref().map(|m| ready_line(&c, m)),
        preparers: loaded
            .preparers
            .iter()
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        draft_note,
        returned: loaded.review_note.as_ref().map(|(reason, at)| {
            (
                c.t.tf(msg!("return.returned"), &[("when", &c.when(at))]),
                c.kept(reason),
            )
        }),
        can_submit: who.who.role().can_submit(),
        amending: !loaded.versions.is_empty(),
        versions,
        incidents: incidents_view::month(&c, &month, paths::incident),
        nil_explain,
        comments,
        c,
    };
    render(status, &page)
}
