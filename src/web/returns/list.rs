//! The firm's list of periods and their state.

use crate::i18n::Key;
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::reportable_period;
use crate::domain::ReturnState;
use crate::domain::due_date::due_date;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::{accounts, firm_start, handover, returns, settings};
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

fn state_key(state: Option<ReturnState>, has_draft: bool) -> Key {
    match (state, has_draft) {
        (None, _) => msg!("state.not_started"),
        (Some(ReturnState::Draft), _) => msg!("state.draft"),
        (Some(_), true) => msg!("state.amending"),
        (Some(ReturnState::Accepted), false) => msg!("state.accepted"),
        (Some(ReturnState::Returned), false) => msg!("state.returned"),
        (Some(ReturnState::Submitted), false) => msg!("state.submitted"),
    }
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
    let (firm, rows, due_day, marks) = crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let rows = returns::firm_returns(conn, firm_id)?;
        let marks = handover::ready_marks(conn, firm_id)?;
        Ok((firm, rows, settings::due_day(conn)?, marks))
    })
    .await?;
    let today = tokyo_date(state.clock.now());
    let known: HashMap<String, _> = rows.into_iter().map(|r| (r.period.clone(), r)).collect();
    // The last twelve months, then any older period the firm has a return for.
    let mut periods = Vec::new();
    let mut period = Period::from_date(tokyo_date(state.clock.now()));
    for _ in 0..12 {
        periods.push(period);
        period = period.prev();
    }
    let mut older: Vec<Period> = known
        .keys()
        .filter_map(|k| Period::parse(k).ok())
        .filter(|p| !periods.contains(p))
        .collect();
    older.sort_by(|a, b| b.cmp(a));
    periods.extend(older);
    let lines = periods
        .into_iter()
        .map(|p| {
            let row = known.get(&p.to_string());
            let versions = row.map_or(0, |r| r.current_version);
            let due = due_date(p, due_day);
            let required = firm_start::expected(&firm, p);
            let ready = marks.get(&p.to_string()).copied();
            let state_key = match state_key(
                row.map(|r| r.state),
                row.is_some_and(|r| r.draft_json.is_some()),
            ) {
                key if key == msg!("state.not_started") && !required => msg!("state.not_required"),
                _ if ready == Some(true) => msg!("state.ready"),
                key => key,
            };
            PeriodLine {
                period: p.to_string(),
                href: paths::return_page(p),
                state_key,
                versions,
                due: c.date(&due),
                overdue: required && versions == 0 && today > due,
                ready,
            }
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
