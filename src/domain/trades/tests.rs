//! Unit and property tests of trade-detail parsing and encoding detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::i18n::Key;
use std::io::Read;

use proptest::prelude::*;

use super::encoding::{Decoded, FileProblem, TextEncoding, sniff};
use super::*;

fn april() -> Period {
    Period::parse("2025-04").unwrap()
}

fn row(line: &str) -> Result<TradeRow, Vec<Problem>> {
    let parts: Vec<&[u8]> = line.split(',').map(str::as_bytes).collect();
    let fields: [&[u8]; COLUMNS] = parts.try_into().unwrap();
    parse_row(fields, april(), 2)
}

fn keys(line: &str) -> Vec<(Option<Column>, Key)> {
    row(line)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.column, p.key))
        .collect()
}

#[test]
fn a_good_row_parses_in_english_and_japanese() {
    let r = row("2025-04-03,sell,7203,domestic,100,250000,ACC-0001").unwrap();
    assert_eq!(r.side, Side::Sell);
    assert_eq!(r.market, Market::Domestic);
    assert_eq!((r.quantity, r.amount_jpy), (100, 250_000));
    let r = row("2025/4/3,買付,00700.hk,中国・香港,1000, 1000 ,user_77").unwrap();
    assert_eq!(r.side, Side::Buy);
    assert_eq!(r.market, Market::ChinaHk);
    assert_eq!(r.security_code, "00700.HK");
    assert_eq!(r.trade_date, NaiveDate::from_ymd_opt(2025, 4, 3).unwrap());
}

