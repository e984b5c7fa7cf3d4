//! `PUT /api/v1/returns/{period}/draft/trades`: the trade detail behind the
//! draft, replaced whole, as the upload form takes it (`text/csv`, UTF-8 or
//! Shift_JIS, header in English or Japanese) or as JSON rows (an array of
//! objects with the seven columns). Both go through the same checks, limits
//! and messages as the browser's upload, all or nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;

use super::answers::{self, checks_failed, json};
use super::caller::ApiCaller;
use super::checks;
use super::idempotent;
use super::problem::{Problem, ProblemError, type_uri};
use crate::domain::api_client::Scope;
use crate::domain::rules::Subject;
use crate::domain::time::to_rfc3339;
use crate::domain::trades::{COLUMNS, Column};
use crate::i18n::Tr;
use crate::services::trades::{self, UploadSummary};
use crate::web::AppState;
use crate::web::returns::upload::MAX_FILE_BYTES;

/// A refusal of the whole file.
fn file_refused(t: &Tr, public_url: &str, key: crate::i18n::Key) -> Problem {
    checks_failed(
        t,
        public_url,
        vec![checks::failed(t, Subject::Trades, key, String::new())],
    )
}

/// The body, read whole up to the upload limit (refused from its
/// `Content-Length` before a byte is read when it says more).
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    t: &Tr,
    public_url: &str,
) -> Result<web::Bytes, Problem> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES) {
        return Err(file_refused(t, public_url, msg!("err.trades.too_large")));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| answers::bad_body(t))?;
        if body.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(file_refused(t, public_url, msg!("err.trades.too_large")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The media type of the body, lower-case, without parameters.
fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

fn column_names() -> [&'static str; COLUMNS] {
    Column::ALL.map(Column::name)
}

/// JSON rows as the CSV the upload takes, or what is wrong with them.
fn rows_as_csv(t: &Tr, value: &serde_json::Value) -> Result<Vec<u8>, Vec<ProblemError>> {
    let Some(rows) = value.as_array() else {
        return Err(vec![checks::failed(
            t,
            Subject::Trades,
            msg!("err.trades.not_csv"),
            String::new(),
        )]);
    };
    let names = column_names();
    let mut problems = Vec::new();
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(names);
    for (i, row) in rows.iter().enumerate() {
        let Some(object) = row.as_object() else {
            problems.push(checks::failed(
                t,
                Subject::Trades,
                msg!("err.trades.columns"),
                format!("/{i}"),
            ));
            continue;
        };
        if let Some(extra) = object.keys().find(|k| !names.contains(&k.as_str())) {
            problems.push(checks::failed(
                t,
                Subject::Trades,
                msg!("err.trades.columns"),
                format!("/{i}/{}", extra.replace('~', "~0").replace('/', "~1")),
            ));
            continue;
        }
        let mut record = Vec::with_capacity(COLUMNS);
        for column in Column::ALL {
            let text = match object.get(column.name()) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
                None | Some(serde_json::Value::Null) => String::new(),
                Some(_) => {
                    problems.push(checks::failed(
                        t,
                        Subject::Trades,
                        column.rule_key(),
                        format!("/{i}/{}", column.name()),
                    ));
                    String::new()
                }
            };
            record.push(text);
        }
        let _ = out.write_record(&record);
        if problems.len() >= trades::MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    out.into_inner().map_err(|_| Vec::new())
}

/// The trade detail as kept: its totals, to set beside the figures.
#[derive(Serialize, utoipa::ToSchema)]
struct UploadJson {
    /// Trades in the file.
    rows: i64,
    sells: i64,
    buys: i64,
    /// Yen sold, over every sell.
    sale_amount: i64,
    /// Yen bought, over every buy.
    purchase_amount: i64,
    /// Bought by market: domestic, china_hk, us, other.
    #[schema(min_items = 4, max_items = 4)]
    purchase_by_market: [i64; 4],
    /// The first trade's date.
    #[schema(format = Date, required = true)]
    first_date: Option<String>,
    /// The last trade's date.
    #[schema(format = Date, required = true)]
    last_date: Option<String>,
    /// The file's encoding as read (`UTF-8` or `Shift_JIS`).
    encoding: String,
    #[schema(format = DateTime)]
    uploaded_at: String,
}

/// One trade, as JSON: the CSV's seven columns by their English names.
/// Values are strings (whole numbers may be JSON integers); an absent or
/// `null` member is an empty cell.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeRowJson {
    /// `YYYY-MM-DD`, within the month.
    #[schema(example = "2025-04-03")]
    pub trade_date: Option<String>,
    /// `sell` or `buy` (also 売, 買).
    #[schema(example = "buy")]
    pub side: Option<String>,
    /// The security's code.
    #[schema(example = "00700")]
    pub security_code: Option<String>,
    /// `domestic`, `china_hk`, `us` or `other`.
    #[schema(example = "china_hk")]
    pub market: Option<String>,
    /// Shares, from 1.
    #[schema(value_type = Option<TextOrWhole>, example = 100)]
    pub quantity: Option<String>,
    /// Yen, from 1.
    #[schema(value_type = Option<TextOrWhole>, example = 800)]
    pub amount_jpy: Option<String>,
    /// A pseudonymous account reference (never a raw account number).
    #[schema(example = "acct-7f3a")]
    pub account_ref: Option<String>,
}

/// A whole number, or its text.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
pub enum TextOrWhole {
    Text(String),
    Whole(i64),
}

fn summary_json(s: &UploadSummary) -> UploadJson {
    UploadJson {
        rows: s.totals.rows,
        sells: s.totals.sell_count,
        buys: s.totals.buy_count,
        sale_amount: s.totals.sell,
        purchase_amount: s.totals.buy,
        purchase_by_market: s.totals.buy_by_market,
        first_date: s.totals.first_date.map(|d| d.to_string()),
        last_date: s.totals.last_date.map(|d| d.to_string()),
        encoding: s.encoding.clone(),
        uploaded_at: to_rfc3339(s.uploaded_at),
    }
}

#[utoipa::path(
    put,
    path = crate::web::paths::API_DRAFT_TRADES,
    tag = "drafts",
    operation_id = "put_trades",
    summary = "Replace the draft's trade detail",
    description = "The fraudulent trades behind the draft, replaced whole, all or nothing: as \
the upload form takes them (`text/csv`, UTF-8 or Shift_JIS, header in English or Japanese: \
`trade_date,side,security_code,market,quantity,amount_jpy,account_ref`) or as JSON rows. Both \
go through the same checks, limits and messages (`TRD-E…` rules; pointers `/<row>/<column>`, \
rows counted from 0). At most 20 MiB and 200,000 trades.",
    params(
        super::openapi::params::PeriodPath,
        super::openapi::params::IdempotencyKeyHeader,
        super::openapi::params::AcceptLanguageHeader,
    ),
    request_body(
        description = "The trades, as CSV or as JSON rows",
        content(
            (String = "text/csv", example = json!("trade_date,side,security_code,market,quantity,amount_jpy,account_ref\n2025-04-03,buy,00700,china_hk,100,800,acct-7f3a\n")),
            (Vec<TradeRowJson> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "Kept: the totals", body = UploadJson,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answers a repeat of the key")),
            links(("get_draft" = (
                operation_id = "get_draft",
                parameters(("period" = "$request.path.period")),
                description = "Read the draft and its checks against the trades"
            )))),
        (status = 400, description = "No `Idempotency-Key`, or a malformed one; or a JSON body \
that is not JSON", body = super::problem::Body, content_type = "application/problem+json"),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 403, description = "The token lacks `returns:draft` (`WWW-Authenticate` names \
it), or the client is the regulator's", body = super::problem::Body,
            content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "On a missing scope"))),
        (status = 404, description = "The month has not begun", body = super::problem::Body,
            content_type = "application/problem+json"),
        (status = 409, response = super::openapi::responses::InProgress),
        (status = 415, description = "The body is neither `text/csv` nor `application/json`",
            body = super::problem::Body, content_type = "application/problem+json"),
        (status = 422, description = "The trades break rules (`errors` lists each, with its rule \
and pointer); or the file is empty, too large or has too many rows; or the `Idempotency-Key` was \
used for another request", body = super::problem::Body, content_type = "application/problem+json"),
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
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let t = answers::tr(&req);
    caller.require(Scope::ReturnsDraft)?;
    let period = answers::period(&period, &state.clock, &t)?;
    let public_url = state.config.public_url.clone();
    let body = read_body(&req, payload, &t, &public_url).await?;
    idempotent::run(&state, &req, &caller, &body, async {
        let csv = match media_type(&req).as_str() {
            "text/csv" => body.to_vec(),
            "application/json" => {
                let value: serde_json::Value =
                    serde_json::from_slice(&body).map_err(|e| answers::malformed_json(&t, &e))?;
                rows_as_csv(&t, &value).map_err(|errors| checks_failed(&t, &public_url, errors))?
            }
            _ => {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &type_uri("unsupported-media-type"),
                    t.t(msg!("api.problem.csv_or_json")).to_owned(),
                ));
            }
        };
        if csv.is_empty() {
            return Err(file_refused(&t, &public_url, msg!("err.trades.empty")));
        }
        // Rows are limited before parsing, as the upload form does: every
        // record ends a line.
        let lines = csv.iter().filter(|b| **b == b'\n').count() as u64;
        if lines > trades::MAX_ROWS + 1 {
            return Err(file_refused(
                &t,
                &public_url,
                msg!("err.trades.too_many_rows"),
            ));
        }
        let firm_id = caller.firm()?;
        let actor = caller.actor.clone();
        let now = state.clock.now();
        let uploaded = crate::db::run(&state.pool, move |conn| {
            trades::upload(
                conn,
                &actor,
                firm_id,
                period,
                "api.csv",
                csv.as_slice(),
                now,
            )
        })
        .await?;
        match uploaded {
            Ok(summary) => Ok(json(StatusCode::OK, &summary_json(&summary))),
            Err(errors) => Err(checks_failed(
                &t,
                &public_url,
                checks::of_upload(&t, &errors),
            )),
        }
    })
    .await
}
