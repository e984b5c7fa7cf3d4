//! Any firm's version, for regulator staff, with its other versions, links
//! to compare them, the firm's incidents that began in its month, the
//! return's review comments and, on the latest version awaiting review,
//! the comment form and the accept and return forms. Each view is audited.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::version_file::{self, FileView};
use crate::db::models::{Firm, Version};
use crate::error::{AppError, AppResult};
use crate::services::four_eyes::VersionPeople;
use crate::services::{audit_log, review_page, review_threads};
use crate::web::extract::Staff;
use crate::web::returns::form::status_key;
use crate::web::returns::incidents_view::{self, MonthIncidents};
use crate::web::review_threads::{CommentTyped, StaffPanel};
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths};

pub struct Sibling {
    pub version_no: i32,
    pub href: String,
    pub current: bool,
    pub receipt_no: String,
    pub compare: String,
}

#[derive(Template)]
#[template(path = "review/version.html")]
struct StaffVersionPage {
    c: Chrome,
    firm: Firm,
    v: Version,
    status_key: Key,
    submitter: String,
    siblings: Vec<Sibling>,
    back: String,
    done: Option<Key>,
    reviewed: Option<String>,
    decidable: bool,
    superseded: bool,
    accept_action: String,
    return_action: String,
    reason: String,
    reason_error: Option<String>,
    people: VersionPeople,
    file: FileView,
    incidents: Option<MonthIncidents>,
    comments: StaffPanel,
    /// Why the last decision or comment action was refused (409).
    refusal: Option<String>,
    amendment: Option<crate::domain::amendment::Amendment>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// What the return form holds when it is shown again (422).
#[derive(Default)]
pub struct ReasonState {
    pub reason: String,
    pub error_key: Option<Key>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let done = match query.done.as_str() {
        "accepted" => Some(msg!("review.accepted_notice")),
        "returned" => Some(msg!("review.returned_notice")),
        _ => None,
    };
    show(&req, &state, &who, id, done, ReasonState::default()).await
}

/// The page's forms as they come back: the return form, the comment form
/// and why an action was refused.
#[derive(Default)]
pub struct Typed {
    pub reason: ReasonState,
    pub comment: CommentTyped,
    pub refusal: Option<Key>,
}

/// Renders the page (200, or 422 when `form` carries an error).
pub async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    done: Option<Key>,
    form: ReasonState,
) -> AppResult<HttpResponse> {
    let typed = Typed {
        reason: form,
        ..Typed::default()
    };
    show_with(req, state, who, id, done, typed).await
}

/// Renders the page with its forms as typed: 409 with a refusal, 422 with
/// a mistake in a form, else 200.
pub async fn show_with(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    done: Option<Key>,
    typed: Typed,
) -> AppResult<HttpResponse> {
    let Typed {
        reason: form,
        comment,
        refusal,
    } = typed;
    let (now, actor) = (state.clock.now(), who.0.actor());
    let (loaded, thread) = crate::db::run(&state.pool, move |conn| {
        let loaded = review_page::load(conn, id)?.ok_or(AppError::NotFound)?;
        let thread = review_threads::for_staff(conn, loaded.version.return_id)?;
        // Reading a firm's return is audited (a short write of its own).
        audit_log::version_viewed(conn, now, &actor, &loaded.version)?;
        Ok((loaded, thread))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let current = &loaded.version;
    let siblings = loaded
        .siblings
        .iter()
        .map(|s| Sibling {
            version_no: s.version_no,
            href: paths::review_version(s.id),
            current: s.id == current.id,
            receipt_no: s.receipt_no.clone(),
            compare: paths::review_compare(s.id.min(current.id), s.id.max(current.id)),
        })
        .collect();
    let latest = loaded.siblings.last().is_none_or(|l| l.id == current.id);
    let reviewed = current.reviewed_at.map(|at| {
        c.t.tf(
            msg!("review.reviewed"),
            &[
                ("when", &c.when(&at)),
                ("who", loaded.reviewer.as_deref().unwrap_or("-")),
            ],
        )
    });
    let submitter = loaded.submitter.as_ref().map_or_else(
        || c.t.t(msg!("version.imported")).to_owned(),
        |(name, email)| format!("{name} <{email}>"),
    );
    let file = version_file::view(&c, current, &loaded);
    let incidents = incidents_view::month(&c, &loaded.incidents, paths::review_incident);
    let status = if refusal.is_some() {
        StatusCode::CONFLICT
    } else if form.error_key.is_some() || comment.invalid.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let decidable = latest && current.status == crate::domain::VersionStatus::Submitted;
    let page = StaffVersionPage {
        status_key: status_key(current),
        back: paths::review_period(&current.period),
        comments: StaffPanel::new(&c, thread, current.id, decidable, comment),
        refusal: refusal.map(|k| c.t.t(k).to_owned()),
        decidable,
        superseded: !latest,
        accept_action: paths::review_accept(current.id),
        return_action: paths::review_return(current.id),
        reason: form.reason,
        reason_error: form.error_key.map(|k| c.t.t(k).to_owned()),
        submitter,
        siblings,
        done,
        reviewed,
        file,
        incidents,
        people: loaded.people,
        amendment: loaded.amendment,
        firm: loaded.firm,
        v: loaded.version,
        c,
    };
    render(status, &page)
}
