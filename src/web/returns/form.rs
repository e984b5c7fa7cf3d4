//! The return form, the preparer's page: save a draft (every rule and
//! warning shown beside the fields on each save, nothing refused), hand it
//! to an approver (`approve`), or mark the month nil (`nil`).

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use std::collections::BTreeMap;

use super::{reportable_period, sections};
use crate::db::models::Version;
use crate::domain::VersionStatus;
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::services::return_form::FiguresForm;
use crate::services::returns::{self, ReturnState};
use crate::services::submission::{self, Assessment};
use crate::services::{Invalid, accounts};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

pub struct VersionLine {
    pub version_no: i32,
    pub href: String,
    pub receipt_no: String,
    pub submitted_at: String,
    pub nil: bool,
    pub status_key: Key,
}

#[derive(Template)]
#[template(path = "returns/form.html")]
struct FormPage {
    c: Chrome,
    firm_name: String,
    period: String,
    draft_action: String,
    nil_action: String,
    approve_href: String,
    s: sections::Sections,
    errors: Vec<(String, String, String)>,
    warnings: Vec<(String, String, String)>,
    explained: bool,
    saved: bool,
    nil_draft: bool,
    preparers: String,
    draft_note: Option<String>,
    returned: Option<(String, String)>,
    can_submit: bool,
    amending: bool,
    versions: Vec<VersionLine>,
}

#[derive(Deserialize, Default)]
pub struct ReturnForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

impl HasCsrf for ReturnForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl ReturnForm {
    fn figures(&self) -> FiguresForm {
        FiguresForm::from_fields(self.fields.clone())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    saved: String,
}

pub fn status_key(v: &Version) -> Key {
    match v.status {
        VersionStatus::Accepted => msg!("status.accepted"),
        VersionStatus::Returned => msg!("status.returned"),
        VersionStatus::Submitted => msg!("status.submitted"),
    }
}

struct Shown<'a> {
    period: Period,
    form: &'a FiguresForm,
    checks: &'a Assessment,
    saved: bool,
}

/// The firm's name, the return, and the checks over its draft.
pub async fn load(
    state: &AppState,
    who: &FirmUser,
    period: Period,
) -> AppResult<(String, ReturnState, Assessment)> {
    let firm_id = who.firm_id;
    crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let loaded = returns::load(conn, firm_id, period)?;
        let checks = match &loaded.draft {
            Some(draft) if !draft.is_nil() => submission::assess(conn, firm_id, period, draft)?,
            _ => Assessment::default(),
        };
        Ok((firm.name, loaded, checks))
    })
    .await
}

/// The warnings as (field id, label, message) for the top of the page.
pub fn warning_lines(t: &Tr, checks: &Assessment) -> Vec<(String, String, String)> {
    checks
        .warnings
        .iter()
        .map(|w| {
            (
                w.field().to_owned(),
                t.named(&format!("field.{}", w.field())).to_owned(),
                t.t(w.key()).to_owned(),
            )
        })
        .collect()
}

fn page_response(
    req: &HttpRequest,
    who: &FirmUser,
    firm_name: String,
    loaded: &ReturnState,
    shown: Shown<'_>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, &who.who);
    let mut beside = Invalid(shown.checks.errors.0.clone());
    for w in &shown.checks.warnings {
        if beside.for_field(w.field()).is_none() {
            beside.push(w.field(), w.key());
        }
    }
    if !shown.checks.warnings.is_empty() && !shown.checks.explained {
        beside.push("warnings_explanation", msg!("err.explanation.required"));
    }
    let s = sections::build(&c.t, shown.form, &beside);
    let errors = sections::build(&c.t, shown.form, &shown.checks.errors).summary(&c.t);
    let warnings = warning_lines(&c.t, shown.checks);
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
            href: paths::return_version(shown.period, v.version_no),
            receipt_no: v.receipt_no.clone(),
            submitted_at: c.when(&v.submitted_at),
            nil: v.is_nil,
            status_key: status_key(v),
        })
        .collect();
    let period = shown.period;
    let page = FormPage {
        firm_name,
        period: period.to_string(),
        draft_action: paths::return_draft(period),
        nil_action: paths::return_nil(period),
        approve_href: paths::return_approve(period),
        s,
        errors,
        warnings,
        explained: shown.checks.explained,
        saved: shown.saved,
        nil_draft: loaded.draft.as_ref().is_some_and(FiguresForm::is_nil),
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
    };
    render(status, &page)
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
    let form = loaded.form();
    let shown = Shown {
        period,
        form: &form,
        checks: &checks,
        saved: query.saved == "1",
    };
    page_response(&req, &who, firm_name, &loaded, shown, StatusCode::OK)
}

pub async fn save_draft(
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let now = state.clock.now();
    let (actor, firm_id, figures) = (who.who.actor(), who.firm_id, form.figures());
    let saved = crate::db::run(&state.pool, move |conn| {
        returns::save_draft(conn, &actor, firm_id, period, &figures, now)
    })
    .await?;
    match saved {
        Ok(()) => Ok(redirect(format!("{}?saved=1", paths::return_page(period)))),
        Err(_) => Err(AppError::BadRequest(msg!("error.bad_form"))),
    }
}

/// GET on a POST route (reload, back button): back to the form.
pub async fn back_to_page(period: web::Path<String>) -> HttpResponse {
    match Period::parse(&period) {
        Ok(period) => redirect(paths::return_page(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
