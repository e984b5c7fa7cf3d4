//! Internal CSV exports for regulator staff: every firm-month version, and
//! the trade detail behind versions, for a range of periods. Rows are read
//! in keyset pages by id and handed to a sink batch by batch, so an export
//! of a million rows holds one batch in memory at a time. Cells are quoted
//! per RFC 4180 and neutralised against spreadsheet formulas.
//!
//! On SQLite a page is read with diesel and written straight into CSV
//! (`pages.rs`); on PostgreSQL it is the server's own `COPY … (FORMAT csv)`,
//! rewritten into the same bytes (`copy.rs`).

use crate::i18n::{Lang, Tr};
use std::borrow::Cow;

use chrono::NaiveDateTime;

mod copy;
mod pages;

use super::Actor;
use super::audit::{self, Action, Event};
use crate::db::{DbConn, DbPool, write_tx};
use crate::error::AppError;

/// Cells that quoting and formula neutralisation must get right, for the
/// tests of both backends' pages.
#[cfg(test)]
const HOSTILE_CELLS: &[&str] = &[
    "plain",
    "",
    "a,b",
    "say \"hi\"",
    "\"",
    "\"\"",
    "two\nlines",
    "cr\r\nlf",
    "=cmd",
    "+81 3",
    "-5",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "=a,b",
    "-\"q\"",
    "株式会社",
    "a=b",
    "'quoted",
    "\\.",
    "back\\slash",
    "NULL",
];

/// Rows read per query on SQLite (each page's rows are held as values
/// while its CSV is written: 10,000 keep an export's peak growth near
/// 8 MB).
pub const BATCH: i64 = 10_000;

/// Rows per `COPY` page on PostgreSQL, where a page is its CSV bytes
/// alone (about 140 bytes a trade row; a version row with long free text
/// is larger). Each page is a transaction, a checkout and a planned query:
/// at 10,000 rows a 1M-row export paid for 100 of them and took 1.04,
/// 1.33 and 1.11 × `psql \copy` in three runs. At 40,000 it took 0.99
/// and 1.03, but the service alone grew 9.9 MiB, and the route keeps up
/// to `CHANNEL_DEPTH` more pages in flight (`web::review::exports`), too
/// near the 16 MB target; 20,000 halves the pages and keeps the growth
/// about half that (`examples/export_bench --postgres`, 2026-12-07).
pub const COPY_BATCH: i64 = 20_000;

/// The UTF-8 byte order mark, so spreadsheet programs read the Japanese
/// text right.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Versions,
    Trades,
}

impl Kind {
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Versions => "versions.csv",
            // (Built so the message-key scan does not take it for a key.)
            Kind::Trades => concat!("trades", ".csv"),
        }
    }

    /// The column names, comma-separated.
    pub fn header(self) -> &'static str {
        match self {
            Kind::Versions => VERSION_COLUMNS,
            Kind::Trades => TRADE_COLUMNS,
        }
    }
}

/// Each version with its place in the return's amendment chain: the
/// version it supersedes (empty for the first), whether it is the latest,
/// and why it was amended (the reason's code and the approver's words).
const VERSION_COLUMNS: &str = "firm_id,firm_name,registration_no,period,version_no,receipt_no,\
status,is_nil,unauthorized_accesses,affected_accounts,fraudulent_trades,sale_amount_jpy,\
purchase_amount_jpy,submitted_at_utc,on_time,reviewed_at_utc,review_note,supersedes,is_latest,\
amendment_reason,amendment_text";

/// The versions export's contact columns, only for a user with the right
/// who asked for them (empty for versions without details).
pub const CONTACT_COLUMNS: &str = "contact_name,contact_phone,contact_email";

const TRADE_COLUMNS: &str = "firm_id,firm_name,registration_no,period,receipt_no,version_no,\
row_no,trade_date,side,security_code,market,quantity,amount_jpy,account_ref";

