//! Observers for admins: the list with each scope, the scope form (firms,
//! months or aggregates only, expiry; refused when another admin saved
//! since the form was shown), and the list of every page observers viewed.
//! Observers are invited on the users page like anyone else.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::Firm;
use crate::domain::observer_scope::{ObserverScope, Reach, ScopeInput};
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};
use crate::services::audit_log::one_line;
use crate::services::audit_rows::Row;
use crate::services::observers::{self, Listed};
use crate::services::{Invalid, accounts};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, ok, render};
use crate::web::{AppState, paths, redirect};

/// How many views the list shows.
const VIEWS_SHOWN: i64 = 200;

pub struct ObserverLine {
    pub href: String,
    pub name: String,
    pub email: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "admin/observers.html")]
struct ListPage {
    c: Chrome,
    observers: Vec<ObserverLine>,
}

fn scope_text(c: &Chrome, listed: &Listed) -> String {
    let Some(stored) = &listed.scope else {
        return c.t.t(msg!("observer.scope_none")).to_owned();
    };
    let until = c.date(&stored.scope.expires_on);
    match &stored.scope.reach {
        Reach::AggregatesOnly => {
            c.t.tf(msg!("observer.scope_aggregates"), &[("date", &until)])
        }
        Reach::Firms { from, to, .. } => c.t.tf(
            msg!("observer.scope_summary"),
            &[
                ("firms", &listed.firm_names.join(", ")),
                ("from", &from.to_string()),
                ("to", &to.to_string()),
                ("date", &until),
            ],
        ),
    }
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
) -> AppResult<HttpResponse> {
    let listed = crate::db::run(&state.pool, |conn| Ok(observers::list(conn)?)).await?;
    let c = Chrome::signed_in(&req, &who.0);
    let observers = listed
        .iter()
        .map(|l| ObserverLine {
            href: paths::admin_observer(l.user.id),
            name: l.user.display_name.clone(),
            email: l.user.email.clone(),
            scope: scope_text(&c, l),
        })
        .collect();
    ok(&ListPage { c, observers })
}

pub struct FirmChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/observer_scope.html")]
struct ScopePage {
    c: Chrome,
    action: String,
    name: String,
    email: String,
    firms: Vec<FirmChoice>,
    form: ScopeForm,
    errors: Vec<(String, String, String)>,
    field_errors: BTreeMap<&'static str, String>,
}

impl ScopePage {
    fn error(&self, field: &str) -> Option<&String> {
        self.field_errors.get(field)
    }
}

/// The scope form. Each firm is a checkbox named `firm-<id>`.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ScopeForm {
    csrf: String,
    /// The scope's revision the form was based on (0: none yet).
    revision: String,
    aggregates_only: String,
    period_from: String,
    period_to: String,
    expires_on: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

impl HasCsrf for ScopeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl ScopeForm {
    fn chosen(&self) -> Vec<String> {
        self.rest
            .keys()
            .filter_map(|k| k.strip_prefix("firm-"))
            .map(str::to_owned)
            .collect()
    }

    fn from_stored(stored: Option<&observers::Stored>) -> ScopeForm {
        let Some(stored) = stored else {
            return ScopeForm {
                revision: "0".into(),
                ..ScopeForm::default()
            };
        };
        let (aggregates_only, from, to, rest) = match &stored.scope.reach {
            Reach::AggregatesOnly => ("on", String::new(), String::new(), BTreeMap::new()),
            Reach::Firms { firms, from, to } => (
                "",
                from.to_string(),
                to.to_string(),
                firms
                    .iter()
                    .map(|id| (format!("firm-{id}"), "on".to_owned()))
                    .collect(),
            ),
        };
        ScopeForm {
            csrf: String::new(),
            revision: stored.revision.to_string(),
            aggregates_only: aggregates_only.into(),
            period_from: from,
            period_to: to,
            expires_on: stored.scope.expires_on.to_string(),
            rest,
        }
    }
}

