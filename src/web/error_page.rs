//! One styled error page for every 4xx/5xx that has no page of its own
//! (our errors, and actix's own 404/400/413), with the request id so a
//! user's report can be matched to the log line.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpResponse};
use askama::Template;
use tracing_actix_web::RequestId;

use super::view::Chrome;
use crate::error::ErrorKey;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
    request_id: String,
}

pub fn handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render_error)
}

fn default_key(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => "error.not_found",
        StatusCode::FORBIDDEN => "error.forbidden",
        StatusCode::PAYLOAD_TOO_LARGE => "error.too_large",
        StatusCode::SERVICE_UNAVAILABLE => "error.unavailable",
        s if s.is_server_error() => "error.internal",
        _ => "error.bad_request",
    }
}

fn render_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let key = res
        .response()
        .extensions()
        .get::<ErrorKey>()
        .map_or(default_key(status), |k| k.0);
    let (req, old) = res.into_parts();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let c = Chrome::anonymous(&req, String::new());
    let page = ErrorPage {
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
