//! `GET /api/v1/periods`: the firm's months with their due dates and where
//! each stands, as the browser's list of returns shows them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::answers::{self, json};
use super::caller::ApiCaller;
use super::problem::Problem;
use crate::domain::api_client::Scope;
use crate::domain::time::tokyo_date;
use crate::services::{accounts, periods};
use crate::web::AppState;

/// One month the firm owes (or owed) a return for.
#[derive(Serialize, utoipa::ToSchema)]
struct PeriodJson {
    /// `YYYY-MM`.
    #[schema(example = "2025-04")]
    period: String,
    /// The due date (Tokyo).
    #[schema(format = Date)]
    due: String,
    /// `not_required`, `not_started`, `draft`, `ready_for_approval`,
    /// `amending`, `submitted`, `accepted` or `returned`.
    state: &'static str,
    /// As the list of returns shows it, in the caller's language.
    state_label: &'static str,
    /// Versions submitted so far.
    versions: i32,
    /// Past its due date with nothing submitted.
    overdue: bool,
}

/// The firm's months.
#[derive(Serialize, utoipa::ToSchema)]
struct PeriodsJson {
    /// The firm's name.
    firm: String,
    periods: Vec<PeriodJson>,
}

#[utoipa::path(
    get,
    path = crate::web::paths::API_PERIODS,
    tag = "returns",
    operation_id = "list_periods",
    summary = "The firm's months",
    description = "Each month the firm owes a return for, with its due date and where it \
stands, as the browser's list of returns shows them.",
    params(super::openapi::params::AcceptLanguageHeader),
    responses(
        (status = 200, description = "The months", body = PeriodsJson),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The client's firm is gone", body = super::problem::Body,
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
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsRead)?;
    let firm_id = caller.firm()?;
    let today = tokyo_date(state.clock.now());
    let (firm, periods) = crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let periods = periods::firm_periods(conn, &firm, today)?;
        Ok((firm, periods))
    })
    .await?;
    answers::audit_read(&state, &caller, "periods", &firm_id.to_string()).await?;
    let periods = periods
        .into_iter()
        .map(|p| PeriodJson {
            period: p.period.to_string(),
            due: p.due.to_string(),
            state: p.standing.code(),
            state_label: t.t(p.standing.key()),
            versions: p.versions,
            overdue: p.overdue,
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &PeriodsJson {
            firm: firm.name,
            periods,
        },
    ))
}
