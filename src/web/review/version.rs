//! Any firm's version, for regulator staff, with its other versions. Each
//! view is audited.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::{Firm, Version};
use crate::error::{AppError, AppResult};
use crate::services::{accounts, audit_log, returns};
use crate::web::extract::Staff;
use crate::web::returns::form::status_key;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct Sibling {
    pub version_no: i32,
    pub href: String,
    pub current: bool,
    pub receipt_no: String,
}

#[derive(Template)]
#[template(path = "review/version.html")]
struct StaffVersionPage {
    c: Chrome,
    firm: Firm,
    v: Version,
    status_key: &'static str,
    submitter: String,
    siblings: Vec<Sibling>,
    back: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (now, actor) = (state.clock.now(), who.0.actor());
    let detail = crate::db::run(&state.pool, move |conn| {
        let detail = accounts::require_found(returns::version_detail(conn, id)?)?;
        // Reading a firm's return is audited (a short write of its own).
        audit_log::version_viewed(conn, now, &actor, &detail.version)?;
        Ok(detail)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let siblings = detail
        .siblings
        .iter()
        .map(|s| Sibling {
            version_no: s.version_no,
            href: paths::review_version(s.id),
            current: s.id == detail.version.id,
            receipt_no: s.receipt_no.clone(),
        })
        .collect();
    let submitter = detail.submitter.map_or_else(
        || c.t.t("version.imported").to_owned(),
        |u| format!("{} <{}>", u.display_name, u.email),
    );
    ok(&StaffVersionPage {
        status_key: status_key(&detail.version),
        back: paths::review_period(&detail.version.period),
        firm: detail.firm,
        v: detail.version,
        submitter,
        siblings,
        c,
    })
}
