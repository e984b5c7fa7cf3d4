//! The form of one stage of an incident report: a new incident's initial
//! notification (`/incidents/new`), or a stage of one that exists
//! (`/incidents/{id}/stages/{stage}`, opened prefilled from the draft of
//! that stage, or else from the latest version). What the stage's rule
//! says about who sends it is said above the button: sent at once by one
//! person, or saved for a second person to send.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::labels;
use crate::domain::incident::{
    AttackVector, FIELDS, IncidentKind, IncidentSource, IncidentStage, ReportForm, asked,
};
use crate::domain::rules::Subject;
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Tr};
use crate::services::incidents::{self, FirmActor, Outcome, Target};
use crate::services::{Invalid, incident_rules};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

/// How a control is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    /// A date-time or a date, typed.
    Line,
    /// A whole number.
    Number,
    Multiline,
    /// One of a list (`<select>`).
    Choice,
    /// Yes or no (two radio buttons).
    YesNo,
}

/// One control of the form.
pub struct Control {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub value: String,
    pub error: Option<String>,
    pub kind: ControlKind,
    /// (value, label) of each choice.
    pub options: Vec<(String, String)>,
}

impl Control {
    pub fn is(&self, kind: &str) -> bool {
        matches!(
            (kind, self.kind),
            ("line", ControlKind::Line)
                | ("number", ControlKind::Number)
                | ("multiline", ControlKind::Multiline)
                | ("choice", ControlKind::Choice)
                | ("yes_no", ControlKind::YesNo)
        )
    }

    pub fn max_chars(&self) -> usize {
        match self.kind {
            ControlKind::Multiline => crate::domain::limits::INCIDENT_TEXT,
            ControlKind::Number => 20,
            _ => crate::domain::limits::DATE_TIME,
        }
    }
}

/// A heading and its controls.
pub struct Group {
    pub title: String,
    pub controls: Vec<Control>,
}

const GROUPS: [(Key, &[&str]); 5] = [
    (
        msg!("incident.group.what"),
        &["aware_at", "classified_at", "occurred_on", "kind", "vector"],
    ),
    (
        msg!("incident.group.scale"),
        &["accounts", "trades", "amount_jpy", "ongoing"],
    ),
    (
        msg!("incident.group.response"),
        &["actions", "customers_told", "police_told"],
    ),
    (msg!("incident.group.cause"), &["containment", "cause"]),
    (
        msg!("incident.group.outcome"),
        &[
            "root_cause",
            "losses_jpy",
            "compensation_jpy",
            "remediation",
            "remediation_by",
        ],
    ),
];

fn control_kind(name: &str) -> ControlKind {
    match name {
        "aware_at" | "classified_at" | "occurred_on" | "remediation_by" => ControlKind::Line,
        "accounts" | "trades" | "amount_jpy" | "losses_jpy" | "compensation_jpy" => {
            ControlKind::Number
        }
        "kind" | "vector" => ControlKind::Choice,
        "ongoing" | "customers_told" | "police_told" => ControlKind::YesNo,
        _ => ControlKind::Multiline,
    }
}

fn hint(name: &str) -> Option<Key> {
    match name {
        "aware_at" | "classified_at" => Some(msg!("incident.hint.time")),
        "occurred_on" | "remediation_by" => Some(msg!("incident.hint.date")),
        "accounts" | "trades" | "amount_jpy" => Some(msg!("incident.hint.estimate")),
        _ => None,
    }
}

fn options(t: &Tr, name: &str) -> Vec<(String, String)> {
    match name {
        "kind" => IncidentKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), t.t(labels::kind(*k)).to_owned()))
            .collect(),
        "vector" => AttackVector::ALL
            .iter()
            .map(|v| (v.as_str().to_owned(), t.t(labels::vector(*v)).to_owned()))
            .collect(),
        "ongoing" | "customers_told" | "police_told" => vec![
            ("yes".to_owned(), t.t(msg!("incident.yes")).to_owned()),
            ("no".to_owned(), t.t(msg!("incident.no")).to_owned()),
        ],
        _ => Vec::new(),
    }
}

