//! The return form: save a draft, submit (a new version with a receipt),
//! or file a nil return in one click.

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
use crate::services::return_form::FiguresForm;
use crate::services::returns::{self, ReturnState, Submission};
use crate::services::{Invalid, accounts, tokens};
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
    pub status_key: &'static str,
}

#[derive(Template)]
#[template(path = "returns/form.html")]
struct FormPage {
    c: Chrome,
    firm_name: String,
    period: String,
    draft_action: String,
    submit_action: String,
    nil_action: String,
    submission_key: String,
    s: sections::Sections,
    errors: Vec<(String, String, String)>,
    saved: bool,
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
    #[serde(default)]
    submission_key: String,
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

pub fn status_key(v: &Version) -> &'static str {
    match v.status {
        VersionStatus::Accepted => "status.accepted",
        VersionStatus::Returned => "status.returned",
        VersionStatus::Submitted => "status.submitted",
    }
}

struct Shown<'a> {
    period: Period,
    form: &'a FiguresForm,
    invalid: &'a Invalid,
    submission_key: String,
    saved: bool,
}

async fn load(
    state: &AppState,
    who: &FirmUser,
    period: Period,
) -> AppResult<(String, ReturnState)> {
    let firm_id = who.firm_id;
    crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        Ok((firm.name, returns::load(conn, firm_id, period)?))
    })
    .await
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
    let s = sections::build(&c.t, shown.form, shown.invalid);
    let mut errors = s.summary(&c.t);
    if let Some(general) = &s.general {
        errors.insert(
            0,
            (
                "four-eyes".into(),
                c.t.t("form.whole").to_owned(),
                general.clone(),
            ),
        );
    }
    let draft_note = loaded
        .row
        .as_ref()
        .and_then(|r| r.draft_updated_at)
        .map(|at| {
            c.t.tf(
                "return.draft_saved_by",
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
        submit_action: paths::return_submit(period),
        nil_action: paths::return_nil(period),
        submission_key: shown.submission_key,
        s,
        errors,
        saved: shown.saved,
        draft_note,
        returned: loaded.review_note.as_ref().map(|(reason, at)| {
            (
                c.t.tf("return.returned", &[("when", &c.when(at))]),
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
    let (firm_name, loaded) = load(&state, &who, period).await?;
    let form = loaded.form();
    let shown = Shown {
        period,
        form: &form,
        invalid: &Invalid::default(),
        submission_key: tokens::new_token(),
        saved: query.saved == "1",
    };
    page_response(&req, &who, firm_name, &loaded, shown, StatusCode::OK)
}

/// Re-renders the form with what was typed and the problems beside it.
async fn rejected(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
    form: &ReturnForm,
    invalid: &Invalid,
) -> AppResult<HttpResponse> {
    let (firm_name, loaded) = load(state, who, period).await?;
    let typed = form.figures();
    let key = if tokens::looks_like_token(&form.submission_key) {
        form.submission_key.clone()
    } else {
        tokens::new_token()
    };
    let shown = Shown {
        period,
        form: &typed,
        invalid,
        submission_key: key,
        saved: false,
    };
    page_response(
        req,
        who,
        firm_name,
        &loaded,
        shown,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

pub async fn save_draft(
    req: HttpRequest,
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
        Err(invalid) => rejected(&req, &state, &who, period, &form, &invalid).await,
    }
}

async fn file(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
    form: &ReturnForm,
    submission: Submission,
) -> AppResult<HttpResponse> {
    if !who.who.role().can_submit() {
        return Err(AppError::Forbidden);
    }
    if !tokens::looks_like_token(&form.submission_key) {
        return Err(AppError::BadRequest("error.bad_form"));
    }
    let now = state.clock.now();
    let (actor, firm_id, key) = (who.who.actor(), who.firm_id, form.submission_key.clone());
    let filed = crate::db::run(&state.pool, move |conn| {
        returns::submit(conn, &actor, firm_id, period, &submission, &key, now)
    })
    .await?;
    match filed {
        Ok(version) => Ok(redirect(paths::return_version(period, version.version_no))),
        Err(invalid) => rejected(req, state, who, period, form, &invalid).await,
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let submission = Submission::Figures(form.figures());
    file(&req, &state, &who, period, &form, submission).await
}

pub async fn submit_nil(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    file(&req, &state, &who, period, &form, Submission::Nil).await
}

/// GET on a POST route (reload, back button): back to the form.
pub async fn back_to_page(period: web::Path<String>) -> HttpResponse {
    match Period::parse(&period) {
        Ok(period) => redirect(paths::return_page(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
