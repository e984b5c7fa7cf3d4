//! The return as a task list, the preparer's start page: each section a
//! link with its status, then check your answers; the approver's page; the
//! nil return; and the versions already filed.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{VersionLine, load, status_key};
use super::reportable_period;
use super::summary_view::{statuses, title_key};
use crate::domain::return_sections::SectionStatus;
use crate::error::AppResult;
use crate::services::handover::{self, ReadyMark};
use crate::services::return_form::FiguresForm;
use crate::services::{returns, trades};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

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
    let (firm_name, loaded, checks) = load(&state, &who, period).await?;
    let firm_id = who.firm_id;
    let (upload, sha, mark) = crate::db::run(&state.pool, move |conn| {
        Ok((
            trades::summary_for(conn, firm_id, period)?,
            returns::draft_sha256_now(conn, firm_id, period)?,
            handover::ready_mark(conn, firm_id, period)?,
        ))
    })
    .await?;
    let form = loaded.form();
    let c = Chrome::signed_in(&req, &who.who);
    let nil_draft = loaded.draft.as_ref().is_some_and(FiguresForm::is_nil);
    let tasks: Vec<TaskLine> = statuses(&form, &checks, upload.is_some())
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
    let notice = if query.ready == "1" {
        Some(msg!("task.marked_ready"))
    } else if query.saved == "1" {
        Some(msg!("return.saved"))
    } else {
        None
    };
    ok(&TasksPage {
        firm_name,
        period: period.to_string(),
        tasks,
        done_line,
        check_href: paths::return_check(period),
        nil_action: paths::return_nil(period),
        approve_href: paths::return_approve(period),
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
                reason.clone(),
            )
        }),
        can_submit: who.who.role().can_submit(),
        amending: !loaded.versions.is_empty(),
        versions,
        c,
    })
}
