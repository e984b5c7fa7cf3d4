//! Conditional GETs for the public statistics files: each answer carries a
//! strong `ETag` (the quoted SHA-256 of its body) and, when it has one, a
//! `Last-Modified` time; a client whose copy is current gets `304 Not
//! Modified` with no body. `If-None-Match` decides when it is sent;
//! `If-Modified-Since` only when it is not (RFC 9110, section 13.2.2).
//! The files may be kept by caches, which ask again before each use
//! (`no-cache`): a catalogue changes with every release.

use std::time::{Duration, SystemTime};

use actix_web::http::header::{
    CACHE_CONTROL, ETag, EntityTag, Header, HttpDate, IfModifiedSince, IfNoneMatch, LastModified,
};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::NaiveDateTime;

use crate::services::publication_table::checksum;

/// Caches may keep the file but must ask before using it.
const REVALIDATE: &str = "public, no-cache";

/// A stored UTC time as an HTTP date (whole seconds, as HTTP has them);
/// none outside the years an HTTP date can hold (1970 to 9999), where the
/// date type would panic.
fn http_date(at: NaiveDateTime) -> Option<HttpDate> {
    use chrono::Datelike;
    if !(1970..=9999).contains(&at.year()) {
        return None;
    }
    let seconds = u64::try_from(at.and_utc().timestamp()).ok()?;
    Some(HttpDate::from(
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
    ))
}

/// Whether the client's copy, as its conditional headers describe it, is
/// the current one.
fn still_current(req: &HttpRequest, etag: &EntityTag, modified: Option<HttpDate>) -> bool {
    if req.headers().contains_key(IfNoneMatch::name()) {
        return match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(etag)),
            Err(_) => false,
        };
    }
    match (modified, IfModifiedSince::parse(req)) {
        (Some(modified), Ok(IfModifiedSince(since))) => modified <= since,
        _ => false,
    }
}

/// Answers with `body` (through `ok`, which has the content type and any
/// headers of the file's own), or with 304 when the client has it.
pub fn respond(
    req: &HttpRequest,
    mut ok: HttpResponseBuilder,
    body: String,
    last_modified: Option<NaiveDateTime>,
) -> HttpResponse {
    let etag = EntityTag::new_strong(checksum(&body));
    let modified = last_modified.and_then(http_date);
    if still_current(req, &etag, modified) {
        let mut not_modified = HttpResponse::NotModified();
        validators(&mut not_modified, etag, modified);
        return not_modified.finish();
    }
    validators(&mut ok, etag, modified);
    ok.body(body)
}

/// What a 200 and a 304 of the same file both carry.
fn validators(answer: &mut HttpResponseBuilder, etag: EntityTag, modified: Option<HttpDate>) {
    answer
        .insert_header(ETag(etag))
        .insert_header((CACHE_CONTROL, REVALIDATE));
    if let Some(modified) = modified {
        answer.insert_header(LastModified(modified));
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;
    use chrono::NaiveDate;

    use super::*;

    const BODY: &str = "period,total\r\n";

    fn released() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 6, 10)
            .unwrap()
            .and_hms_milli_opt(1, 2, 3, 400)
            .unwrap()
    }

    fn etag() -> String {
        format!("\"{}\"", checksum(BODY))
    }

    /// The status, the body's length and a header of the answer to a
    /// request with `headers`.
    fn ask(headers: &[(&str, &str)]) -> (StatusCode, usize, HttpResponse) {
        let mut req = TestRequest::get();
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let req = req.to_http_request();
        let answer = respond(&req, HttpResponse::Ok(), BODY.to_owned(), Some(released()));
        let size = match answer.body().size() {
            actix_web::body::BodySize::Sized(n) => usize::try_from(n).unwrap(),
            _ => 0,
        };
        (answer.status(), size, answer)
    }

    fn header<'a>(answer: &'a HttpResponse, name: &str) -> &'a str {
        answer.headers().get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn a_first_get_has_the_validators() {
        let (status, size, answer) = ask(&[]);
        assert_eq!((status, size), (StatusCode::OK, BODY.len()));
        assert_eq!(header(&answer, "etag"), etag());
        assert_eq!(
            header(&answer, "last-modified"),
            "Tue, 10 Jun 2025 01:02:03 GMT"
        );
        assert_eq!(header(&answer, "cache-control"), "public, no-cache");
    }

    #[test]
    fn a_current_etag_gets_304_with_no_body() {
        let tag = etag();
        for sent in [
            tag.clone(),
            format!("\"other\", {tag}"),
            format!("W/{tag}"),
            "*".to_owned(),
        ] {
            let (status, size, answer) = ask(&[("if-none-match", &sent)]);
            assert_eq!((status, size), (StatusCode::NOT_MODIFIED, 0), "{sent}");
            assert_eq!(header(&answer, "etag"), tag);
            assert!(answer.headers().contains_key("last-modified"));
        }
    }

    #[test]
    fn an_old_or_malformed_etag_gets_the_file_whatever_the_date_says() {
        for sent in ["\"other\"", "not-quoted", ""] {
            let (status, _, _) = ask(&[
                ("if-none-match", sent),
                ("if-modified-since", "Wed, 11 Jun 2025 00:00:00 GMT"),
            ]);
            assert_eq!(status, StatusCode::OK, "{sent}");
        }
    }

    #[test]
    fn a_time_no_http_date_can_hold_has_no_last_modified() {
        let far = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        assert!(http_date(far).is_none());
        assert!(http_date(released()).is_some());
    }

    #[test]
    fn if_modified_since_counts_whole_seconds() {
        for (since, expected) in [
            ("Tue, 10 Jun 2025 01:02:03 GMT", StatusCode::NOT_MODIFIED),
            ("Wed, 11 Jun 2025 00:00:00 GMT", StatusCode::NOT_MODIFIED),
            ("Tue, 10 Jun 2025 01:02:02 GMT", StatusCode::OK),
            ("yesterday", StatusCode::OK),
        ] {
            let (status, _, _) = ask(&[("if-modified-since", since)]);
            assert_eq!(status, expected, "{since}");
        }
    }
}
