//! An incident as the API answers it: a line of the firm's list (where it
//! stands, each stage's due time as frozen, the next one and whether it has
//! passed), and the incident whole (every version with its report, the
//! draft waiting for a second person, the regulator's messages to the
//! firm). The `ETag` of an incident is its latest version's number.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use super::report::IncidentReport;
use crate::db::models::Incident;
use crate::domain::incident::{IncidentStage, IncidentStatus, Triage};
use crate::domain::time::to_rfc3339;
use crate::services::incident_client::FirmView;
use crate::services::incidents::{self, VersionLine};
use crate::web::api::answers::json;
use crate::web::paths;

/// A member that takes one of `codes` (`null` too when `nullable`).
pub fn codes(codes: Vec<&'static str>, nullable: bool, description: &str) -> Object {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let mut values: Vec<serde_json::Value> = codes.into_iter().map(Into::into).collect();
    if nullable {
        values.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(kind)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

fn stage_codes() -> Object {
    codes(
        IncidentStage::ALL.iter().map(|s| s.as_str()).collect(),
        false,
        "A stage: `initial`, `intermediate` or `final`.",
    )
}

fn latest_stage_codes() -> Object {
    codes(
        IncidentStage::ALL.iter().map(|s| s.as_str()).collect(),
        true,
        "The latest stage sent (`null` before the first is sent).",
    )
}

fn status_codes() -> Object {
    codes(
        IncidentStatus::ALL.iter().map(|s| s.as_str()).collect(),
        false,
        "`draft`: the initial stage waits for a second person, nothing is sent yet (the \
         regulator does not see it); `open`: sent, the final stage still to come; `final`: \
         the final stage is in; `not_reportable`: reclassified, with a reason.",
    )
}

fn triage_codes() -> Object {
    codes(
        Triage::ALL.iter().map(|s| s.as_str()).collect(),
        false,
        "Where the regulator's triage stands.",
    )
}

/// When each stage is due, as frozen when its trigger happened (`null`:
/// not yet triggered).
#[derive(Serialize, ToSchema)]
pub struct IncidentDueJson {
    #[schema(format = DateTime, required = true)]
    pub initial: Option<String>,
    #[schema(format = DateTime, required = true)]
    pub intermediate: Option<String>,
    #[serde(rename = "final")]
    #[schema(format = DateTime, required = true)]
    pub final_stage: Option<String>,
}

/// One incident of the firm's.
#[derive(Serialize, ToSchema)]
pub struct IncidentLine {
    #[schema(minimum = 1)]
    pub id: i64,
    /// The incident's address in this API.
    #[schema(example = "/api/v1/incidents/12")]
    pub href: String,
    #[schema(schema_with = status_codes)]
    pub status: &'static str,
    #[schema(schema_with = latest_stage_codes)]
    pub stage: Option<&'static str>,
    #[schema(schema_with = super::report::kind_codes)]
    pub kind: &'static str,
    #[schema(schema_with = super::report::vector_codes)]
    pub vector: &'static str,
    /// The month the incident began in (`YYYY-MM`): the monthly return it
    /// is reconciled with.
    #[schema(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-04")]
    pub month: String,
    #[schema(schema_with = triage_codes)]
    pub triage: &'static str,
    /// Accounts affected, as the latest version says.
    pub accounts: i64,
    /// Fraudulent trades, as the latest version says.
    pub trades: i64,
    pub ongoing: bool,
    pub due: IncidentDueJson,
    /// When the next stage is due (`null` when none is awaited).
    #[schema(format = DateTime, required = true)]
    pub next_due_at: Option<String>,
    /// The next stage's due time has passed.
    pub overdue: bool,
    /// The stages that may be sent now (`PUT …/stages/{stage}`): the
    /// latest again (an update) and the next.
    #[schema(schema_with = open_stage_list)]
    pub open_stages: Vec<&'static str>,
    #[schema(format = DateTime)]
    pub opened_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn open_stage_list() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(stage_codes())
        .max_items(Some(2))
        .build()
}

/// The firm's incidents, newest first.
#[derive(Serialize, ToSchema)]
pub struct IncidentsJson {
    pub incidents: Vec<IncidentLine>,
}

/// One version of a stage.
#[derive(Serialize, ToSchema)]
pub struct IncidentVersionJson {
    /// From 1, across the stages.
    #[schema(minimum = 1)]
    pub version: i32,
    #[schema(schema_with = stage_codes)]
    pub stage: &'static str,
    #[schema(format = DateTime)]
    pub sent_at: String,
    /// The stage's due time it was measured against (frozen when sent).
    #[schema(format = DateTime)]
    pub due_at: String,
    /// Whether it was sent by then (frozen when sent).
    pub on_time: bool,
    /// Sent by one person (the stage did not need four eyes).
    pub sent_by_one: bool,
    /// Who sent it.
    pub sent_by: String,
    /// Who prepared it, when a second person sent it.
    pub prepared_by: Vec<String>,
    /// `portal` or `api`.
    #[schema(example = "api")]
    pub source: &'static str,
    pub report: IncidentReport,
}

/// A stage waiting for a second person: sent only when another approver
/// of the firm, who did not prepare it, approves it in the portal.
#[derive(Serialize, ToSchema)]
pub struct IncidentWaitingJson {
    #[schema(schema_with = stage_codes)]
    pub stage: &'static str,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub updated_by: String,
}

/// A message of the incident's thread the firm may see.
#[derive(Serialize, ToSchema)]
pub struct IncidentMessageJson {
    /// From the regulator (else from the firm).
    pub from_regulator: bool,
    /// Who wrote it, for the firm's own messages (`null`: the regulator).
    #[schema(required = true)]
    pub author: Option<String>,
    pub body: String,
    #[schema(format = DateTime)]
    pub sent_at: String,
}

/// An incident whole.
#[derive(Serialize, ToSchema)]
pub struct IncidentJson {
    pub incident: IncidentLine,
    /// The latest version's number (0 before the first is sent): the
    /// `ETag`, and what `If-Match` names when sending a stage.
    #[schema(minimum = 0)]
    pub latest_version: i32,
    /// The reason given when it was reclassified as not reportable.
    #[schema(required = true)]
    pub reclassified_reason: Option<String>,
    /// A stage waiting for a second person (`null`: none).
    #[schema(required = true)]
    pub waiting: Option<IncidentWaitingJson>,
    /// Oldest first.
    pub versions: Vec<IncidentVersionJson>,
    /// Oldest first.
    pub messages: Vec<IncidentMessageJson>,
}

fn at(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(to_rfc3339)
}

/// One incident as a line of the list, at `now`.
pub fn line(i: &Incident, now: NaiveDateTime) -> IncidentLine {
    IncidentLine {
        id: i.id,
        href: paths::api_incident(i.id),
        status: i.status.as_str(),
        stage: i.stage.map(IncidentStage::as_str),
        kind: i.kind.as_str(),
        vector: i.vector.as_str(),
        month: i.period.clone(),
        triage: i.triage.as_str(),
        accounts: i.accounts,
        trades: i.trades,
        ongoing: i.ongoing,
        due: IncidentDueJson {
            initial: at(i.initial_due_at),
            intermediate: at(i.intermediate_due_at),
            final_stage: at(i.final_due_at),
        },
        next_due_at: at(i.next_due_at),
        overdue: i.status == IncidentStatus::Open && i.next_due_at.is_some_and(|due| now > due),
        open_stages: incidents::open_stages(i)
            .into_iter()
            .map(IncidentStage::as_str)
            .collect(),
        opened_at: to_rfc3339(i.opened_at),
        updated_at: to_rfc3339(i.updated_at),
    }
}

fn version(v: &VersionLine) -> IncidentVersionJson {
    IncidentVersionJson {
        version: v.version.version_no,
        stage: v.version.stage.as_str(),
        sent_at: to_rfc3339(v.version.submitted_at),
        due_at: to_rfc3339(v.version.due_at),
        on_time: v.version.on_time,
        sent_by_one: v.version.sent_by_one,
        sent_by: v.sent_by.clone(),
        prepared_by: v.prepared_by.clone(),
        source: v.version.source.as_str(),
        report: IncidentReport::of(&v.report, v.version.stage),
    }
}

/// The incident whole, at `now`.
pub fn whole(view: &FirmView, now: NaiveDateTime) -> IncidentJson {
    IncidentJson {
        incident: line(&view.incident, now),
        latest_version: view.latest(),
        reclassified_reason: view.incident.reclassified_reason.clone(),
        waiting: view.waiting.as_ref().map(|w| IncidentWaitingJson {
            stage: w.stage.as_str(),
            updated_at: to_rfc3339(w.updated_at),
            updated_by: w.updated_by.clone(),
        }),
        versions: view.versions.iter().map(version).collect(),
        messages: view
            .messages
            .iter()
            .map(|m| IncidentMessageJson {
                from_regulator: m.from_regulator,
                author: m.author.clone(),
                body: m.body.clone(),
                sent_at: to_rfc3339(m.sent_at),
            })
            .collect(),
    }
}

/// The `ETag` of an incident whose latest version is `latest`.
pub fn etag(latest: i32) -> String {
    format!("\"{latest}\"")
}

/// The incident as an answer of `status`, with its `ETag` (and its
/// address in `Location` when `located`).
pub fn answer(
    status: StatusCode,
    view: &FirmView,
    now: NaiveDateTime,
    located: bool,
) -> HttpResponse {
    let body = whole(view, now);
    let mut response = json(status, &body);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag(body.latest_version)) {
        headers.insert(header::ETAG, value);
    }
    if located && let Ok(value) = HeaderValue::from_str(&body.incident.href) {
        headers.insert(header::LOCATION, value);
    }
    response
}
