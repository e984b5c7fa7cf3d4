//! One incident for regulator staff: its latest report in full, the due
//! times of its three stages, its timeline, and the three forms — triage,
//! the thread, the campaign. A form's mistakes bring the page back (422)
//! with what was typed and the message beside the field.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::incident_labels as label;
use super::incident_timeline::{self, TimelineRow};
use super::incidents::Choice;
use crate::db::models::{Incident, IncidentCampaign};
use crate::domain::incident::{FIELDS, IncidentStage, IncidentStatus, Report, asked};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::services::incident_review::{self, TimelineEntry};
use crate::services::{Invalid, incident_thread, incidents};
use crate::web::extract::Staff;
use crate::web::incident_thread::ThreadPanel;
use crate::web::incidents::report_view;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths};

/// One field of the report: label, value, and whether it is free text.
pub struct ReportRow {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub prose: bool,
}

/// One stage's due time and where it stands.
pub struct DueRow {
    pub stage: Key,
    pub due: String,
    pub state: Option<Key>,
}

/// The triage form: the state seen, the moves allowed from it.
pub struct TriageView {
    pub action: String,
    pub from: String,
    pub options: Vec<Choice>,
    pub request: String,
    pub to_error: Option<String>,
    pub request_error: Option<String>,
}

/// The campaign form.
pub struct CampaignView {
    pub action: String,
    /// (link, name) of the campaign the incident is linked to.
    pub linked: Option<(String, String)>,
    pub options: Vec<Choice>,
    pub new_name: String,
    pub campaign_error: Option<String>,
    pub new_error: Option<String>,
}

#[derive(Template)]
#[template(path = "review/incident.html")]
struct IncidentPage {
    c: Chrome,
    id: i64,
    firm: String,
    firm_href: String,
    kind: Key,
    vector: Key,
    period: String,
    stage: Option<Key>,
    status: Key,
    triage_state: Key,
    overdue: bool,
    done: Option<Key>,
    errors: Vec<(String, String, String)>,
    report_title: Option<String>,
    report: Vec<ReportRow>,
    reclassified: Option<String>,
    dues: Vec<DueRow>,
    timeline: Vec<TimelineRow>,
    triage: TriageView,
    thread: ThreadPanel,
    campaign: CampaignView,
    back: String,
}

/// What the three forms hold when the page comes back with a mistake.
#[derive(Default)]
pub struct Typed {
    pub to: String,
    pub request: String,
    pub body: String,
    pub visibility: String,
    pub campaign: String,
    pub new_campaign: String,
    pub invalid: Invalid,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

pub fn incident_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let done = match query.done.as_str() {
        "triaged" => Some(msg!("incident_review.done.triaged")),
        "message" => Some(msg!("incident_review.done.message")),
        "campaign" => Some(msg!("incident_review.done.campaign")),
        _ => None,
    };
    show(&req, &state, &who, id, done, Typed::default()).await
}

/// Everything the page shows, read in one go.
struct Loaded {
    incident: Incident,
    firm: String,
    campaign: Option<IncidentCampaign>,
    latest: (i32, Option<Report>),
    first_versions: Vec<(IncidentStage, bool)>,
    timeline: Vec<TimelineEntry>,
    thread: Vec<incident_thread::ThreadLine>,
    campaigns: Vec<IncidentCampaign>,
}

