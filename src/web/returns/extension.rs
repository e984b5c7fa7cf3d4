//! A firm's month and its deadline: the due date in force, every request
//! for an extension with its decision, and (to the firm's approvers, while
//! the month is not filed and nothing is open) the form to ask for one.
//! Reporters see the same page without the form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Days;
use serde::Deserialize;

use super::reportable_period;
use crate::db::models::Extension;
use crate::domain::Role;
use crate::domain::extension::{ExtensionStatus, MAX_DAYS_AFTER_DUE};
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::Invalid;
use crate::services::extensions::{self, DATE_FIELD, MonthDue};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::{FirmApprover, FirmUser, SignedIn};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

/// One request as the firm's page lists it.
pub struct RequestLine {
    pub reference: String,
    pub asked_at: String,
    pub asked_due: String,
    pub reason: String,
    pub status: ExtensionStatus,
    pub status_key: crate::i18n::Key,
    pub granted_due: String,
    pub decision_reason: String,
    pub decided_at: String,
}

impl RequestLine {
    pub fn of(c: &Chrome, e: &Extension) -> RequestLine {
        RequestLine {
            reference: e.reference(),
            asked_at: c.when(&e.requested_at),
            asked_due: c.date(&e.requested_due),
            reason: e.reason.clone(),
            status: e.status,
            status_key: status_key(e.status),
            granted_due: e.granted_due.map(|d| c.date(&d)).unwrap_or_default(),
            decision_reason: e.decision_reason.clone().unwrap_or_default(),
            decided_at: e.decided_at.map(|at| c.when(&at)).unwrap_or_default(),
        }
    }
}

pub fn status_key(status: ExtensionStatus) -> crate::i18n::Key {
    match status {
        ExtensionStatus::Pending => msg!("ext.status.pending"),
        ExtensionStatus::Granted => msg!("ext.status.granted"),
        ExtensionStatus::Refused => msg!("ext.status.refused"),
    }
}

/// "Due on 12 May 2025", with the extension's reference and the month's
/// own due date when one is in force.
pub fn due_line(c: &Chrome, month: &MonthDue) -> String {
    match &month.extension {
        Some(g) => c.t.tf(
            msg!("ext.due_extended"),
            &[
                ("date", &c.date(&g.due)),
                ("reference", &g.reference),
                ("base", &c.date(&month.base)),
            ],
        ),
        None => c.t.tf(msg!("ext.due"), &[("date", &c.date(&month.base))]),
    }
}

#[derive(Template)]
#[template(path = "returns/extension.html")]
struct ExtensionPage {
    c: Chrome,
    period: String,
    due: String,
    filed: bool,
    open: bool,
    /// The form, to an approver who may ask now.
    form: Option<Vec<FieldView>>,
    errors: Vec<(String, String, String)>,
    action: String,
    back: String,
    requests: Vec<RequestLine>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestForm {
    csrf: String,
    new_due_date: String,
    reason: String,
}

impl HasCsrf for RequestForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    firm_id: i64,
    period: Period,
    typed: Option<&RequestForm>,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (month, requests, filed) = crate::db::run(&state.pool, move |conn| {
        let month = extensions::due_of(conn, firm_id, period)?;
        let requests = extensions::of_month(conn, firm_id, period)?;
        let filed = extensions::filed(conn, firm_id, period)?;
        Ok((month, requests, filed))
    })
    .await?;
    let c = Chrome::signed_in(req, who);
    let open = requests
        .iter()
        .any(|e| e.status == ExtensionStatus::Pending);
    let may_ask = who.role() == Role::Approver && !filed && !open;
    let form = (may_ask || typed.is_some()).then(|| {
        let latest = month
            .base
            .checked_add_days(Days::new(MAX_DAYS_AFTER_DUE))
            .unwrap_or(month.base);
        let mut views = fields(
            &c.t,
            &[
                (
                    DATE_FIELD,
                    msg!("ext.field.date"),
                    FieldKind::Text,
                    typed.map_or("", |f| f.new_due_date.as_str()),
                ),
                (
                    "reason",
                    msg!("ext.field.reason"),
                    FieldKind::Multiline,
                    typed.map_or("", |f| f.reason.as_str()),
                ),
            ],
            invalid,
        );
        if let Some(date) = views.first_mut() {
            date.hint = Some(c.t.tf(
                msg!("ext.field.date_hint"),
                &[
                    ("after", &c.date(&month.due())),
                    ("latest", &c.date(&latest)),
                ],
            ));
        }
        views
    });
    let errors = form.as_deref().map(summary).unwrap_or_default();
    let page = ExtensionPage {
        period: period.to_string(),
        due: due_line(&c, &month),
        filed,
        open,
        form,
        errors,
        action: paths::return_extension(period),
        back: paths::return_page(period),
        requests: requests.iter().map(|e| RequestLine::of(&c, e)).collect(),
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
    show(
        &req,
        &state,
        &who.who,
        who.firm_id,
        period,
        None,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmApprover,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let (now, actor, user_id, firm_id) = (
        state.clock.now(),
        who.who.actor(),
        who.who.user.id,
        who.firm_id,
    );
    let (date, reason) = (form.new_due_date.clone(), form.reason.clone());
    let asked = crate::db::run(&state.pool, move |conn| {
        extensions::request(conn, &actor, user_id, firm_id, period, &date, &reason, now)
    })
    .await?;
    match asked {
        Ok(_) => Ok(redirect(paths::return_extension(period))),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who.who,
                firm_id,
                period,
                Some(&form),
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
