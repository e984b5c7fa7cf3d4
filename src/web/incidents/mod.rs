//! A firm's incidents: the list (`/incidents`), reporting a new one, each
//! stage's form (`form`), and one incident's page (`page`). Reporters and
//! approvers of the firm only; another firm's incident is not found.

pub mod form;
pub mod labels;
pub mod page;
pub mod report_view;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::domain::incident::IncidentStatus;
use crate::error::AppResult;
use crate::services::incidents;
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

pub struct Line {
    pub href: String,
    pub id: i64,
    pub kind: String,
    pub month: String,
    pub stage: String,
    pub status: String,
    pub next_due: String,
    pub overdue: bool,
    pub triage: String,
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    c: Chrome,
    lines: Vec<Line>,
    new_href: &'static str,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
) -> AppResult<HttpResponse> {
    form::firm_actor(&who)?;
    let firm_id = who.firm_id;
    let rows = crate::db::run(&state.pool, move |conn| {
        Ok(incidents::firm_list(conn, firm_id)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.who);
    let now = state.clock.now();
    let lines = rows
        .iter()
        .map(|i| Line {
            href: paths::incident(i.id),
            id: i.id,
            kind: c.t.t(labels::kind(i.kind)).to_owned(),
            month: i.period.clone(),
            stage: i
                .stage
                .map(|s| c.t.t(labels::stage(s)).to_owned())
                .unwrap_or_default(),
            status: c.t.t(labels::status(i.status)).to_owned(),
            next_due: i.next_due_at.map(|d| c.t.when(d)).unwrap_or_default(),
            overdue: i.status == IncidentStatus::Open && i.next_due_at.is_some_and(|d| d < now),
            triage: if i.status == IncidentStatus::Draft {
                String::new()
            } else {
                c.t.t(labels::triage(i.triage)).to_owned()
            },
        })
        .collect();
    ok(&ListPage {
        c,
        lines,
        new_href: paths::INCIDENT_NEW,
    })
}
