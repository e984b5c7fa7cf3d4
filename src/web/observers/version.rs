//! One version as an observer reads it: the receipt, the figures and the
//! detail sections, through a view model with no contact, submitter,
//! review note or trade field at all (the details reach it as sections
//! built without the contact, from a version whose contact was already
//! taken out). Outside the live scope: 404.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{audit, scope};
use crate::db::models::Version;
use crate::domain::amendment::Amendment;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::services::amendments;
use crate::services::observers::reads;
use crate::web::extract::Observer;
use crate::web::returns::details_view::{self, Section};
use crate::web::returns::form::status_key_of;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct Sibling {
    pub version_no: i32,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "observers/version.html")]
struct ObserverVersionPage {
    c: Chrome,
    firm: String,
    v: Version,
    status_key: Key,
    details: Vec<Section>,
    siblings: Vec<Sibling>,
    /// Why the version amends the one before (shown in the receipt).
    amendment: Option<Amendment>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Observer,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (scope, today) = scope(&state, &who).await?;
    let scope = scope.ok_or(AppError::NotFound)?;
    let (observed, amendment) = crate::db::run(&state.pool, move |conn| {
        Ok(match reads::version(conn, &scope, id, today)? {
            Some(observed) => Some((observed, amendments::of_version(conn, id)?)),
            None => None,
        })
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let v = observed.version;
    let detail = format!("firm {} period {} v{}", v.firm_id, v.period, v.version_no);
    audit(&state, &who, "version", v.id.to_string(), detail).await?;
    let c = Chrome::signed_in(&req, &who.0);
    let details = observed
        .details
        .map(|d| details_view::sections_without_contact(&c, &d))
        .unwrap_or_default();
    let siblings = observed
        .siblings
        .into_iter()
        .map(|(sid, version_no)| Sibling {
            version_no,
            href: paths::observer_version(sid),
            current: sid == v.id,
        })
        .collect();
    ok(&ObserverVersionPage {
        status_key: status_key_of(v.status),
        firm: observed.firm_name,
        details,
        siblings,
        amendment,
        v,
        c,
    })
}
