//! A preparer marks the month nil. It never throws figures away unseen:
//! when the draft holds anything, a trade file is staged, or a version was
//! already filed (a returned one included), a confirmation page first shows
//! what will be discarded. Every form that marks nil carries the hash of
//! the draft its page showed; if the draft changed since, nothing happens
//! and the confirmation comes back with what would now be discarded.
//! Marking nil is preparing: an approver who did not mark it submits it,
//! with the attestation, like any return. When the firm reported incidents
//! that began in the month, the confirmation is always shown: it lists
//! them and asks why the month is nil (RET-W006), which the nil return
//! needs before it can be handed over or submitted.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::load;
use super::incidents_view::{self, MonthIncidents};
use super::{draft_view, reportable_period};
use crate::domain::details;
use crate::domain::period::Period;
use crate::domain::rules::Subject;
use crate::error::AppResult;
use crate::i18n::Key;
use crate::services::{incidents, returns, trades};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, FieldKind, FieldView, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "returns/nil_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    period: String,
    action: String,
    back: String,
    draft_sha256: String,
    changed: bool,
    discarded: Vec<(String, String)>,
    trade_file: Option<String>,
    replaces: Option<String>,
    returned: bool,
    /// Something prepared would be discarded or replaced.
    discards: bool,
    incidents: Option<MonthIncidents>,
    /// Why the month is nil although it has incidents (`None`: it has none).
    explanation: Option<FieldView>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NilForm {
    csrf: String,
    confirm: String,
    /// The hash of the draft the page showed.
    draft_sha256: String,
    warnings_explanation: String,
}

impl HasCsrf for NilForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What the explanation field shows: what was typed, and why it was refused.
#[derive(Default)]
struct Typed {
    explanation: String,
    error: Option<Key>,
}

/// The confirmation page over the draft as it is now, and whether it is
/// needed (something would be discarded or replaced, or the month has
/// incidents to explain).
async fn confirmation(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    period: Period,
    changed: bool,
    typed: Typed,
) -> AppResult<(ConfirmPage, bool)> {
    let (_, loaded, _) = load(state, who, period).await?;
    let firm_id = who.firm_id;
    let (upload, sha, month) = crate::db::run(&state.pool, move |conn| {
        Ok((
            trades::summary_for(conn, firm_id, period)?,
            returns::draft_sha256_now(conn, firm_id, period)?,
            incidents::in_month(conn, firm_id, period)?,
        ))
    })
    .await?;
    let draft = loaded.draft.clone().unwrap_or_default();
    let c = Chrome::signed_in(req, &who.who);
    let discarded = if draft.is_nil() {
        vec![]
    } else {
        draft_view::filled(&c.t, &draft)
    };
    let latest = loaded.latest().filter(|v| !v.is_nil);
    let discards = !discarded.is_empty() || upload.is_some() || latest.is_some();
    let needed = discards || !month.is_empty();
    let explanation = (!month.is_empty()).then(|| FieldView {
        name: "warnings_explanation",
        label: c.t.t(msg!("field.warnings_explanation")).to_owned(),
        value: typed.explanation.clone(),
        error: typed
            .error
            .map(|k| crate::web::rules::message(&c.t, Subject::Return, k)),
        hint: Some(crate::web::rules::message(
            &c.t,
            Subject::Return,
            msg!("warn.incidents_nil"),
        )),
        kind: FieldKind::Multiline,
    });
    let page = ConfirmPage {
        period: period.to_string(),
        action: paths::return_nil(period),
        back: paths::return_page(period),
        draft_sha256: sha,
        changed,
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
        discards,
        incidents: incidents_view::month(&c, &month, paths::incident),
        explanation,
        c,
    };
    Ok((page, needed))
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
        let (page, needed) =
            confirmation(&req, &state, &who, period, false, Typed::default()).await?;
        if needed {
            return render(StatusCode::OK, &page);
        }
    }
    let explanation = match details::explanation(&form.warnings_explanation) {
        Ok(text) => text,
        Err(key) => {
            let typed = Typed {
                explanation: form.warnings_explanation.clone(),
                error: Some(key),
            };
            let (page, _) = confirmation(&req, &state, &who, period, false, typed).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (actor, firm_id, now) = (who.who.actor(), who.firm_id, state.clock.now());
    let shown = form.draft_sha256.clone();
    let kept = explanation.clone();
    let marked = crate::db::run(&state.pool, move |conn| {
        returns::mark_nil(conn, &actor, firm_id, period, &shown, &kept, now)
    })
    .await?;
    match marked {
        Ok(()) => Ok(redirect(format!("{}?saved=1", paths::return_page(period)))),
        Err(returns::Stale) => {
            let typed = Typed {
                explanation: form.warnings_explanation.clone(),
                error: None,
            };
            let (page, _) = confirmation(&req, &state, &who, period, true, typed).await?;
            render(StatusCode::CONFLICT, &page)
        }
    }
}
