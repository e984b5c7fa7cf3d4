//! Static files, compiled into the binary.

use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../static/portal.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}
