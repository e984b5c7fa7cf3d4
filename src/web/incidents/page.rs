//! One incident as its firm sees it (`/incidents/{id}`): where it stands,
//! each stage's due time and whether it was met, every version in full,
//! the draft waiting for a second person (shown whole, so whoever sends it
//! sees what they send), what may be sent next, and reclassification.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{firm_actor, incident_id};
use super::{labels, report_view};
use crate::db::models::Incident;
use crate::domain::Role;
use crate::domain::incident::{IncidentSource, IncidentStage, IncidentStatus};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::services::incidents::{self, Draft, Refusal, VersionLine};
use crate::services::{Invalid, four_eyes};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

/// One stage's due time and how it was met.
pub struct DueLine {
    pub stage: String,
    pub due: String,
    pub first_sent: String,
    /// "On time", "Late", "Overdue" or "Not yet due".
    pub state: String,
    pub late: bool,
}

pub struct VersionView {
    pub no: i32,
    pub heading: String,
    pub sent: String,
    pub timeliness: String,
    pub late: bool,
    pub lines: Vec<(String, String)>,
}

pub struct DraftView {
    pub stage: String,
    pub prepared_by: String,
    pub saved: String,
    pub lines: Vec<(String, String)>,
    pub sha: String,
    /// Why the viewer cannot send it (`None`: they can).
    pub cannot: Option<String>,
    pub send_label: String,
}

