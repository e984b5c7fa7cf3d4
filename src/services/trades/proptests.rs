//! Hostile files through the whole upload service (sniff, decode, CSV,
//! row checks, the staging transaction) on a real SQLite database: no input
//! panics or fails as a system error, every refusal names its row and, for
//! a field, its column, with a message both catalogues hold, and a refused
//! file leaves the staged rows as they were.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{MAX_PROBLEMS, upload};
use crate::db::DbConn;
use crate::db::schema::draft_trades;
use crate::db::testing::{memory_db, test_now};
use crate::domain::period::Period;
use crate::domain::trades::Column;
use crate::domain::trades::line_endings::spreadsheet_lines;
use crate::i18n::{Key, Lang, Tr};
use crate::services::Actor;
use crate::services::accounts::insert_firm;

const HEADER: &str = "trade_date,side,security_code,market,quantity,amount_jpy,account_ref";

/// Keys that concern one field of a row.
const FIELD_KEYS: [Key; 14] = [
    msg!("err.trades.date"),
    msg!("err.trades.date_outside_period"),
    msg!("err.trades.side"),
    msg!("err.trades.security_code"),
    msg!("err.trades.market"),
    msg!("err.trades.quantity"),
    msg!("err.trades.amount"),
    msg!("err.trades.account_ref"),
    msg!("err.trades.account_email"),
    msg!("err.trades.account_number"),
    msg!("err.trades.too_long"),
    msg!("err.trades.encoding"),
    msg!("err.trades.control"),
    msg!("err.trades.quote"),
];

struct Db {
    conn: RefCell<DbConn>,
    firm_id: i64,
}

fn db() -> Db {
    let mut conn = memory_db();
    let firm = insert_firm(
        &mut conn,
        "Proptest Securities",
        "関東財務局長（金商）第1号",
        None,
        test_now(),
    )
    .unwrap();
    Db {
        conn: RefCell::new(conn),
        firm_id: firm.id,
    }
}

fn staged(conn: &mut DbConn) -> i64 {
    draft_trades::table.count().get_result(conn).unwrap()
}

/// Uploads `bytes` and checks what came back.
fn check(db: &Db, bytes: &[u8]) -> Result<(), TestCaseError> {
    let conn = &mut *db.conn.borrow_mut();
    let before = staged(conn);
    let period = Period::parse("2025-04").unwrap();
    let outcome = upload(
        conn,
        &Actor::system("proptest"),
        db.firm_id,
        period,
        "hostile.csv",
        bytes,
        test_now(),
    );
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return Err(TestCaseError::fail(format!("system error: {e}"))),
    };
    let lines = spreadsheet_lines(bytes);
    match outcome {
        Ok(summary) => {
            prop_assert!(summary.totals.rows >= 1);
            prop_assert_eq!(staged(conn), summary.totals.rows, "rows staged as counted");
        }
        Err(errors) => {
            prop_assert!(!errors.problems.is_empty(), "a refusal says why");
            prop_assert!(errors.problems.len() <= MAX_PROBLEMS);
            for p in &errors.problems {
                prop_assert!(
                    !Tr::new(Lang::En).t(p.key).is_empty()
                        && !Tr::new(Lang::Ja).t(p.key).is_empty(),
                    "message {} in both catalogues",
                    p.key
                );
                prop_assert!(p.row <= lines, "row {} of {lines} lines", p.row);
                if FIELD_KEYS.contains(&p.key) || p.key == msg!("err.required") {
                    prop_assert!(p.column.is_some(), "{} names its column", p.key);
                }
                match p.column {
                    Some(column) => {
                        prop_assert!(p.row >= 2, "a field of a data row: {p:?}");
                        prop_assert!(Column::ALL.contains(&column));
                    }
                    None if p.key == msg!("err.trades.header") => prop_assert_eq!(p.row, 1),
                    None if p.key == msg!("err.trades.columns") => prop_assert!(p.row >= 2),
                    None => {}
                }
            }
            prop_assert_eq!(staged(conn), before, "a refused file changes nothing");
        }
    }
    Ok(())
}

