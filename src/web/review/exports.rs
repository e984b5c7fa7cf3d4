//! Internal CSV exports for regulator staff who hold the right, streamed: a
//! blocking-pool task reads keyset pages and sends each encoded batch
//! through a bounded channel, so memory stays flat however many rows go
//! out. Each export is audited (with its filters and whether contact
//! details were included) before the first byte is sent, and its first
//! line, a `#` comment, says who made it, when and with which filters.

use std::io;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, rt};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::services::exports::{self, Extract, Kind, Range};
use crate::web::AppState;
use crate::web::extract::Staff;

/// Batches in flight between the reader and the socket.
const CHANNEL_DEPTH: usize = 2;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RangeQuery {
    from: String,
    to: String,
    /// `yes`: include the versions' contact details (needs the right).
    contacts: String,
}

fn period(input: &str) -> AppResult<Option<String>> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    Period::parse(input)
        .map(|p| Some(p.to_string()))
        .map_err(|_| AppError::BadRequest(msg!("err.period.invalid")))
}

pub async fn versions(
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    export(state, who, &query, Kind::Versions).await
}

pub async fn trades(
    state: web::Data<AppState>,
    who: Staff,
    query: web::Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    export(state, who, &query, Kind::Trades).await
}

async fn export(
    state: web::Data<AppState>,
    who: Staff,
    query: &RangeQuery,
    kind: Kind,
) -> AppResult<HttpResponse> {
    let extract = Extract {
        kind,
        range: Range {
            from: period(&query.from)?,
            to: period(&query.to)?,
        },
        contacts: query.contacts == "yes",
    };
    let user = &who.0.user;
    let (actor, user_id) = (who.0.actor(), user.id);
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::En);
    let now = state.clock.now();
    let first_line = extract.first_line(
        &Tr::new(lang),
        &format!("{} <{}>", user.display_name, user.email),
        now,
    );
    let audited = extract.clone();
    crate::db::run(&state.pool, move |conn| {
        exports::record(conn, now, &actor, user_id, &audited)
    })
    .await?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_DEPTH);
    let pool = state.pool.clone();
    rt::task::spawn_blocking(move || {
        exports::produce_in(&pool, &extract, lang, &first_line, |chunk| {
            let item = chunk
                .map(Bytes::from)
                .map_err(|e| io::Error::other(e.to_string()));
            tx.blocking_send(item).is_ok()
        });
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", kind.file_name()),
        ))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_end_is_open() {
        assert_eq!(period("").unwrap(), None);
        assert_eq!(period("  ").unwrap(), None);
    }

    #[test]
    fn a_month_is_kept_in_key_form() {
        assert_eq!(period(" 2025-04 ").unwrap().as_deref(), Some("2025-04"));
    }

    #[test]
    fn anything_else_is_a_bad_request() {
        assert!(matches!(period("April"), Err(AppError::BadRequest(_))));
        assert!(matches!(period("2025-13"), Err(AppError::BadRequest(_))));
    }
}
