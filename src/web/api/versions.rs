//! `GET /api/v1/returns/{period}/versions[/{n}]`: the firm's submitted
//! versions of a month, each with its receipt and the regulator's review
//! outcome; one version with the whole return as filed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::answers::{self, json, not_found};
use super::caller::ApiCaller;
use super::problem::Problem;
use crate::db::models::Version;
use crate::domain::VersionStatus;
use crate::domain::api_client::Scope;
use crate::domain::time::to_rfc3339;
use crate::services::return_form::FiguresForm;
use crate::services::{draft_document, returns, submission};
use crate::web::AppState;

/// One submitted version.
#[derive(Serialize, utoipa::ToSchema)]
struct VersionJson {
    /// From 1.
    version: i32,
    /// The receipt number the approver was given.
    receipt_no: String,
    #[schema(format = DateTime)]
    submitted_at: String,
    /// The due date in force when it was submitted (Tokyo).
    #[schema(format = Date)]
    due: String,
    /// Whether it was submitted by then (frozen at submission).
    on_time: bool,
    /// A nil return (nothing to report).
    nil: bool,
    /// `submitted` (awaiting review), `accepted` or `returned`.
    status: &'static str,
    #[schema(format = DateTime, required = true)]
    reviewed_at: Option<String>,
    /// The regulator's reason, when the version was returned.
    #[schema(required = true)]
    review_note: Option<String>,
    /// The return as filed, as a draft document (one version only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::services::draft_document::schema::DraftDocument>)]
    document: Option<serde_json::Value>,
}

fn status(v: &Version) -> &'static str {
    match v.status {
        VersionStatus::Submitted => "submitted",
        VersionStatus::Accepted => "accepted",
        VersionStatus::Returned => "returned",
    }
}

fn version_json(v: &Version, document: Option<serde_json::Value>) -> VersionJson {
    VersionJson {
        version: v.version_no,
        receipt_no: v.receipt_no.clone(),
        submitted_at: to_rfc3339(v.submitted_at),
        due: v.due_date.to_string(),
        on_time: v.on_time,
        nil: v.is_nil,
        status: status(v),
        reviewed_at: v.reviewed_at.map(to_rfc3339),
        review_note: v.review_note.clone(),
        document,
    }
}

/// A month's versions, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
struct VersionsJson {
    /// `YYYY-MM`.
    period: String,
    versions: Vec<VersionJson>,
}

#[utoipa::path(
    get,
    path = crate::web::paths::API_VERSIONS,
    tag = "returns",
    operation_id = "list_versions",
    summary = "The month's submitted versions",
    description = "Each version the firm submitted for the month, with its receipt and the \
regulator's review outcome (none yet: an empty list).",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The versions", body = VersionsJson,
            links(("get_version" = (
                operation_id = "get_version",
                parameters(("period" = "$request.path.period"), ("version" = "$response.body#/versions/0/version")),
                description = "Read the first version"
            )))),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:read"]), ("bearer" = ["returns:read"]))
)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    period: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsRead)?;
    let period = answers::period(&period, &state.clock, &t)?;
    let firm_id = caller.firm()?;
    let versions = crate::db::run(&state.pool, move |conn| {
        Ok(returns::load(conn, firm_id, period)?.versions)
    })
    .await?;
    answers::audit_read(&state, &caller, "versions", &period.to_string()).await?;
    Ok(json(
        StatusCode::OK,
        &VersionsJson {
            period: period.to_string(),
            versions: versions.iter().map(|v| version_json(v, None)).collect(),
        },
    ))
}

#[utoipa::path(
    get,
    path = crate::web::paths::API_VERSION,
    tag = "returns",
    operation_id = "get_version",
    summary = "One submitted version, with the return as filed",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::VersionPath,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The version, with `document`", body = VersionJson),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun, or has no such version",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:read"]), ("bearer" = ["returns:read"]))
)]
pub async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsRead)?;
    let (period, number) = path.into_inner();
    let period = answers::period(&period, &state.clock, &t)?;
    let number: i32 = number
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| not_found(&t))?;
    let firm_id = caller.firm()?;
    let found = crate::db::run(&state.pool, move |conn| {
        let Some(v) = returns::firm_version(conn, firm_id, period, number)? else {
            return Ok(None);
        };
        let details = submission::details_of(conn, v.id)?;
        Ok(Some((v, details)))
    })
    .await?;
    let Some((v, details)) = found else {
        return Err(not_found(&t));
    };
    answers::audit_read(&state, &caller, "version", &v.id.to_string()).await?;
    let form = FiguresForm::from_version(&v, details.as_ref());
    Ok(json(
        StatusCode::OK,
        &version_json(&v, Some(draft_document::to_json(&form))),
    ))
}
