//! The review queue: every version awaiting review, oldest submission
//! first, filterable by month and firm, each linked to its review page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::{accounts, review_file};
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct QueueLine {
    pub firm: String,
    pub period: String,
    pub href: String,
    pub version_no: i32,
    pub receipt_no: String,
    pub submitted_at: String,
    pub on_time: bool,
    pub nil: bool,
}

/// (firm id, name, chosen) for the firm filter.
pub struct FirmOption {
    pub id: i64,
    pub name: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "review/queue.html")]
struct QueuePage {
    c: Chrome,
    action: &'static str,
    period: String,
    period_error: bool,
    firms: Vec<FirmOption>,
    filtered: bool,
    lines: Vec<QueueLine>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    period: String,
    firm: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let raw = query.period.trim().to_owned();
    let period = Period::parse(&raw).ok();
    // A month that cannot be read filters nothing and is pointed out.
    let period_error = !raw.is_empty() && period.is_none();
    let firm_id: Option<i64> = query.firm.trim().parse().ok();
    let (firms, rows) = crate::db::run(&state.pool, move |conn| {
        let firms = accounts::list_firms(conn)?;
        Ok((firms, review_file::awaiting(conn, period, firm_id)?))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let lines = rows
        .into_iter()
        .map(|(firm, v)| QueueLine {
            firm: firm.name,
            period: v.period.clone(),
            href: paths::review_version(v.id),
            version_no: v.version_no,
            receipt_no: v.receipt_no.clone(),
            submitted_at: c.when(&v.submitted_at),
            on_time: v.on_time,
            nil: v.is_nil,
        })
        .collect();
    ok(&QueuePage {
        action: paths::REVIEW_QUEUE,
        period: if period_error {
            raw
        } else {
            period.map(|p| p.to_string()).unwrap_or_default()
        },
        period_error,
        firms: firms
            .into_iter()
            .map(|f| FirmOption {
                chosen: Some(f.id) == firm_id,
                id: f.id,
                name: f.name,
            })
            .collect(),
        filtered: period.is_some() || firm_id.is_some(),
        lines,
        c,
    })
}
