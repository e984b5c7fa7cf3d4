//! What the return's pages share: loading the return with the checks over
//! its draft, the warnings as lines, and the whole-form draft save (every
//! field at once, as an import or a script would post it; the preparer's
//! pages save one section at a time, `section`).

use crate::i18n::Key;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::fields::ReturnFields;
use super::reportable_period;
use crate::db::models::Version;
use crate::domain::VersionStatus;
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::services::accounts;
use crate::services::return_form::FiguresForm;
use crate::services::returns::{self, ReturnState};
use crate::services::submission::{self, Assessment};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::{AppState, paths, redirect};

pub struct VersionLine {
    pub version_no: i32,
    pub href: String,
    pub receipt_no: String,
    pub submitted_at: String,
    pub nil: bool,
    pub status_key: Key,
}

#[derive(Deserialize, Default)]
pub struct ReturnForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: ReturnFields,
}

impl HasCsrf for ReturnForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl ReturnForm {
    fn figures(&self) -> FiguresForm {
        self.fields.clone().draft()
    }
}

pub fn status_key(v: &Version) -> Key {
    status_key_of(v.status)
}

/// The label of a version status.
pub fn status_key_of(status: VersionStatus) -> Key {
    match status {
        VersionStatus::Accepted => msg!("status.accepted"),
        VersionStatus::Returned => msg!("status.returned"),
        VersionStatus::Submitted => msg!("status.submitted"),
    }
}

/// The firm's name, the return, and the checks over its draft.
pub async fn load(
    state: &AppState,
    who: &FirmUser,
    period: Period,
) -> AppResult<(String, ReturnState, Assessment)> {
    let firm_id = who.firm_id;
    crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let loaded = returns::load(conn, firm_id, period)?;
        let checks = match &loaded.draft {
            Some(draft) => submission::assess(conn, firm_id, period, draft)?,
            None => Assessment::default(),
        };
        Ok((firm.name, loaded, checks))
    })
    .await
}

/// The warnings as (field id, label, message) for the top of the page.
pub fn warning_lines(t: &Tr, checks: &Assessment) -> Vec<(String, String, String)> {
    checks
        .warnings
        .iter()
        .map(|w| {
            (
                w.field().to_owned(),
                t.named(&format!("field.{}", w.field())).to_owned(),
                crate::web::rules::message(t, crate::domain::rules::Subject::Return, w.key()),
            )
        })
        .collect()
}

pub async fn save_draft(
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let now = state.clock.now();
    let (actor, firm_id, figures) = (who.who.actor(), who.firm_id, form.figures());
    let saved = crate::db::run(&state.pool, move |conn| {
        returns::save_draft(conn, &actor, firm_id, period, &figures, now)
    })
    .await?;
    match saved {
        Ok(()) => Ok(redirect(format!("{}?saved=1", paths::return_page(period)))),
        Err(_) => Err(AppError::BadRequest(msg!("error.bad_form"))),
    }
}

/// GET on a POST route (reload, back button): back to the form.
pub async fn back_to_page(period: web::Path<String>) -> HttpResponse {
    match Period::parse(&period) {
        Ok(period) => redirect(paths::return_page(period)),
        Err(_) => redirect(paths::RETURNS),
    }
}
