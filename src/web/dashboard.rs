//! The regulator's FSA-shaped table: months of occurrence as columns plus a
//! total, read from the period summary (never from a scan of returns) — or,
//! with `as_of`, computed from the versions submitted by a past moment.
//! Each figure is followed by its change on the previous month, in words.

use crate::i18n::Key;
use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::services::export_rights::Grant;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::db::models::SummaryRow;
use crate::domain::period::Period;
use crate::domain::yen::{Yen, group_digits};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::services::{as_of, summary};
use crate::web::AppState;
use crate::web::charts::{self, Chart};
use crate::web::dashboard_incidents;
use crate::web::dashboard_pages::DrawnFrom;
use crate::web::extract::Staff;
use crate::web::view::{self, Chrome, html};
use crate::web::{gzip, paths};

/// The widest range one table shows.
const MAX_MONTHS: usize = 36;
const DEFAULT_MONTHS: usize = 12;
/// Below 1万 the amount in 万 / 億 would repeat the yen figure: it is shown
/// in yen only.
const SMALLEST_OKU: i64 = crate::domain::yen::YEN_PER_MAN;

/// One cell: the figure, and on the Japanese page the amount in 万円 / 億円.
pub struct Cell {
    pub text: String,
    pub oku: Option<String>,
}

pub struct TableRow {
    pub label: String,
    pub cells: Vec<Cell>,
    pub total: Cell,
    /// A month-over-month change row (styled apart; its words carry the
    /// meaning, not its colour).
    pub change: bool,
}

/// How many (language, asked range) renderings of the figures are kept.
pub const KEPT_RANGES: usize = 64;

/// Everything below the range form, for one language and range: the table
/// and the charts. The same for every staff user, so it
/// is rendered once and kept while fresh (`AppState::dashboards`).
pub struct Figures {
    /// The range shown; none while no return has been filed.
    range: Option<(String, String)>,
    html: String,
}

impl Figures {
    pub fn from(&self) -> &str {
        self.range.as_ref().map_or("", |(from, _)| from)
    }

    pub fn to(&self) -> &str {
        self.range.as_ref().map_or("", |(_, to)| to)
    }
}

#[derive(Template)]
#[template(path = "dashboard/figures.html")]
struct FiguresPart<'a> {
    c: &'a Chrome,
    columns: Vec<String>,
    rows: Vec<TableRow>,
    from: String,
    to: String,
    charts: Vec<Chart>,
}

#[derive(Template)]
#[template(path = "dashboard/table.html")]
struct DashboardPage {
    c: Chrome,
    figures: Arc<Figures>,
    as_of: String,
    /// When the table is historical: the moment, in Tokyo time.
    as_of_shown: Option<String>,
    as_of_invalid: bool,
    /// The incidents' section, rendered (`dashboard_incidents::Kept`).
    incidents: String,
    /// What the viewer may export (the session's user: the export itself
    /// reads the right afresh).
    grant: Grant,
}

#[derive(Clone, Deserialize, Default)]
#[serde(default)]
pub struct RangeQuery {
    pub from: String,
    pub to: String,
    pub as_of: String,
}

/// The months a range query asks for, within the months filed
/// (`bounds`); none while nothing is filed.
pub fn range(query: &RangeQuery, bounds: Option<&(String, String)>) -> Option<(Period, Period)> {
    let (first, last) = bounds?;
    let first = Period::parse(first).ok()?;
    let last = Period::parse(last).ok()?;
    Some(Period::chosen_range(
        &query.from,
        &query.to,
        Some(first),
        last,
        DEFAULT_MONTHS,
        MAX_MONTHS,
    ))
}

/// A change in words: "up 50", "down ¥20", "no change".
fn change_text(c: &Chrome, delta: i64, money: bool) -> String {
    let size = if money {
        format!("¥{}", group_digits(delta.saturating_abs()))
    } else {
        group_digits(delta.saturating_abs())
    };
    match delta.signum() {
        1 => c.t.tf(msg!("dashboard.change_up"), &[("n", &size)]),
        -1 => c.t.tf(msg!("dashboard.change_down"), &[("n", &size)]),
        _ => c.t.t(msg!("dashboard.change_none")).to_owned(),
    }
}

