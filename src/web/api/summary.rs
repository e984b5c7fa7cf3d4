//! The regulator's read API (scope `stats:read`, staff clients only): the
//! dashboard's table (`GET /api/v1/summary?from&to&as_of`) and the
//! completeness of filing (`GET /api/v1/completeness?from&to`) as JSON,
//! for the regulator's own analytics tools. Every call is audited.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::answers::{self, json};
use super::caller::ApiCaller;
use super::problem::Problem;
use crate::domain::api_client::Scope;
use crate::domain::period::Period;
use crate::domain::time::{to_rfc3339, tokyo_date};
use crate::services::{as_of, completeness, summary};
use crate::web::AppState;
use crate::web::dashboard::{self, RangeQuery};
use crate::web::review::completeness as completeness_page;

/// One month of the table.
#[derive(Serialize, utoipa::ToSchema)]
struct MonthJson {
    /// `YYYY-MM`.
    period: String,
    /// Firms whose return for the month counts.
    firms_reporting: i64,
    firms_with_fraudulent_trades: i64,
    unauthorized_accesses: i64,
    affected_accounts: i64,
    fraudulent_trades: i64,
    sale_amount_jpy: i64,
    purchase_amount_jpy: i64,
    /// Bought by market: domestic, china_hk, us, other.
    #[schema(min_items = 4, max_items = 4)]
    purchase_by_market_jpy: [i64; 4],
    /// phishing, credential_stuffing, malware, sim_swap, insider, unknown.
    #[schema(min_items = 6, max_items = 6)]
    vectors: [i64; 6],
    /// Versions submitted and not yet reviewed.
    awaiting_review: i64,
}

/// The dashboard's table.
#[derive(Serialize, utoipa::ToSchema)]
struct SummaryJson {
    /// The first month shown (`null` while nothing is filed).
    #[schema(required = true)]
    from: Option<String>,
    /// The last month shown.
    #[schema(required = true)]
    to: Option<String>,
    /// The moment the figures are as of (the versions submitted by then),
    /// when one was asked for; else they are current.
    #[schema(format = DateTime, required = true)]
    as_of: Option<String>,
    /// Distinct firms with fraudulent trades over the whole range.
    firms_with_fraudulent_trades: i64,
    months: Vec<MonthJson>,
}

/// `GET /api/v1/summary`
#[utoipa::path(
    get,
    path = crate::web::paths::API_SUMMARY,
    tag = "statistics",
    operation_id = "summary",
    summary = "The dashboard's table",
    description = "The figures by month as the regulator's dashboard shows them, current or \
as of a moment. Staff clients only.",
    params(
        super::openapi::params::SummaryQuery,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The table", body = SummaryJson),
        (status = 400, description = "The query cannot be read (a parameter given twice)",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `stats:read`", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Names the scope"))),
        (status = 422, description = "`as_of` is not a moment (`invalid-request`)",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["stats:read"]), ("bearer" = ["stats:read"]))
)]
pub async fn summary(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::StatsRead)?;
    let query = query.into_inner();
    let as_of_text = query.as_of.trim().to_owned();
    let moment = as_of::parse_moment(&as_of_text);
    if !as_of_text.is_empty() && moment.is_none() {
        return Err(answers::invalid_request(
            &t,
            "as_of",
            msg!("err.datetime.invalid"),
        ));
    }
    let cache = state.distinct_firms.clone();
    let (chosen, rows, firms) = crate::db::run(&state.pool, move |conn| {
        let bounds = summary::bounds(conn)?;
        let Some((from, to)) = dashboard::range(&query, bounds.as_ref()) else {
            return Ok((None, vec![], 0));
        };
        let (f, t) = (from.to_string(), to.to_string());
        let (rows, firms) = match moment {
            Some(at) => as_of::rows(conn, &f, &t, at)?,
            None => {
                let rows = summary::rows(conn, &f, &t)?;
                let firms = summary::distinct_firms_with_trades_for(conn, &cache, &f, &t, &rows)?;
                (rows, firms)
            }
        };
        Ok((Some((from, to)), rows, firms))
    })
    .await?;
    let range = chosen.map(|(from, to): (Period, Period)| format!("{from}..{to}"));
    answers::audit_read(&state, &caller, "summary", range.as_deref().unwrap_or("")).await?;
    let months = rows
        .iter()
        .map(|r| MonthJson {
            period: r.period.clone(),
            firms_reporting: r.firms_reporting,
            firms_with_fraudulent_trades: r.firms_with_fraudulent_trades,
            unauthorized_accesses: r.unauthorized_accesses,
            affected_accounts: r.affected_accounts,
            fraudulent_trades: r.fraudulent_trades,
            sale_amount_jpy: r.sale_amount_jpy,
            purchase_amount_jpy: r.purchase_amount_jpy,
            purchase_by_market_jpy: [
                r.purchase_domestic_jpy,
                r.purchase_china_hk_jpy,
                r.purchase_us_jpy,
                r.purchase_other_jpy,
            ],
            vectors: [
                r.vector_phishing,
                r.vector_credential_stuffing,
                r.vector_malware,
                r.vector_sim_swap,
                r.vector_insider,
                r.vector_unknown,
            ],
            awaiting_review: r.awaiting_review,
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &SummaryJson {
            from: chosen.map(|(f, _)| f.to_string()),
            to: chosen.map(|(_, t)| t.to_string()),
            as_of: moment.map(to_rfc3339),
            firms_with_fraudulent_trades: firms,
            months,
        },
    ))
}