#[test]
fn every_bad_field_is_named() {
    let cases = [
        (
            "2025-05-01,sell,7203,us,1,1,ACC-1",
            Column::TradeDate,
            msg!("err.trades.date_outside_period"),
        ),
        (
            "2025-04-31,sell,7203,us,1,1,ACC-1",
            Column::TradeDate,
            msg!("err.trades.date"),
        ),
        (
            "2025-04-01,hold,7203,us,1,1,ACC-1",
            Column::Side,
            msg!("err.trades.side"),
        ),
        (
            "2025-04-01,buy,72-03,us,1,1,ACC-1",
            Column::SecurityCode,
            msg!("err.trades.security_code"),
        ),
        (
            "2025-04-01,buy,ABCDEFGHIJKLM,us,1,1,ACC-1",
            Column::SecurityCode,
            msg!("err.trades.security_code"),
        ),
        (
            "2025-04-01,buy,7203,moon,1,1,ACC-1",
            Column::Market,
            msg!("err.trades.market"),
        ),
        (
            "2025-04-01,buy,7203,us,0,1,ACC-1",
            Column::Quantity,
            msg!("err.trades.quantity"),
        ),
        (
            "2025-04-01,buy,7203,us,1.5,1,ACC-1",
            Column::Quantity,
            msg!("err.trades.quantity"),
        ),
        (
            "2025-04-01,buy,7203,us,1,0,ACC-1",
            Column::AmountJpy,
            msg!("err.trades.amount"),
        ),
        (
            "2025-04-01,buy,7203,us,1,-5,ACC-1",
            Column::AmountJpy,
            msg!("err.trades.amount"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,a@b.jp",
            Column::AccountRef,
            msg!("err.trades.account_email"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,1234567",
            Column::AccountRef,
            msg!("err.trades.account_number"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,abc",
            Column::AccountRef,
            msg!("err.trades.account_ref"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,ab cd",
            Column::AccountRef,
            msg!("err.trades.account_ref"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,",
            Column::AccountRef,
            msg!("err.required"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,AC\0C1",
            Column::AccountRef,
            msg!("err.trades.control"),
        ),
        (
            "2025-04-01,buy,7203,us,1,1,AC\"C1",
            Column::AccountRef,
            msg!("err.trades.quote"),
        ),
    ];
    for (line, column, key) in cases {
        assert_eq!(keys(line), vec![(Some(column), key)], "{line:?}");
    }
    assert_eq!(keys("x!,x!,x!,x!,x!,x!,x!").len(), 7);
    assert!(
        row("2025-04-01,buy,7203,us,1,1,12345").is_ok(),
        "5 digits pass"
    );
}

#[test]
fn headers_in_either_language_and_any_order() {
    let en: Vec<&[u8]> = "trade_date,side,security_code,market,quantity,amount_jpy,account_ref"
        .split(',')
        .map(str::as_bytes)
        .collect();
    assert!(Header::recognise(&en).is_ok());
    let ja: Vec<&[u8]> = "口座参照,約定日,売買区分,銘柄コード,市場,数量,金額（円）"
        .split(',')
        .map(str::as_bytes)
        .collect();
    let header = Header::recognise(&ja).unwrap();
    let fields = header.arrange(&ja).unwrap();
    assert_eq!(fields[0], "約定日".as_bytes());
    assert!(Header::recognise(&en[..6]).is_err());
    let twice: Vec<&[u8]> = vec![b"side"; 7];
    assert!(Header::recognise(&twice).is_err());
}

#[test]
fn encodings_are_told_apart() {
    assert_eq!(sniff(b"a,b\n", true), Ok(TextEncoding::Utf8));
    assert_eq!(sniff(b"\xEF\xBB\xBFa,b\n", true), Ok(TextEncoding::Utf8Bom));
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("約定日,市場\n国内\n");
    assert_eq!(sniff(&sjis, true), Ok(TextEncoding::ShiftJis));
    assert_eq!(sniff(b"\xFF\xFEa\0", true), Err(FileProblem::Utf16));
    assert_eq!(sniff(b"%PDF-1.7\n", true), Err(FileProblem::Binary));
    assert_eq!(sniff(b"", true), Err(FileProblem::Empty));
    assert_eq!(sniff(&[0u8; 100], true), Err(FileProblem::Binary));
    // A UTF-8 character cut at the end of a partial prefix.
    assert_eq!(
        sniff("国".as_bytes().get(..2).unwrap(), false),
        Ok(TextEncoding::Utf8)
    );
}

#[test]
fn shift_jis_decodes_in_small_reads() {
    let text = "約定日,売買区分\n".repeat(10_000);
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    let mut reader = Decoded::new(&sjis[..], TextEncoding::ShiftJis);
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8(out).unwrap(), text);
    let mut bom = String::new();
    Decoded::new(&b"\xEF\xBB\xBFabc"[..], TextEncoding::Utf8Bom)
        .read_to_string(&mut bom)
        .unwrap();
    assert_eq!(bom, "abc");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = sniff(&bytes, true);
        let _ = sniff(&bytes, false);
        let mut text = String::new();
        let _ = Decoded::new(&bytes[..], TextEncoding::ShiftJis).read_to_string(&mut text);
        let parts: Vec<&[u8]> = bytes.split(|b| *b == b',').collect();
        let _ = Header::recognise(&parts);
        if let Ok(fields) = <[&[u8]; COLUMNS]>::try_from(parts.clone()) {
            let _ = parse_row(fields, april(), 2);
        }
    }

    /// The whole path a file takes: sniff, decode, split into records,
    /// recognise the header, check each row.
    #[test]
    fn arbitrary_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let Ok(encoding) = sniff(&bytes, true) else { return Ok(()) };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Decoded::new(&bytes[..], encoding));
        let mut record = csv::ByteRecord::new();
        let mut header = None;
        while csv.read_byte_record(&mut record).unwrap_or(false) {
            let fields: Vec<&[u8]> = record.iter().collect();
            match header {
                None => header = Header::recognise(&fields).ok(),
                Some(h) => {
                    if let Some(arranged) = h.arrange(&fields) {
                        let _ = parse_row(arranged, april(), 2);
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_fields_never_panic(fields in proptest::array::uniform7(".{0,20}")) {
        let raw = fields.each_ref().map(|f| f.as_bytes());
        let _ = parse_row(raw, april(), 2);
    }
}
