//! Trade detail: one CSV record of a fraudulent trade parsed into a typed
//! `TradeRow`, the header recognised in English or Japanese, and every
//! problem named by row, column and message key. Pure: no I/O.

pub mod encoding;
mod fields;
pub mod line_endings;

#[cfg(test)]
mod tests;

use crate::i18n::Key;
use chrono::NaiveDate;

use super::period::Period;

pub use fields::{Market, Side};

/// Columns of the trade-detail CSV.
pub const COLUMNS: usize = 7;
/// Longest field accepted, in bytes (the longest real one is 64).
pub const MAX_FIELD_BYTES: usize = 256;

/// A column of the file, in the template's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    TradeDate,
    Side,
    SecurityCode,
    Market,
    Quantity,
    AmountJpy,
    AccountRef,
}

impl Column {
    pub const ALL: [Column; COLUMNS] = [
        Column::TradeDate,
        Column::Side,
        Column::SecurityCode,
        Column::Market,
        Column::Quantity,
        Column::AmountJpy,
        Column::AccountRef,
    ];

    /// The message of a value this column cannot hold.
    pub fn rule_key(self) -> Key {
        match self {
            Column::TradeDate => msg!("err.trades.date"),
            Column::Side => msg!("err.trades.side"),
            Column::SecurityCode => msg!("err.trades.security_code"),
            Column::Market => msg!("err.trades.market"),
            Column::Quantity => msg!("err.trades.quantity"),
            Column::AmountJpy => msg!("err.trades.amount"),
            Column::AccountRef => msg!("err.trades.account_ref"),
        }
    }

    /// The English header, as in the template.
    pub fn name(self) -> &'static str {
        match self {
            Column::TradeDate => "trade_date",
            Column::Side => "side",
            Column::SecurityCode => "security_code",
            Column::Market => "market",
            Column::Quantity => "quantity",
            Column::AmountJpy => "amount_jpy",
            Column::AccountRef => "account_ref",
        }
    }

    /// Japanese headers accepted for the column.
    fn japanese(self) -> &'static [&'static str] {
        match self {
            Column::TradeDate => &["約定日", "取引日", "売買日"],
            Column::Side => &["売買区分", "売買", "取引区分"],
            Column::SecurityCode => &["銘柄コード", "証券コード", "コード"],
            Column::Market => &["市場", "市場区分"],
            Column::Quantity => &["数量", "株数", "約定数量"],
            Column::AmountJpy => &["金額", "約定金額", "金額(円)", "約定金額(円)"],
            Column::AccountRef => &["口座参照", "口座参照番号", "仮名口座id", "口座id"],
        }
    }

    fn recognise(text: &str) -> Option<Column> {
        let folded: String = text
            .trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect::<String>()
            .to_ascii_lowercase();
        Column::ALL
            .into_iter()
            .find(|col| col.name() == folded || col.japanese().contains(&folded.as_str()))
    }
}

/// One trade, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRow {
    pub trade_date: NaiveDate,
    pub side: Side,
    pub security_code: String,
    pub market: Market,
    pub quantity: i64,
    pub amount_jpy: i64,
    pub account_ref: String,
}

/// A problem in the file. `row` counts lines as a spreadsheet does (the
/// header is row 1); `column` is `None` when the whole row or file is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem {
    pub row: u64,
    pub column: Option<Column>,
    pub key: Key,
}

/// Where each column sits in the file (headers may come in any order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    positions: [usize; COLUMNS],
}

impl Header {
    /// Recognises the header row: every column exactly once, nothing else.
    pub fn recognise(fields: &[&[u8]]) -> Result<Header, Key> {
        if fields.len() != COLUMNS {
            return Err(msg!("err.trades.header"));
        }
        let mut positions = [usize::MAX; COLUMNS];
        for (at, raw) in fields.iter().enumerate() {
            let text = std::str::from_utf8(raw).map_err(|_| msg!("err.trades.header"))?;
            let column = Column::recognise(text).ok_or(msg!("err.trades.header"))?;
            let slot = &mut positions[column as usize];
            if *slot != usize::MAX {
                return Err(msg!("err.trades.header"));
            }
            *slot = at;
        }
        Ok(Header { positions })
    }

    /// The fields of a record in column order, if it has the right count.
    pub fn arrange<'a>(&self, fields: &[&'a [u8]]) -> Option<[&'a [u8]; COLUMNS]> {
        if fields.len() != COLUMNS {
            return None;
        }
        Some(self.positions.map(|at| fields[at]))
    }

    /// Where `column` sits in the file.
    pub fn position(&self, column: Column) -> usize {
        self.positions[column as usize]
    }
}

/// The text of one field: valid UTF-8, no control characters or stray
/// quotes, not too long; surrounding spaces trimmed.
fn field_text(raw: &[u8]) -> Result<&str, Key> {
    if raw.len() > MAX_FIELD_BYTES {
        return Err(msg!("err.trades.too_long"));
    }
    let text = std::str::from_utf8(raw).map_err(|_| msg!("err.trades.encoding"))?;
    if text.contains('\u{fffd}') {
        return Err(msg!("err.trades.encoding"));
    }
    if text.chars().any(char::is_control) {
        return Err(msg!("err.trades.control"));
    }
    if text.contains('"') {
        return Err(msg!("err.trades.quote"));
    }
    let text = text.trim_matches(|c: char| c.is_whitespace());
    if text.is_empty() {
        return Err(msg!("err.required"));
    }
    Ok(text)
}

/// Checks one record (fields in column order) of the return for `period`.
/// `row` is the record's line in the file; every bad column is reported.
pub fn parse_row(
    fields: [&[u8]; COLUMNS],
    period: Period,
    row: u64,
) -> Result<TradeRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut check =
        |column: Column, parse: &dyn Fn(&str) -> Result<FieldValue, Key>| match field_text(
            fields[column as usize],
        )
        .and_then(parse)
        {
            Ok(value) => Some(value),
            Err(key) => {
                problems.push(Problem {
                    row,
                    column: Some(column),
                    key,
                });
                None
            }
        };
    let date = check(Column::TradeDate, &|t| {
        fields::date(t, period).map(FieldValue::Date)
    });
    let side = check(Column::Side, &|t| Side::parse(t).map(FieldValue::Side));
    let code = check(Column::SecurityCode, &|t| {
        fields::security_code(t).map(FieldValue::Text)
    });
    let market = check(Column::Market, &|t| {
        Market::parse(t).map(FieldValue::Market)
    });
    let quantity = check(Column::Quantity, &|t| {
        fields::quantity(t).map(FieldValue::Int)
    });
    let amount = check(Column::AmountJpy, &|t| {
        fields::amount(t).map(FieldValue::Int)
    });
    let account = check(Column::AccountRef, &|t| {
        fields::account_ref(t).map(FieldValue::Text)
    });
    match (date, side, code, market, quantity, amount, account) {
        (
            Some(FieldValue::Date(trade_date)),
            Some(FieldValue::Side(side)),
            Some(FieldValue::Text(security_code)),
            Some(FieldValue::Market(market)),
            Some(FieldValue::Int(quantity)),
            Some(FieldValue::Int(amount_jpy)),
            Some(FieldValue::Text(account_ref)),
        ) if problems.is_empty() => Ok(TradeRow {
            trade_date,
            side,
            security_code,
            market,
            quantity,
            amount_jpy,
            account_ref,
        }),
        _ => Err(problems),
    }
}

/// A parsed field, before it takes its place in a `TradeRow`.
enum FieldValue {
    Date(NaiveDate),
    Side(Side),
    Market(Market),
    Int(i64),
    Text(String),
}
