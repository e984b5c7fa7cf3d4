//! A firm-month's draft as one JSON document: read it with every check's
//! result (`GET`), replace it whole (`PUT`), hand it to the firm's
//! approvers (`POST …/ready`), or run every check on a document without
//! storing anything (`POST /api/v1/validate`). A client is a preparer:
//! nothing here submits.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::answers::{self, checks_failed, json, read_json};
use super::caller::ApiCaller;
use super::checks::{self, Checks};
use super::idempotent;
use super::problem::{Problem, type_uri};
use crate::domain::api_client::Scope;
use crate::domain::period::Period;
use crate::domain::time::to_rfc3339;
use crate::i18n::Tr;
use crate::services::handover::{self, Refusal};
use crate::services::return_form::FiguresForm;
use crate::services::{draft_document, returns, submission};
use crate::web::AppState;

/// The ready-for-approval mark, as it stands.
#[derive(Serialize)]
pub struct ReadyJson {
    pub by: String,
    pub at: String,
    /// Whether the draft is still the one marked.
    pub current: bool,
}

/// A draft as the API answers it.
#[derive(Serialize)]
pub struct DraftJson {
    pub period: String,
    /// SHA-256 of the whole draft (trade rows included): the `ETag`, and
    /// what `If-Match` names when marking it ready.
    pub sha256: String,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    pub draft: serde_json::Value,
    pub ready_for_approval: Option<ReadyJson>,
    pub checks: Checks,
}

/// The draft, its hash, its ready mark and its checks, read in one go.
async fn load(
    state: &AppState,
    caller: &ApiCaller,
    period: Period,
    t: &Tr,
) -> Result<DraftJson, Problem> {
    let firm_id = caller.firm()?;
    let (loaded, assessment, sha, mark) = crate::db::run(&state.pool, move |conn| {
        let loaded = returns::load(conn, firm_id, period)?;
        let assessment = match &loaded.draft {
            Some(draft) if !draft.is_nil() => submission::assess(conn, firm_id, period, draft)?,
            _ => submission::Assessment::default(),
        };
        let sha = returns::draft_sha256_now(conn, firm_id, period)?;
        let mark = handover::ready_mark(conn, firm_id, period)?;
        Ok((loaded, assessment, sha, mark))
    })
    .await?;
    let Some(draft) = loaded.draft else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            &type_uri("no-draft"),
            t.t(msg!("api.problem.no_draft")).to_owned(),
        ));
    };
    let updated_at = loaded
        .row
        .as_ref()
        .and_then(|r| r.draft_updated_at)
        .map(|at: NaiveDateTime| to_rfc3339(at));
    Ok(DraftJson {
        period: period.to_string(),
        sha256: sha,
        updated_at,
        updated_by: loaded.draft_by,
        checks: checks::of_draft(t, &draft, &assessment),
        draft: draft_document::to_json(&draft),
        ready_for_approval: mark.map(|m| ReadyJson {
            by: m.by,
            at: to_rfc3339(m.at),
            current: m.current,
        }),
    })
}

fn with_etag(draft: &DraftJson) -> HttpResponse {
    let mut response = json(StatusCode::OK, draft);
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", draft.sha256)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `GET /api/v1/returns/{period}/draft`
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    period: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsRead)?;
    let period = answers::period(&period, &state.clock, &t)?;
    let draft = load(&state, &caller, period, &t).await?;
    answers::audit_read(&state, &caller, "draft", &period.to_string()).await?;
    Ok(with_etag(&draft))
}

/// The posted document as a draft, or the problems of its shape.
fn document(t: &Tr, public_url: &str, value: &serde_json::Value) -> Result<FiguresForm, Problem> {
    draft_document::from_json(value)
        .map_err(|problems| checks_failed(t, public_url, checks::of_document(t, &problems)))
}

/// `PUT /api/v1/returns/{period}/draft`: the whole draft replaced by the
/// document (what it leaves out is emptied), kept however wrong it is, as
/// a draft typed in the browser; the answer tells every check.
pub async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    period: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsDraft)?;
    let period = answers::period(&period, &state.clock, &t)?;
    idempotent::run(&state, &req, &caller, &body, async {
        let value = read_json(&req, &body, &t)?;
        let form = document(&t, &state.config.public_url, &value)?;
        let firm_id = caller.firm()?;
        let actor = caller.actor.clone();
        let now = state.clock.now();
        crate::db::run(&state.pool, move |conn| {
            returns::save_draft(conn, &actor, firm_id, period, &form, now)
        })
        .await?
        .map_err(|invalid| {
            let errors = invalid
                .0
                .iter()
                .map(|(field, key)| {
                    checks::failed(
                        &t,
                        crate::domain::rules::Subject::Return,
                        *key,
                        draft_document::pointer_of(field).unwrap_or_default(),
                    )
                })
                .collect();
            checks_failed(&t, &state.config.public_url, errors)
        })?;
        Ok(with_etag(&load(&state, &caller, period, &t).await?))
    })
    .await
}

