//! Timeliness over time, for regulator staff: per month of a range, the
//! share of the firms owing a return that filed on time, by a granted
//! extension's date, late, or not at all (`services::timeliness` says how
//! each month counts), as a table and as a chart with the same
//! accessibility as the dashboard's (a title, a description, every value
//! in a table beside it).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::extension::Standing;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::timeliness::{self, MonthCounts};
use crate::web::charts::scale::{Scale, tick_labels};
use crate::web::charts::svg::{self, Series};
use crate::web::charts::{Chart, DataTable};
use crate::web::extract::Staff;
use crate::web::review::completeness::RangeQuery;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

/// The widest range the page shows (ten years), and the default.
const MAX_MONTHS: usize = 120;
const DEFAULT_MONTHS: usize = 12;

/// Each counted standing's colour (3:1 or more on white) and hatch, so
/// neighbours differ without colour too.
const STYLES: [(Standing, &str, bool); 4] = [
    (Standing::OnTime, "#0b3d6e", false),
    (Standing::WithExtension, "#00703c", true),
    (Standing::Late, "#b35c00", false),
    (Standing::Missing, "#5f2a8c", true),
];

/// One month of the table: counts, and each share in percent.
pub struct MonthLine {
    pub period: String,
    pub board: String,
    pub counted: usize,
    /// (slug, count, percent) in the order of `STYLES`.
    pub cells: Vec<(&'static str, usize, usize)>,
    pub not_due: usize,
}

#[derive(Template)]
#[template(path = "review/timeliness.html")]
struct TimelinessPage {
    c: Chrome,
    from: String,
    to: String,
    prev: String,
    next: String,
    action: &'static str,
    heads: Vec<String>,
    months: Vec<MonthLine>,
    charts: Vec<Chart>,
}

fn percent_text(c: &Chrome, n: usize) -> String {
    c.t.tf(msg!("timeliness.percent"), &[("n", &n.to_string())])
}

/// The chart of the shares, month by month.
fn chart(c: &Chrome, series: &[(Period, MonthCounts)]) -> Chart {
    let months: Vec<String> = series.iter().map(|(p, _)| p.to_string()).collect();
    let names: Vec<String> = STYLES
        .iter()
        .map(|(s, _, _)| c.t.t(s.key()).to_owned())
        .collect();
    let values: Vec<Vec<i64>> = STYLES
        .iter()
        .enumerate()
        .map(|(i, _)| {
            series
                .iter()
                .map(|(_, m)| i64::try_from(m.percent(m.shares()[i].1)).unwrap_or(0))
                .collect()
        })
        .collect();
    let titles: Vec<Vec<String>> = values
        .iter()
        .zip(&names)
        .map(|(vs, name)| {
            vs.iter()
                .zip(&months)
                .map(|(v, month)| {
                    c.t.tf(
                        msg!("dashboard.chart_bar"),
                        &[
                            ("month", month),
                            ("name", name),
                            ("value", &percent_text(c, usize::try_from(*v).unwrap_or(0))),
                        ],
                    )
                })
                .collect()
        })
        .collect();
    let styled: Vec<Series> = STYLES
        .iter()
        .zip(&names)
        .map(|((_, colour, hatched), name)| Series {
            name: name.clone(),
            colour,
            hatched: *hatched,
        })
        .collect();
    let scale = Scale::fit(100);
    let drawing = svg::columns(
        "chart-timeliness",
        &months,
        &styled,
        &values,
        &titles,
        &scale,
        &tick_labels(&c.t, &scale, false),
    );
    // Over the whole range: each standing's share of every month counted.
    let mut total = MonthCounts::default();
    for (_, m) in series {
        total.on_time += m.on_time;
        total.with_extension += m.with_extension;
        total.late += m.late;
        total.missing += m.missing;
    }
    let overall: Vec<String> = total
        .shares()
        .iter()
        .map(|(_, n)| percent_text(c, total.percent(*n)))
        .collect();
    let desc = c.t.tf(
        msg!("timeliness.chart_desc"),
        &[
            ("from", months.first().map_or("", String::as_str)),
            ("to", months.last().map_or("", String::as_str)),
            ("on_time", &overall[0]),
            ("with_extension", &overall[1]),
            ("late", &overall[2]),
            ("missing", &overall[3]),
        ],
    );
    Chart {
        id: "chart-timeliness",
        title: c.t.t(msg!("timeliness.chart_title")).to_owned(),
        desc,
        drawing,
        table: DataTable {
            head: std::iter::once(c.t.t(msg!("dashboard.month")).to_owned())
                .chain(names.iter().cloned())
                .collect(),
            rows: months
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let cells = values
                        .iter()
                        .map(|vs| percent_text(c, usize::try_from(vs[i]).unwrap_or(0)))
                        .collect();
                    (m.clone(), cells)
                })
                .collect(),
            total: overall,
        },
        note: Some(c.t.t(msg!("timeliness.note")).to_owned()),
    }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let today = tokyo_date(state.clock.now());
    let latest = Period::from_date(today).prev();
    let (from, to) = Period::chosen_range(
        &query.from,
        &query.to,
        None,
        latest,
        DEFAULT_MONTHS,
        MAX_MONTHS,
    );
    let series = crate::db::run(&state.pool, move |conn| {
        Ok(timeliness::series(conn, from, to, today)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let months = series
        .iter()
        .map(|(p, m)| MonthLine {
            period: p.to_string(),
            board: paths::review_board(*p),
            counted: m.counted(),
            cells: m
                .shares()
                .iter()
                .map(|(s, n)| (s.slug(), *n, m.percent(*n)))
                .collect(),
            not_due: m.not_due,
        })
        .collect();
    let heads = STYLES
        .iter()
        .map(|(s, _, _)| c.t.t(s.key()).to_owned())
        .collect();
    let charts = vec![chart(&c, &series)];
    let shifted = |a: Period, b: Period| format!("{}?from={a}&to={b}", paths::REVIEW_TIMELINESS);
    ok(&TimelinessPage {
        prev: shifted(from.prev(), to.prev()),
        next: shifted(from.next(), to.next()),
        from: from.to_string(),
        to: to.to_string(),
        action: paths::REVIEW_TIMELINESS,
        heads,
        months,
        charts,
        c,
    })
}
