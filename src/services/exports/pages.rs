//! The keyset-paged reads behind the exports on SQLite: one page of rows
//! after an id, already encoded as CSV, with the row count and the last id
//! read. (PostgreSQL pages come from `COPY`: see `copy.rs`.)

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::{BATCH, Range};
use crate::db::DbConn;
use crate::db::schema::{
    firms, return_versions, returns, trade_details, version_amendments, version_details,
};

/// A page: the CSV of its rows, how many rows, the last id.
pub(super) type Page = (Vec<u8>, usize, Option<i64>);

/// Writes one CSV line cell by cell, as `encode` would (RFC 4180 quoting
/// where needed, formula starts neutralised, CRLF), without building the
/// cells as Strings first.
pub(super) struct Line<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Line<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Line { out, first: true }
    }

    fn sep(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    pub(super) fn text(&mut self, cell: &str) -> &mut Self {
        self.sep();
        text(self.out, cell);
        self
    }

    pub(super) fn int(&mut self, n: i64) -> &mut Self {
        self.sep();
        if n < 0 {
            // Neutralised, as "-5" is a formula start.
            self.out.push(b'\'');
            self.out.push(b'-');
        }
        digits(self.out, n.unsigned_abs(), 1);
        self
    }

    pub(super) fn bool(&mut self, b: bool) -> &mut Self {
        self.text(if b { "true" } else { "false" })
    }

    /// `%Y-%m-%d`.
    pub(super) fn date(&mut self, d: NaiveDate) -> &mut Self {
        self.sep();
        ymd(self.out, d);
        self
    }

    /// `%Y-%m-%dT%H:%M:%S%.6fZ`.
    pub(super) fn utc(&mut self, t: NaiveDateTime) -> &mut Self {
        self.sep();
        let nanos = t.nanosecond();
        if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
            // Out of the fast path's reach (and of any real data): chrono.
            text(self.out, &t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            return self;
        }
        ymd(self.out, t.date());
        self.out.push(b'T');
        digits(self.out, u64::from(t.hour()), 2);
        self.out.push(b':');
        digits(self.out, u64::from(t.minute()), 2);
        self.out.push(b':');
        digits(self.out, u64::from(t.second()), 2);
        self.out.push(b'.');
        digits(self.out, u64::from(nanos / 1_000), 6);
        self.out.push(b'Z');
        self
    }

    pub(super) fn empty(&mut self) -> &mut Self {
        self.sep();
        self
    }

    pub(super) fn end(&mut self) {
        self.out.extend_from_slice(b"\r\n");
    }
}

fn ymd(out: &mut Vec<u8>, d: NaiveDate) {
    if !(0..=9999).contains(&d.year()) {
        // Out of the fast path's reach: chrono's text, as a text cell (a
        // year before 0 starts with `-`).
        text(out, &d.format("%Y-%m-%d").to_string());
        return;
    }
    digits(out, u64::try_from(d.year()).unwrap_or_default(), 4);
    out.push(b'-');
    digits(out, u64::from(d.month()), 2);
    out.push(b'-');
    digits(out, u64::from(d.day()), 2);
}

