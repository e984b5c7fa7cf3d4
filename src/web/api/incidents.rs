//! A firm's incidents through the API (`/api/v1/incidents…`): the list,
//! one incident whole, a new incident's initial stage, and sending (or
//! updating) a stage of one. A client acts for the approver who registered
//! it, who is then the preparer: a stage that needs four eyes is left as a
//! draft for another approver in the portal (202), never sent by the API.
//! The report is checked by the browser's own rules (`ReportForm::check`),
//! each mistake named by its rule and JSON Pointer.

pub mod answer;
pub mod report;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;

use super::answers::{self, checks_failed, json, not_found, read_json};
use super::caller::ApiCaller;
use super::checks::failed;
use super::idempotent;
use super::problem::{Problem, ProblemError, from_app_error, type_uri};
use crate::domain::api_client::Scope;
use crate::domain::incident::{IncidentSource, IncidentStage, ReportForm};
use crate::domain::rules::Subject;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::services::incident_client::{self, FirmView};
use crate::services::incidents::{self, Outcome, Target};
use crate::services::{Actor, Invalid};
use crate::web::AppState;
use answer::{IncidentJson, IncidentsJson};

/// The body of a stage as a form, or every mistake of its shape (with
/// the report's own mistakes in the members of the right type).
fn form_of(
    t: &Tr,
    public_url: &str,
    value: &serde_json::Value,
    stage: IncidentStage,
    now: NaiveDateTime,
) -> Result<ReportForm, Problem> {
    let (form, shape) = report::read(value);
    if shape.is_empty() {
        return Ok(form);
    }
    let mut errors: Vec<ProblemError> = shape
        .iter()
        .map(|m| failed(t, Subject::Incident, m.key, m.pointer.clone()))
        .collect();
    let whole_body = shape.iter().any(|m| m.pointer.is_empty());
    if let (false, Err(mistakes)) = (whole_body, form.check(stage, now)) {
        let typed_wrong = |field: &str| shape.iter().any(|m| m.field == Some(field));
        errors.extend(
            mistakes
                .iter()
                .filter(|(field, _)| !typed_wrong(field))
                .map(|(field, key)| failed(t, Subject::Incident, *key, report::pointer(field))),
        );
    }
    Err(checks_failed(t, public_url, errors))
}

/// A refusal of the lifecycle, as problem details: the stage not open
/// (409), a version sent since `If-Match` (412), the report's mistakes
/// (422).
fn refused(t: &Tr, public_url: &str, invalid: &Invalid) -> Problem {
    if invalid.for_field("based_on").is_some() {
        return changed(t);
    }
    if invalid.for_field("stage").is_some() {
        return Problem::new(
            StatusCode::CONFLICT,
            &type_uri("stage-not-open"),
            t.t(msg!("api.problem.stage_not_open")).to_owned(),
        );
    }
    let errors = invalid
        .0
        .iter()
        .map(|(field, key)| failed(t, Subject::Incident, *key, report::pointer(field)))
        .collect();
    checks_failed(t, public_url, errors)
}

fn changed(t: &Tr) -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        &type_uri("incident-changed"),
        t.t(msg!("api.problem.incident_changed")).to_owned(),
    )
}

/// The portal's own refusal inside an incident call: not found, not the
/// client's to do (its approver no longer of the firm), or a failure.
fn failure(t: &Tr, caller: &ApiCaller, error: &AppError) -> Problem {
    match error {
        AppError::Forbidden => Problem::new(
            StatusCode::FORBIDDEN,
            &type_uri("forbidden"),
            t.t(msg!("error.forbidden")).to_owned(),
        ),
        other => from_app_error(other, caller.lang),
    }
}

/// The incident id in the path: a positive number, else not found.
fn incident_id(raw: &str, t: &Tr) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| not_found(t))
}

/// The incident's version the caller read, from `If-Match` (one strong
/// ETag: the quoted version number).
fn if_match(req: &HttpRequest, t: &Tr) -> Result<i32, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            &type_uri("if-match-required"),
            t.t(msg!("api.problem.incident_if_match_required"))
                .to_owned(),
        ));
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .and_then(|v| v.strip_prefix('"'))
        .and_then(|v| v.strip_suffix('"'))
        .filter(|n| !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<i32>().ok())
        .ok_or_else(|| changed(t))
}

/// The incident whole, read for an answer.
async fn view(
    state: &AppState,
    t: &Tr,
    caller: &ApiCaller,
    firm_id: i64,
    incident_id: i64,
) -> Result<FirmView, Problem> {
    crate::db::run(&state.pool, move |conn| {
        incident_client::view(conn, firm_id, incident_id)
    })
    .await
    .map_err(|e| failure(t, caller, &e))
}

