//! A firm seen by regulator staff: its returns by period, every version and
//! its review, and its timeliness month by month over the last 24 months.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::Firm;
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};
use crate::services::{firm_history, legal_holds, timeliness};
use crate::web::extract::Staff;
use crate::web::returns::form::status_key;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct Line {
    pub period: String,
    pub version_no: i32,
    pub href: String,
    pub receipt_no: String,
    pub submitted_at: String,
    pub on_time: bool,
    pub status_key: Key,
    pub reviewed: String,
    pub note: String,
}

/// One month of the firm's timeliness record.
pub struct RecordLine {
    pub period: String,
    pub due: String,
    pub standing_key: Key,
    pub slug: &'static str,
    pub extension: String,
}

#[derive(Template)]
#[template(path = "review/firm.html")]
struct FirmPage {
    c: Chrome,
    firm: Firm,
    lines: Vec<Line>,
    /// The legal hold in force, as a sentence, and its reason.
    hold: Option<(String, String)>,
    /// The last 24 months, newest first.
    record: Vec<RecordLine>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let today = tokyo_date(state.clock.now());
    let (firm, history, hold, record) = crate::db::run(&state.pool, move |conn| {
        let (firm, history) = firm_history::of_firm(conn, id)?;
        let record = timeliness::firm_record(conn, &firm, today)?;
        Ok((firm, history, legal_holds::in_force(conn, id)?, record))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let lines = history
        .iter()
        .map(|h| &h.version)
        .map(|v| Line {
            period: v.period.clone(),
            version_no: v.version_no,
            href: paths::review_version(v.id),
            receipt_no: v.receipt_no.clone(),
            submitted_at: c.when(&v.submitted_at),
            on_time: v.on_time,
            status_key: status_key(v),
            reviewed: v.reviewed_at.map(|at| c.when(&at)).unwrap_or_default(),
            note: c.kept(v.review_note.as_deref().unwrap_or_default()),
        })
        .collect();
    let hold = hold.map(|h| crate::web::admin::legal_hold::described(&c, h));
    let record = record
        .iter()
        .map(|m| RecordLine {
            period: m.period.to_string(),
            due: c.date(&m.due),
            standing_key: m.standing.key(),
            slug: m.standing.slug(),
            extension: m
                .extension
                .as_ref()
                .map(|g| g.reference.clone())
                .unwrap_or_default(),
        })
        .collect();
    ok(&FirmPage {
        c,
        firm,
        lines,
        hold,
        record,
    })
}
