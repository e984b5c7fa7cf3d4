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
use crate::db::DbConn;
use crate::domain::api_client::Scope;
use crate::domain::period::Period;
use crate::domain::time::to_rfc3339;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::services::Actor;
use crate::services::handover::{self, Refusal};
use crate::services::return_form::FiguresForm;
use crate::services::{amendments, draft_document, four_eyes, returns, submission};
use crate::web::AppState;

/// The ready-for-approval mark, as it stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadyJson {
    /// Who marked it: a person's name (a client marks it in the name of
    /// the approver who registered it).
    pub by: String,
    #[schema(format = DateTime)]
    pub at: String,
    /// Whether the draft is still the one marked.
    pub current: bool,
}

/// A draft as the API answers it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DraftJson {
    /// `YYYY-MM`.
    #[schema(example = "2025-04")]
    pub period: String,
    /// SHA-256 of the whole draft (trade rows included): the `ETag`, and
    /// what `If-Match` names when marking it ready.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// When the draft was last changed (`null` before its first change).
    #[schema(format = DateTime, required = true)]
    pub updated_at: Option<String>,
    /// Who last changed it.
    #[schema(required = true)]
    pub updated_by: Option<String>,
    /// The draft document.
    #[schema(value_type = crate::services::draft_document::schema::DraftDocument)]
    pub draft: serde_json::Value,
    /// The ready-for-approval mark (`null`: never marked).
    #[schema(required = true)]
    pub ready_for_approval: Option<ReadyJson>,
    pub checks: Checks,
}

/// What the draft's answer is made of, read in one go.
struct DraftRead {
    /// The draft as stored (none: the month has no draft).
    draft: Option<FiguresForm>,
    updated_at: Option<NaiveDateTime>,
    updated_by: Option<String>,
    assessment: submission::Assessment,
    sha: String,
    mark: Option<handover::ReadyMark>,
}

/// The draft, its hash, its ready mark and what its checks need.
fn read_draft(conn: &mut DbConn, firm_id: i64, period: Period) -> AppResult<DraftRead> {
    let Some(row) = returns::find_return(conn, firm_id, period)? else {
        return Ok(DraftRead {
            draft: None,
            updated_at: None,
            updated_by: None,
            assessment: submission::Assessment::default(),
            sha: four_eyes::empty_sha256(),
            mark: None,
        });
    };
    let draft = returns::stored_draft_of(&row)?;
    let assessment = match &draft {
        Some(draft) => amendments::assess_draft(conn, firm_id, period, draft)?,
        None => submission::Assessment::default(),
    };
    // The hash of the draft just read (its fields and its trade rows), as
    // `returns::draft_sha256_now` would read it again.
    let empty = FiguresForm::default();
    let sha = four_eyes::draft_sha256(conn, row.id, draft.as_ref().unwrap_or(&empty))?;
    Ok(DraftRead {
        updated_by: four_eyes::name_of(conn, row.draft_updated_by)?,
        updated_at: row.draft_updated_at,
        mark: handover::ready_mark_of(conn, row.id, &sha)?,
        draft,
        assessment,
        sha,
    })
}

/// [`read_draft`] right after `written` was saved by `actor` at `now`, in
/// the same transaction: the draft and its hash are the ones just written,
/// not read back.
fn read_written(
    conn: &mut DbConn,
    written: &returns::DraftWritten,
    actor: &Actor,
    (firm_id, period): (i64, Period),
    now: NaiveDateTime,
) -> AppResult<DraftRead> {
    let (draft, sha) = (written.draft(), written.sha256());
    Ok(DraftRead {
        assessment: amendments::assess_draft(conn, firm_id, period, draft)?,
        updated_by: four_eyes::name_of(conn, actor.user_id)?,
        updated_at: Some(now),
        mark: handover::ready_mark_of(conn, written.return_id(), sha)?,
        draft: Some(draft.clone()),
        sha: sha.to_owned(),
    })
}