fn run<S: Strategy>(strategy: S, test: impl Fn(&Db, S::Value) -> Result<(), TestCaseError>) {
    let db = db();
    let mut runner = TestRunner::new(Config::with_cases(256));
    runner.run(&strategy, |value| test(&db, value)).unwrap();
}

/// One field: usually plausible, often hostile.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2025-04-03".to_owned()),
        Just("sell".to_owned()),
        Just("買付".to_owned()),
        Just("7203".to_owned()),
        Just("中国・香港".to_owned()),
        Just("1,000".to_owned()),
        Just("¥250,000円".to_owned()),
        Just("ACC-0001".to_owned()),
        Just(String::new()),
        Just("\"".to_owned()),
        Just("a@b.example".to_owned()),
        Just("9".repeat(40)),
        "[0-9,./-]{0,24}",
        ".{0,300}",
        any::<String>(),
    ]
}

#[test]
fn arbitrary_bytes_are_refused_cleanly() {
    run(
        proptest::collection::vec(any::<u8>(), 0..800),
        |db, bytes| check(db, &bytes),
    );
}

#[test]
fn arbitrary_bytes_after_a_good_header_are_refused_cleanly() {
    run(
        (
            proptest::collection::vec(any::<u8>(), 0..800),
            any::<bool>(),
        ),
        |db, (tail, crlf)| {
            let mut bytes = HEADER.as_bytes().to_vec();
            bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            bytes.extend_from_slice(&tail);
            check(db, &bytes)
        },
    );
}

#[test]
fn arbitrary_fields_are_named_when_refused() {
    run(
        proptest::collection::vec(proptest::array::uniform7(field()), 1..6),
        |db, rows| {
            let mut text = format!("{HEADER}\n");
            for row in rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            check(db, text.as_bytes())
        },
    );
}

/// `text` as a file in one of the encodings people's tools write.
fn encode(which: u8, text: &str) -> Vec<u8> {
    let utf16 = |big: bool| -> Vec<u8> {
        let mut out = if big {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    };
    let with = |encoding: &'static encoding_rs::Encoding| encoding.encode(text).0.into_owned();
    match which % 8 {
        0 => text.as_bytes().to_vec(),
        1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        2 => with(encoding_rs::SHIFT_JIS),
        3 => with(encoding_rs::EUC_JP),
        4 => with(encoding_rs::ISO_2022_JP),
        5 => with(encoding_rs::WINDOWS_1252),
        6 => utf16(false),
        _ => utf16(true),
    }
}

#[test]
fn arbitrary_encodings_are_refused_cleanly() {
    run(
        (
            any::<u8>(),
            proptest::collection::vec(proptest::array::uniform7(field()), 1..4),
            proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
        ),
        |db, (which, rows, damage)| {
            let mut text = "約定日,売買区分,銘柄コード,市場,数量,金額,口座参照\r\n".to_owned();
            for row in rows {
                text.push_str(&row.join(","));
                text.push_str("\r\n");
            }
            let mut bytes = encode(which, &text);
            if let Some((at, byte)) = damage {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            check(db, &bytes)
        },
    );
}

/// Found by the properties above: with CRLF line ends (Excel on Windows)
/// every row was reported one line too early.
#[test]
fn rows_of_a_crlf_file_are_numbered_as_a_spreadsheet_shows_them() {
    let db = db();
    let period = Period::parse("2025-04").unwrap();
    for ending in ["\r\n", "\n", "\r"] {
        let file = [
            HEADER,
            "2025-04-03,sell,7203,domestic,1,1000,ACC-0001",
            "2025-04-03,hold,7203,domestic,1,1000,ACC-0001",
        ]
        .join(ending);
        let errors = upload(
            &mut db.conn.borrow_mut(),
            &Actor::system("test"),
            db.firm_id,
            period,
            "crlf.csv",
            file.as_bytes(),
            test_now(),
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            errors
                .problems
                .iter()
                .map(|p| (p.row, p.column, p.key))
                .collect::<Vec<_>>(),
            [(3, Some(Column::Side), msg!("err.trades.side"))],
            "{ending:?}"
        );
    }
}
