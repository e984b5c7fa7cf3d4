//! The firm's list of periods and their state.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::reportable_period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::{accounts, periods};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths, redirect};

pub struct PeriodLine {
    pub period: String,
    pub href: String,
    pub state_key: Key,
    pub versions: i32,
    /// The due date, as shown.
    pub due: String,
    /// Nothing filed and the due date has passed (from the firm's first
    /// reporting month on).
    pub overdue: bool,
    /// A ready-for-approval mark: whether the draft is still the one marked
    /// (false once it changed).
    pub ready: Option<bool>,
    /// The granted extension's reference when `due` is its date.
    pub extension: Option<String>,
    /// The month's deadline page (extensions).
    pub extension_href: String,
}

#[derive(Template)]
#[template(path = "returns/list.html")]
struct ListPage {
    c: Chrome,
    firm_name: String,
    lines: Vec<PeriodLine>,
    open_value: String,
    open_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    period: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(&req, &who.who);
    let mut open_error = None;
    if !query.period.trim().is_empty() {
        match reportable_period(query.period.trim(), &state.clock) {
            Ok(period) => return Ok(redirect(paths::return_page(period))),
            Err(_) => open_error = Some(c.t.t(msg!("err.period.invalid")).to_owned()),
        }
    }
    let firm_id = who.firm_id;
    let today = tokyo_date(state.clock.now());
    let (firm, periods) = crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let periods = periods::firm_periods(conn, &firm, today)?;
        Ok((firm, periods))
    })
    .await?;
    let lines = periods
        .into_iter()
        .map(|p| PeriodLine {
            period: p.period.to_string(),
            href: paths::return_page(p.period),
            state_key: p.standing.key(),
            versions: p.versions,
            due: c.date(&p.due),
            overdue: p.overdue,
            ready: p.ready,
            extension: p.extension,
            extension_href: paths::return_extension(p.period),
        })
        .collect();
    ok(&ListPage {
        c,
        firm_name: firm.name,
        lines,
        open_value: query.period.clone(),
        open_error,
    })
}
