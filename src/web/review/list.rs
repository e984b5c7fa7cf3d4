//! Every firm's latest version for one period.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::month_picker::MonthPicker;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::returns;
use crate::web::extract::Staff;
use crate::web::returns::form::status_key;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct ReviewLine {
    pub firm: String,
    pub href: String,
    pub version_no: i32,
    pub receipt_no: String,
    pub submitted_at: String,
    pub on_time: bool,
    pub nil: bool,
    pub status_key: Key,
    pub accesses: String,
    pub trades: String,
}

#[derive(Template)]
#[template(path = "review/list.html")]
struct ReviewPage {
    c: Chrome,
    period: String,
    picker: MonthPicker,
    queue: String,
    lines: Vec<ReviewLine>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewQuery {
    period: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<ReviewQuery>,
) -> AppResult<HttpResponse> {
    let current = Period::from_date(tokyo_date(state.clock.now()));
    let period = Period::parse(query.period.trim()).unwrap_or_else(|_| current.prev());
    let rows = crate::db::run(&state.pool, move |conn| {
        Ok(returns::latest_for_period(conn, period)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let lines = rows
        .into_iter()
        .map(|(firm, v)| ReviewLine {
            firm: firm.name,
            href: paths::review_version(v.id),
            version_no: v.version_no,
            receipt_no: v.receipt_no.clone(),
            submitted_at: c.when(&v.submitted_at),
            on_time: v.on_time,
            nil: v.is_nil,
            status_key: status_key(&v),
            accesses: c.count(&v.unauthorized_accesses),
            trades: c.count(&v.fraudulent_trades),
        })
        .collect();
    ok(&ReviewPage {
        c,
        period: period.to_string(),
        picker: MonthPicker::new(paths::REVIEW, period, |p| {
            paths::review_period(&p.to_string())
        }),
        queue: paths::review_queue(),
        lines,
    })
}
