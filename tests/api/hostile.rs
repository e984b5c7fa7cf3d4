//! Hostile HTTP: oversized bodies (with and without a length), a client
//! that sends its request head too slowly, and malformed requests. Each is
//! refused with the right status, and the portal answers the next request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use incident_portal::server::CLIENT_REQUEST_TIMEOUT;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp};
use crate::on_both_backends;

const BOUNDARY: &str = "----portal-hostile-boundary-1d4e";

/// What a raw connection got back.
struct Exchange {
    /// The status of the first response, if one came before the close.
    status: Option<u16>,
    response: String,
    /// From the first byte sent until the server answered or closed.
    elapsed: Duration,
    /// Whether the server ended the connection (EOF or reset).
    closed: bool,
}

/// Writes `chunks` to a fresh connection, `pause` apart, while another
/// thread reads whatever comes back (so a response sent before the server
/// drops an unread body is not lost to the reset). Stops writing once the
/// server has answered or closed.
async fn exchange(address: &str, chunks: Vec<Vec<u8>>, pause: Duration) -> Exchange {
    let addr = address.trim_start_matches("http://").to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut reader = stream.try_clone().unwrap();
        let answered = Arc::new(AtomicBool::new(false));
        let flag = answered.clone();
        let started = Instant::now();
        let read = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 8192];
            let mut closed = false;
            let mut first = None;
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => {
                        first.get_or_insert_with(|| started.elapsed());
                        flag.store(true, Ordering::SeqCst);
                        got.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            flag.store(true, Ordering::SeqCst);
            let elapsed = first.unwrap_or_else(|| started.elapsed());
            (got, closed, elapsed)
        });
        let mut writer = stream;
        for chunk in chunks {
            if answered.load(Ordering::SeqCst) || writer.write_all(&chunk).is_err() {
                break;
            }
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        let (got, closed, elapsed) = read.join().unwrap();
        let response = String::from_utf8_lossy(&got).into_owned();
        let status = response
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok());
        Exchange {
            status,
            response,
            elapsed,
            closed,
        }
    })
    .await
    .unwrap()
}

/// The portal still serves an ordinary page.
async fn still_serving(app: &TestApp, after: &str) {
    let page = app.browser().get("/login").await;
    assert_eq!(page.status, StatusCode::OK, "after {after}: {}", page.body);
    assert!(page.body.contains("<form"), "after {after}");
}

/// A request head and a body sent with chunked transfer encoding (no
/// Content-Length, so the limit must be enforced while reading).
fn chunked(head: &str, body: &[u8]) -> Vec<Vec<u8>> {
    let mut chunks = vec![head.as_bytes().to_vec()];
    for piece in body.chunks(64 * 1024) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        chunks.push(chunk);
    }
    chunks.push(b"0\r\n\r\n".to_vec());
    chunks
}

/// A 413 answered with one of the portal's own pages (its stylesheet, the
/// message in words), not a bare status.
fn assert_styled_413(what: &str, got: &Exchange, message: &str) {
    assert_eq!(got.status, Some(413), "{what}: {}", got.response);
    assert!(
        got.response
            .to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{what}: {}",
        got.response
    );
    assert!(got.response.contains(message), "{what}: {}", got.response);
    assert!(
        got.response.contains("/static/portal.css"),
        "{what}: the styled page"
    );
}