/// How one month's returns came in.
#[derive(Serialize, utoipa::ToSchema)]
struct FilingsJson {
    /// `YYYY-MM`.
    period: String,
    /// The due date (Tokyo).
    #[schema(format = Date)]
    due: String,
    /// Firms that filed figures by the due date.
    on_time: usize,
    /// Firms that filed figures after it.
    late: usize,
    /// Firms that filed a nil return (nothing to report).
    nil: usize,
    /// Firms whose due date has passed with nothing filed.
    missing: usize,
    /// Firms that have filed nothing, not yet due.
    not_due: usize,
    /// Share of the firms owing it that filed, in percent.
    #[schema(maximum = 100)]
    percent_filed: usize,
}

/// A firm with months overdue.
#[derive(Serialize, utoipa::ToSchema)]
struct OverdueJson {
    firm_id: i64,
    /// The firm's name.
    firm: String,
    /// The months overdue (`YYYY-MM`).
    periods: Vec<String>,
}

/// The completeness of filing.
#[derive(Serialize, utoipa::ToSchema)]
struct CompletenessJson {
    /// `YYYY-MM`.
    from: String,
    /// `YYYY-MM`.
    to: String,
    periods: Vec<FilingsJson>,
    overdue: Vec<OverdueJson>,
}

/// `GET /api/v1/completeness`
#[utoipa::path(
    get,
    path = crate::web::paths::API_COMPLETENESS,
    tag = "statistics",
    operation_id = "completeness",
    summary = "The completeness of filing",
    description = "For each month, how many firms filed on time, late, nil or not at all; and \
the firms with months overdue. Staff clients only.",
    params(
        super::openapi::params::CompletenessQuery,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The completeness", body = CompletenessJson),
        (status = 400, description = "The query cannot be read (a parameter given twice)",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `stats:read`", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Names the scope"))),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["stats:read"]), ("bearer" = ["stats:read"]))
)]
pub async fn completeness(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<completeness_page::RangeQuery>,
) -> Result<HttpResponse, Problem> {
    caller.require(Scope::StatsRead)?;
    let today = tokyo_date(state.clock.now());
    let (from, to) = completeness_page::range(&query, today);
    let found = crate::db::run(&state.pool, move |conn| {
        Ok(completeness::over(conn, from, to, today)?)
    })
    .await?;
    answers::audit_read(&state, &caller, "completeness", &format!("{from}..{to}")).await?;
    Ok(json(
        StatusCode::OK,
        &CompletenessJson {
            from: from.to_string(),
            to: to.to_string(),
            periods: found
                .periods
                .iter()
                .map(|p| FilingsJson {
                    period: p.period.to_string(),
                    due: p.due.to_string(),
                    on_time: p.on_time,
                    late: p.late,
                    nil: p.nil,
                    missing: p.missing,
                    not_due: p.not_due,
                    percent_filed: p.percent_filed(),
                })
                .collect(),
            overdue: found
                .overdue
                .iter()
                .map(|o| OverdueJson {
                    firm_id: o.firm.id,
                    firm: o.firm.name.clone(),
                    periods: o.periods.iter().map(|(p, _)| p.to_string()).collect(),
                })
                .collect(),
        },
    ))
}
