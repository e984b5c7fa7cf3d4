//! Pages kept in memory, kept gzip-compressed as well, for the browsers
//! that ask for it (every browser does): a release page with every month
//! is 18 kB of HTML and 5 kB compressed, the dashboard 33 kB and 6 kB. The
//! page is compressed once, when it is kept, never per request.
//!
//! Only pages with nothing secret in them, or with nothing in them that a
//! third party chose, are compressed. Otherwise the length of a compressed
//! answer can tell an observer whether a guess they made the browser send
//! matches a secret on the page (BREACH). The public pages hold no secret.
//! The dashboard holds its session's form token, so its page reflects no
//! address as typed: the language switch's way back is rebuilt from the
//! range shown (`web::dashboard`).

use std::io::Write;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::view;

/// Below this many bytes a page is sent as it is: the answer's headers
/// outweigh what compression saves.
pub const MIN_BYTES: usize = 1024;

/// A page as rendered, and compressed when that makes it smaller.
#[derive(Clone, Debug)]
pub struct Kept {
    identity: Bytes,
    gzip: Option<Bytes>,
}

impl Kept {
    /// `page` with its compressed copy.
    pub fn compressed(page: Bytes) -> Kept {
        let gzip = (page.len() >= MIN_BYTES)
            .then(|| gzip(&page))
            .flatten()
            .filter(|packed| packed.len() < page.len());
        Kept {
            identity: page,
            gzip,
        }
    }

    /// The page as rendered.
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The compressed copy, if one is kept.
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip.as_ref()
    }

    /// The page as an HTML answer: compressed when `req` accepts gzip and
    /// a compressed copy is kept. Either way it says that the answer
    /// depends on `Accept-Encoding`.
    pub fn html(&self, req: &HttpRequest, status: StatusCode) -> HttpResponse {
        let mut response = match &self.gzip {
            Some(packed) if accepts_gzip(req) => {
                let mut response = view::page(status, packed.clone());
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            _ => view::page(status, self.identity.clone()),
        };
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        response
    }
}

fn gzip(page: &[u8]) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(page.len() / 4), Compression::default());
    encoder.write_all(page).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// Whether the request's `Accept-Encoding` takes gzip: named (or
/// `x-gzip`) with a weight above 0, or not named while `*` has one. A
/// weight that does not parse counts as 0.
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    let (mut named, mut any) = (None, None);
    for value in req.headers().get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .next()
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(0.0);
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                named = Some(named.map_or(weight, |w: f32| w.max(weight)));
            } else if coding == "*" {
                any = Some(weight);
            }
        }
    }
    named.or(any).is_some_and(|w| w > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use std::io::Read;

    fn accepts(values: &[&str]) -> bool {
        let mut req = TestRequest::default();
        for value in values {
            req = req.append_header((header::ACCEPT_ENCODING, *value));
        }
        accepts_gzip(&req.to_http_request())
    }

    #[test]
    fn gzip_is_taken_when_named_or_any_with_a_weight_above_zero() {
        assert!(accepts(&["gzip, deflate, br, zstd"]));
        assert!(accepts(&["br;q=1.0, gzip;q=0.8, *;q=0.1"]));
        assert!(accepts(&["GZIP"]));
        assert!(accepts(&["x-gzip"]));
        assert!(accepts(&["*"]));
        assert!(accepts(&["br", "gzip"]));
        assert!(!accepts(&[]));
        assert!(!accepts(&["identity"]));
        assert!(!accepts(&["br, deflate"]));
        assert!(!accepts(&["gzip;q=0"]));
        assert!(!accepts(&["gzip;q=0.000"]));
        assert!(!accepts(&["*;q=0.5, gzip;q=0"]), "named beats any");
        assert!(!accepts(&["*;q=0"]));
        assert!(!accepts(&["gzip;q=oops"]), "an unreadable weight is 0");
        assert!(!accepts(&["gzip;q=2"]), "a weight above 1 is not one");
    }

    #[test]
    fn a_kept_page_answers_compressed_only_to_who_asks() {
        let page = Bytes::from("<p>released figures</p>\n".repeat(200));
        let kept = Kept::compressed(page.clone());
        let packed = kept.gzip().expect("a 4.8 kB page is compressed");
        assert!(packed.len() < page.len() / 10);
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .expect("valid gzip");
        assert_eq!(unpacked, page);

        let asks = TestRequest::default()
            .append_header((header::ACCEPT_ENCODING, "gzip"))
            .to_http_request();
        let answer = kept.html(&asks, StatusCode::OK);
        assert_eq!(
            answer.headers().get(header::CONTENT_ENCODING).unwrap(),
            "gzip"
        );
        assert_eq!(
            answer.headers().get(header::VARY).unwrap(),
            "Accept-Encoding"
        );

        let plain = kept.html(&TestRequest::default().to_http_request(), StatusCode::OK);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            plain.headers().get(header::VARY).unwrap(),
            "Accept-Encoding"
        );
    }

    #[test]
    fn a_small_page_is_kept_as_it_is() {
        let kept = Kept::compressed(Bytes::from_static(b"<p>short</p>"));
        assert!(kept.gzip().is_none());
        let asks = TestRequest::default()
            .append_header((header::ACCEPT_ENCODING, "gzip"))
            .to_http_request();
        let answer = kept.html(&asks, StatusCode::OK);
        assert!(answer.headers().get(header::CONTENT_ENCODING).is_none());
    }
}
