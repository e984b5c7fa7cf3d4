//! `Idempotency-Key` on every `POST` and `PUT` of the API: the first
//! request with a key runs and its answer is kept (24 hours); a repeat with
//! the same key and the same request gets that answer again
//! (`Idempotent-Replayed: true`, and the draft's or the incident's `ETag`
//! again, and a new incident's `Location`), the same key with another request is
//! refused (422), and a repeat while the first still runs is told to wait
//! (409). A server failure keeps nothing, so the retry runs afresh.
//!
//! Most operations claim the key in a transaction of their own and keep
//! the answer in another after it has gone ([`run`]). The draft's `PUT`,
//! which a firm's system sends most, claims the key, saves, answers and
//! keeps the answer in one transaction ([`run_inside`]; see
//! `services::idempotent_answer`).

mod inside;

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::answers;
use super::caller::ApiCaller;
use super::problem::{Problem, type_uri};
use crate::db::DbConn;
use crate::domain::idempotency_key::IdempotencyKey;
use crate::error::{AppError, AppResult};
use crate::services::idempotency::{self, Begin};
use crate::services::idempotent_answer::{self, Claim, Undone};
use crate::web::AppState;
use inside::content_type;
pub use inside::{Answer, Inside};

pub const HEADER: &str = "idempotency-key";
/// How long a repeat waits for a running first request's answer.
const SETTLE_TRIES: u32 = 20;
const SETTLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// A request's body as an operation that takes none still reads it: its
/// bytes are part of what a key stands for. (Named apart from
/// `web::Bytes`, which the OpenAPI generator would take for a documented
/// body.)
pub type RequestBytes = actix_web::web::Bytes;
pub const REPLAYED: &str = "idempotent-replayed";

fn refused(status: StatusCode, slug: &str, title: String) -> Problem {
    Problem::new(status, &type_uri(slug), title)
}

/// The headers a kept answer was given that its body tells again: a
/// draft's `ETag` is its `sha256`; an incident's is its `latest_version`,
/// and a new incident's `Location` its `href` (the only kept answers with
/// such headers).
fn kept_headers(status: StatusCode, body: &str) -> Vec<(HeaderName, HeaderValue)> {
    let Ok(answer) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut headers = Vec::new();
    let sha = answer.get("sha256").and_then(|s| s.as_str());
    if status == StatusCode::OK
        && let Some(sha) = sha.filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        && let Ok(etag) = HeaderValue::from_str(&format!("\"{sha}\""))
    {
        headers.push((header::ETAG, etag));
    }
    let latest = answer.get("latest_version").and_then(|n| n.as_i64());
    if status.is_success()
        && let Some(latest) = latest
        && let Ok(etag) = HeaderValue::from_str(&format!("\"{latest}\""))
    {
        headers.push((header::ETAG, etag));
    }
    let href = answer.pointer("/incident/href").and_then(|h| h.as_str());
    if matches!(status, StatusCode::CREATED | StatusCode::ACCEPTED)
        && let Some(href) = href.filter(|h| h.starts_with(crate::web::paths::API_INCIDENTS))
        && let Ok(location) = HeaderValue::from_str(href)
    {
        headers.push((header::LOCATION, location));
    }
    headers
}

/// Runs `work` once per (client, key): see the module's documentation.
/// The key is claimed in a transaction of its own, and the answer is kept
/// in another after it has gone.
pub async fn run<F>(
    state: &AppState,
    req: &HttpRequest,
    caller: &ApiCaller,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, Problem>
where
    F: Future<Output = Result<HttpResponse, Problem>>,
{
    let key = match settle::<Answering>(state, req, caller, body, None).await? {
        Settled::Answered(response) => return Ok(response),
        Settled::Fresh(key) => key,
    };
    let t = answers::tr(req);
    let response = match work.await {
        Ok(response) => response,
        Err(problem) => problem.error_response(),
    };
    let status = response.status();
    let content_type = content_type(&response);
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| answers::bad_body(&t))?;
    // Kept after the answer has gone: its write is off the caller's path.
    // A repeat meanwhile waits for it (in `settle`); if the process dies
    // first, the key is taken over after a while and the request runs
    // again, which replaces the trade detail (or the ready mark, or the
    // incident) with the same again. A 5xx (or an answer too large to keep)
    // releases the key instead.
    let kept = String::from_utf8_lossy(&bytes).into_owned();
    let (now, code, pool) = (state.clock.now(), status.as_u16(), state.pool.clone());
    let client = caller.client_row_id;
    actix_web::rt::spawn(async move {
        let finished = crate::db::run(&pool, move |conn| {
            Ok(idempotency::finish(
                conn,
                client,
                &key,
                code,
                &content_type,
                &kept,
                now,
            )?)
        })
        .await;
        if let Err(e) = finished {
            tracing::warn!(error = %e.chain(), "an idempotency key's answer was not kept");
        }
    });
    Ok(head.set_body(bytes).map_into_boxed_body())
}