/// The draft, its hash, its ready mark and its checks.
async fn load(
    state: &AppState,
    caller: &ApiCaller,
    period: Period,
    t: &Tr,
) -> Result<DraftJson, Problem> {
    let firm_id = caller.firm()?;
    let read = crate::db::run(&state.pool, move |conn| read_draft(conn, firm_id, period)).await?;
    answer(read, period, t)
}

/// The answer about a draft from what [`read_draft`] found.
fn answer(read: DraftRead, period: Period, t: &Tr) -> Result<DraftJson, Problem> {
    let DraftRead {
        draft,
        updated_at,
        updated_by,
        assessment,
        sha,
        mark,
    } = read;
    let Some(draft) = draft else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            &type_uri("no-draft"),
            t.t(msg!("api.problem.no_draft")).to_owned(),
        ));
    };
    Ok(DraftJson {
        period: period.to_string(),
        sha256: sha,
        updated_at: updated_at.map(to_rfc3339),
        updated_by,
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
#[utoipa::path(
    get,
    path = crate::web::paths::API_DRAFT,
    tag = "drafts",
    operation_id = "get_draft",
    summary = "Read the month's draft and its checks",
    description = "The draft as one JSON document, whoever typed it (the portal's pages or \
the API), with every check's result: each failed check names its rule (`/rules`) and the member \
at fault by a JSON Pointer. The `ETag` is the draft's SHA-256, for `If-Match` when marking it \
ready.",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "The draft", body = DraftJson,
            headers(("ETag" = String, description = "The quoted SHA-256 of the draft")),
            links(("mark_ready" = (
                operation_id = "mark_ready",
                parameters(("period" = "$request.path.period"), ("header.If-Match" = "$response.header.ETag")),
                description = "Mark this draft ready"
            )))),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun, or it has no draft \
(`/api/v1/problems/no-draft`)", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:read"]), ("bearer" = ["returns:read"]))
)]
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
#[utoipa::path(
    put,
    path = crate::web::paths::API_DRAFT,
    tag = "drafts",
    operation_id = "put_draft",
    summary = "Replace the month's draft",
    description = "The whole draft is replaced by the document: whatever it leaves out is \
emptied. A document of the right shape is kept however wrong its figures are (as a draft typed in \
the portal is), and the answer tells every check; a document of the wrong shape is refused (422, \
`DOC-E…` rules, each with the JSON Pointer of the member at fault). The trade detail is put \
apart (`…/draft/trades`).",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    request_body(
        content = crate::services::draft_document::schema::DraftDocument,
        content_type = "application/json",
        description = "The draft document (at most 256 KiB)"
    ),
    responses(
        (status = 200, description = "Kept: the draft as now stored, with every check", body = DraftJson,
            headers(
                ("ETag" = String, description = "The quoted SHA-256 of the draft"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            ),
            links(
                ("get_draft" = (
                    operation_id = "get_draft",
                    parameters(("period" = "$request.path.period")),
                    description = "Read the draft again"
                )),
                ("mark_ready" = (
                    operation_id = "mark_ready",
                    parameters(("period" = "$request.path.period"), ("header.If-Match" = "$response.header.ETag")),
                    description = "Mark the draft just put ready"
                ))
            )),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one; or the body is not \
JSON (`malformed-json`, `detail` says where it stops)", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:draft` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 409, response = super::openapi::responses::InProgress),
        (status = 413, description = "The body is over 256 KiB", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 422, description = "The document's shape breaks rules (`errors` lists each, \
with its rule and JSON Pointer); or the `Idempotency-Key` was used for another request", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 429, response = super::openapi::responses::TooManyKeys),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:draft"]), ("bearer" = ["returns:draft"]))
)]
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
    // The document is read before the key is claimed (it costs no
    // database work), but a refusal of it is the key's answer as any other.
    let form = read_json(&req, &body, &t)
        .and_then(|value| document(&t, &state.config.public_url, &value))
        .and_then(|form| Ok((form, caller.firm()?)));
    let kept_reads = form.is_ok();
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    // The key's claim, the save, the answer and its keeping: one
    // transaction, one commit. The answer is made before the audit row;
    // only the key's one update (keeping the answer) follows it.
    let save_and_answer = move |conn: &mut DbConn| -> AppResult<Result<HttpResponse, Problem>> {
        let (form, firm_id) = match form {
            Ok(form) => form,
            Err(problem) => return Ok(Err(problem)),
        };
        let written = returns::save_draft_in(conn, &actor, firm_id, period, &form, now)?;
        let saved = read_written(conn, &written, &actor, (firm_id, period), now)?;
        let answered = answer(saved, period, &t).map(|draft| with_etag(&draft));
        written.audit(conn, &actor, now)?;
        Ok(answered)
    };
    let inside = idempotent::Inside {
        kept_reads,
        answer: save_and_answer,
    };
    idempotent::run_inside(&state, &req, &caller, &body, inside).await
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
#[utoipa::path(
    post,
    path = crate::web::paths::API_DRAFT_READY,
    tag = "drafts",
    operation_id = "mark_ready",
    summary = "Mark the draft ready for approval",
    description = "Exactly as the preparer's button in the portal: the firm's approvers are \
told by email, and one of them (who prepared no part of it) reviews and submits it in the portal. \
Only a draft that passes every check, with its warnings explained, can be marked (an amendment, \
from the month's second version on, with its reason in `amendment`: rules RET-E023 and RET-E024); \
and only the draft the caller checked (`If-Match`). No body.",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::IfMatchHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    responses(
        (status = 200, description = "Marked: the draft with its mark", body = DraftJson,
            headers(
                ("ETag" = String, description = "The quoted SHA-256 of the draft"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")
            )),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:draft` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun, or nothing is prepared in it \
(`/api/v1/problems/no-draft`)", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 409, response = super::openapi::responses::InProgress),
        (status = 412, description = "The draft changed since the `ETag` in `If-Match` \
(`/api/v1/problems/draft-changed`): read it again", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 413, description = "A body over 256 KiB", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 422, description = "The draft fails checks (`errors` lists each, warnings \
included, with its rule and JSON Pointer); or the `Idempotency-Key` was used for another request",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 429, response = super::openapi::responses::TooManyKeys),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:draft"]), ("bearer" = ["returns:draft"]))
)]
pub async fn ready(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    period: web::Path<String>,
    body: idempotent::RequestBytes,
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
            let checked = handover::Checked {
                sha256: &shown,
                reason_in_draft: true,
            };
            handover::mark_ready(conn, &actor, firm_id, period, checked, &links, now)
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

/// The checks of a document, nothing stored.
#[derive(Serialize, utoipa::ToSchema)]
struct Validated {
    /// `YYYY-MM`.
    period: String,
    checks: Checks,
}

/// What `POST /api/v1/validate` takes.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The month the document is for (`YYYY-MM`), one that has begun.
    #[schema(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-04")]
    pub period: String,
    /// The document to check (absent: an empty one).
    pub draft: Option<crate::services::draft_document::schema::DraftDocument>,
}

/// `POST /api/v1/validate`: every check on `{"period", "draft"}`, against
/// the firm's month as it stands (the month before, the trade detail
/// attached), storing nothing.
#[utoipa::path(
    post,
    path = crate::web::paths::API_VALIDATE,
    tag = "drafts",
    operation_id = "validate",
    summary = "Check a document without storing it",
    description = "Every check a draft meets, on the document given, against the firm's month \
as it stands (the month before, the trade detail attached). Nothing is stored.",
    params(
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    request_body(content = ValidateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The checks", body = Validated,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key"))),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one; or the body is not \
JSON", body = super::problem::Body, content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:read` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 409, response = super::openapi::responses::InProgress),
        (status = 413, description = "The body is over 256 KiB", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 422, description = "No month, or one that has not begun \
(`invalid-request`); a member other than `period` and `draft`; the document's shape breaks rules \
(`errors` lists each, pointers under `/draft`); or the `Idempotency-Key` was used for another \
request", body = super::problem::Body, content_type = "application/problem+json"),
        (status = 429, response = super::openapi::responses::TooManyKeys),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = ["returns:read"]), ("bearer" = ["returns:read"]))
)]
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
            amendments::assess_draft(conn, firm_id, period, &checked)
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