#[derive(Template)]
#[template(path = "incidents/page.html")]
struct Page {
    c: Chrome,
    id: i64,
    title: String,
    notice: Option<String>,
    facts: Vec<(String, String)>,
    dues: Vec<DueLine>,
    next: Vec<(String, String)>,
    draft: Option<DraftView>,
    versions: Vec<VersionView>,
    reclassified: Option<String>,
    can_reclassify: bool,
    reclassify_action: String,
    approve_action: String,
    reason: String,
    reason_error: Option<String>,
    refusal: Option<String>,
    /// The thread with the regulator (none while a draft).
    thread: Option<crate::web::incident_thread::ThreadPanel>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Flash {
    sent: String,
    saved: String,
    approved: String,
    reclassified: String,
}

fn due_lines(
    t: &Tr,
    incident: &Incident,
    versions: &[VersionLine],
    now: chrono::NaiveDateTime,
) -> Vec<DueLine> {
    IncidentStage::ALL
        .iter()
        .map(|stage| {
            let due = incidents::due_of(incident, *stage);
            let first = versions.iter().find(|v| v.version.stage == *stage);
            let (state, late) = match (first, due) {
                (Some(v), _) if v.version.on_time => (t.t(msg!("incident.on_time")), false),
                (Some(_), _) => (t.t(msg!("incident.late")), true),
                (None, Some(due)) if incident.status == IncidentStatus::Open && now > due => {
                    (t.t(msg!("incident.overdue")), true)
                }
                (None, Some(_)) if incident.status == IncidentStatus::Open => {
                    (t.t(msg!("incident.awaited")), false)
                }
                _ => ("", false),
            };
            DueLine {
                stage: t.t(labels::stage(*stage)).to_owned(),
                due: due
                    .map(|d| t.when(d))
                    .unwrap_or_else(|| t.t(msg!("incident.due_unknown")).to_owned()),
                first_sent: first
                    .map(|v| t.when(v.version.submitted_at))
                    .unwrap_or_default(),
                state: state.to_owned(),
                late,
            }
        })
        .collect()
}

fn version_view(t: &Tr, line: &VersionLine) -> VersionView {
    let v = &line.version;
    let who = if v.sent_by_one {
        t.tf(msg!("incident.sent_by_one"), &[("who", &line.sent_by)])
    } else {
        t.tf(
            msg!("incident.sent_four_eyes"),
            &[
                ("who", &line.sent_by),
                ("preparers", &line.prepared_by.join(", ")),
            ],
        )
    };
    let source = if v.source == IncidentSource::Api {
        format!(" {}", t.t(msg!("incident.via_api")))
    } else {
        String::new()
    };
    VersionView {
        no: v.version_no,
        heading: t.tf(
            msg!("incident.version_heading"),
            &[
                ("no", &v.version_no.to_string()),
                ("stage", t.t(labels::stage(v.stage))),
            ],
        ),
        sent: format!("{} — {who}{source}", t.when(v.submitted_at)),
        timeliness: t.tf(
            if v.on_time {
                msg!("incident.version_on_time")
            } else {
                msg!("incident.version_late")
            },
            &[("due", &t.when(v.due_at))],
        ),
        late: !v.on_time,
        lines: report_view::lines(t, v.stage, &line.report),
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    id: i64,
    flash: &Flash,
    reason: &str,
    invalid: &Invalid,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let firm_id = who.firm_id;
    let (incident, versions, draft, exempt, thread) = crate::db::run(&state.pool, move |conn| {
        let incident = incidents::of_firm(conn, firm_id, id)?;
        Ok((
            incident,
            incidents::versions(conn, id)?,
            incidents::draft(conn, id)?,
            four_eyes::exemption(conn, firm_id)?.is_some(),
            crate::services::incident_thread::for_firm(conn, id)?,
        ))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.who);
    let t = &c.t;
    let now = state.clock.now();
    let user = &who.who.user;
    let notice = [
        (&flash.sent, msg!("incident.flash.sent")),
        (&flash.saved, msg!("incident.flash.saved")),
    ]
    .iter()
    .find_map(|(value, key)| {
        IncidentStage::parse(value)
            .ok()
            .map(|s| t.tf(*key, &[("stage", t.t(labels::stage(s)))]))
    })
    .or_else(|| {
        (!flash.approved.is_empty()).then(|| t.t(msg!("incident.flash.approved")).to_owned())
    })
    .or_else(|| {
        (!flash.reclassified.is_empty())
            .then(|| t.t(msg!("incident.flash.reclassified")).to_owned())
    });
    let facts = vec![
        (
            t.t(msg!("incident.fact.status")).to_owned(),
            t.t(labels::status(incident.status)).to_owned(),
        ),
        (
            t.t(msg!("incident.fact.stage")).to_owned(),
            incident
                .stage
                .map(|s| t.t(labels::stage(s)).to_owned())
                .unwrap_or_default(),
        ),
        (
            t.t(labels::field("kind")).to_owned(),
            t.t(labels::kind(incident.kind)).to_owned(),
        ),
        (
            t.t(labels::field("vector")).to_owned(),
            t.t(labels::vector(incident.vector)).to_owned(),
        ),
        (
            t.t(msg!("incident.fact.month")).to_owned(),
            incident.period.clone(),
        ),
        (
            t.t(msg!("incident.fact.triage")).to_owned(),
            if incident.status == IncidentStatus::Draft {
                String::new()
            } else {
                t.t(labels::triage(incident.triage)).to_owned()
            },
        ),
    ];
    let next = incidents::open_stages(&incident)
        .into_iter()
        .map(|s| {
            let key = if Some(s) == incident.stage {
                msg!("incident.next.update")
            } else {
                msg!("incident.next.prepare")
            };
            (
                paths::incident_stage(id, s),
                t.tf(key, &[("stage", t.t(labels::stage(s)))]),
            )
        })
        .collect();
    let draft = draft.map(|Draft(d, form, editors)| {
        let edited = editors.iter().any(|(uid, _)| *uid == user.id);
        let cannot = if user.role != Role::Approver {
            Some(t.t(msg!("incident.draft.only_approvers")).to_owned())
        } else if edited && !exempt {
            Some(t.t(msg!("incident.draft.you_prepared")).to_owned())
        } else {
            None
        };
        DraftView {
            stage: t.t(labels::stage(d.stage)).to_owned(),
            prepared_by: editors
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            saved: t.when(d.updated_at),
            lines: report_view::typed_lines(t, d.stage, &form),
            sha: incidents::draft_sha(&d),
            cannot,
            send_label: t.tf(
                msg!("incident.submit.send"),
                &[("stage", t.t(labels::stage(d.stage)))],
            ),
        }
    });
    let reclassified = incident.reclassified_reason.as_ref().map(|r| {
        let r = crate::web::retained::shown(t, r);
        format!("{} {r}", t.t(msg!("incident.reclassified_because")))
    });
    let thread = (incident.status != IncidentStatus::Draft)
        .then(|| crate::web::incident_thread::ThreadPanel::for_firm(&c, thread, id));
    let page = Page {
        thread,
        id,
        title: t.tf(
            msg!("incident.page.title"),
            &[
                ("id", &id.to_string()),
                ("kind", t.t(labels::kind(incident.kind))),
            ],
        ),
        notice,
        facts,
        dues: due_lines(t, &incident, &versions, now),
        next,
        draft,
        versions: versions.iter().rev().map(|v| version_view(t, v)).collect(),
        reclassified,
        can_reclassify: user.role == Role::Approver && incident.status == IncidentStatus::Open,
        reclassify_action: paths::incident_reclassify(id),
        approve_action: paths::incident_approve(id),
        reason: reason.to_owned(),
        reason_error: invalid.for_field("reason").map(|k| t.t(k).to_owned()),
        refusal: refusal.map(|r| {
            t.t(match r {
                Refusal::NotApprover => msg!("incident.draft.only_approvers"),
                Refusal::OwnDraft => msg!("incident.draft.you_prepared"),
                Refusal::Stale => msg!("incident.draft.changed"),
            })
            .to_owned()
        }),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    id: web::Path<String>,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    show(
        &req,
        &state,
        &who,
        id,
        &flash,
        "",
        &Invalid::default(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    csrf: String,
    draft_sha256: String,
}

impl HasCsrf for ApproveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A second person sends the draft as the page showed it.
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let me = firm_actor(&who)?;
    let (actor, now) = (who.who.actor(), state.clock.now());
    let done = crate::db::run(&state.pool, move |conn| {
        incidents::approve(
            conn,
            &actor,
            me,
            id,
            &form.draft_sha256,
            now,
            IncidentSource::Portal,
        )
    })
    .await?;
    match done {
        Ok(_) => Ok(redirect(format!("{}?approved=1", paths::incident(id)))),
        Err(refusal) => {
            show(
                &req,
                &state,
                &who,
                id,
                &Flash::default(),
                "",
                &Invalid::default(),
                Some(refusal),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReclassifyForm {
    csrf: String,
    reason: String,
}

impl HasCsrf for ReclassifyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// An approver reclassifies the incident as not reportable.
pub async fn reclassify(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ReclassifyForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let me = firm_actor(&who)?;
    let (actor, now, reason) = (who.who.actor(), state.clock.now(), form.reason.clone());
    let done = crate::db::run(&state.pool, move |conn| {
        incidents::reclassify(conn, &actor, me, id, &reason, now)
    })
    .await?;
    match done {
        Ok(()) => Ok(redirect(format!("{}?reclassified=1", paths::incident(id)))),
        Err(invalid) => {
            show(
                &req,
                &state,
                &who,
                id,
                &Flash::default(),
                &form.reason,
                &invalid,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A GET on a form's target goes back to the incident.
pub async fn back_to_page(path: web::Path<String>) -> HttpResponse {
    match path.parse::<i64>() {
        Ok(id) => redirect(paths::incident(id)),
        Err(_) => redirect(paths::INCIDENTS),
    }
}
