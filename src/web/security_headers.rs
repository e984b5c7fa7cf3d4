//! Headers on every response: a strict CSP with no inline script or style,
//! no sniffing, no framing, no referrer, and no caching of pages (the
//! stylesheet sets its own caching).

use actix_web::middleware::DefaultHeaders;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
object-src 'none'";

pub fn headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
        .add(("Cache-Control", "no-store"));
    if https {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test, web};

    use super::headers;

    async fn hsts(https: bool) -> Option<String> {
        let app = test::init_service(
            App::new()
                .wrap(headers(https))
                .route("/", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        response
            .headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[actix_web::test]
    async fn hsts_only_over_https() {
        assert_eq!(
            hsts(true).await.as_deref(),
            Some("max-age=31536000; includeSubDomains")
        );
        assert_eq!(hsts(false).await, None);
    }
}
