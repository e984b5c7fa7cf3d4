//! The reporting calendar board: for one period, every active firm's state
//! (not started, draft, submitted on time or late, missing, returned,
//! accepted), the count per state and the due date.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::month_picker::MonthPicker;
use crate::domain::period::Period;
use crate::domain::time::tokyo_date;
use crate::error::AppResult;
use crate::services::calendar::{self, BoardState};
use crate::services::extensions;
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct BoardRow {
    pub firm: String,
    /// The firm's latest version for the month, else the firm's page.
    pub firm_href: String,
    pub state_key: Key,
    pub slug: &'static str,
    pub version: Option<(String, String)>,
    pub submitted_at: String,
    /// "Extended to … (EXT-…)" when an extension is granted.
    pub extension: Option<String>,
}

pub struct StateCount {
    pub key: Key,
    pub slug: &'static str,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "review/board.html")]
struct BoardPage {
    c: Chrome,
    period: String,
    due: String,
    picker: MonthPicker,
    awaiting: usize,
    queue: String,
    counts: Vec<StateCount>,
    rows: Vec<BoardRow>,
    /// Requests for extensions awaiting a decision (any month), and where.
    pending_extensions: usize,
    extensions_href: &'static str,
    timeliness_href: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardQuery {
    period: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let today = tokyo_date(state.clock.now());
    let period =
        Period::parse(query.period.trim()).unwrap_or_else(|_| Period::from_date(today).prev());
    let (board, pending_extensions) = crate::db::run(&state.pool, move |conn| {
        Ok((
            calendar::board(conn, period, today)?,
            extensions::pending(conn)?.len(),
        ))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let counts = BoardState::ALL
        .iter()
        .map(|s| StateCount {
            key: s.key(),
            slug: s.slug(),
            count: board.count(*s),
        })
        .collect();
    let due = c.t.tf(
        msg!("board.due"),
        &[
            ("date", &c.date(&board.due)),
            ("day", &board.due_day.to_string()),
        ],
    );
    let rows = board
        .lines
        .iter()
        .map(|l| BoardRow {
            firm: l.firm.name.clone(),
            firm_href: l.latest.as_ref().map_or_else(
                || paths::review_firm(l.firm.id),
                |v| paths::review_version(v.id),
            ),
            state_key: l.state.key(),
            slug: l.state.slug(),
            version: l
                .latest
                .as_ref()
                .map(|v| (format!("v{}", v.version_no), paths::review_version(v.id))),
            submitted_at: l
                .latest
                .as_ref()
                .map(|v| c.when(&v.submitted_at))
                .unwrap_or_default(),
            extension: l.extension.as_ref().map(|g| {
                c.t.tf(
                    msg!("ext.board_extended"),
                    &[("date", &c.date(&g.due)), ("reference", &g.reference)],
                )
            }),
        })
        .collect();
    ok(&BoardPage {
        period: period.to_string(),
        due,
        picker: MonthPicker::new(paths::REVIEW_BOARD, period, paths::review_board),
        awaiting: board
            .lines
            .iter()
            .filter(|l| {
                l.latest
                    .as_ref()
                    .is_some_and(|v| v.status == crate::domain::VersionStatus::Submitted)
            })
            .count(),
        queue: format!("{}?period={period}", paths::review_queue()),
        counts,
        rows,
        pending_extensions,
        extensions_href: paths::REVIEW_EXTENSIONS,
        timeliness_href: paths::REVIEW_TIMELINESS,
        c,
    })
}
