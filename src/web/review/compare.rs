//! Two versions of one return side by side: every figure with both values,
//! the changed ones marked by a class and a text marker (not colour alone).
//! Staff compare any return's versions by id; a firm compares its own
//! versions of a period by number.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::Version;
use crate::error::AppResult;
use crate::services::{accounts, amendments, audit_log, returns};
use crate::web::extract::{FirmUser, Staff};
use crate::web::returns::reportable_period;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths};

use super::compare_rows::{CompareRow, rows};

#[derive(Template)]
#[template(path = "review/compare.html")]
struct ComparePage {
    c: Chrome,
    heading: String,
    a_label: String,
    b_label: String,
    rows: Vec<CompareRow>,
    changed: usize,
    back: String,
    error: Option<String>,
    /// Why each of the two versions amends the one before it: the
    /// version's label, the reason and its words.
    amendments: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompareQuery {
    a: String,
    b: String,
}

fn label(c: &Chrome, v: &Version) -> String {
    let mut label = format!(
        "v{} · {} · {}",
        v.version_no,
        v.receipt_no,
        c.t.t(crate::web::returns::form::status_key(v),)
    );
    if v.is_nil {
        label.push_str(&format!(" ({})", c.t.t(msg!("compare.nil"))));
    }
    label
}

use amendments::{Compared as Full, compared as full};

fn page(c: Chrome, heading: String, a: &Full, b: &Full, back: String) -> AppResult<HttpResponse> {
    let rows = rows(&c, &a.0, a.1.as_ref(), &b.0, b.1.as_ref());
    let amendments = [a, b]
        .into_iter()
        .filter_map(|(v, _, amendment)| {
            amendment.as_ref().map(|x| {
                (
                    format!("v{}", v.version_no),
                    c.t.t(x.reason.label_key()).to_owned(),
                    c.kept(&x.text),
                )
            })
        })
        .collect();
    let (a, b) = (&a.0, &b.0);
    let page = ComparePage {
        amendments,
        heading,
        a_label: label(&c, a),
        b_label: label(&c, b),
        changed: rows.iter().filter(|r| r.changed).count(),
        rows,
        back,
        error: None,
        c,
    };
    render(StatusCode::OK, &page)
}

/// The page with only a message (422: the query does not name two
/// versions of one return).
fn refused(c: Chrome, key: Key, back: String) -> AppResult<HttpResponse> {
    let page = ComparePage {
        heading: c.t.t(msg!("compare.title")).to_owned(),
        a_label: String::new(),
        b_label: String::new(),
        rows: Vec::new(),
        changed: 0,
        back,
        error: Some(c.t.t(key).to_owned()),
        amendments: Vec::new(),
        c,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn pair<T: std::str::FromStr>(q: &CompareQuery) -> Option<(T, T)> {
    Some((q.a.trim().parse().ok()?, q.b.trim().parse().ok()?))
}

/// Staff: `/review/compare?a=ID&b=ID`.
pub async fn staff_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<CompareQuery>,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(&req, &who.0);
    let Some((a, b)) = pair::<i64>(&query) else {
        return refused(c, msg!("compare.bad_query"), paths::REVIEW.to_owned());
    };
    let (now, actor) = (state.clock.now(), who.0.actor());
    let (da, db, (fa, fb)) = crate::db::run(&state.pool, move |conn| {
        let da = accounts::require_found(returns::version_detail(conn, a)?)?;
        let db = accounts::require_found(returns::version_detail(conn, b)?)?;
        if da.version.return_id == db.version.return_id {
            audit_log::version_viewed(conn, now, &actor, &da.version)?;
            audit_log::version_viewed(conn, now, &actor, &db.version)?;
        }
        let both = (
            full(conn, da.version.clone())?,
            full(conn, db.version.clone())?,
        );
        Ok((da, db, both))
    })
    .await?;
    let back = paths::review_version(db.version.id);
    if da.version.return_id != db.version.return_id {
        return refused(c, msg!("compare.different_returns"), back);
    }
    let heading = format!(
        "{} — {} — {}",
        c.t.t(msg!("compare.title")),
        da.firm.name,
        da.version.period
    );
    page(c, heading, &fa, &fb, back)
}

/// A firm: `/returns/{period}/compare?a=N&b=N` (its own versions only).
pub async fn firm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    query: web::Query<CompareQuery>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let c = Chrome::signed_in(&req, &who.who);
    let back = paths::return_page(period);
    let Some((a, b)) = pair::<i32>(&query) else {
        return refused(c, msg!("compare.bad_query"), back);
    };
    let firm_id = who.firm_id;
    let (va, vb) = crate::db::run(&state.pool, move |conn| {
        let va = accounts::require_found(returns::firm_version(conn, firm_id, period, a)?)?;
        let vb = accounts::require_found(returns::firm_version(conn, firm_id, period, b)?)?;
        Ok((full(conn, va)?, full(conn, vb)?))
    })
    .await?;
    let heading = format!("{} — {period}", c.t.t(msg!("compare.title")));
    page(c, heading, &va, &vb, back)
}
