//! The regulator's FSA-shaped table: months of occurrence as columns plus a
//! total, read from the period summary (never from a scan of returns).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::SummaryRow;
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::summary;
use crate::web::AppState;
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};

/// The widest range one table shows.
const MAX_MONTHS: usize = 36;
const DEFAULT_MONTHS: usize = 12;

pub struct TableRow {
    pub label: String,
    pub cells: Vec<String>,
    pub total: String,
}

#[derive(Template)]
#[template(path = "dashboard/table.html")]
struct DashboardPage {
    c: Chrome,
    columns: Vec<String>,
    rows: Vec<TableRow>,
    from: String,
    to: String,
    empty: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RangeQuery {
    from: String,
    to: String,
}

fn range(query: &RangeQuery, bounds: Option<&(String, String)>) -> Option<(Period, Period)> {
    let (first, last) = bounds?;
    let first = Period::parse(first).ok()?;
    let last = Period::parse(last).ok()?;
    let to = Period::parse(query.to.trim()).unwrap_or(last);
    let default_from = (1..DEFAULT_MONTHS).fold(to, |p, _| p.prev()).max(first);
    let from = Period::parse(query.from.trim()).unwrap_or(default_from);
    let (from, to) = if from <= to { (from, to) } else { (to, from) };
    let from = from.max((1..MAX_MONTHS).fold(to, |p, _| p.prev()));
    Some((from, to))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let (chosen, rows, firms_total) = crate::db::run(&state.pool, move |conn| {
        let bounds = summary::bounds(conn)?;
        let Some((from, to)) = range(&query, bounds.as_ref()) else {
            return Ok((None, vec![], 0));
        };
        let (f, t) = (from.to_string(), to.to_string());
        let rows = summary::rows(conn, &f, &t)?;
        let firms = summary::distinct_firms_with_trades(conn, &f, &t)?;
        Ok((Some((from, to)), rows, firms))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let Some((from, to)) = chosen else {
        return ok(&DashboardPage {
            c,
            columns: vec![],
            rows: vec![],
            from: String::new(),
            to: String::new(),
            empty: true,
        });
    };
    let periods = Period::months_between(from, to);
    let by_period: HashMap<&str, &SummaryRow> =
        rows.iter().map(|r| (r.period.as_str(), r)).collect();
    let pick = |f: fn(&SummaryRow) -> i64| -> Vec<i64> {
        periods
            .iter()
            .map(|p| by_period.get(p.to_string().as_str()).map_or(0, |r| f(r)))
            .collect()
    };
    let line = |key: &str, values: Vec<i64>, total: i64, money: bool| TableRow {
        label: c.t.t(key).to_owned(),
        cells: values
            .iter()
            .map(|v| if money { c.yen(v) } else { c.count(v) })
            .collect(),
        total: if money {
            c.yen(&total)
        } else {
            c.count(&total)
        },
    };
    let sum = |values: &[i64]| values.iter().sum::<i64>();
    let firms = pick(|r| r.firms_with_fraudulent_trades);
    let accesses = pick(|r| r.unauthorized_accesses);
    let trades = pick(|r| r.fraudulent_trades);
    let sales = pick(|r| r.sale_amount_jpy);
    let purchases = pick(|r| r.purchase_amount_jpy);
    // Figures not yet accepted are marked: how many latest versions still
    // await review in each month.
    let awaiting = pick(|r| r.awaiting_review);
    let table = vec![
        line("table.firms_with_trades", firms, firms_total, false),
        line(
            "table.unauthorized_accesses",
            accesses.clone(),
            sum(&accesses),
            false,
        ),
        line(
            "table.fraudulent_trades",
            trades.clone(),
            sum(&trades),
            false,
        ),
        line("table.sale_amount", sales.clone(), sum(&sales), true),
        line(
            "table.purchase_amount",
            purchases.clone(),
            sum(&purchases),
            true,
        ),
        line(
            "table.awaiting_review",
            awaiting.clone(),
            sum(&awaiting),
            false,
        ),
    ];
    ok(&DashboardPage {
        columns: periods.iter().map(ToString::to_string).collect(),
        rows: table,
        from: from.to_string(),
        to: to.to_string(),
        empty: false,
        c,
    })
}