/// The groups of controls `stage` asks for, filled with `typed` and the
/// mistakes beside their fields.
pub fn groups(t: &Tr, stage: IncidentStage, typed: &ReportForm, invalid: &Invalid) -> Vec<Group> {
    GROUPS
        .iter()
        .filter_map(|(title, names)| {
            let controls: Vec<Control> = names
                .iter()
                .filter(|name| asked(name, stage))
                .filter_map(|name| FIELDS.iter().find(|f| *f == name))
                .map(|name| Control {
                    name,
                    label: t.t(labels::field(name)).to_owned(),
                    hint: hint(name).map(|k| t.t(k).to_owned()),
                    value: typed.value(name).to_owned(),
                    // The message, then the rule's ID (as the API and `/rules` give it).
                    error: invalid
                        .for_field(name)
                        .map(|k| crate::web::rules::message(t, Subject::Incident, k)),
                    kind: control_kind(name),
                    options: options(t, name),
                })
                .collect();
            (!controls.is_empty()).then(|| Group {
                title: t.t(*title).to_owned(),
                controls,
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "incidents/form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    intro: String,
    /// Who sends the stage (one person, or four eyes).
    sending: String,
    groups: Vec<Group>,
    errors: Vec<(String, String, String)>,
    /// A mistake not tied to a field (the stage moved on, a newer version).
    notice: Option<String>,
    action: String,
    based_on: i32,
    submit: String,
    back: String,
}

/// The form as posted: the report's fields, the CSRF token and the
/// version the form was based on.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StageForm {
    csrf: String,
    /// A number; kept as text, as a flattened form reads every value so.
    based_on: String,
    #[serde(flatten)]
    report: ReportForm,
}

impl HasCsrf for StageForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn stage_of(raw: &str) -> AppResult<IncidentStage> {
    IncidentStage::parse(raw).map_err(|_| AppError::NotFound)
}

pub fn incident_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Only the firm's reporters and approvers report incidents.
pub fn firm_actor(who: &FirmUser) -> AppResult<FirmActor> {
    FirmActor::of(&who.who.user).ok_or(AppError::Forbidden)
}

#[allow(clippy::too_many_arguments)]
async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &FirmUser,
    incident: Option<i64>,
    stage: IncidentStage,
    typed: &ReportForm,
    based_on: i32,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let rule = crate::db::run(&state.pool, move |conn| {
        Ok(incident_rules::of(conn, stage)?)
    })
    .await?;
    let c = Chrome::signed_in(req, &who.who);
    let t = &c.t;
    let groups = groups(t, stage, typed, invalid);
    let errors = groups
        .iter()
        .flat_map(|g| g.controls.iter())
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.name.to_owned(), f.label.clone(), e.clone()))
        })
        .collect();
    let notice = ["stage", "based_on"]
        .iter()
        .find_map(|f| invalid.for_field(f))
        .map(|k| t.t(k).to_owned());
    let (action, back) = match incident {
        None => (paths::INCIDENT_NEW.to_owned(), paths::INCIDENTS.to_owned()),
        Some(id) => (paths::incident_stage(id, stage), paths::incident(id)),
    };
    let stage_label = t.t(labels::stage(stage));
    let page = FormPage {
        title: match incident {
            None => t.t(msg!("incident.new.title")).to_owned(),
            Some(id) => t.tf(
                msg!("incident.stage_form.title"),
                &[("stage", stage_label), ("id", &id.to_string())],
            ),
        },
        intro: t
            .t(match stage {
                IncidentStage::Initial => msg!("incident.intro.initial"),
                IncidentStage::Intermediate => msg!("incident.intro.intermediate"),
                IncidentStage::Final => msg!("incident.intro.final"),
            })
            .to_owned(),
        sending: t
            .t(if rule.four_eyes {
                msg!("incident.sending.four_eyes")
            } else {
                msg!("incident.sending.one")
            })
            .to_owned(),
        submit: t
            .tf(
                if rule.four_eyes {
                    msg!("incident.submit.save")
                } else {
                    msg!("incident.submit.send")
                },
                &[("stage", stage_label)],
            )
            .to_owned(),
        groups,
        errors,
        notice,
        action,
        based_on,
        back,
        c,
    };
    render(status, &page)
}

/// A new incident's initial notification, blank.
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
) -> AppResult<HttpResponse> {
    firm_actor(&who)?;
    show(
        &req,
        &state,
        &who,
        None,
        IncidentStage::Initial,
        &ReportForm::default(),
        0,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

/// A stage of an incident, prefilled: its draft if one is waiting, else
/// the latest version.
pub async fn stage_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    firm_actor(&who)?;
    let (id, stage) = (incident_id(&path.0)?, stage_of(&path.1)?);
    let firm_id = who.firm_id;
    let (incident, latest, draft) = crate::db::run(&state.pool, move |conn| {
        let incident = incidents::of_firm(conn, firm_id, id)?;
        Ok((
            incident,
            incidents::latest(conn, id)?,
            incidents::draft(conn, id)?,
        ))
    })
    .await?;
    if !incidents::open_stages(&incident).contains(&stage) {
        return Ok(redirect(paths::incident(id)));
    }
    let typed = match (draft, &latest.1) {
        (Some(incidents::Draft(d, form, _)), _) if d.stage == stage => form,
        (_, Some(report)) => ReportForm::from(report),
        (Some(incidents::Draft(_, form, _)), None) => form,
        (None, None) => ReportForm::default(),
    };
    show(
        &req,
        &state,
        &who,
        Some(id),
        stage,
        &typed,
        latest.0,
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

async fn post(
    req: &HttpRequest,
    state: &AppState,
    who: FirmUser,
    incident: Option<i64>,
    stage: IncidentStage,
    form: StageForm,
) -> AppResult<HttpResponse> {
    let actor_who = firm_actor(&who)?;
    let target = match incident {
        None => Target::New,
        Some(incident_id) => Target::Existing {
            incident_id,
            based_on: form.based_on.trim().parse().unwrap_or(-1),
        },
    };
    let (actor, now, report) = (who.who.actor(), state.clock.now(), form.report.clone());
    let outcome = crate::db::run(&state.pool, move |conn| {
        incidents::send(
            conn,
            &actor,
            actor_who,
            target,
            stage,
            &report,
            now,
            IncidentSource::Portal,
        )
    })
    .await?;
    match outcome {
        Ok(Outcome::Sent { incident_id, .. }) => Ok(redirect(format!(
            "{}?sent={stage}",
            paths::incident(incident_id)
        ))),
        Ok(Outcome::Drafted { incident_id }) => Ok(redirect(format!(
            "{}?saved={stage}",
            paths::incident(incident_id)
        ))),
        Err(invalid) => {
            show(
                req,
                state,
                &who,
                incident,
                stage,
                &form.report,
                form.based_on.trim().parse().unwrap_or(0),
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Sends (or saves for approval) a new incident's initial notification.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    CsrfForm(form): CsrfForm<StageForm>,
) -> AppResult<HttpResponse> {
    post(&req, &state, who, None, IncidentStage::Initial, form).await
}

/// Sends (or saves for approval) a stage of an incident.
pub async fn send_stage(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<StageForm>,
) -> AppResult<HttpResponse> {
    let (id, stage) = (incident_id(&path.0)?, stage_of(&path.1)?);
    post(&req, &state, who, Some(id), stage, form).await
}