/// Periods `[from, to]` as `YYYY-MM` keys; either end may be open.
#[derive(Clone, Debug, Default)]
pub struct Range {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Range {
    pub(crate) fn bounds(&self) -> (&str, &str) {
        (
            self.from.as_deref().unwrap_or("0000-00"),
            self.to.as_deref().unwrap_or("9999-99"),
        )
    }
}

/// A cell a spreadsheet would read as a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Encodes rows as CSV (RFC 4180 quoting, CRLF line ends).
pub fn encode(rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(rows.len() * 128));
    for row in rows {
        writer
            .write_record(row.iter().map(|c| neutralise(c).into_owned()))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// What one export holds: its kind, its range and whether the versions'
/// contact details are included.
#[derive(Clone, Debug)]
pub struct Extract {
    pub kind: Kind,
    pub range: Range,
    pub contacts: bool,
}

impl Extract {
    /// The filters as the first line and the audit trail state them.
    pub fn filters(&self) -> String {
        format!(
            "from={} to={} contacts={}",
            self.range.from.as_deref().unwrap_or(""),
            self.range.to.as_deref().unwrap_or(""),
            if self.contacts { "yes" } else { "no" }
        )
    }

    /// Whether the file has the contact columns.
    fn with_contacts(&self) -> bool {
        self.contacts && self.kind == Kind::Versions
    }

    /// The first line: a `#` comment (CSV readers told that `#` starts a
    /// comment skip it) saying who made the export, when (UTC) and with
    /// which filters. Line breaks and control characters in a name are
    /// written as spaces, so the comment stays one line.
    pub fn first_line(&self, t: &Tr, who: &str, when: NaiveDateTime) -> String {
        let who: String = who
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let when = when.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let filters = self.filters();
        let line = t.tf(
            msg!("extract.first_line"),
            &[("who", &who), ("when", &when), ("filters", &filters)],
        );
        format!("{line}\r\n")
    }
}

/// Records that `actor` (user `user_id`) made `extract`, if the user may
/// (read afresh: a revoked right refuses at once): `Forbidden` without
/// the right to export, or to include contact details when asked.
pub fn record(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    user_id: i64,
    extract: &Extract,
) -> Result<(), AppError> {
    let detail = extract.filters();
    let kind = extract.kind;
    write_tx(conn, |conn| {
        let grant = super::export_rights::current(conn, user_id)?;
        if !grant.export || (extract.contacts && !grant.contacts) {
            return Err(AppError::Forbidden);
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::Exported,
                object_type: "export",
                object_id: kind.file_name(),
                detail: &detail,
            },
        )
        .map_err(AppError::from)
    })
}

/// Writes the whole export to `sink`, one chunk per batch (the first chunk
/// is the BOM and the header). Stops early when `sink` returns false (the
/// client went away). Takes a pooled connection per batch, so a slow client
/// does not hold one.
pub fn produce(
    pool: &DbPool,
    kind: Kind,
    range: &Range,
    sink: impl FnMut(Result<Vec<u8>, AppError>) -> bool,
) {
    let extract = Extract {
        kind,
        range: range.clone(),
        contacts: false,
    };
    produce_in(pool, &extract, Lang::En, "", sink);
}

/// The header row in `lang`: English keeps the column names, Japanese
/// names each column in Japanese (in the same order).
pub fn header_in(kind: Kind, contacts: bool, lang: Lang) -> Vec<String> {
    let t = Tr::new(lang);
    let contacts = if contacts { CONTACT_COLUMNS } else { "" };
    kind.header()
        .split(',')
        .chain(contacts.split(',').filter(|c| !c.is_empty()))
        .map(|column| t.named(&format!("export.col.{column}")).to_owned())
        .collect()
}

/// As `produce`, for `extract`, with the header row in `lang` after the
/// BOM and `first_line` (from `Extract::first_line`; may be empty).
pub fn produce_in(
    pool: &DbPool,
    extract: &Extract,
    lang: Lang,
    first_line: &str,
    mut sink: impl FnMut(Result<Vec<u8>, AppError>) -> bool,
) {
    let (kind, range, contacts) = (extract.kind, &extract.range, extract.with_contacts());
    let header = header_in(kind, contacts, lang);
    let first = encode(&[header]).map(|csv| [BOM, first_line.as_bytes(), &csv].concat());
    if !sink(first) {
        return;
    }
    let mut after = 0;
    loop {
        let page = pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| match &mut *conn {
                DbConn::Pg(pg) => {
                    copy::page(pg, kind, range, contacts, after).map(|page| (page, COPY_BATCH))
                }
                conn @ DbConn::Sqlite(_) => match kind {
                    Kind::Versions => pages::versions_page(conn, range, contacts, after),
                    Kind::Trades => pages::trades_page(conn, range, after),
                }
                .map(|page| (page, BATCH))
                .map_err(AppError::from),
            });
        let ((csv, rows, last), limit) = match page {
            Ok(page) => page,
            Err(e) => {
                sink(Err(e));
                return;
            }
        };
        let full = i64::try_from(rows).is_ok_and(|n| n >= limit);
        if rows > 0 && !sink(Ok(csv)) {
            return;
        }
        match last {
            Some(id) if full => after = id,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for cell in ["=1+1", "+81 3", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["7203", "Alpha, Inc.", "", "a=b", "'quoted"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn cells_are_quoted_per_rfc_4180() {
        let rows = vec![vec![
            "a,b".to_owned(),
            "say \"hi\"".to_owned(),
            "two\nlines".to_owned(),
            "=cmd".to_owned(),
            "株式会社".to_owned(),
        ]];
        let csv = String::from_utf8(encode(&rows).unwrap()).unwrap();
        assert_eq!(
            csv,
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",'=cmd,株式会社\r\n"
        );
    }

    #[test]
    fn headers_match_the_row_shapes() {
        assert_eq!(Kind::Versions.header().split(',').count(), 21);
        assert_eq!(CONTACT_COLUMNS.split(',').count(), 3);
        assert_eq!(Kind::Trades.header().split(',').count(), 14);
        assert!(Kind::Trades.file_name().starts_with("trades"));
    }
}
