//! The register of incidents for regulator staff: every incident a firm
//! has sent, filtered by state, firm, kind, vector and month, the overdue
//! ones first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::incident_labels as label;
use crate::domain::incident::{AttackVector, IncidentKind};
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::i18n::Key;
use crate::services::accounts;
use crate::services::incident_review::{self, Filter, RegisterLine, StateFilter};
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

/// One incident as the register's table (and the campaign page's) shows it.
pub struct IncidentRow {
    pub id: i64,
    pub href: String,
    pub firm: String,
    pub kind: Key,
    pub vector: Key,
    pub period: String,
    pub stage: Option<Key>,
    pub status: Key,
    pub triage: Key,
    pub next_due: String,
    pub overdue: bool,
    /// (link, name).
    pub campaign: Option<(String, String)>,
}

impl IncidentRow {
    pub fn of(c: &Chrome, line: RegisterLine) -> Self {
        let i = &line.incident;
        IncidentRow {
            id: i.id,
            href: paths::review_incident(i.id),
            kind: label::kind(i.kind),
            vector: label::vector(i.vector),
            period: i.period.clone(),
            stage: i.stage.map(label::stage),
            status: label::status(i.status),
            triage: label::triage(i.triage),
            next_due: i.next_due_at.map(|at| c.when(&at)).unwrap_or_default(),
            overdue: line.overdue,
            campaign: line
                .campaign
                .map(|(id, name)| (paths::review_campaign(id), name)),
            firm: line.firm,
        }
    }
}

/// An option of a filter's list: (value, label, chosen).
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "review/incidents.html")]
struct RegisterPage {
    c: Chrome,
    states: Vec<Choice>,
    firms: Vec<Choice>,
    kinds: Vec<Choice>,
    vectors: Vec<Choice>,
    period: String,
    period_error: Option<String>,
    count: String,
    rows: Vec<IncidentRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterQuery {
    state: String,
    firm: String,
    kind: String,
    vector: String,
    period: String,
}

/// The filters asked for: a value the form never offers lets everything
/// through; a month that does not parse is shown back with a message.
fn filter_of(query: &RegisterQuery) -> (Filter, bool) {
    let period = query.period.trim();
    let parsed = (!period.is_empty()).then(|| Period::parse(period).ok());
    let filter = Filter {
        state: StateFilter::parse(&query.state).unwrap_or_default(),
        firm_id: query.firm.trim().parse().ok(),
        kind: IncidentKind::parse(query.kind.trim()).ok(),
        vector: AttackVector::parse(query.vector.trim()).ok(),
        period: parsed.flatten(),
        campaign_id: None,
    };
    (filter, parsed.is_some_and(|p| p.is_none()))
}

fn choices<T: Copy + PartialEq>(
    c: &Chrome,
    all: &[T],
    chosen: Option<T>,
    value: fn(T) -> &'static str,
    key: fn(T) -> Key,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            value: value(v).to_owned(),
            label: c.t.t(key(v)).to_owned(),
            chosen: chosen == Some(v),
        })
        .collect()
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let (filter, bad_period) = filter_of(&query);
    let now = state.clock.now();
    let (lines, firms) = crate::db::run(&state.pool, move |conn| {
        Ok((
            incident_review::register(conn, &filter, now)?,
            accounts::list_firms(conn)?,
        ))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let firms = firms
        .into_iter()
        .map(|f| Choice {
            value: f.id.to_string(),
            chosen: filter.firm_id == Some(f.id),
            label: f.name,
        })
        .collect();
    let count = lines.len();
    let page = RegisterPage {
        states: StateFilter::ALL
            .iter()
            .map(|&s| Choice {
                value: s.as_str().to_owned(),
                label: c.t.t(label::state_filter(s)).to_owned(),
                chosen: filter.state == s,
            })
            .collect(),
        firms,
        kinds: choices(
            &c,
            IncidentKind::ALL,
            filter.kind,
            IncidentKind::as_str,
            label::kind,
        ),
        vectors: choices(
            &c,
            AttackVector::ALL,
            filter.vector,
            AttackVector::as_str,
            label::vector,
        ),
        period: query.period.trim().chars().take(32).collect(),
        period_error: bad_period.then(|| c.t.t(msg!("err.period.invalid")).to_owned()),
        count: c.t.tn(
            msg!("incident_review.count"),
            u64::try_from(count).unwrap_or(u64::MAX),
            &[("n", &count.to_string())],
        ),
        rows: lines.into_iter().map(|l| IncidentRow::of(&c, l)).collect(),
        c,
    };
    ok(&page)
}
