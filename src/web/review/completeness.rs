//! Filing completeness and timeliness per period (on time, late, nil,
//! missing, not yet due) and the firms overdue, for regulator staff.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::completeness::{self, PeriodFilings};
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

/// The widest range the page shows, and the default.
const MAX_MONTHS: usize = 36;
const DEFAULT_MONTHS: usize = 12;

pub struct OverdueLine {
    pub firm: String,
    pub firm_href: String,
    /// (period, its board link, its due date).
    pub periods: Vec<(String, String, String)>,
    pub days: i64,
}

#[derive(Template)]
#[template(path = "review/completeness.html")]
struct CompletenessPage {
    c: Chrome,
    from: String,
    to: String,
    /// The same range a month earlier and a month later.
    prev: String,
    next: String,
    periods: Vec<(PeriodFilings, String, String)>,
    overdue: Vec<OverdueLine>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RangeQuery {
    pub from: String,
    pub to: String,
}

/// `[from, to]`, at most `MAX_MONTHS` long, ending by default at the last
/// month whose returns can be due.
pub fn range(query: &RangeQuery, today: chrono::NaiveDate) -> (Period, Period) {
    let latest = Period::from_date(today).prev();
    Period::chosen_range(
        &query.from,
        &query.to,
        None,
        latest,
        DEFAULT_MONTHS,
        MAX_MONTHS,
    )
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let today = tokyo_date(state.clock.now());
    let (from, to) = range(&query, today);
    let found = crate::db::run(&state.pool, move |conn| {
        Ok(completeness::over(conn, from, to, today)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let overdue = found
        .overdue
        .iter()
        .map(|o| OverdueLine {
            firm: o.firm.name.clone(),
            firm_href: paths::review_firm(o.firm.id),
            periods: o
                .periods
                .iter()
                .map(|(p, due)| (p.to_string(), paths::review_board(*p), c.date(due)))
                .collect(),
            days: o
                .periods
                .first()
                .map_or(0, |(_, due)| (today - *due).num_days()),
        })
        .collect();
    let periods = found
        .periods
        .into_iter()
        .map(|p| {
            let board = paths::review_board(p.period);
            let due = c.date(&p.due);
            (p, board, due)
        })
        .collect();
    let shifted = |a: Period, b: Period| format!("{}?from={a}&to={b}", paths::REVIEW_COMPLETENESS);
    ok(&CompletenessPage {
        prev: shifted(from.prev(), to.prev()),
        next: shifted(from.next(), to.next()),
        from: from.to_string(),
        to: to.to_string(),
        periods,
        overdue,
        c,
    })
}