async fn oversized_bodies_get_the_styled_413(app: TestApp) {
    // A form with a Content-Length over the limit.
    let mut browser = app.browser();
    let big = "x".repeat(incident_portal::web::FORM_LIMIT + 1);
    let page = browser.post("/login", &[("email", big.as_str())]).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("What you sent is too large."));
    assert!(page.body.contains("Reference for support"));
    still_serving(&app, "an oversized form").await;

    // The same without a length: refused while streaming.
    let head = "POST /login HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/x-www-form-urlencoded\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    let body = format!("email={}", "x".repeat(incident_portal::web::FORM_LIMIT + 1));
    let got = exchange(&app.address, chunked(head, body.as_bytes()), Duration::ZERO).await;
    assert_styled_413("chunked form", &got, "What you sent is too large.");
    assert!(got.response.contains("Reference for support"));
    still_serving(&app, "a chunked oversized form").await;

    // A CSV upload over 20 MiB without a length, from a signed-in reporter.
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Hostile").await;
    let form = firm.reporter.get("/returns/2025-04/trades").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.input_value("csrf").unwrap();
    let got = exchange(
        &app.address,
        chunked(
            &upload_head(&firm.reporter),
            &multipart(&csrf, 21 * 1024 * 1024),
        ),
        Duration::ZERO,
    )
    .await;
    assert_styled_413("chunked upload", &got, "The file is larger than allowed.");
    still_serving(&app, "a chunked oversized upload").await;
    let page = firm.reporter.get("/returns/2025-04/trades").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the reporter's session still works"
    );
}

fn upload_head(browser: &Browser) -> String {
    format!(
        "POST /returns/2025-04/trades HTTP/1.1\r\nHost: localhost\r\n\
         Cookie: {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        browser.cookie_header()
    )
}

/// The upload form: the CSRF token, then a CSV file of `size` bytes.
fn multipart(csrf: &str, size: usize) -> Vec<u8> {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    let line = b"2025-04-01,sell,7203,domestic,1,1000,ACC-0001\n";
    while out.len() < size {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn a_slow_client_is_cut_off(app: TestApp) {
    // One byte of the head at a time, each well apart: the whole head would
    // take about twice the server's client-request timeout.
    let head = b"GET /login HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow\r\n\r\n";
    let pause = CLIENT_REQUEST_TIMEOUT * 2 / u32::try_from(head.len()).unwrap();
    let chunks: Vec<Vec<u8>> = head.iter().map(|b| vec![*b]).collect();
    let address = app.address.clone();
    let slow = actix_web::rt::spawn(async move { exchange(&address, chunks, pause).await });
    // Meanwhile others are served as usual.
    still_serving(&app, "a slow client connected").await;
    let got = slow.await.unwrap();
    // actix answers a head that is not complete in time with 408 and closes.
    assert_eq!(got.status, Some(408), "{:?}", got.response);
    assert!(got.closed, "the connection is closed");
    assert!(
        got.elapsed < CLIENT_REQUEST_TIMEOUT + Duration::from_secs(3),
        "cut off near the timeout, not after the whole head: {:?}",
        got.elapsed
    );
    assert!(got.elapsed >= CLIENT_REQUEST_TIMEOUT - Duration::from_millis(500));
    still_serving(&app, "a slow client").await;
}

async fn malformed_requests_are_refused(app: TestApp) {
    let huge_value = "a".repeat(140 * 1024);
    let many_headers: String = (0..120).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "garbage request line",
            b"\x16\x03\x01\x02\x00 hello there\r\n\r\n".to_vec(),
            400,
        ),
        (
            "no HTTP version",
            b"GET /login\r\nHost: localhost\r\n\r\n".to_vec(),
            400,
        ),
        (
            "control byte in a header name",
            b"GET /login HTTP/1.1\r\nHost: localhost\r\nBad\x01Name: v\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in a header value",
            b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Note: a\x00b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "header line without a colon",
            b"GET /login HTTP/1.1\r\nHost: localhost\r\nnot a header\r\n\r\n".to_vec(),
            400,
        ),
        (
            "one huge header",
            format!("GET /login HTTP/1.1\r\nHost: localhost\r\nX-Big: {huge_value}\r\n\r\n")
                .into_bytes(),
            431,
        ),
        (
            "too many headers",
            format!("GET /login HTTP/1.1\r\nHost: localhost\r\n{many_headers}\r\n").into_bytes(),
            431,
        ),
    ];
    for (what, request, status) in cases {
        let got = exchange(&app.address, vec![request], Duration::ZERO).await;
        assert_eq!(got.status, Some(status), "{what}: {:?}", got.response);
        still_serving(&app, what).await;
    }
}

on_both_backends!(
    oversized_bodies_get_the_styled_413,
    a_slow_client_is_cut_off,
    malformed_requests_are_refused,
);