fn cell(c: &Chrome, value: i64, money: bool) -> Cell {
    if !money {
        return Cell {
            text: c.count(&value),
            oku: None,
        };
    }
    let oku = (c.t.lang == Lang::Ja && value >= SMALLEST_OKU)
        .then(|| Yen::new(value).ok())
        .flatten()
        .map(|y| c.t.tf(msg!("dashboard.yen_ja"), &[("n", &y.man_oku())]));
    Cell {
        text: c.yen(&value),
        oku,
    }
}

/// The figure's row and its change row. `values[0]` is the month before
/// the range, used only for the first change.
fn figure(c: &Chrome, key: Key, values: &[i64], total: i64, money: bool) -> [TableRow; 2] {
    let shown = values.get(1..).unwrap_or_default();
    let label = c.t.t(key).to_owned();
    let changes = values
        .windows(2)
        .map(|w| Cell {
            text: change_text(c, w[1] - w[0], money),
            oku: None,
        })
        .collect();
    [
        TableRow {
            cells: shown.iter().map(|v| cell(c, *v, money)).collect(),
            total: cell(c, total, money),
            change: false,
            label: label.clone(),
        },
        TableRow {
            label: c
                .t
                .tf(msg!("dashboard.change_label"), &[("figure", &label)]),
            cells: changes,
            total: Cell {
                text: String::new(),
                oku: None,
            },
            change: true,
        },
    ]
}

fn table(c: &Chrome, periods: &[Period], rows: &[SummaryRow], firms_total: i64) -> Vec<TableRow> {
    let by_period: HashMap<&str, &SummaryRow> =
        rows.iter().map(|r| (r.period.as_str(), r)).collect();
    // The month before the range comes first, for the first change.
    let mut months: Vec<String> = periods
        .first()
        .map(|p| p.prev().to_string())
        .into_iter()
        .collect();
    months.extend(periods.iter().map(ToString::to_string));
    let pick = |f: fn(&SummaryRow) -> i64| -> Vec<i64> {
        months
            .iter()
            .map(|p| by_period.get(p.as_str()).map_or(0, |r| f(r)))
            .collect()
    };
    let sum = |values: &[i64]| values.iter().skip(1).sum::<i64>();
    let accesses = pick(|r| r.unauthorized_accesses);
    let trades = pick(|r| r.fraudulent_trades);
    let sales = pick(|r| r.sale_amount_jpy);
    let purchases = pick(|r| r.purchase_amount_jpy);
    // Figures not yet accepted are marked: how many latest versions still
    // await review in each month.
    let awaiting = pick(|r| r.awaiting_review);
    let mut out = Vec::new();
    let firms = pick(|r| r.firms_with_fraudulent_trades);
    out.extend(figure(
        c,
        msg!("table.firms_with_trades"),
        &firms,
        firms_total,
        false,
    ));
    out.extend(figure(
        c,
        msg!("table.unauthorized_accesses"),
        &accesses,
        sum(&accesses),
        false,
    ));
    out.extend(figure(
        c,
        msg!("table.fraudulent_trades"),
        &trades,
        sum(&trades),
        false,
    ));
    out.extend(figure(
        c,
        msg!("table.sale_amount"),
        &sales,
        sum(&sales),
        true,
    ));
    out.extend(figure(
        c,
        msg!("table.purchase_amount"),
        &purchases,
        sum(&purchases),
        true,
    ));
    let [awaiting_row, _] = figure(
        c,
        msg!("table.awaiting_review"),
        &awaiting,
        sum(&awaiting),
        false,
    );
    out.push(awaiting_row);
    out
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    // A live view is kept whole for this session (`dashboard_pages`).
    let page_key = format!("{}|{}|{}", who.0.token, query.from, query.to);
    let as_of_text = query.as_of.trim().to_owned();
    let moment = as_of::parse_moment(&as_of_text);
    let as_of_invalid = !as_of_text.is_empty() && moment.is_none();
    let mut c = Chrome::signed_in(&req, &who.0);
    let figures = match moment {
        // A past moment is computed from the versions every time.
        Some(at) => Arc::new(figures(&state, &c, query, Some(at)).await?),
        None => {
            let key = format!("{}|{}|{}", c.t.lang.code(), query.from, query.to);
            state
                .dashboards
                .get_or_load(&key, || async {
                    Ok(Arc::new(figures(&state, &c, query, None).await?))
                })
                .await?
        }
    };
    let live = moment.is_none() && !as_of_invalid;
    if live {
        // The page reflects no address as typed (the language switch's
        // way back is the range shown), so it may be kept compressed
        // beside its form token (`web::gzip`).
        c.here = canonical_here(&figures);
    }
    let kept = dashboard_incidents::current(&state).await?;
    let grant = Grant::of(who.0.role(), who.0.user.export_right);
    let user = &who.0.user;
    let viewer = format!(
        "{}|{}|{}|{}|{:?}|{grant:?}|{}|{}",
        user.id,
        c.t.lang.code(),
        user.display_name,
        user.email,
        user.role,
        c.csrf,
        c.here
    );
    let drawn = DrawnFrom {
        figures: &figures,
        incidents: &kept,
        viewer: &viewer,
    };
    if live && let Some(page) = state.dashboard_pages.get(&page_key, &drawn) {
        return Ok(page.html(&req, StatusCode::OK));
    }
    let incidents = kept.html(&c)?.to_owned();
    // The page around the figures and the incidents' section is a few
    // kilobytes.
    let size = figures.html.len() + incidents.len() + 8 * 1024;
    let body = Bytes::from(view::render_sized(
        &DashboardPage {
            as_of_shown: moment.map(|m| c.t.when(m)),
            c,
            figures: figures.clone(),
            as_of: as_of_text,
            as_of_invalid,
            incidents,
            grant,
        },
        size,
    )?);
    if live {
        let page = gzip::Kept::compressed(body);
        state.dashboard_pages.put(page_key, &drawn, page.clone());
        return Ok(page.html(&req, StatusCode::OK));
    }
    Ok(view::page(StatusCode::OK, body))
}

