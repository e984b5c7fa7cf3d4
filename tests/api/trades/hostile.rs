//! Hostile and malformed uploads: broken CSV, binary and oversize files
//! get a clear answer (never a 500) and attach nothing; another firm and a
//! forged or missing CSRF token cannot touch a firm's upload.

use reqwest::StatusCode;

use super::support::{self, HEADER, Part, good_csv, post_parts, problems, upload};
use crate::helpers::TestApp;
use crate::on_both_backends;

async fn malformed_and_hostile_files_get_clear_answers(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let line = "2025-04-01,sell,7203,domestic,1,1000,ACC-0001";
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "bad quotes",
            format!(
                "{HEADER}\n{line}\n2025-04-01,sell,7203,domestic,1,1000,AC\"C1\n\"2025-04-02,sell\n"
            )
            .into_bytes(),
            "3",
            "stray quotation mark",
        ),
        (
            "NUL",
            format!("{HEADER}\n{line}\n2025-04-01,sell,7203,domestic,1,1000,ACC\u{0}1\n")
                .into_bytes(),
            "3",
            "control character",
        ),
        (
            "1 MB field",
            format!(
                "{HEADER}\n{line}\n2025-04-01,sell,7203,domestic,1,1000,{}\n",
                "A".repeat(1 << 20)
            )
            .into_bytes(),
            "3",
            "far too long",
        ),
        (
            "column count",
            format!("{HEADER}\n{line}\n{line},extra\n").into_bytes(),
            "3",
            "does not have 7 columns",
        ),
        (
            "header",
            b"a,b,c\n1,2,3\n".to_vec(),
            "1",
            "must be the header",
        ),
        (
            "UTF-16",
            b"\xFF\xFEt\0r\0".to_vec(),
            "(file)",
            "encoding is not supported",
        ),
        (
            "binary",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "(file)",
            "not a CSV file",
        ),
        ("empty", Vec::new(), "(file)", "empty"),
        (
            "no rows",
            format!("{HEADER}\n").into_bytes(),
            "(file)",
            "no trades",
        ),
    ];
    for (what, bytes, row, message) in cases {
        let page = upload(&app, &mut firm.reporter, "x.csv", &bytes).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            page.body
        );
        let listed = problems(&page);
        assert_eq!(
            listed.first().map(|p| p.0.as_str()),
            Some(row),
            "{what}: {listed:?}"
        );
        assert!(listed[0].2.contains(message), "{what}: {listed:?}");
    }
    // Not a CSV by its name and type.
    let page = upload(&app, &mut firm.reporter, "trades.xlsx", b"PK\x03\x04").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("not a CSV file"));
    // Too large: refused from Content-Length, before anything is parsed.
    let big = vec![b'a'; 21 * 1024 * 1024];
    let page = upload(&app, &mut firm.reporter, "big.csv", &big).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("larger than allowed"));
    assert_eq!(support::staged_rows(&app), 0, "nothing attached");
}

async fn other_firms_and_forged_tokens_are_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let mut b = app.firm_with_users(&mut admin, "Bravo").await;
    upload(&app, &mut a.reporter, "a.csv", good_csv().as_bytes()).await;
    let theirs = b.approver.get("/returns/2025-04/trades").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.body.contains("a.csv"), "B does not see A's file");
    let removed = b
        .approver
        .submit_form(&theirs, "/returns/2025-04/trades/remove", &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(
        support::staged_totals(&app, a.id).is_some(),
        "A's file is kept"
    );
    assert!(support::staged_totals(&app, b.id).is_none());

    let good = good_csv();
    let file = Part::File("x.csv", "text/csv", good.as_bytes());
    let page = post_parts(&app, &a.reporter, "2025-04", &[file]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no token");
    let forged = "A".repeat(43);
    let file = Part::File("x.csv", "text/csv", b"x");
    let page = post_parts(
        &app,
        &a.reporter,
        "2025-04",
        &[Part::Field("csrf", &forged), file],
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "forged token");
    let token = b
        .approver
        .get("/returns/2025-04")
        .await
        .input_value("csrf")
        .unwrap();
    let file = Part::File("x.csv", "text/csv", b"x");
    let page = post_parts(
        &app,
        &a.reporter,
        "2025-04",
        &[Part::Field("csrf", &token), file],
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "another user's token");
    let page = a.reporter.post("/returns/2025-04/trades/remove", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        support::staged_totals(&app, a.id),
        Some((3, 300_000, 250_000))
    );
}

on_both_backends!(
    malformed_and_hostile_files_get_clear_answers,
    other_firms_and_forged_tokens_are_refused,
);
