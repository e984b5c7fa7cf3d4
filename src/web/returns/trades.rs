//! The trade-detail page of a return: upload a CSV (checked whole before
//! anything is attached), see its totals beside the form's figures, take
//! those totals as the figures, remove it, or download the template.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::reportable_period;
use super::trades_view::{self, FormFigures, TradesPage};
use super::upload::{self, Received};
use crate::domain::period::Period;
use crate::domain::trades::Column;
use crate::error::AppResult;
use crate::services::trades::{self, UploadErrors, UploadSummary};
use crate::services::{accounts, returns};
use crate::web::csrf::{CsrfForm, CsrfOnly};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    done: String,
}

/// The firm's name, the staged upload and the form's figures.
async fn load(
    state: &AppState,
    who: &FirmUser,
    period: Period,
) -> AppResult<(String, Option<UploadSummary>, FormFigures)> {
    let firm_id = who.firm_id;
    crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let upload = trades::summary_for(conn, firm_id, period)?;
        let form = returns::load(conn, firm_id, period)?.form();
        let figures = FormFigures {
            trades: form.get("fraudulent_trades").to_owned(),
            sale: form.get("sale_amount").to_owned(),
            purchase: form.get("purchase_amount").to_owned(),
            nil: form.is_nil(),
        };
        Ok((firm.name, upload, figures))
    })
    .await
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
) -> AppResult<TradesPage> {
    let (firm_name, upload, figures) = load(state, who, period).await?;
    let c = Chrome::signed_in(req, &who.who);
    let view = upload
        .as_ref()
        .map(|u| trades_view::upload_view(&c, u, &figures));
    let mut page = trades_view::page(c, firm_name, period, view);
    page.nil_draft = figures.nil;
    Ok(page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let mut page = build(&req, &state, &who, period).await?;
    let notice = match query.done.as_str() {
        "uploaded" => Some(msg!("trades.done.uploaded")),
        "taken" => Some(msg!("trades.done.taken")),
        "removed" => Some(msg!("trades.done.removed")),
        _ => None,
    };
    page.notice = notice.map(|key| page.c.t.t(key).to_owned());
    render(StatusCode::OK, &page)
}

/// The page again with why the file was not attached.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
    errors: &UploadErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = build(req, state, who, period).await?.with_errors(errors);
    render(status, &page)
}

pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let file = match upload::receive(&req, payload, &who).await? {
        Received::File(file) => file,
        Received::TooLarge => {
            let errors = UploadErrors::file(msg!("err.trades.too_large"));
            return refused(
                &req,
                &state,
                &who,
                period,
                &errors,
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Received::Refused(key) => {
            let errors = UploadErrors::file(key);
            return refused(
                &req,
                &state,
                &who,
                period,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let now = state.clock.now();
    let (actor, firm_id) = (who.who.actor(), who.firm_id);
    let outcome = crate::db::run(&state.pool, move |conn| {
        trades::upload(
            conn,
            &actor,
            firm_id,
            period,
            &file.name,
            &file.bytes[..],
            now,
        )
    })
    .await?;
    match outcome {
        Ok(_) => Ok(redirect(format!(
            "{}?done=uploaded",
            paths::return_trades(period)
        ))),
        Err(errors) => {
            refused(
                &req,
                &state,
                &who,
                period,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn use_figures(
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let now = state.clock.now();
    let (actor, firm_id) = (who.who.actor(), who.firm_id);
    let taken = crate::db::run(&state.pool, move |conn| {
        trades::take_figures(conn, &actor, firm_id, period, now)
    })
    .await?;
    let done = if taken.is_some() { "?done=taken" } else { "" };
    Ok(redirect(format!("{}{done}", paths::return_trades(period))))
}

pub async fn remove(
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let now = state.clock.now();
    let (actor, firm_id) = (who.who.actor(), who.firm_id);
    let removed = crate::db::run(&state.pool, move |conn| {
        trades::remove(conn, &actor, firm_id, period, now)
    })
    .await?;
    let done = if removed { "?done=removed" } else { "" };
    Ok(redirect(format!("{}{done}", paths::return_trades(period))))
}

/// The template: UTF-8 with a BOM (so Excel reads it as UTF-8), the
/// English header and one example row inside the period.
pub async fn template(
    state: web::Data<AppState>,
    _who: FirmUser,
    period: web::Path<String>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    let body = format!(
        "\u{feff}{}\r\n{},sell,7203,domestic,100,\"250,000\",ACC-0001\r\n",
        header.join(","),
        period.first_day().format("%Y-%m-%d"),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"trade_detail_{period}.csv\""),
        ))
        .body(body))
}

/// GET on a POST route (reload, back button): back to the page.
pub async fn back_to_page(period: web::Path<String>) -> HttpResponse {
    match Period::parse(&period) {
        Ok(period) => redirect(paths::return_trades(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
