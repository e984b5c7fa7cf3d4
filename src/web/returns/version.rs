//! One frozen version of the firm's own return, with its receipt.

use crate::i18n::Key;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::form::status_key;
use super::reportable_period;
use crate::db::models::Version;
use crate::domain::amendment::Amendment;
use crate::error::{AppError, AppResult};
use crate::services::{accounts, amendments, four_eyes, returns, submission};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

#[derive(Template)]
#[template(path = "returns/version.html")]
struct VersionPage {
    c: Chrome,
    firm_name: String,
    v: Version,
    status_key: Key,
    back: String,
    details: Vec<super::details_view::Section>,
    people: super::details_view::Section,
    /// Submitted and not yet reviewed: what happens next.
    awaiting: bool,
    /// Why this version amends the one before.
    amendment: Option<Amendment>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (period, version) = path.into_inner();
    let period = reportable_period(&period, &state.clock)?;
    let version_no: i32 = version.parse().map_err(|_| AppError::NotFound)?;
    let firm_id = who.firm_id;
    let (firm, (v, details, nil, people), amendment) = crate::db::run(&state.pool, move |conn| {
        let firm = accounts::require_found(accounts::get_firm(conn, firm_id)?)?;
        let v = accounts::require_found(returns::firm_version(conn, firm_id, period, version_no)?)?;
        let details = submission::details_of(conn, v.id)?;
        let nil = submission::nil_explanation_of(conn, v.id)?;
        let people = four_eyes::version_people(conn, v.id)?;
        let amendment = amendments::of_version(conn, v.id)?;
        Ok((firm, (v, details, nil, people), amendment))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.who);
    let mut details = details
        .map(|d| super::details_view::sections(&c, &d))
        .unwrap_or_default();
    if let Some((warnings, explanation)) = nil {
        details.push(super::details_view::warnings_section(
            &c,
            &warnings,
            &explanation,
        ));
    }
    let people = people
        .map(|p| super::details_view::people_section(&c, &p))
        .unwrap_or_else(|| super::details_view::Section {
            title: c.t.t(msg!("version.control")).to_owned(),
            rows: vec![],
        });
    ok(&VersionPage {
        details,
        people,
        awaiting: v.status == crate::domain::VersionStatus::Submitted,
        amendment,
        c,
        firm_name: firm.name,
        status_key: status_key(&v),
        v,
        back: paths::return_page(period),
    })
}
