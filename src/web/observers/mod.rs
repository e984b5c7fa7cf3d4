//! The observer's pages: a home saying what the scope allows (and listing
//! the versions it covers), the live aggregate dashboard over the scope's
//! months, and one version at a time (`version`). Anything outside the
//! live scope is 404; each page view is audited.

pub mod version;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use crate::domain::observer_scope::{ObserverScope, Reach};
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::services::observers::{self, reads};
use crate::web::dashboard::{self, Figures};
use crate::web::extract::Observer;
use crate::web::returns::form::status_key_of;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

/// What the home says of the scope.
pub enum Standing {
    /// No scope set yet: nothing beyond the public statistics.
    Unset,
    /// The scope ended on this day (shown in the page's language).
    Expired(String),
    /// Published statistics only, until the day shown.
    AggregatesOnly(String),
    /// Firms and months, until the day shown.
    Firms {
        firms: usize,
        from: String,
        to: String,
        until: String,
    },
}

pub struct VersionLine {
    pub href: String,
    pub firm: String,
    pub period: String,
    pub version_no: i32,
    pub status_key: Key,
    pub submitted_at: String,
}

#[derive(Template)]
#[template(path = "observers/home.html")]
struct HomePage {
    c: Chrome,
    standing: Standing,
    versions: Vec<VersionLine>,
}

impl HomePage {
    /// Firms are in a live scope, so their versions are listed.
    fn lists_versions(&self) -> bool {
        matches!(self.standing, Standing::Firms { .. })
    }
}

#[derive(Template)]
#[template(path = "observers/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    figures: Figures,
}

/// The caller's scope and today's Tokyo date.
async fn scope(state: &AppState, who: &Observer) -> AppResult<(Option<ObserverScope>, NaiveDate)> {
    let today = tokyo_date(state.clock.now());
    let id = who.0.user.id;
    let stored =
        crate::db::run(&state.pool, move |conn| Ok(observers::scope_of(conn, id)?)).await?;
    Ok((stored.map(|s| s.scope), today))
}

/// Records the view (a short write of its own).
async fn audit(
    state: &AppState,
    who: &Observer,
    what: &'static str,
    id: String,
    detail: String,
) -> AppResult<()> {
    let (now, actor) = (state.clock.now(), who.0.actor());
    crate::db::run(&state.pool, move |conn| {
        Ok(observers::viewed(conn, now, &actor, what, &id, &detail)?)
    })
    .await
}

pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Observer,
) -> AppResult<HttpResponse> {
    let (scope, today) = scope(&state, &who).await?;
    let c = Chrome::signed_in(&req, &who.0);
    let standing = match &scope {
        None => Standing::Unset,
        Some(s) if !s.is_live(today) => Standing::Expired(c.date(&s.expires_on)),
        Some(s) => match &s.reach {
            Reach::AggregatesOnly => Standing::AggregatesOnly(c.date(&s.expires_on)),
            Reach::Firms { firms, from, to } => Standing::Firms {
                firms: firms.len(),
                from: from.to_string(),
                to: to.to_string(),
                until: c.date(&s.expires_on),
            },
        },
    };
    let lines = match scope {
        Some(scope) => {
            crate::db::run(&state.pool, move |conn| {
                Ok(reads::covered(conn, &scope, today)?)
            })
            .await?
        }
        None => vec![],
    };
    audit(
        &state,
        &who,
        "observer_home",
        String::new(),
        format!("{} versions listed", lines.len()),
    )
    .await?;
    let versions = lines
        .into_iter()
        .map(|l| VersionLine {
            href: paths::observer_version(l.id),
            status_key: status_key_of(l.status),
            submitted_at: c.when(&l.submitted_at),
            firm: l.firm,
            period: l.period,
            version_no: l.version_no,
        })
        .collect();
    ok(&HomePage {
        c,
        standing,
        versions,
    })
}

/// The live aggregate table over the scope's months; 404 for an
/// aggregates-only, expired or unset scope.
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Observer,
) -> AppResult<HttpResponse> {
    let (scope, today) = scope(&state, &who).await?;
    let (from, to) = scope
        .and_then(|s| s.months(today))
        .ok_or(AppError::NotFound)?;
    audit(
        &state,
        &who,
        "observer_dashboard",
        String::new(),
        format!("months {from}..{to}"),
    )
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let figures = dashboard::live_without_exports(&state, &c, from, to).await?;
    ok(&DashboardPage { c, figures })
}