/// Renders the page: 200, or 422 when `typed` carries mistakes.
pub async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Staff,
    id: i64,
    done: Option<Key>,
    typed: Typed,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let loaded = crate::db::run(&state.pool, move |conn| {
        let (incident, firm, campaign) = incident_review::incident(conn, id)?;
        let versions = incidents::versions(conn, id)?;
        let mut first_versions: Vec<(IncidentStage, bool)> = Vec::new();
        for v in &versions {
            if !first_versions.iter().any(|(s, _)| *s == v.version.stage) {
                first_versions.push((v.version.stage, v.version.on_time));
            }
        }
        let latest = versions.last().map_or((0, None), |v| {
            (v.version.version_no, Some(v.report.clone()))
        });
        Ok(Loaded {
            timeline: incident_review::timeline(conn, id, true)?,
            thread: incident_thread::for_staff(conn, id)?,
            campaigns: incident_review::campaigns(conn)?,
            incident,
            firm,
            campaign,
            latest,
            first_versions,
        })
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let status = if typed.invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = build(c, loaded, done, typed, now);
    render(status, &page)
}

fn build(
    c: Chrome,
    l: Loaded,
    done: Option<Key>,
    typed: Typed,
    now: NaiveDateTime,
) -> IncidentPage {
    let i = &l.incident;
    let err = |field: &str| typed.invalid.for_field(field).map(|k| c.t.t(k).to_owned());
    let (report_title, report) = match (&l.latest, i.stage) {
        ((no, Some(report)), Some(stage)) => (
            Some(c.t.tf(
                msg!("incident_review.report_title"),
                &[
                    ("stage", c.t.t(label::stage(stage))),
                    ("version", &no.to_string()),
                ],
            )),
            report_rows(&c, report, stage),
        ),
        _ => (None, Vec::new()),
    };
    let triage = TriageView {
        action: paths::review_incident_triage(i.id),
        from: i.triage.as_str().to_owned(),
        options: i
            .triage
            .next_states()
            .iter()
            .map(|&s| Choice {
                value: s.as_str().to_owned(),
                label: c.t.t(label::triage(s)).to_owned(),
                chosen: typed.to == s.as_str(),
            })
            .collect(),
        request: typed.request.clone(),
        to_error: err("to"),
        request_error: err("request"),
    };
    let campaign = CampaignView {
        action: paths::review_incident_campaign(i.id),
        linked: l
            .campaign
            .as_ref()
            .map(|k| (paths::review_campaign(k.id), k.name.clone())),
        options: l
            .campaigns
            .iter()
            .map(|k| Choice {
                value: k.id.to_string(),
                label: k.name.clone(),
                chosen: typed.campaign == k.id.to_string(),
            })
            .collect(),
        new_name: typed.new_campaign.clone(),
        campaign_error: err("campaign"),
        new_error: err("new_campaign"),
    };
    let thread = ThreadPanel::for_staff(&c, l.thread, i.id).typed(
        &c,
        typed.body.clone(),
        typed.visibility.clone(),
        &typed.invalid,
    );
    let errors = summary(&c, &typed.invalid);
    IncidentPage {
        id: i.id,
        firm_href: paths::review_firm(i.firm_id),
        firm: l.firm,
        kind: label::kind(i.kind),
        vector: label::vector(i.vector),
        period: i.period.clone(),
        stage: i.stage.map(label::stage),
        status: label::status(i.status),
        triage_state: label::triage(i.triage),
        overdue: incident_review::is_overdue(i, now),
        done,
        errors,
        report_title,
        report,
        reclassified: i.reclassified_reason.clone(),
        dues: dues(&c, i, &l.first_versions, now),
        timeline: incident_timeline::rows(&c, l.timeline),
        triage,
        thread,
        campaign,
        back: paths::REVIEW_INCIDENTS.to_owned(),
        c,
    }
}

/// The error summary: each mistake with the label of its field.
fn summary(c: &Chrome, invalid: &Invalid) -> Vec<(String, String, String)> {
    invalid
        .0
        .iter()
        .map(|(field, key)| {
            let label = match *field {
                "to" => msg!("incident_review.triage_to"),
                "request" => msg!("incident_review.request"),
                "body" => msg!("incident_thread.body_staff"),
                "visibility" => msg!("incident_thread.visibility"),
                "new_campaign" => msg!("incident_review.campaign_new"),
                _ => msg!("incident_review.campaign_existing"),
            };
            (
                (*field).to_owned(),
                c.t.t(label).to_owned(),
                c.t.t(*key).to_owned(),
            )
        })
        .collect()
}

/// Every field the stage asks for, in the order of the form, labelled and
/// formatted as the firm's pages show them (`incidents::report_view`).
pub fn report_rows(c: &Chrome, r: &Report, stage: IncidentStage) -> Vec<ReportRow> {
    FIELDS
        .iter()
        .filter(|name| asked(name, stage))
        .map(|&name| ReportRow {
            name,
            label: c.t.t(crate::web::incidents::labels::field(name)).to_owned(),
            value: report_view::value(&c.t, r, name),
            prose: matches!(
                name,
                "actions" | "containment" | "cause" | "root_cause" | "remediation"
            ),
        })
        .collect()
}

/// Each stage's due time as kept on the incident, and where it stands:
/// sent (on time or late, by its first version), overdue, awaited.
fn dues(
    c: &Chrome,
    i: &Incident,
    first_versions: &[(IncidentStage, bool)],
    now: NaiveDateTime,
) -> Vec<DueRow> {
    IncidentStage::ALL
        .iter()
        .map(|&stage| {
            let due = incidents::due_of(i, stage);
            let sent = first_versions.iter().find(|(s, _)| *s == stage);
            let state = match (sent, due) {
                (Some((_, true)), _) => Some(msg!("incident_review.due.sent_on_time")),
                (Some((_, false)), _) => Some(msg!("incident_review.due.sent_late")),
                (None, Some(due)) if i.status == IncidentStatus::Open && due < now => {
                    Some(msg!("incident_review.due.overdue"))
                }
                (None, Some(_)) if i.status == IncidentStatus::Open => {
                    Some(msg!("incident_review.due.awaited"))
                }
                _ => None,
            };
            DueRow {
                stage: label::stage(stage),
                due: due.map_or_else(
                    || c.t.t(msg!("incident_review.due.not_set")).to_owned(),
                    |at| c.when(&at),
                ),
                state,
            }
        })
        .collect()
}
