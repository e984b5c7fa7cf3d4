//! Receiving a trade-detail file: a multipart body whose CSRF field is
//! checked before the file is accepted, with the size limit enforced from
//! `Content-Length` and again while reading, and the kind of file checked
//! by name and type before any row is parsed.

use crate::i18n::Key;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use crate::error::{AppError, AppResult};
use crate::services::tokens::same_secret;
use crate::services::trades::{MAX_ROWS, clean_file_name};
use crate::web::extract::FirmUser;

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Room for the multipart framing and the token around the file.
const OVERHEAD_BYTES: usize = 64 * 1024;
/// Largest value of a form field other than the file.
const MAX_FIELD_BYTES: usize = 1024;

const CSV_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "text/x-csv",
    "text/comma-separated-values",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
];

/// A file received whole (held once, in memory).
pub struct CsvFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What came in: a file to check, or why it was refused unread.
pub enum Received {
    File(CsvFile),
    TooLarge,
    Refused(Key),
}

/// The declared body size, if any.
fn content_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A CSV by its name and declared type (the bytes are sniffed later).
fn looks_like_csv(name: &str, content_type: Option<&str>) -> bool {
    let lower = name.to_ascii_lowercase();
    let named = lower.ends_with(".csv") || lower.ends_with(".txt");
    let typed = content_type.is_none_or(|t| CSV_TYPES.contains(&t));
    named && typed
}

/// Reads the upload form: `csrf` first (checked against the session), then
/// `file`. Anything out of order or without the right token is refused.
pub async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    who: &FirmUser,
) -> AppResult<Received> {
    if content_length(req).is_some_and(|n| n > MAX_FILE_BYTES + OVERHEAD_BYTES) {
        return Ok(Received::TooLarge);
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(AppError::BadRequest(msg!("error.bad_form")));
    }
    let mut parts = Multipart::new(req.headers(), payload.into_inner());
    let mut csrf_ok = false;
    let mut file = None;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| AppError::BadRequest(msg!("error.bad_form")))?;
        let name = part.name().unwrap_or_default().to_owned();
        if name == "file" {
            if !csrf_ok {
                return Err(AppError::Csrf);
            }
            let file_name = part
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_owned();
            if file_name.is_empty() {
                return Ok(Received::Refused(msg!("err.trades.no_file")));
            }
            let content_type = part.content_type().map(|m| m.essence_str().to_owned());
            if !looks_like_csv(&file_name, content_type.as_deref()) {
                return Ok(Received::Refused(msg!("err.trades.not_csv")));
            }
            let mut bytes =
                Vec::with_capacity(content_length(req).unwrap_or(0).min(MAX_FILE_BYTES));
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|_| AppError::BadRequest(msg!("error.bad_form")))?;
                if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                    return Ok(Received::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some(CsvFile {
                name: clean_file_name(&file_name),
                bytes,
            });
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest(msg!("error.bad_form")))?;
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(AppError::BadRequest(msg!("error.bad_form")));
            }
            value.extend_from_slice(&chunk);
        }
        if name == "csrf" {
            let token = String::from_utf8_lossy(&value);
            if !same_secret(&who.who.session.csrf_token, &token) {
                return Err(AppError::Csrf);
            }
            csrf_ok = true;
        }
    }
    if !csrf_ok {
        return Err(AppError::Csrf);
    }
    let Some(file) = file else {
        return Ok(Received::Refused(msg!("err.trades.no_file")));
    };
    if file.bytes.is_empty() {
        return Ok(Received::Refused(msg!("err.trades.empty")));
    }
    // Rows are limited before parsing: every record ends a line.
    let lines = file.bytes.iter().filter(|b| **b == b'\n').count() as u64;
    if lines > MAX_ROWS + 1 {
        return Ok(Received::Refused(msg!("err.trades.too_many_rows")));
    }
    Ok(Received::File(file))
}