/// The live dashboard's own address for the range it shows.
fn canonical_here(figures: &Figures) -> String {
    if figures.from().is_empty() {
        paths::DASHBOARD.to_owned()
    } else {
        format!(
            "{}?from={}&to={}",
            paths::DASHBOARD,
            figures.from(),
            figures.to()
        )
    }
}

/// The live figures over `from..=to` (at most `MAX_MONTHS`, the latest):
/// what an observer reads (the links to the internal exports are the staff
/// page's, never part of the figures).
pub async fn live_without_exports(
    state: &AppState,
    c: &Chrome,
    from: Period,
    to: Period,
) -> AppResult<Figures> {
    let query = RangeQuery {
        from: from.to_string(),
        to: to.to_string(),
        as_of: String::new(),
    };
    figures(state, c, query, None).await
}

impl Figures {
    /// The rendered table, charts and links.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// Nothing filed yet, so nothing shown.
    pub fn is_empty(&self) -> bool {
        self.range.is_none()
    }
}

/// Reads the range's rows (from the summary, or as of `moment` from the
/// versions) and renders the figures.
async fn figures(
    state: &AppState,
    c: &Chrome,
    query: RangeQuery,
    moment: Option<NaiveDateTime>,
) -> AppResult<Figures> {
    let cache = state.distinct_firms.clone();
    let (chosen, rows, firms_total) = crate::db::run(&state.pool, move |conn| {
        let bounds = summary::bounds(conn)?;
        let Some((from, to)) = range(&query, bounds.as_ref()) else {
            return Ok((None, vec![], 0));
        };
        // One month more than shown: the first change needs it.
        let (f, t) = (from.prev().to_string(), to.to_string());
        let (rows, firms) = match moment {
            Some(at) => {
                let (rows, _) = as_of::rows(conn, &f, &t, at)?;
                let (_, firms) = as_of::rows(conn, &from.to_string(), &t, at)?;
                (rows, firms)
            }
            None => {
                let rows = summary::rows(conn, &f, &t)?;
                let firms = summary::distinct_firms_with_trades_for(
                    conn,
                    &cache,
                    &from.to_string(),
                    &t,
                    &rows,
                )?;
                (rows, firms)
            }
        };
        Ok((Some((from, to)), rows, firms))
    })
    .await?;
    let Some((from, to)) = chosen else {
        return Ok(Figures {
            range: None,
            html: String::new(),
        });
    };
    let periods = Period::months_between(from, to);
    let part = FiguresPart {
        c,
        columns: periods.iter().map(ToString::to_string).collect(),
        rows: table(c, &periods, &rows, firms_total),
        from: from.to_string(),
        to: to.to_string(),
        charts: charts::build(c, &periods, &rows),
    };
    let html = html(&part)?;
    Ok(Figures {
        range: Some((part.from, part.to)),
        html,
    })
}
