//! The values of single trade-detail fields: side, market, date, security
//! code, quantity, amount and the pseudonymous account reference.

use crate::i18n::Key;
use chrono::NaiveDate;

use crate::domain::period::Period;
use crate::domain::yen::{AmountError, Count, Yen};

/// Which way the trade went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Sell,
    Buy,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Sell => "sell",
            Side::Buy => "buy",
        }
    }

    /// `sell`/`buy` in any case, or 売/買, 売却/買付, 売付.
    pub fn parse(text: &str) -> Result<Side, Key> {
        match text {
            "sell" => return Ok(Side::Sell),
            "buy" => return Ok(Side::Buy),
            _ => {}
        }
        match text.to_ascii_lowercase().as_str() {
            "sell" | "売" | "売却" | "売付" => Ok(Side::Sell),
            "buy" | "買" | "買付" => Ok(Side::Buy),
            _ => Err(msg!("err.trades.side")),
        }
    }
}

/// Where the security trades (the FSA's purchase breakdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Market {
    Domestic,
    ChinaHk,
    Us,
    Other,
}

impl Market {
    pub const ALL: [Market; 4] = [Market::Domestic, Market::ChinaHk, Market::Us, Market::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Market::Domestic => "domestic",
            Market::ChinaHk => "china_hk",
            Market::Us => "us",
            Market::Other => "other",
        }
    }

    /// Position in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The English values in any case, or 国内, 中国・香港, 米国, その他.
    pub fn parse(text: &str) -> Result<Market, Key> {
        if let Some(market) = Market::ALL.into_iter().find(|m| m.as_str() == text) {
            return Ok(market);
        }
        match text.to_ascii_lowercase().as_str() {
            "domestic" | "国内" | "日本" => Ok(Market::Domestic),
            "china_hk" | "中国・香港" | "中国/香港" | "中国･香港" | "中国香港" => {
                Ok(Market::ChinaHk)
            }
            "us" | "米国" | "アメリカ" => Ok(Market::Us),
            "other" | "その他" => Ok(Market::Other),
            _ => Err(msg!("err.trades.market")),
        }
    }
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (month and day may have one digit, as
/// Japanese Excel writes them), inside the return's month.
pub fn date(text: &str, period: Period) -> Result<NaiveDate, Key> {
    let mut parts = text.split(['-', '/']);
    let mut number = |max_len: usize| -> Option<u32> {
        let part = parts.next()?;
        if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let parsed = match (number(4), number(2), number(2)) {
        (Some(y), Some(m), Some(d)) if parts.next().is_none() => i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    };
    let day = parsed.ok_or(msg!("err.trades.date"))?;
    if period.contains(day) {
        Ok(day)
    } else {
        Err(msg!("err.trades.date_outside_period"))
    }
}

/// Up to 12 characters of A-Z, 0-9 and `.` (lower case is raised).
pub fn security_code(text: &str) -> Result<String, Key> {
    let code = text.to_ascii_uppercase();
    if code.len() <= 12
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.')
    {
        Ok(code)
    } else {
        Err(msg!("err.trades.security_code"))
    }
}

/// Plain ASCII digits, short enough not to overflow: the common case,
/// parsed without the general parser's folding.
fn plain_digits(text: &str) -> Option<i64> {
    if text.len() <= 15 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// A whole number of at least 1 (grouping commas allowed).
pub fn quantity(text: &str) -> Result<i64, Key> {
    if let Some(n) = plain_digits(text).filter(|n| (1..=1_000_000_000_000).contains(n)) {
        return Ok(n);
    }
    match Count::parse(text) {
        Ok(c) if c.value() >= 1 => Ok(c.value()),
        Err(AmountError::TooLarge) => Err(msg!("err.number.too_large")),
        _ => Err(msg!("err.trades.quantity")),
    }
}

/// Whole yen, at least 1 (grouping commas, ¥ and 円 allowed).
pub fn amount(text: &str) -> Result<i64, Key> {
    if let Some(n) = plain_digits(text).filter(|n| *n >= 1) {
        return Ok(n);
    }
    match Yen::parse(text) {
        Ok(y) if y.value() >= 1 => Ok(y.value()),
        Err(AmountError::TooLarge) => Err(msg!("err.number.too_large")),
        _ => Err(msg!("err.trades.amount")),
    }
}

/// A pseudonymous reference: 4-64 letters, digits, `-` or `_`; never an
/// email address nor six or more digits alone (a raw account number).
pub fn account_ref(text: &str) -> Result<String, Key> {
    if text.contains('@') {
        return Err(msg!("err.trades.account_email"));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if !(4..=64).contains(&text.len()) || !text.bytes().all(allowed) {
        return Err(msg!("err.trades.account_ref"));
    }
    if text.len() >= 6 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(msg!("err.trades.account_number"));
    }
    Ok(text.to_owned())
}
