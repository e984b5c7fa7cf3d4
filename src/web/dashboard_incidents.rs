//! The dashboard's incident section: incidents opened per week (a table and
//! a bar chart like the monthly ones) and how many are open and overdue,
//! linking to the register.
//!
//! The figures are kept in memory like the monthly ones (`fresh::Fresh`,
//! `Watch::Data`): a commit in this process (an incident sent, approved,
//! reclassified — every one through `db::write_tx`) makes them stale for
//! the next request, and another instance's within `fresh::RECHECK`. They
//! also change with time alone (an open incident becomes overdue just
//! after its due time; the weeks move on Monday 00:00 in Tokyo), so a kept
//! copy is used only while it `holds_at` the clock's time, and is read
//! again otherwise. The section is rendered once per language from each
//! kept copy (`Kept::html`): the twelve weeks' labels, the chart's
//! coordinates and the page's words are the same for every request until
//! the figures are read again.

use std::sync::{Arc, OnceLock};

use askama::Template;
use chrono::Datelike;

use crate::error::AppResult;
use crate::i18n::Lang;
use crate::services::incident_figures::{self, IncidentFigures};
use crate::web::AppState;
use crate::web::charts::scale::{Scale, tick_labels};
use crate::web::charts::svg::{self, Drawing, Series};
use crate::web::view::{Chrome, html};

/// The one key the figures are kept under (they are the same for every
/// staff user and language).
const KEY: &str = "incidents";

/// Navy, as the monthly charts' first series.
const COLOUR: &str = "#0b3d6e";

/// The section as the page shows it: the counts, the weeks as a table,
/// and the same weeks as a chart (an image with a title and a description
/// for screen readers; the table beside it holds every value).
pub struct IncidentSection {
    pub open: String,
    pub overdue: String,
    /// (week, incidents opened), oldest first.
    pub weeks: Vec<(String, String)>,
    pub total: String,
    pub title: String,
    pub desc: String,
    pub drawing: Drawing,
}

#[derive(Template)]
#[template(path = "dashboard/incidents.html")]
struct IncidentsPart<'a> {
    c: &'a Chrome,
    incidents: IncidentSection,
}

/// The figures as read, and the section rendered from them in each
/// language (on first use).
pub struct Kept {
    pub figures: IncidentFigures,
    /// English, Japanese.
    html: [OnceLock<String>; 2],
}

impl Kept {
    fn new(figures: IncidentFigures) -> Kept {
        Kept {
            figures,
            html: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The section's HTML in `c`'s language, rendered the first time it is
    /// asked for.
    pub fn html(&self, c: &Chrome) -> AppResult<&str> {
        let cell = match c.t.lang {
            Lang::En => &self.html[0],
            Lang::Ja => &self.html[1],
        };
        if let Some(done) = cell.get() {
            return Ok(done);
        }
        let rendered = html(&IncidentsPart {
            c,
            incidents: section(c, &self.figures),
        })?;
        // Two requests may render it at once: the first stored is kept,
        // and both are the same.
        Ok(cell.get_or_init(|| rendered))
    }
}

async fn read(state: &AppState, now: chrono::NaiveDateTime) -> AppResult<Arc<Kept>> {
    let figures = crate::db::run(&state.pool, move |conn| {
        Ok(incident_figures::figures(conn, now)?)
    })
    .await?;
    Ok(Arc::new(Kept::new(figures)))
}

/// The figures as they stand now: the kept ones while they hold at the
/// clock's time, else read again.
pub async fn current(state: &AppState) -> AppResult<Arc<Kept>> {
    let now = state.clock.now();
    let kept = state
        .incident_figures
        .get_or_load(KEY, || read(state, now))
        .await?;
    if kept.figures.holds_at(now) {
        return Ok(kept);
    }
    state.incident_figures.forget(KEY);
    let again = state
        .incident_figures
        .get_or_load(KEY, || read(state, now))
        .await?;
    if again.figures.holds_at(now) {
        return Ok(again);
    }
    // A read begun earlier (for an earlier time) was still on its way:
    // this request reads for itself.
    read(state, now).await
}

/// The section for `figures`, in the page's language.
fn section(c: &Chrome, figures: &IncidentFigures) -> IncidentSection {
    let labels: Vec<String> = figures
        .weeks
        .iter()
        .map(|w| {
            c.t.tf(
                msg!("dashboard.incidents.week_label"),
                &[
                    ("monday", &c.date(&w.monday)),
                    ("week", &w.monday.iso_week().week().to_string()),
                ],
            )
        })
        .collect();
    let axis: Vec<String> = figures
        .weeks
        .iter()
        .map(|w| w.monday.format("%m-%d").to_string())
        .collect();
    let values: Vec<i64> = figures.weeks.iter().map(|w| w.opened).collect();
    let titles: Vec<String> = figures
        .weeks
        .iter()
        .map(|w| {
            c.t.tf(
                msg!("dashboard.incidents.bar"),
                &[("monday", &c.date(&w.monday)), ("n", &c.count(&w.opened))],
            )
        })
        .collect();
    let total = values.iter().fold(0_i64, |a, v| a.saturating_add(*v));
    let scale = Scale::fit(values.iter().copied().max().unwrap_or(0));
    let name = c.t.t(msg!("dashboard.incidents.opened")).to_owned();
    let drawing = svg::columns(
        "chart-incidents",
        &axis,
        &[Series {
            name,
            colour: COLOUR,
            hatched: false,
        }],
        std::slice::from_ref(&values),
        std::slice::from_ref(&titles),
        &scale,
        &tick_labels(&c.t, &scale, false),
    );
    let (from, to) = (
        figures.weeks.first().map(|w| c.date(&w.monday)),
        figures.weeks.last().map(|w| c.date(&w.monday)),
    );
    let desc = c.t.tn(
        msg!("dashboard.incidents.desc"),
        total,
        &[
            ("from", from.as_deref().unwrap_or_default()),
            ("to", to.as_deref().unwrap_or_default()),
            ("n", &c.count(&total)),
        ],
    );
    IncidentSection {
        open: c.count(&figures.open),
        overdue: c.count(&figures.overdue),
        weeks: labels
            .into_iter()
            .zip(values.iter().map(|v| c.count(v)))
            .collect(),
        total: c.count(&total),
        title: c.t.t(msg!("dashboard.incidents.weekly")).to_owned(),
        desc,
        drawing,
    }
}
