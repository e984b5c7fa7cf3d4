//! A firm seen by regulator staff: its returns by period, every version and
//! its review.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::Firm;
use crate::error::{AppError, AppResult};
use crate::services::{firm_history, legal_holds};
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

#[derive(Template)]
#[template(path = "review/firm.html")]
struct FirmPage {
    c: Chrome,
    firm: Firm,
    lines: Vec<Line>,
    /// The legal hold in force, as a sentence, and its reason.
    hold: Option<(String, String)>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (firm, history, hold) = crate::db::run(&state.pool, move |conn| {
        let (firm, history) = firm_history::of_firm(conn, id)?;
        Ok((firm, history, legal_holds::in_force(conn, id)?))
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
    ok(&FirmPage {
        c,
        firm,
        lines,
        hold,
    })
}
