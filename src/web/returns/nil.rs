//! A preparer marks the month nil. It never throws figures away unseen:
//! when the draft holds anything, a trade file is staged, or a version was
//! already filed (a returned one included), a confirmation page first shows
//! what will be discarded. Marking nil is preparing: an approver who did
//! not mark it submits it, with the attestation, like any return.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::load;
use super::{draft_view, reportable_period};
use crate::error::AppResult;
use crate::services::{returns, trades};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "returns/nil_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    period: String,
    action: String,
    back: String,
    discarded: Vec<(String, String)>,
    trade_file: Option<String>,
    replaces: Option<String>,
    returned: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NilForm {
    csrf: String,
    confirm: String,
}

impl HasCsrf for NilForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn mark(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<NilForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    if form.confirm != "yes" {
        let (_, loaded, _) = load(&state, &who, period).await?;
        let firm_id = who.firm_id;
        let upload = crate::db::run(&state.pool, move |conn| {
            Ok(trades::summary_for(conn, firm_id, period)?)
        })
        .await?;
        let draft = loaded.draft.clone().unwrap_or_default();
        let c = Chrome::signed_in(&req, &who.who);
        let discarded = if draft.is_nil() {
            vec![]
        } else {
            draft_view::filled(&c.t, &draft)
        };
        let latest = loaded.latest().filter(|v| !v.is_nil);
        if !discarded.is_empty() || upload.is_some() || latest.is_some() {
            let page = ConfirmPage {
                period: period.to_string(),
                action: paths::return_nil(period),
                back: paths::return_page(period),
                discarded,
                trade_file: upload.map(|u| {
                    c.t.tn(
                        msg!("nil.trade_file"),
                        u.totals.rows,
                        &[("file", &u.file_name), ("rows", &c.count(&u.totals.rows))],
                    )
                }),
                replaces: latest.map(|v| {
                    c.t.tf(
                        msg!("nil.replaces"),
                        &[
                            ("version", &v.version_no.to_string()),
                            ("receipt", &v.receipt_no),
                        ],
                    )
                }),
                returned: loaded.review_note.is_some(),
                c,
            };
            return ok(&page);
        }
    }
    let (actor, firm_id, now) = (who.who.actor(), who.firm_id, state.clock.now());
    crate::db::run(&state.pool, move |conn| {
        returns::mark_nil(conn, &actor, firm_id, period, now)
    })
    .await?;
    Ok(redirect(format!("{}?saved=1", paths::return_page(period))))
}
