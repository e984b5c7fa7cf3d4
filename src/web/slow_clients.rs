//! Slow and greedy clients. actix-web's `client_request_timeout` covers the
//! request head only; here the body gets a deadline too (a total time,
//! longer for a large announced body: `Limits::body_timeout` plus a second
//! per [`BODY_MIN_RATE`] bytes), after which the request is answered 408
//! and its connection closed. And one client address keeps at most
//! `Limits::connections_per_address` connections: a request on any further
//! one is answered 503 and that connection closed, so a few hundred
//! dribbling connections from one place cannot hold the server.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use futures_util::Stream;
use tokio::time::Sleep;

use crate::config::Limits;

/// The slowest a large body may arrive, in bytes per second, beyond the
/// base time (a 20 MiB upload gets 30 s + 320 s).
pub const BODY_MIN_RATE: u64 = 64 * 1024;

/// Connections open per client address, shared by every worker.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// Kept with each connection (its extensions live as long as it does):
/// counts it while open, and says whether it is over the cap.
struct Counted {
    connections: Arc<Connections>,
    ip: IpAddr,
    over: bool,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// For `HttpServer::on_connect`: counts a new connection against its
/// address.
pub fn on_connect(
    connections: Arc<Connections>,
    cap: usize,
) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
    move |io: &dyn Any, data: &mut Extensions| {
        let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else {
            return;
        };
        let ip = peer.ip();
        let over = {
            let mut open = connections.open.lock().unwrap_or_else(|p| p.into_inner());
            let n = open.entry(ip).or_insert(0);
            *n += 1;
            *n > cap.max(1)
        };
        data.insert(Counted {
            connections: connections.clone(),
            ip,
            over,
        });
    }
}

/// The body's deadline for a request announcing `length` bytes.
pub fn body_deadline(limits: &Limits, length: u64) -> Duration {
    limits.body_timeout + Duration::from_secs(length / BODY_MIN_RATE)
}

/// A request body that ends in an error once its deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<Sleep>>,
    timed_out: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.timed_out.get() {
            if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
                return Poll::Ready(item);
            }
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.timed_out.set(true);
        }
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "request body too slow",
        )))))
    }
}

fn closing(status: actix_web::http::StatusCode) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.force_close();
    response.insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"));
    response.finish()
}

/// The middleware: the connection cap, then the body deadline.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let over = req.conn_data::<Counted>().is_some_and(|c| c.over);
    if over {
        let response = closing(actix_web::http::StatusCode::SERVICE_UNAVAILABLE);
        return Ok(req.into_response(response).map_into_right_body());
    }
    let limits = req
        .app_data::<web::Data<crate::web::AppState>>()
        .map(|state| state.config.limits.clone())
        .unwrap_or_default();
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    let timed_out = Rc::new(Cell::new(false));
    if length.is_some_and(|n| n > 0) || chunked {
        let inner = req.take_payload();
        let deadline = Deadline {
            inner,
            sleep: Box::pin(tokio::time::sleep(body_deadline(
                &limits,
                length.unwrap_or(0),
            ))),
            timed_out: timed_out.clone(),
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(deadline),
        });
    }
    let response = next.call(req).await?;
    if timed_out.get() {
        tracing::info!("request body too slow: 408");
        let http_req = response.request().clone();
        let response = closing(actix_web::http::StatusCode::REQUEST_TIMEOUT);
        return Ok(ServiceResponse::new(http_req, response).map_into_right_body());
    }
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bodies_get_more_time() {
        let limits = Limits::default();
        assert_eq!(body_deadline(&limits, 1000), limits.body_timeout);
        assert_eq!(
            body_deadline(&limits, 20 * 1024 * 1024),
            limits.body_timeout + Duration::from_secs(320)
        );
    }
}
