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

#[derive(Serialize)]
struct PeriodJson {
    period: String,
    /// The due date (Tokyo).
    due: String,
    /// `not_required`, `not_started`, `draft`, `ready_for_approval`,
    /// `amending`, `submitted`, `accepted` or `returned`.
    state: &'static str,
    /// As the list of returns shows it, in the caller's language.
    state_label: &'static str,
    versions: i32,
    overdue: bool,
}

#[derive(Serialize)]
struct PeriodsJson {
    firm: String,
    periods: Vec<PeriodJson>,
}

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