/// Sends `stage` to `target` as the caller's approver; the answer is the
/// incident: `sent` (201 or 200) or 202 when it waits for four eyes.
async fn send(
    state: &AppState,
    t: &Tr,
    caller: &ApiCaller,
    target: Target,
    stage: IncidentStage,
    form: ReportForm,
    sent: StatusCode,
) -> Result<HttpResponse, Problem> {
    let firm_id = caller.firm()?;
    let actor: Actor = caller.actor.clone();
    // A firm's client always acts for the approver who registered it.
    let Some(user_id) = actor.user_id else {
        return Err(failure(t, caller, &AppError::Forbidden));
    };
    let now = state.clock.now();
    let outcome = crate::db::run(&state.pool, move |conn| {
        let who = incident_client::acting_for(conn, user_id, firm_id)?;
        incidents::send(
            conn,
            &actor,
            who,
            target,
            stage,
            &form,
            now,
            IncidentSource::Api,
        )
    })
    .await
    .map_err(|e| failure(t, caller, &e))?
    .map_err(|invalid| refused(t, &state.config.public_url, &invalid))?;
    let (incident_id, status) = match outcome {
        Outcome::Sent { incident_id, .. } => (incident_id, sent),
        Outcome::Drafted { incident_id } => (incident_id, StatusCode::ACCEPTED),
    };
    let whole = view(state, t, caller, firm_id, incident_id).await?;
    let located = matches!(target, Target::New);
    Ok(answer::answer(status, &whole, state.clock.now(), located))
}

/// `GET /api/v1/incidents`
#[utoipa::path(
    get,
    path = crate::web::paths::API_INCIDENTS,
    tag = "incidents",
    operation_id = "list_incidents",
    summary = "The firm's incidents",
    description = "Every incident of the firm, newest first: where it stands, the regulator's \
triage, each stage's due time as frozen when its trigger happened, when the next stage is due and \
whether that has passed, and the stages that may be sent now.",
    params(super::openapi::params::AcceptLanguageHeader),
    responses(
        (status = 200, description = "The incidents", body = IncidentsJson,
            links(("get_incident" = (
                operation_id = "get_incident",
                parameters(("id" = "$response.body#/incidents/0/id")),
                description = "Read the newest incident"
            )))),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `incidents:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["incidents:read"]), ("bearer" = ["incidents:read"]))
)]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, Problem> {
    caller.require(Scope::IncidentsRead)?;
    let firm_id = caller.firm()?;
    let found = crate::db::run(&state.pool, move |conn| {
        Ok(incidents::firm_list(conn, firm_id)?)
    })
    .await?;
    answers::audit_read(&state, &caller, "incidents", &firm_id.to_string()).await?;
    let now = state.clock.now();
    Ok(json(
        StatusCode::OK,
        &IncidentsJson {
            incidents: found.iter().map(|i| answer::line(i, now)).collect(),
        },
    ))
}

/// `GET /api/v1/incidents/{id}`
#[utoipa::path(
    get,
    path = crate::web::paths::API_INCIDENT,
    tag = "incidents",
    operation_id = "get_incident",
    summary = "One incident, with every version and the regulator's messages",
    description = "The incident with every version sent (its stage, when, the due time it was \
measured against and whether it met it, whether one person sent it, the report), the stage waiting \
for a second person if any, and the messages of its thread the firm may see. The `ETag` is the \
latest version's number, for `If-Match` when sending a stage.",
    params(
        super::openapi::params::IncidentPath,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The incident", body = IncidentJson,
            headers(("ETag" = String, description = "The quoted number of the latest version")),
            links(("put_incident_stage" = (
                operation_id = "put_incident_stage",
                parameters(
                    ("id" = "$request.path.id"),
                    ("stage" = "$response.body#/incident/open_stages/0"),
                    ("header.If-Match" = "$response.header.ETag")
                ),
                description = "Send (or update) a stage that is open"
            )))),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `incidents:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "No such incident of the firm's (another firm's is not found \
either)", body = super::problem::Body, content_type = "application/problem+json"),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["incidents:read"]), ("bearer" = ["incidents:read"]))
)]
pub async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::IncidentsRead)?;
    let firm_id = caller.firm()?;
    let incident_id = incident_id(&id, &t)?;
    let whole = view(&state, &t, &caller, firm_id, incident_id).await?;
    answers::audit_read(&state, &caller, "incident", &incident_id.to_string()).await?;
    Ok(answer::answer(
        StatusCode::OK,
        &whole,
        state.clock.now(),
        false,
    ))
}