/// The hash the caller checked, from `If-Match` (one strong ETag).
fn if_match(req: &HttpRequest, t: &Tr) -> Result<String, Problem> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match value {
        Some(v) if v.len() == 66 && v.starts_with('"') && v.ends_with('"') => {
            let sha = &v[1..65];
            if sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(sha.to_ascii_lowercase());
            }
            Err(precondition_failed(t))
        }
        Some(_) => Err(precondition_failed(t)),
        None => Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            &type_uri("if-match-required"),
            t.t(msg!("api.problem.if_match_required")).to_owned(),
        )),
    }
}

fn precondition_failed(t: &Tr) -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_FAILED,
        &type_uri("draft-changed"),
        t.t(msg!("cya.refused.changed")).to_owned(),
    )
}

/// `POST /api/v1/returns/{period}/draft/ready`: marks the draft ready for
/// approval, exactly as the preparer's button in the browser does, if it
/// is still the draft whose `ETag` the caller names in `If-Match`; the
/// firm's approvers are told by email.
pub async fn ready(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    period: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsDraft)?;
    let period = answers::period(&period, &state.clock, &t)?;
    idempotent::run(&state, &req, &caller, &body, async {
        let shown = if_match(&req, &t)?;
        let firm_id = caller.firm()?;
        let actor = caller.actor.clone();
        let now = state.clock.now();
        let links = state.mail_links();
        let marked = crate::db::run(&state.pool, move |conn| {
            handover::mark_ready(conn, &actor, firm_id, period, &shown, &links, now)
        })
        .await?;
        match marked {
            Ok(()) => Ok(with_etag(&load(&state, &caller, period, &t).await?)),
            Err(Refusal::NothingPrepared) => Err(Problem::new(
                StatusCode::NOT_FOUND,
                &type_uri("no-draft"),
                t.t(msg!("api.problem.no_draft")).to_owned(),
            )),
            Err(Refusal::Changed) => Err(precondition_failed(&t)),
            Err(Refusal::Problems) => {
                let draft = load(&state, &caller, period, &t).await?;
                let mut errors = draft.checks.errors;
                errors.extend(draft.checks.warnings);
                Err(checks_failed(&t, &state.config.public_url, errors))
            }
        }
    })
    .await
}

#[derive(Serialize)]
struct Validated {
    period: String,
    checks: Checks,
}

/// `POST /api/v1/validate`: every check on `{"period", "draft"}`, against
/// the firm's month as it stands (the month before, the trade detail
/// attached), storing nothing.
pub async fn validate(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsRead)?;
    idempotent::run(&state, &req, &caller, &body, async {
        let value = read_json(&req, &body, &t)?;
        let period = value
            .get("period")
            .and_then(|p| p.as_str())
            .and_then(|p| answers::period(p, &state.clock, &t).ok())
            .ok_or_else(|| answers::invalid_request(&t, "/period", msg!("err.period.invalid")))?;
        let empty = serde_json::Value::Object(serde_json::Map::new());
        let draft = value.get("draft").unwrap_or(&empty);
        let form = draft_document::from_json(draft).map_err(|problems| {
            let errors = checks::of_document(&t, &problems)
                .into_iter()
                .map(|mut e| {
                    e.pointer = format!("/draft{}", e.pointer);
                    e
                })
                .collect();
            checks_failed(&t, &state.config.public_url, errors)
        })?;
        if let Some(extra) = value
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "period" && *k != "draft"))
        {
            let pointer = format!("/{}", extra.replace('~', "~0").replace('/', "~1"));
            return Err(answers::invalid_request(
                &t,
                &pointer,
                msg!("api.problem.unknown_member"),
            ));
        }
        let firm_id = caller.firm()?;
        let checked = form.clone();
        let assessment = crate::db::run(&state.pool, move |conn| {
            submission::assess(conn, firm_id, period, &checked)
        })
        .await?;
        Ok(json(
            StatusCode::OK,
            &Validated {
                period: period.to_string(),
                checks: checks::of_draft(&t, &form, &assessment),
            },
        ))
    })
    .await
}
