//! Errors become HTTP here and nowhere else: the status and redirect of each
//! `AppError`, and one styled error page for every 4xx/5xx that has no page
//! of its own (our errors, and actix's own 404/400/413), with the request id
//! so a user's report can be matched to the log line.

use crate::i18n::Key;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;
use tracing_actix_web::RequestId;

use super::paths;
use super::view::Chrome;
use crate::error::AppError;

/// The message key of an error page, left in the response for the renderer.
#[derive(Clone, Copy, Debug)]
pub struct ErrorKey(pub Key);

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthenticated
            | AppError::PasswordChangeRequired
            | AppError::SecondFactorRequired
            | AppError::EnrolmentRequired
            | AppError::ReauthenticationRequired(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unauthenticated => return see_other(paths::LOGIN),
            AppError::PasswordChangeRequired => return see_other(paths::PASSWORD),
            AppError::SecondFactorRequired => return see_other(paths::LOGIN_VERIFY),
            AppError::EnrolmentRequired => return see_other(paths::ENROL),
            AppError::ReauthenticationRequired(next) => return see_other(&paths::reauth(next)),
            _ => {}
        }
        if self.is_failure() {
            tracing::error!(error = %self.chain(), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code()).finish();
        response.extensions_mut().insert(ErrorKey(self.key()));
        response
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
    request_id: String,
    /// A form post that was too large links back to its form (a GET of the
    /// same path shows it).
    back: Option<String>,
}

pub fn handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render_error)
}

fn default_key(status: StatusCode) -> Key {
    match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => msg!("error.not_found"),
        StatusCode::FORBIDDEN => msg!("error.forbidden"),
        StatusCode::PAYLOAD_TOO_LARGE => msg!("error.too_large"),
        StatusCode::SERVICE_UNAVAILABLE => msg!("error.unavailable"),
        s if s.is_server_error() => msg!("error.internal"),
        _ => msg!("error.bad_request"),
    }
}

fn render_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // A page, or the API's JSON (its errors and problem details), is
    // answered as it is.
    let has_own_body = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("text/html")
                || v.starts_with("application/json")
                || v.starts_with(super::api::problem::CONTENT_TYPE)
        });
    if has_own_body {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let key = res
        .response()
        .extensions()
        .get::<ErrorKey>()
        .map_or(default_key(status), |k| k.0);
    let (req, old) = res.into_parts();
    if req.path().starts_with(paths::API_PREFIX) {
        let lang = crate::i18n::Lang::from_accept_language(&req);
        let mut new = super::api::problem_of_status(status, key, lang);
        for (name, value) in old.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                new.headers_mut().append(name.clone(), value.clone());
            }
        }
        let res = ServiceResponse::new(req, new).map_body(|_, body| EitherBody::right(body));
        return Ok(ErrorHandlerResponse::Response(res));
    }
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let back = (status == StatusCode::PAYLOAD_TOO_LARGE
        && req.method() == actix_web::http::Method::POST)
        .then(|| req.path().to_owned())
        .filter(|path| path.starts_with('/') && !path.starts_with("//"));
    let c = Chrome::anonymous(&req, String::new());
    let page = ErrorPage {
        back,
        message: c.t.t(key).to_owned(),
        c,
        status: status.as_u16(),
        request_id,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("Error {}", status.as_u16()));
    let mut new = HttpResponse::build(status).body(BoxBody::new(body));
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    new.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let res = ServiceResponse::new(req, new).map_body(|_, body| EitherBody::right(body));
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> AppError {
        AppError::from(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn an_outage_is_a_503_and_a_fault_a_500() {
        let lost = db_error(
            DatabaseErrorKind::ClosedConnection,
            "管理者コマンドにより接続を終了しています",
        );
        assert_eq!(lost.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let fault = db_error(DatabaseErrorKind::Unknown, "構文エラー");
        assert_eq!(fault.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let response = lost.error_response();
        assert_eq!(
            response.extensions().get::<ErrorKey>().map(|k| k.0),
            Some(msg!("error.unavailable"))
        );
    }

    #[test]
    fn a_missing_sign_in_redirects_to_its_page() {
        let response = AppError::ReauthenticationRequired("/account".into()).error_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(paths::reauth("/account").as_str())
        );
    }
}
