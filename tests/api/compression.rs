//! Kept pages answered gzip-compressed to a browser that accepts it
//! (`web::gzip`): the same page once unpacked, `Vary: Accept-Encoding` on
//! both answers, never to a client that refuses gzip, and never a
//! compressed page that reflects what a third party put in its address
//! beside the session's form token (BREACH).

use std::io::Read;

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::open_data::{Answer, fetch};
use crate::publications::{draft, release, seed};

const BROWSER: &str = "gzip, deflate, br, zstd";

/// The page, unpacked when it came compressed.
fn unpacked(answer: &Answer) -> String {
    match answer.header("content-encoding") {
        Some("gzip") => {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&answer.body[..])
                .read_to_string(&mut text)
                .expect("a gzip stream of UTF-8");
            text
        }
        None => String::from_utf8(answer.body.clone()).expect("UTF-8"),
        Some(other) => panic!("unexpected encoding {other}"),
    }
}

async fn public_pages_are_compressed_for_who_asks(app: TestApp) {
    seed(&app);
    let id = draft(&app, "Released to 10 June", "2025-06-10T09:00:00+09:00");
    release(&mut app.pool.get().unwrap(), id, app.clock.now());
    for path in [format!("/statistics/{id}"), "/statistics".to_owned()] {
        // Twice each: the answer that keeps the page and the one from the
        // page kept.
        for _ in 0..2 {
            let plain = fetch(&app, &path, &[]).await;
            let packed = fetch(&app, &path, &[("accept-encoding", BROWSER)]).await;
            assert_eq!(
                (plain.status, packed.status),
                (StatusCode::OK, StatusCode::OK)
            );
            assert_eq!(plain.header("content-encoding"), None, "{path}");
            assert_eq!(packed.header("content-encoding"), Some("gzip"), "{path}");
            for answer in [&plain, &packed] {
                assert_eq!(answer.header("vary"), Some("Accept-Encoding"), "{path}");
                assert_eq!(
                    answer.header("content-type"),
                    Some("text/html; charset=utf-8")
                );
            }
            assert!(packed.body.len() * 2 < plain.body.len(), "{path} shrinks");
            assert_eq!(unpacked(&packed), unpacked(&plain), "{path}: the same page");
            assert!(unpacked(&plain).contains("Released to 10 June"));

            let refused = fetch(&app, &path, &[("accept-encoding", "gzip;q=0, br")]).await;
            assert_eq!(refused.header("content-encoding"), None, "{path}");
            assert_eq!(refused.body, plain.body);
        }
    }
    // Files are sent as they are (the browser keeps the stylesheet an hour).
    let css = fetch(&app, "/static/portal.css", &[("accept-encoding", BROWSER)]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-encoding"), None);
}

async fn the_compressed_dashboard_reflects_no_typed_address(app: TestApp) {
    seed(&app);
    let mut admin = app.setup_admin().await;
    let analyst = app.analyst(&mut admin).await;
    let cookie = analyst.cookie_header();
    // A third party's link: a guess at the form token beside the range.
    let typed = "/dashboard?to=2025-05&from=2025-03&csrf=GUESSabc&x=%3Cb%3E";
    let plain = fetch(&app, typed, &[("cookie", &cookie)]).await;
    let packed = fetch(
        &app,
        typed,
        &[("cookie", &cookie), ("accept-encoding", BROWSER)],
    )
    .await;
    assert_eq!(
        (plain.status, packed.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(packed.header("content-encoding"), Some("gzip"));
    assert_eq!(packed.header("vary"), Some("Accept-Encoding"));
    assert_eq!(plain.header("cache-control"), Some("no-store"));
    let page = unpacked(&packed);
    assert_eq!(page, unpacked(&plain), "the same page");
    assert!(
        page.contains("name=\"csrf\""),
        "the page holds its form token"
    );
    for reflected in ["GUESS", "csrf=G", "&amp;x=", "%3Cb", "&lt;b&gt;"] {
        assert!(!page.contains(reflected), "{reflected} is not on the page");
    }
    // The language switch comes back to the range shown.
    assert!(
        page.contains("name=\"back\" value=\"/dashboard?from=2025-03&#38;to=2025-05\""),
        "the way back is the range shown"
    );
    // Another address for the same range: the same kept page.
    let other = fetch(
        &app,
        "/dashboard?from=2025-03&to=2025-05",
        &[("cookie", &cookie), ("accept-encoding", BROWSER)],
    )
    .await;
    assert_eq!(other.body, packed.body);

    // A view as of a past moment is never kept, and never compressed.
    let past = fetch(
        &app,
        "/dashboard?from=2025-03&to=2025-05&as_of=2025-06-02T00:00",
        &[("cookie", &cookie), ("accept-encoding", BROWSER)],
    )
    .await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.header("content-encoding"), None);
}

on_both_backends!(
    public_pages_are_compressed_for_who_asks,
    the_compressed_dashboard_reflects_no_typed_address,
);