/// `POST /api/v1/incidents`
#[utoipa::path(
    post,
    path = crate::web::paths::API_INCIDENTS,
    tag = "incidents",
    operation_id = "report_incident",
    summary = "Report a new incident (its initial stage)",
    description = "The initial stage of a new incident, checked by the same rules as the portal's \
form (`INC-E…`; each mistake with the JSON Pointer of its member). Sent at once (201) when the \
stage needs one person; when the regulator's rule asks four eyes for it, kept as a draft that \
another approver of the firm (who did not prepare it) sends in the portal (202): the client acts \
for the approver who registered it, never as the second person.",
    params(
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    request_body(
        content = report::IncidentReport,
        content_type = "application/json",
        description = "The initial stage's report (at most 256 KiB)"
    ),
    responses(
        (status = 201, description = "Sent: the incident, its first version in", body = IncidentJson,
            headers(
                ("Location" = String, description = "The incident's address"),
                ("ETag" = String, description = "The quoted number of the latest version"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            ),
            links(("get_incident" = (
                operation_id = "get_incident",
                parameters(("id" = "$response.body#/incident/id")),
                description = "Read the incident"
            )))),
        (status = 202, description = "Kept as a draft for a second person (four eyes): the \
incident, `draft`, nothing sent yet", body = IncidentJson,
            headers(
                ("Location" = String, description = "The incident's address"),
                ("ETag" = String, description = "`\"0\"`: no version yet"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            )),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one; or the body is not \
JSON (`malformed-json`, `detail` says where it stops)", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `incidents:report` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 409, response = super::openapi::responses::InProgress),
        (status = 413, description = "The body is over 256 KiB", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 422, description = "The report breaks rules (`errors` lists each, with its rule \
and JSON Pointer); or the `Idempotency-Key` was used for another request", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 429, response = super::openapi::responses::TooManyKeys),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["incidents:report"]), ("bearer" = ["incidents:report"]))
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::IncidentsReport)?;
    caller.firm()?;
    idempotent::run(&state, &req, &caller, &body, async {
        let value = read_json(&req, &body, &t)?;
        let stage = IncidentStage::Initial;
        let now = state.clock.now();
        let form = form_of(&t, &state.config.public_url, &value, stage, now)?;
        send(
            &state,
            &t,
            &caller,
            Target::New,
            stage,
            form,
            StatusCode::CREATED,
        )
        .await
    })
    .await
}

/// `PUT /api/v1/incidents/{id}/stages/{stage}`
#[utoipa::path(
    put,
    path = crate::web::paths::API_INCIDENT_STAGE,
    tag = "incidents",
    operation_id = "put_incident_stage",
    summary = "Send (or update) a stage of an incident",
    description = "The stage's report, whole (a stage repeats the ones before it, updated), \
checked by the same rules as the portal's form. Only a stage that is open may be sent: the \
latest again (an update) or the next (`open_stages`), and only if no version was sent since the \
one the caller read (`If-Match`). Sent at once (200) when the stage needs one person; when the \
regulator's rule asks four eyes for it, kept as the draft another approver of the firm sends in \
the portal (202).",
    params(
        super::openapi::params::IncidentPath,
        super::openapi::params::StagePath,
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::IncidentIfMatchHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    request_body(
        content = report::IncidentReport,
        content_type = "application/json",
        description = "The stage's report (at most 256 KiB)"
    ),
    responses(
        (status = 200, description = "Sent: the incident with the new version", body = IncidentJson,
            headers(
                ("ETag" = String, description = "The quoted number of the latest version"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            ),
            links(("get_incident" = (
                operation_id = "get_incident",
                parameters(("id" = "$request.path.id")),
                description = "Read the incident again"
            )))),
        (status = 202, description = "Kept as a draft for a second person (four eyes): the \
incident with its `waiting` stage, nothing sent yet", body = IncidentJson,
            headers(
                ("ETag" = String, description = "The quoted number of the latest version"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            )),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one; or the body is not \
JSON (`malformed-json`, `detail` says where it stops)", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `incidents:report` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "No such incident of the firm's, or no such stage",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 409, description = "The stage cannot be sent now \
(`/api/v1/problems/stage-not-open`: the incident moved on, is final or was reclassified); or a \
request with this `Idempotency-Key` is still running (`Retry-After`)", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "When the key's first request still runs"))),
        (status = 412, description = "A version was sent since the `ETag` in `If-Match` \
(`/api/v1/problems/incident-changed`): read the incident again", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is over 256 KiB", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 422, description = "The report breaks rules (`errors` lists each, with its rule \
and JSON Pointer); or the `Idempotency-Key` was used for another request", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 429, response = super::openapi::responses::TooManyKeys),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["incidents:report"]), ("bearer" = ["incidents:report"]))
)]
pub async fn put_stage(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::IncidentsReport)?;
    caller.firm()?;
    let (id, stage) = path.into_inner();
    let incident_id = incident_id(&id, &t)?;
    let stage = IncidentStage::parse(&stage).map_err(|_| not_found(&t))?;
    idempotent::run(&state, &req, &caller, &body, async {
        let based_on = if_match(&req, &t)?;
        let value = read_json(&req, &body, &t)?;
        let now = state.clock.now();
        let form = form_of(&t, &state.config.public_url, &value, stage, now)?;
        let target = Target::Existing {
            incident_id,
            based_on,
        };
        send(&state, &t, &caller, target, stage, form, StatusCode::OK).await
    })
    .await
}
