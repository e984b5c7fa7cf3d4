//! Hostile files through the historical import on a real SQLite database:
//! nothing panics or fails as a system error, every refusal names its line
//! (and the column, for a bad field), and a refused file writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{COLUMNS, ImportError, import};
use crate::db::DbConn;
use crate::db::schema::{firms, return_versions};
use crate::db::testing::{memory_db, test_now};
use crate::domain::trades::line_endings::spreadsheet_lines;
use crate::services::Actor;

fn written(conn: &mut DbConn) -> (i64, i64) {
    let versions = return_versions::table.count().get_result(conn).unwrap();
    let firms = firms::table.count().get_result(conn).unwrap();
    (versions, firms)
}

/// Imports `bytes`; `rows` is the number of data rows when known.
fn check(conn: &RefCell<DbConn>, bytes: &[u8], rows: Option<usize>) -> Result<(), TestCaseError> {
    let conn = &mut *conn.borrow_mut();
    let before = written(conn);
    let lines = spreadsheet_lines(bytes);
    match import(conn, &Actor::system("proptest"), bytes, test_now()) {
        Ok(report) => {
            if let Some(rows) = rows {
                prop_assert_eq!(report.versions, rows);
            }
            let after = written(conn);
            prop_assert_eq!(after.0 - before.0, i64::try_from(report.versions).unwrap());
        }
        Err(ImportError::Row { line, reason }) => {
            prop_assert!(
                (2..=lines).contains(&line),
                "line {line} of {lines}: {reason}"
            );
            let named = COLUMNS
                .iter()
                .any(|c| reason.starts_with(&format!("{c}: ")));
            let whole_row = reason.contains("columns of the header");
            prop_assert!(named || whole_row, "names the column: {reason}");
            prop_assert!(!reason.contains('\n'), "one line: {reason}");
            prop_assert_eq!(written(conn), before, "a refused file writes nothing");
        }
        Err(ImportError::File(message)) => {
            prop_assert!(message.starts_with("line 1: "), "{message}");
            prop_assert_eq!(written(conn), before, "a refused file writes nothing");
        }
        Err(ImportError::App(e)) => {
            return Err(TestCaseError::fail(format!("system error: {e}")));
        }
    }
    Ok(())
}

fn run<S: Strategy>(
    strategy: S,
    test: impl Fn(&RefCell<DbConn>, S::Value) -> Result<(), TestCaseError>,
) {
    let conn = RefCell::new(memory_db());
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner.run(&strategy, |value| test(&conn, value)).unwrap();
}

fn header() -> String {
    COLUMNS.join(",")
}

/// One field: plausible values and hostile ones.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("関東財務局長（金商）第44号".to_owned()),
        Just("Kanto Securities".to_owned()),
        Just("2024-11".to_owned()),
        Just("2024-12-10T09:00:00+09:00".to_owned()),
        Just("0".to_owned()),
        Just("12".to_owned()),
        Just("1,000,000".to_owned()),
        Just(String::new()),
        Just("\"".to_owned()),
        Just("-1".to_owned()),
        Just("9".repeat(30)),
        "[0-9,:T+-]{0,26}",
        ".{0,220}",
        any::<String>(),
    ]
}

#[test]
fn arbitrary_bytes_are_refused_by_line() {
    run(
        proptest::collection::vec(any::<u8>(), 0..800),
        |conn, bytes| check(conn, &bytes, None),
    );
}

#[test]
fn arbitrary_bytes_after_the_header_are_refused_by_line() {
    run(
        proptest::collection::vec(any::<u8>(), 0..800),
        |conn, tail| {
            let mut bytes = format!("{}\n", header()).into_bytes();
            bytes.extend_from_slice(&tail);
            check(conn, &bytes, None)
        },
    );
}

#[test]
fn arbitrary_fields_are_refused_by_line_and_column() {
    run(
        proptest::collection::vec(proptest::array::uniform9(field()), 1..5),
        |conn, rows| {
            let mut text = format!("{}\r\n", header());
            for row in &rows {
                // Quoted as a spreadsheet writes them, so commas and
                // newlines stay inside their field.
                let quoted: Vec<String> = row
                    .iter()
                    .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                    .collect();
                text.push_str(&quoted.join(","));
                text.push_str("\r\n");
            }
            check(conn, text.as_bytes(), Some(rows.len()))
        },
    );
}

#[test]
fn arbitrary_encodings_are_refused_by_line() {
    let encodings = prop_oneof![
        Just(encoding_rs::SHIFT_JIS),
        Just(encoding_rs::EUC_JP),
        Just(encoding_rs::WINDOWS_1252),
        Just(encoding_rs::UTF_8),
    ];
    run(
        (
            encodings,
            proptest::collection::vec(proptest::array::uniform9(field()), 1..4),
        ),
        |conn, (encoding, rows)| {
            let mut text = format!("{}\n", header());
            for row in &rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            let (bytes, _, _) = encoding.encode(&text);
            check(conn, &bytes, None)
        },
    );
}

/// Found by the properties above: with CRLF line ends (Excel on Windows)
/// every row was reported one line too early.
#[test]
fn rows_of_a_crlf_file_are_numbered_as_a_spreadsheet_shows_them() {
    let conn = RefCell::new(memory_db());
    let good = "関東財務局長（金商）第44号,Kanto,2024-11,2024-12-10T09:00:00+09:00,1,1,0,0,0";
    let bad = "関東財務局長（金商）第44号,Kanto,2024-13,2024-12-10T09:00:00+09:00,1,1,0,0,0";
    for ending in ["\r\n", "\n", "\r"] {
        let file = [header().as_str(), good, bad].join(ending);
        let error = import(
            &mut conn.borrow_mut(),
            &Actor::system("test"),
            file.as_bytes(),
            test_now(),
        )
        .unwrap_err();
        match error {
            ImportError::Row { line, reason } => {
                assert_eq!(line, 3, "{ending:?}");
                assert!(reason.starts_with("period: "), "{reason}");
            }
            other => panic!("{other}"),
        }
    }
}
