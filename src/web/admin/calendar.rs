//! The reporting calendar settings (admin): the day of the following month
//! a return is due and how many days before it the first reminder goes
//! out, with the coming due dates and where the holidays come from.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::{Invalid, calendar};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    c: Chrome,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    saved: bool,
    upcoming: Vec<(String, String)>,
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct CalendarForm {
    csrf: String,
    #[validate(custom(function = "form_rules::due_day"))]
    due_day: String,
    #[validate(custom(function = "form_rules::reminder_days"))]
    reminder_days: String,
}

impl HasCsrf for CalendarForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    typed: (String, String),
    invalid: &Invalid,
    saved: bool,
) -> AppResult<HttpResponse> {
    let from = Period::from_date(tokyo_date(state.clock.now())).prev();
    let upcoming = crate::db::run(&state.pool, move |conn| {
        Ok(calendar::upcoming(conn, from, 12)?)
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let mut fields = fields(
        &c.t,
        &[
            (
                "due_day",
                msg!("calendar.due_day"),
                FieldKind::Number,
                &typed.0,
            ),
            (
                "reminder_days",
                msg!("calendar.reminder_days"),
                FieldKind::Number,
                &typed.1,
            ),
        ],
        invalid,
    );
    if let Some(f) = fields.get_mut(1) {
        f.hint = Some(c.t.t(msg!("calendar.reminder_hint")).to_owned());
    }
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CalendarPage {
        errors: summary(&fields),
        fields,
        saved,
        upcoming: upcoming
            .into_iter()
            .map(|(p, due)| (p.to_string(), c.date(&due)))
            .collect(),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let current = crate::db::run(&state.pool, |conn| Ok(calendar::current(conn)?)).await?;
    let typed = (
        current.due_day.to_string(),
        current.reminder_days.to_string(),
    );
    show(
        &req,
        &state,
        &who,
        typed,
        &Invalid::default(),
        query.saved == "1",
    )
    .await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<CalendarForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, &["due_day", "reminder_days"]);
        let typed = (form.due_day, form.reminder_days);
        return show(&req, &state, &who, typed, &invalid, false).await;
    }
    let (now, actor) = (state.clock.now(), who.0.actor());
    let (due, days) = (form.due_day.clone(), form.reminder_days.clone());
    let outcome = crate::db::run(&state.pool, move |conn| {
        calendar::save(conn, &actor, &due, &days, now)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(redirect(format!("{}?saved=1", paths::ADMIN_CALENDAR))),
        Err(invalid) => {
            let typed = (form.due_day, form.reminder_days);
            show(&req, &state, &who, typed, &invalid, false).await
        }
    }
}