const FIELD_LABELS: &[(&str, crate::i18n::Key)] = &[
    ("scope", msg!("observer.field.scope")),
    ("firms", msg!("observer.field.firms")),
    ("period_from", msg!("observer.field.from")),
    ("period_to", msg!("observer.field.to")),
    ("expires_on", msg!("observer.field.expires_on")),
];

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    id: i64,
    form: Option<ScopeForm>,
    invalid: &Invalid,
) -> AppResult<HttpResponse> {
    let (user, stored, firms) = crate::db::run(&state.pool, move |conn| {
        let user = observers::observer(conn, id)?;
        let stored = observers::scope_of(conn, id)?;
        let firms: Vec<Firm> = accounts::list_firms(conn)?;
        Ok((user, stored, firms))
    })
    .await?;
    let form = form.unwrap_or_else(|| ScopeForm::from_stored(stored.as_ref()));
    let c = Chrome::signed_in(req, &who.0);
    let chosen = form.chosen();
    let firms = firms
        .into_iter()
        .map(|f| FirmChoice {
            checked: chosen.contains(&f.id.to_string()),
            id: f.id,
            name: f.name,
        })
        .collect();
    let mut errors = Vec::new();
    let mut field_errors = BTreeMap::new();
    for (field, label) in FIELD_LABELS {
        if let Some(key) = invalid.for_field(field) {
            let message = c.t.t(key).to_owned();
            errors.push((
                (*field).to_owned(),
                c.t.t(*label).to_owned(),
                message.clone(),
            ));
            field_errors.insert(*field, message);
        }
    }
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ScopePage {
            action: paths::admin_observer(id),
            name: user.display_name,
            email: user.email,
            firms,
            form,
            errors,
            field_errors,
            c,
        },
    )
}

fn observer_id(id: &str) -> AppResult<i64> {
    id.parse().map_err(|_| AppError::NotFound)
}

pub async fn scope_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = observer_id(&id)?;
    show(&req, &state, &who, id, None, &Invalid::default()).await
}

pub async fn save_scope(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ScopeForm>,
) -> AppResult<HttpResponse> {
    let id = observer_id(&id)?;
    let now = state.clock.now();
    let (actor, by) = (who.0.actor(), who.0.user.id);
    let typed = form.clone();
    let saved = crate::db::run(&state.pool, move |conn| {
        observers::observer(conn, id)?;
        let known = observers::firm_ids(conn)?;
        let chosen = typed.chosen();
        let input = ScopeInput {
            firms: &chosen,
            aggregates_only: !typed.aggregates_only.is_empty(),
            period_from: &typed.period_from,
            period_to: &typed.period_to,
            expires_on: &typed.expires_on,
        };
        let scope = match ObserverScope::parse(&input, |f| known.contains(&f), tokyo_date(now)) {
            Ok(scope) => scope,
            Err(errors) => return Ok(Err(Invalid(errors))),
        };
        let Ok(based_on) = typed.revision.trim().parse::<i32>() else {
            return Ok(Err(Invalid::one("scope", msg!("observer.err.stale"))));
        };
        observers::save(conn, &actor, by, id, &scope, based_on, now)
    })
    .await?;
    match saved {
        Ok(()) => Ok(redirect(paths::ADMIN_OBSERVERS)),
        Err(invalid) => show(&req, &state, &who, id, Some(form), &invalid).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ViewsQuery {
    observer: String,
}

pub struct ViewLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "admin/observer_views.html")]
struct ViewsPage {
    c: Chrome,
    observers: Vec<(i64, String)>,
    chosen: Option<i64>,
    lines: Vec<ViewLine>,
}

impl ViewsPage {
    fn is_chosen(&self, id: &i64) -> bool {
        self.chosen == Some(*id)
    }
}

fn what(c: &Chrome, object_type: &str, object_id: &str, detail: &str) -> String {
    let page = match object_type {
        "observer_home" => c.t.t(msg!("observer.view.home")).to_owned(),
        "observer_dashboard" => c.t.t(msg!("observer.view.dashboard")).to_owned(),
        "version" => c.t.tf(msg!("observer.view.version"), &[("id", object_id)]),
        other => one_line(other),
    };
    if detail.is_empty() {
        page
    } else {
        format!("{page} ({})", one_line(detail))
    }
}

pub async fn views(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<ViewsQuery>,
) -> AppResult<HttpResponse> {
    let chosen = query.observer.trim().parse::<i64>().ok();
    let (listed, page) = crate::db::run(&state.pool, move |conn| {
        let listed = observers::list(conn)?;
        let page = observers::views(conn, chosen, VIEWS_SHOWN)?;
        Ok((listed, page))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let lines = page
        .events
        .iter()
        .filter_map(|row| match row {
            Row::Event(e) => Some(ViewLine {
                when: c.when(&e.occurred_at),
                who: one_line(&e.actor),
                what: what(&c, &e.object_type, &e.object_id, &e.detail),
            }),
            Row::Malformed { .. } => None,
        })
        .collect();
    ok(&ViewsPage {
        observers: listed
            .into_iter()
            .map(|l| {
                (
                    l.user.id,
                    format!("{} <{}>", l.user.display_name, l.user.email),
                )
            })
            .collect(),
        chosen,
        lines,
        c,
    })
}
