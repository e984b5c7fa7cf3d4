//! One log line per request: method, route template, client address,
//! status and request id. The raw path and query are not logged (a setup or
//! invitation link carries a secret), nor the user agent (free text a client
//! controls); error texts are logged escaped, so CR/LF cannot forge lines.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing::field::{Empty, debug};
use tracing_actix_web::{RequestId, RootSpanBuilder};

use super::routing::RoutePattern;

pub struct PortalRootSpan;

impl RootSpanBuilder for PortalRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let ip = request
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = Empty,
            ip = %ip,
            request_id = %request_id,
            status = Empty,
            error = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        match outcome {
            Ok(response) => {
                // Set by the router (see `routing`): no second match.
                let route = response
                    .request()
                    .app_data::<RoutePattern>()
                    .map_or("(no route)", |p| p.0);
                span.record("route", route);
                span.record("status", response.status().as_u16());
                if let Some(error) = response.response().error() {
                    span.record("error", debug(error.to_string()));
                }
            }
            Err(error) => {
                span.record("route", "(no route)");
                span.record("status", error.as_response_error().status_code().as_u16());
                span.record("error", debug(error.to_string()));
            }
        }
    }
}