/// A text cell: a leading `'` if it starts like a formula, in quotes (with
/// quotes doubled) if it holds `,` `"` CR or LF.
fn text(out: &mut Vec<u8>, cell: &str) {
    let bytes = cell.as_bytes();
    let formula = bytes
        .first()
        .is_some_and(|b| matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    if bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.push(b'"');
        if formula {
            out.push(b'\'');
        }
        for part in bytes.split_inclusive(|b| *b == b'"') {
            out.extend_from_slice(part);
            if part.last() == Some(&b'"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        if formula {
            out.push(b'\'');
        }
        out.extend_from_slice(bytes);
    }
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn digits(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    while n > 0 || buf.len() - at < width {
        at -= 1;
        // `n % 10` is below 10.
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[at..]);
}

type VersionLine = (
    (i64, i64, String, i32, String, String, bool),
    (i64, i64, i64, i64, i64),
    (NaiveDateTime, bool, Option<NaiveDateTime>, Option<String>),
    (String, String, i32),
    (Option<String>, Option<String>),
    (Option<String>, Option<String>, Option<String>),
);

/// A page of versions, each with its amendment chain (from its own row,
/// its return's current version and its reason, joined: no query per
/// row) and, when `contacts`, its contact details.
pub(super) fn versions_page(
    conn: &mut DbConn,
    range: &Range,
    contacts: bool,
    after: i64,
) -> QueryResult<Page> {
    let (from, to) = range.bounds();
    let lines: Vec<VersionLine> = return_versions::table
        .inner_join(firms::table)
        .inner_join(returns::table)
        .left_join(version_amendments::table)
        .left_join(version_details::table)
        .filter(return_versions::id.gt(after))
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .order(return_versions::id.asc())
        .limit(BATCH)
        .select((
            (
                return_versions::id,
                return_versions::firm_id,
                return_versions::period,
                return_versions::version_no,
                return_versions::receipt_no,
                return_versions::status,
                return_versions::is_nil,
            ),
            (
                return_versions::unauthorized_accesses,
                return_versions::affected_accounts,
                return_versions::fraudulent_trades,
                return_versions::sale_amount_jpy,
                return_versions::purchase_amount_jpy,
            ),
            (
                return_versions::submitted_at,
                return_versions::on_time,
                return_versions::reviewed_at,
                return_versions::review_note,
            ),
            (
                firms::name,
                firms::registration_no,
                returns::current_version,
            ),
            (
                version_amendments::reason.nullable(),
                version_amendments::reason_text.nullable(),
            ),
            (
                version_details::contact_name.nullable(),
                version_details::contact_phone.nullable(),
                version_details::contact_email.nullable(),
            ),
        ))
        .load(conn)?;
    let last = lines.last().map(|l| l.0.0);
    let mut out = Vec::with_capacity(lines.len() * 256);
    for (
        (_, firm, period, no, receipt, status, nil),
        (acc, accts, tr, sale, buy),
        (sub, on_time, rev, note),
        (name, reg, current),
        (reason, reason_text),
        (contact_name, contact_phone, contact_email),
    ) in &lines
    {
        let mut line = Line::new(&mut out);
        line.int(*firm)
            .text(name)
            .text(reg)
            .text(period)
            .int(i64::from(*no))
            .text(receipt)
            .text(status)
            .bool(*nil)
            .int(*acc)
            .int(*accts)
            .int(*tr)
            .int(*sale)
            .int(*buy)
            .utc(*sub)
            .bool(*on_time);
        match rev {
            Some(rev) => line.utc(*rev),
            None => line.empty(),
        };
        line.text(note.as_deref().unwrap_or_default());
        match *no {
            n if n > 1 => line.int(i64::from(n - 1)),
            _ => line.empty(),
        };
        line.bool(no == current)
            .text(reason.as_deref().unwrap_or_default())
            .text(reason_text.as_deref().unwrap_or_default());
        if contacts {
            line.text(contact_name.as_deref().unwrap_or_default())
                .text(contact_phone.as_deref().unwrap_or_default())
                .text(contact_email.as_deref().unwrap_or_default());
        }
        line.end();
    }
    Ok((out, lines.len(), last))
}

type TradeLine = (
    (
        i64,
        i32,
        NaiveDate,
        String,
        String,
        String,
        i64,
        i64,
        String,
    ),
    (i64, String, String, i32),
    (String, String),
);

pub(super) fn trades_page(conn: &mut DbConn, range: &Range, after: i64) -> QueryResult<Page> {
    let (from, to) = range.bounds();
    let lines: Vec<TradeLine> = trade_details::table
        .inner_join(return_versions::table.inner_join(firms::table))
        .filter(trade_details::id.gt(after))
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .order(trade_details::id.asc())
        .limit(BATCH)
        .select((
            (
                trade_details::id,
                trade_details::row_no,
                trade_details::trade_date,
                trade_details::side,
                trade_details::security_code,
                trade_details::market,
                trade_details::quantity,
                trade_details::amount_jpy,
                trade_details::account_ref,
            ),
            (
                return_versions::firm_id,
                return_versions::period,
                return_versions::receipt_no,
                return_versions::version_no,
            ),
            (firms::name, firms::registration_no),
        ))
        .load(conn)?;
    let last = lines.last().map(|l| l.0.0);
    let mut out = Vec::with_capacity(lines.len() * 160);
    for (
        (_, row, date, side, code, market, qty, amount, account),
        (firm, period, receipt, no),
        (name, reg),
    ) in &lines
    {
        Line::new(&mut out)
            .int(*firm)
            .text(name)
            .text(reg)
            .text(period)
            .text(receipt)
            .int(i64::from(*no))
            .int(i64::from(*row))
            .date(*date)
            .text(side)
            .text(code)
            .text(market)
            .int(*qty)
            .int(*amount)
            .text(account)
            .end();
    }
    Ok((out, lines.len(), last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::exports::encode;

    #[test]
    fn lines_are_exactly_what_encode_writes() {
        let texts = crate::services::exports::HOSTILE_CELLS;
        let date = NaiveDate::from_ymd_opt(2025, 4, 3).unwrap();
        let times = [
            date.and_hms_micro_opt(10, 0, 0, 0).unwrap(),
            date.and_hms_nano_opt(23, 59, 7, 123_456_789).unwrap(),
            NaiveDate::from_ymd_opt(9, 1, 31)
                .unwrap()
                .and_hms_micro_opt(0, 0, 0, 1)
                .unwrap(),
            NaiveDate::from_ymd_opt(-1, 12, 31)
                .unwrap()
                .and_hms_opt(1, 2, 3)
                .unwrap(),
            NaiveDate::from_ymd_opt(12345, 1, 1)
                .unwrap()
                .and_hms_opt(1, 2, 3)
                .unwrap(),
        ];
        let ints = [0, 7, -5, 1_000_000, i64::MAX, i64::MIN];
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let t = times[i % times.len()];
            let n = ints[i % ints.len()];
            Line::new(&mut out)
                .text(text)
                .int(n)
                .utc(t)
                .date(t.date())
                .bool(i % 2 == 0)
                .empty()
                .text(text)
                .end();
            rows.push(vec![
                (*text).to_owned(),
                n.to_string(),
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                t.date().format("%Y-%m-%d").to_string(),
                (i % 2 == 0).to_string(),
                String::new(),
                (*text).to_owned(),
            ]);
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(encode(&rows).unwrap()).unwrap()
        );
    }
}
