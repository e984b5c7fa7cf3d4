//! Requests for deadline extensions, for regulator staff: the queue of
//! those awaiting a decision (and the latest decided), and one request's
//! page with the form to grant it (the date asked, or another) or refuse
//! it with a reason.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::extension::ExtensionStatus;
use crate::error::{AppError, AppResult};
use crate::services::Invalid;
use crate::services::extensions::{self, DATE_FIELD, Decision};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Staff;
use crate::web::returns::extension::{RequestLine, due_line};
use crate::web::view::{Chrome, FieldKind, FieldView, fields, ok, render, summary};
use crate::web::{AppState, paths, redirect};

/// How many decided requests the queue lists.
const RECENT: i64 = 20;

pub struct QueueLine {
    pub href: String,
    pub firm: String,
    pub period: String,
    pub line: RequestLine,
}

#[derive(Template)]
#[template(path = "review/extensions.html")]
struct QueuePage {
    c: Chrome,
    pending: Vec<QueueLine>,
    decided: Vec<QueueLine>,
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
) -> AppResult<HttpResponse> {
    let (pending, decided) = crate::db::run(&state.pool, |conn| {
        Ok((
            extensions::pending(conn)?,
            extensions::recently_decided(conn, RECENT)?,
        ))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let lines = |rows: Vec<(crate::db::models::Extension, String)>| -> Vec<QueueLine> {
        rows.into_iter()
            .map(|(e, firm)| QueueLine {
                href: paths::review_extension(e.id),
                firm,
                period: e.period.clone(),
                line: RequestLine::of(&c, &e),
            })
            .collect()
    };
    let (pending, decided) = (lines(pending), lines(decided));
    ok(&QueuePage {
        c,
        pending,
        decided,
    })
}

#[derive(Template)]
#[template(path = "review/extension.html")]
struct ExtensionPage {
    c: Chrome,
    firm: String,
    firm_href: String,
    period: String,
    board: String,
    requester: String,
    due_before: String,
    due: String,
    filed: bool,
    line: RequestLine,
    /// The decision form, while the request is open.
    form: Option<Vec<FieldView>>,
    errors: Vec<(String, String, String)>,
    action: String,
    queue: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    new_due_date: String,
    reason: String,
}

impl HasCsrf for DecisionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn extension_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    typed: Option<&DecisionForm>,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let found = crate::db::run(&state.pool, move |conn| extensions::find(conn, id)).await?;
    let c = Chrome::signed_in(req, &who.0);
    let e = &found.extension;
    let form = (e.status == ExtensionStatus::Pending || typed.is_some()).then(|| {
        let asked = e.requested_due.to_string();
        fields(
            &c.t,
            &[
                (
                    DATE_FIELD,
                    msg!("ext.field.grant_date"),
                    FieldKind::Text,
                    typed.map_or(asked.as_str(), |f| f.new_due_date.as_str()),
                ),
                (
                    "reason",
                    msg!("ext.field.decision_reason"),
                    FieldKind::Multiline,
                    typed.map_or("", |f| f.reason.as_str()),
                ),
            ],
            invalid,
        )
    });
    let errors = form.as_deref().map(summary).unwrap_or_default();
    let period = crate::domain::period::Period::parse(&e.period)
        .map_err(|_| AppError::Internal(format!("stored period {} unreadable", e.period)))?;
    let page = ExtensionPage {
        firm: found.firm.clone(),
        firm_href: paths::review_firm(e.firm_id),
        period: e.period.clone(),
        board: paths::review_board(period),
        requester: found.requester.clone(),
        due_before: c.date(&e.due_before),
        due: due_line(&c, &found.month),
        filed: found.filed > 0,
        line: RequestLine::of(&c, e),
        form,
        errors,
        action: paths::review_extension(e.id),
        queue: paths::REVIEW_EXTENSIONS,
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = extension_id(&id)?;
    show(
        &req,
        &state,
        &who,
        id,
        None,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let id = extension_id(&id)?;
    let decision = match form.decision.as_str() {
        "grant" => Some(Decision::Grant),
        "refuse" => Some(Decision::Refuse),
        _ => None,
    };
    let decided = match decision {
        Some(decision) => {
            let (now, actor, user_id, links) = (
                state.clock.now(),
                who.0.actor(),
                who.0.user.id,
                state.mail_links(),
            );
            let (date, reason) = (form.new_due_date.clone(), form.reason.clone());
            crate::db::run(&state.pool, move |conn| {
                extensions::decide(
                    conn, &actor, user_id, id, decision, &date, &reason, now, &links,
                )
            })
            .await?
        }
        None => Err(Invalid::one("reason", msg!("ext.err.decision"))),
    };
    match decided {
        Ok(_) => Ok(redirect(paths::review_extension(id))),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who,
                id,
                Some(&form),
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
