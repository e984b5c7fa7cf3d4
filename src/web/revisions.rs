//! The public revision history: for one figure, each month's value as
//! every release printed it (months down, releases across, with the change
//! from the release before); or, for one month, every figure as each
//! release printed it (the staff dashboard links there). And the tidy CSV
//! of all of it.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::publication_table::FIGURES;
use crate::services::revisions::{Column, Printed, Triangle};
use crate::web::AppState;
use crate::web::statistics::{figure_key, in_reader_language, released, released_list, show};
use crate::web::view::{Chrome, render};

#[derive(Template)]
#[template(path = "statistics/revisions.html")]
struct RevisionsPage {
    c: Chrome,
    /// (figure key, label, chosen).
    figures: Vec<(String, String, bool)>,
    /// (id, title, released) per release, oldest first.
    releases: Vec<(i64, String, String)>,
    /// What the rows are: months (for a figure) or figures (for a month).
    row_heading: String,
    caption: String,
    /// (row label, its cells in release order).
    rows: Vec<(String, Vec<Shown>)>,
}

/// One cell as a release printed it.
struct Shown {
    printed: String,
    /// The change from the release before, when revised.
    change: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevisionsQuery {
    measure: String,
    month: String,
}

/// Every release with its frozen table (the list and the tables as kept
/// in memory: a release never changes, so a visit costs no query).
async fn triangle(state: &AppState) -> AppResult<Triangle> {
    let listed = released_list(state).await?;
    let mut columns = Vec::with_capacity(listed.len());
    for l in listed.iter() {
        let kept = released(state, l.id).await?;
        columns.push(Column {
            id: l.id,
            title: l.title.clone(),
            title_ja: l.title_ja.clone(),
            released_at: l.released_at,
            table: kept.table.clone(),
        });
    }
    Ok(Triangle::new(columns))
}

fn cell(t: &Triangle, r: usize, figure: &str, month: &str) -> Shown {
    let printed = match t.printed(r, figure, month) {
        Printed::Value(v) => show(figure, Some(v)),
        Printed::Suppressed => "x".to_owned(),
        Printed::Absent => String::new(),
    };
    let change = t.change(r, figure, month).map_or_else(String::new, |d| {
        let sign = if d > 0 { "+" } else { "−" };
        format!(
            "{sign}{}",
            show(figure, Some(d.abs())).trim_start_matches('¥')
        )
    });
    Shown { printed, change }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<RevisionsQuery>,
) -> AppResult<HttpResponse> {
    let t = triangle(&state).await?;
    let c = Chrome::public(&req).await;
    // A month asked for (from the dashboard): every figure for it.
    let month = Period::parse(query.month.trim())
        .ok()
        .map(|p| p.as_key())
        .filter(|m| t.months.contains(m));
    let measure = FIGURES
        .iter()
        .copied()
        .find(|f| *f == query.measure)
        .unwrap_or(FIGURES[1]);
    let rows: Vec<(String, Vec<Shown>)> = match &month {
        Some(m) => FIGURES
            .iter()
            .map(|f| {
                let cells = (0..t.releases.len()).map(|r| cell(&t, r, f, m)).collect();
                (c.t.t(figure_key(f)).to_owned(), cells)
            })
            .collect(),
        None => t
            .months
            .iter()
            .map(|m| {
                let cells = (0..t.releases.len())
                    .map(|r| cell(&t, r, measure, m))
                    .collect();
                (m.clone(), cells)
            })
            .collect(),
    };
    let (row_heading, caption) = match &month {
        Some(m) => (
            c.t.t(msg!("revisions.figure")).to_owned(),
            c.t.tf(msg!("revisions.caption_month"), &[("month", m)]),
        ),
        None => (
            c.t.t(msg!("statistics.month")).to_owned(),
            c.t.tf(
                msg!("revisions.caption_figure"),
                &[("figure", c.t.t(figure_key(measure)))],
            ),
        ),
    };
    let page = RevisionsPage {
        figures: FIGURES
            .iter()
            .map(|f| {
                (
                    (*f).to_owned(),
                    c.t.t(figure_key(f)).to_owned(),
                    month.is_none() && *f == measure,
                )
            })
            .collect(),
        releases: t
            .releases
            .iter()
            .map(|r| {
                let title = in_reader_language(&c.t, &r.title, &r.title_ja).to_owned();
                (
                    r.id,
                    title,
                    r.released_at.map(|at| c.when(&at)).unwrap_or_default(),
                )
            })
            .collect(),
        row_heading,
        caption,
        rows,
        c,
    };
    render(actix_web::http::StatusCode::OK, &page)
}

/// The tidy CSV of every release's every published cell.
pub async fn csv(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let t = triangle(&state).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"statistics-revisions.csv\"",
        ))
        .body(t.csv()))
}