/// The `Answer` of [`run`], which has none to make in the key's transaction.
type Answering = fn(&mut DbConn) -> AppResult<Result<HttpResponse, Problem>>;

/// [`run`] with the request answered, and its answer kept, in the same
/// transaction as its key's claim (`services::idempotent_answer`).
pub async fn run_inside<A: Answer>(
    state: &AppState,
    req: &HttpRequest,
    caller: &ApiCaller,
    body: &[u8],
    inside: Inside<A>,
) -> Result<HttpResponse, Problem> {
    match settle(state, req, caller, body, Some(inside)).await? {
        Settled::Answered(response) => Ok(response),
        // `settle` answers a fresh key when it is given the answer.
        Settled::Fresh(_) => Err(AppError::Internal("a fresh key went unanswered".into()).into()),
    }
}

enum Settled {
    /// Replayed, or answered in the key's transaction.
    Answered(HttpResponse),
    /// The key is this request's: run it.
    Fresh(IdempotencyKey),
}

/// Claims the key, or answers with what it holds: see the module's
/// documentation. With `inside`, a fresh key's request is answered in the
/// same transaction.
async fn settle<A: Answer>(
    state: &AppState,
    req: &HttpRequest,
    caller: &ApiCaller,
    body: &[u8],
    inside: Option<Inside<A>>,
) -> Result<Settled, Problem> {
    let t = answers::tr(req);
    let Some(raw) = req.headers().get(HEADER) else {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "idempotency-key-required",
            t.t(msg!("api.problem.key_required")).to_owned(),
        ));
    };
    let key = raw
        .to_str()
        .map_err(|_| msg!("err.idempotency_key.invalid"))
        .and_then(|raw| IdempotencyKey::parse(raw).map_err(|e| e.key()))
        .map_err(|message| {
            refused(
                StatusCode::BAD_REQUEST,
                "idempotency-key-invalid",
                t.t(message).to_owned(),
            )
        })?;
    let request = format!("{} {}", req.method(), req.path());
    let sha = idempotency::request_sha256(body);
    let client = caller.client_row_id;
    let now = state.clock.now();
    let kept_reads = inside.as_ref().is_some_and(|i| i.kept_reads);
    let mut pending = inside.map(|i| {
        let answer = i.answer;
        move |conn: &mut DbConn| inside::make(conn, answer)
    });
    let mut begun = Begin::InProgress;
    let mut made = None;
    // A repeat that finds the first still running waits a moment for its
    // answer (kept when it is sent, or just after) before it is told to
    // come back.
    for attempt in 0..=SETTLE_TRIES {
        if attempt > 0 {
            actix_web::rt::time::sleep(SETTLE_PAUSE).await;
        }
        let (k, r, s, work) = (key.clone(), request.clone(), sha.clone(), pending.take());
        let tried = crate::db::run(&state.pool, move |conn| {
            let claim = Claim {
                client,
                key: &k,
                request: &r,
                sha: &s,
                now,
            };
            match idempotent_answer::attempt(conn, &claim, work, kept_reads) {
                Ok(tried) => Ok(Ok(tried)),
                Err(Undone::ServerError(made)) => Ok(Err(made)),
                Err(Undone::Failed(error)) => Err(error),
            }
        })
        .await?;
        let (outcome, answered, unused) = match tried {
            Ok(tried) => tried,
            // A 5xx made with the key: sent as made, nothing kept.
            Err(failed) => return Ok(Settled::Answered(failed.into_response())),
        };
        (begun, made, pending) = (outcome, answered, unused);
        if begun != Begin::InProgress {
            break;
        }
    }
    if let Some((status, message)) = begun.refusal() {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT);
        let slug = match status {
            StatusCode::UNPROCESSABLE_ENTITY => "idempotency-key-reused",
            StatusCode::CONFLICT => "idempotency-key-in-progress",
            _ => "idempotency-keys-exhausted",
        };
        let mut problem = refused(status, slug, t.t(message).to_owned());
        if status != StatusCode::UNPROCESSABLE_ENTITY {
            problem = problem.with_header(
                HeaderName::from_static("retry-after"),
                HeaderValue::from_static("1"),
            );
        }
        return Err(problem);
    }
    if let Begin::Replay {
        status,
        content_type,
        body,
    } = begun
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        let mut replay = HttpResponse::build(status);
        replay
            .content_type(content_type)
            .insert_header((REPLAYED, "true"))
            .insert_header(("Cache-Control", "no-store"));
        for kept in kept_headers(status, &body) {
            replay.insert_header(kept);
        }
        return Ok(Settled::Answered(replay.body(body)));
    }
    Ok(match made {
        Some(made) => Settled::Answered(made.into_response()),
        None => Settled::Fresh(key),
    })
}
