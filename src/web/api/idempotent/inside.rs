//! The web side of a request answered in the same transaction as its
//! key's claim (`services::idempotent_answer`, which says how):
//! the answer made in a blocking thread and sent from the server's.

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use super::super::problem::Problem;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::services::idempotent_answer::{KeptAnswer, Undone};

/// What the request does once its key is claimed: its writes and its
/// answer.
pub struct Inside<A> {
    /// Whether the writes change what pages keep in memory.
    pub kept_reads: bool,
    /// The request's writes and its answer; it runs only when the key is
    /// fresh. An error, or an answer of 5xx, rolls its writes back and
    /// frees the key.
    pub answer: A,
}

/// What `Inside::answer` may be.
pub trait Answer:
    FnOnce(&mut DbConn) -> AppResult<Result<HttpResponse, Problem>> + Send + 'static
{
}
impl<A> Answer for A where
    A: FnOnce(&mut DbConn) -> AppResult<Result<HttpResponse, Problem>> + Send + 'static
{
}

/// An answer made in a blocking thread, to be sent from the server's.
pub struct Made {
    status: StatusCode,
    content_type: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: actix_web::web::Bytes,
}

impl Made {
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for header in self.headers {
            response.append_header(header);
        }
        response.body(self.body)
    }
}

impl KeptAnswer for Made {
    fn status(&self) -> u16 {
        self.status.as_u16()
    }

    fn content_type(&self) -> &str {
        &self.content_type
    }

    fn body(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// The content type an answer was given (what a replay is given again).
pub fn content_type(response: &HttpResponse) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned()
}

/// Runs the request's writes and makes its answer. A body not in memory
/// is a failure; a 5xx answer is undone (and sent as made).
pub fn make<A: Answer>(conn: &mut DbConn, answer: A) -> Result<Made, Undone<Made>> {
    let response = match answer(conn)? {
        Ok(response) => response,
        Err(problem) => problem.error_response(),
    };
    let status = response.status();
    let content_type = content_type(&response);
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let Ok(body) = response.into_body().try_into_bytes() else {
        return Err(Undone::Failed(AppError::Internal(format!(
            "an answer of {status} made in its key's transaction was not in memory"
        ))));
    };
    let made = Made {
        status,
        content_type,
        headers,
        body,
    };
    if status.is_server_error() {
        return Err(Undone::ServerError(made));
    }
    Ok(made)
}
