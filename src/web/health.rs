//! Liveness and readiness probes.

use super::AppState;
use crate::services::readiness;
use actix_web::{HttpResponse, web};

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ready = crate::db::run(&state.pool, readiness::database_answers).await;
    match ready {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable"),
    }
}
