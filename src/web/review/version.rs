//! Any firm's version, for regulator staff, with its other versions, links
//! to compare them and, on the latest version awaiting review, the accept
//! and return forms. Each view is audited.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::version_file::{self, FileView, Loaded};
use crate::db::models::{Firm, Version};
use crate::error::{AppError, AppResult};
use crate::services::review::{self, VersionPeople};
use crate::services::{accounts, audit_log, returns, review_file, submission};
use crate::web::extract::Staff;
use crate::web::returns::form::status_key;
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

/// Renders the page (200, or 422 when `form` carries an error).
pub async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    done: Option<Key>,
    form: ReasonState,
) -> AppResult<HttpResponse> {
    let (now, actor) = (state.clock.now(), who.0.actor());
    let detail = crate::db::run(&state.pool, move |conn| {
        let detail = accounts::require_found(returns::version_detail(conn, id)?)?;
        // Reading a firm's return is audited (a short write of its own).
        audit_log::version_viewed(conn, now, &actor, &detail.version)?;
        let reviewer = match detail.version.reviewed_by {
            Some(uid) => accounts::get_user(conn, uid)?.map(|u| u.display_name),
            None => None,
        };
        let v = &detail.version;
        let details = submission::details_of(conn, v.id)?;
        let loaded = Loaded {
            people: review::version_people(conn, v.id)?.unwrap_or_default(),
            checks: review_file::checks(conn, v, details.as_ref())?,
            trades: review_file::trade_check(conn, v.id)?,
            previous: review_file::previous_version(conn, v)?,
            history: review_file::firm_history(conn, v.firm_id)?,
            details,
        };
        Ok((detail, reviewer, loaded))
    })
    .await?;
    let (detail, reviewer, loaded) = detail;
    let c = Chrome::signed_in(req, &who.0);
    let current = &detail.version;
    let siblings = detail
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
    let latest = detail.siblings.last().is_none_or(|l| l.id == current.id);
    let reviewed = current.reviewed_at.map(|at| {
        c.t.tf(
            msg!("review.reviewed"),
            &[
                ("when", &c.when(&at)),
                ("who", reviewer.as_deref().unwrap_or("-")),
            ],
        )
    });
    let submitter = detail.submitter.map_or_else(
        || c.t.t(msg!("version.imported")).to_owned(),
        |u| format!("{} <{}>", u.display_name, u.email),
    );
    let file = version_file::view(&c, current, &loaded);
    let status = if form.error_key.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = StaffVersionPage {
        status_key: status_key(current),
        back: paths::review_period(&current.period),
        decidable: latest && current.status == crate::domain::VersionStatus::Submitted,
        superseded: !latest,
        accept_action: paths::review_accept(current.id),
        return_action: paths::review_return(current.id),
        reason: form.reason,
        reason_error: form.error_key.map(|k| c.t.t(k).to_owned()),
        firm: detail.firm,
        v: detail.version,
        submitter,
        siblings,
        done,
        reviewed,
        people: loaded.people,
        file,
        c,
    };
    render(status, &page)
}
