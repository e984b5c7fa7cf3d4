//! PostgreSQL pages: `COPY (SELECT …) TO STDOUT (FORMAT csv)`, so the
//! server's own CSV writer does the work (as `psql \copy` does), rewritten
//! on the way into the export's dialect by [`Rewriter`].
//!
//! COPY takes no bind parameters and diesel's `copy_to` builds its statement
//! from the target's type alone, so the page's bounds reach the SELECT as
//! transaction-local settings (`set_config(…, true)`, bound) read back with
//! `current_setting`. Each page is one short read-only transaction, so the
//! pooled connection is given back between pages, as on SQLite.

use std::io::BufRead;

use diesel::pg::{CopyFormat, CopyTarget, Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::sql_types::Text;

use super::pages::Page;
use super::{COPY_BATCH, Kind, Range};
use crate::db::schema::{return_versions, trade_details};
use crate::error::AppError;

/// The trade rows after `portal.export_after`, id first (dropped by the
/// rewriter). `trade_date` prints as `YYYY-MM-DD` under `DateStyle = ISO`.
const TRADES: &str = "(SELECT t.id, v.firm_id, f.name, f.registration_no, v.period, \
v.receipt_no, v.version_no, t.row_no, t.trade_date, t.side, t.security_code, t.market, \
t.quantity, t.amount_jpy, t.account_ref \
FROM trade_details t JOIN return_versions v ON v.id = t.version_id \
JOIN firms f ON f.id = v.firm_id \
WHERE t.id > current_setting('portal.export_after')::bigint \
AND v.period >= current_setting('portal.export_from') \
AND v.period <= current_setting('portal.export_to') \
ORDER BY t.id LIMIT ";

/// The version rows after `portal.export_after`, id first, each with its
/// amendment chain (joined, as on SQLite). Booleans as `true`/`false` and
/// timestamps as `%Y-%m-%dT%H:%M:%S%.6fZ`, as the SQLite path writes them.
/// The contact columns, when asked for, go between the columns and `FROM`.
const VERSIONS: &str = "(SELECT v.id, v.firm_id, f.name, f.registration_no, v.period, \
v.version_no, v.receipt_no, v.status, v.is_nil::text, v.unauthorized_accesses, \
v.affected_accounts, v.fraudulent_trades, v.sale_amount_jpy, v.purchase_amount_jpy, \
to_char(v.submitted_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), v.on_time::text, \
to_char(v.reviewed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), v.review_note, \
CASE WHEN v.version_no > 1 THEN v.version_no - 1 END, \
(v.version_no = r.current_version)::text, a.reason, a.reason_text";

const VERSION_CONTACTS: &str = ", d.contact_name, d.contact_phone, d.contact_email";

const VERSIONS_FROM: &str = " FROM return_versions v JOIN firms f ON f.id = v.firm_id \
JOIN returns r ON r.id = v.return_id \
LEFT JOIN version_amendments a ON a.version_id = v.id \
LEFT JOIN version_details d ON d.version_id = v.id \
WHERE v.id > current_setting('portal.export_after')::bigint \
AND v.period >= current_setting('portal.export_from') \
AND v.period <= current_setting('portal.export_to') \
ORDER BY v.id LIMIT ";

/// The COPY source of a trades page (a subquery, not a table).
struct TradesPage;

/// The COPY source of a versions page.
struct VersionsPage;

/// The COPY source of a versions page with the contact columns.
struct VersionsWithContactsPage;

fn walk(sql: &str, mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
    pass.push_sql(sql);
    pass.push_sql(&COPY_BATCH.to_string());
    pass.push_sql(")");
    Ok(())
}

// `copy_to` only needs the target's SQL; `Table` and `SqlType` matter only
// to its typed `load`, which is not used here. diesel documents `CopyTarget`
// for tables and column tuples and hides `walk_target` from its docs, so a
// diesel upgrade may change it: a change of shape fails to compile, and the
// PostgreSQL tests below compare these pages with the diesel-read ones.
impl CopyTarget for TradesPage {
    type Table = trade_details::table;
    type SqlType = Text;

    fn walk_target(pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        walk(TRADES, pass)
    }
}

impl CopyTarget for VersionsPage {
    type Table = return_versions::table;
    type SqlType = Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        pass.push_sql(VERSIONS);
        walk(VERSIONS_FROM, pass)
    }
}

impl CopyTarget for VersionsWithContactsPage {
    type Table = return_versions::table;
    type SqlType = Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        pass.push_sql(VERSIONS);
        pass.push_sql(VERSION_CONTACTS);
        walk(VERSIONS_FROM, pass)
    }
}

/// One page after id `after`: the CSV (CRLF line ends), the number of rows
/// and the last id.
pub(super) fn page(
    conn: &mut PgConnection,
    kind: Kind,
    range: &Range,
    contacts: bool,
    after: i64,
) -> Result<Page, AppError> {
    match (kind, contacts) {
        (Kind::Trades, _) => copy_page(conn, TradesPage, range, after),
        (Kind::Versions, false) => copy_page(conn, VersionsPage, range, after),
        (Kind::Versions, true) => copy_page(conn, VersionsWithContactsPage, range, after),
    }
}

/// `page` for the COPY source `target`.
fn copy_page<T: CopyTarget>(
    conn: &mut PgConnection,
    target: T,
    range: &Range,
    after: i64,
) -> Result<Page, AppError> {
    let (from, to) = range.bounds();
    conn.build_transaction().read_only().run(|conn| {
        diesel::sql_query(
            "SELECT set_config('datestyle', 'ISO', true), \
             set_config('portal.export_after', $1, true), \
             set_config('portal.export_from', $2, true), \
             set_config('portal.export_to', $3, true)",
        )
        .bind::<Text, _>(after.to_string())
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .execute(conn)?;
        let mut rewriter = Rewriter::default();
        copy_into(conn, target, &mut rewriter)?;
        // A COPY that fails part-way just ends, its error left unread (the
        // pending result is dropped by the next statement); it aborted the
        // transaction, which this statement then reports.
        diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")?;
        rewriter.finish()
    })
}

/// Runs the COPY of `target`, feeding all it sends to `rewriter`.
fn copy_into<T: CopyTarget>(
    conn: &mut PgConnection,
    target: T,
    rewriter: &mut Rewriter,
) -> Result<(), AppError> {
    let mut copy = diesel::copy_to(target)
        .with_format(CopyFormat::Csv)
        .load_raw(conn)?;
    loop {
        let chunk = copy
            .fill_buf()
            .map_err(|e| AppError::Internal(format!("copy: {e}")))?;
        if chunk.is_empty() {
            return Ok(());
        }
        let n = chunk.len();
        rewriter.feed(chunk)?;
        copy.consume(n);
    }
}

/// Where the rewriter is in PostgreSQL's CSV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// At the start of a line.
    #[default]
    LineStart,
    /// In the leading id column, past its first digit.
    Id,
    /// At the first byte of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Just after a field's opening quote.
    QuotedStart,
    /// After an opening quote and one more quote: `""` (empty) or `"""…`.
    QuotedStartQuote,
    /// Inside a quoted field.
    Quoted,
    /// After a quote inside a quoted field: an escaped quote or the end.
    QuotedQuote,
    /// After a field, at its separator.
    AfterField,
}

/// Rewrites PostgreSQL's CSV (`FORMAT csv`: RFC 4180 quoting of fields
/// holding `,` `"` CR or LF, LF line ends, `""` for an empty string, nothing
/// for NULL) into the export's: the id column dropped (and kept as the
/// keyset), each field starting with `= + - @ TAB CR` given a leading `'`
/// (inside its quotes), empty strings written as nothing and lines ended
/// with CRLF. That is byte for byte what `encode` writes for the same cells.
/// Input may come in pieces split anywhere.
#[derive(Debug, Default)]
pub(super) struct Rewriter {
    state: State,
    id: i64,
    last: Option<i64>,
    rows: usize,
    out: Vec<u8>,
}

fn formula_start(b: u8) -> bool {
    matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
}

impl Rewriter {
    pub(super) fn feed(&mut self, input: &[u8]) -> Result<(), AppError> {
        let bad = || AppError::Internal("copy: unexpected CSV from PostgreSQL".to_owned());
        self.out.reserve(input.len() + 8);
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            if self.state == State::LineStart {
                // At a line start: most lines take the fast path.
                if let Some(n) = self.plain_line(&input[i..]) {
                    i += n;
                    continue;
                }
            }
            match self.state {
                State::LineStart | State::Id => {
                    i += 1;
                    if b == b',' && self.state == State::Id {
                        self.last = Some(self.id);
                        self.rows += 1;
                        self.id = 0;
                        self.state = State::FieldStart;
                    } else if b.is_ascii_digit() {
                        self.state = State::Id;
                        self.id = self
                            .id
                            .checked_mul(10)
                            .and_then(|id| id.checked_add(i64::from(b - b'0')))
                            .ok_or_else(bad)?;
                    } else {
                        return Err(bad());
                    }
                }
                State::FieldStart => match b {
                    b'"' => {
                        i += 1;
                        self.state = State::QuotedStart;
                    }
                    b',' | b'\n' => self.state = State::AfterField,
                    _ => {
                        if formula_start(b) {
                            self.out.push(b'\'');
                        }
                        self.state = State::Unquoted;
                    }
                },
                State::Unquoted => {
                    let rest = &input[i..];
                    match rest.iter().position(|&c| c == b',' || c == b'\n') {
                        Some(n) => {
                            self.out.extend_from_slice(&rest[..n]);
                            i += n;
                            self.state = State::AfterField;
                        }
                        None => {
                            self.out.extend_from_slice(rest);
                            i = input.len();
                        }
                    }
                }
                State::QuotedStart => {
                    if b == b'"' {
                        i += 1;
                        self.state = State::QuotedStartQuote;
                    } else {
                        self.out.push(b'"');
                        if formula_start(b) {
                            self.out.push(b'\'');
                        }
                        self.state = State::Quoted;
                    }
                }
                State::QuotedStartQuote => {
                    if b == b'"' {
                        // Content starting with a quote.
                        i += 1;
                        self.out.extend_from_slice(b"\"\"\"");
                        self.state = State::Quoted;
                    } else {
                        // `""`: an empty string, written as nothing.
                        self.state = State::AfterField;
                    }
                }
                State::Quoted => {
                    let rest = &input[i..];
                    match rest.iter().position(|&c| c == b'"') {
                        Some(n) => {
                            self.out.extend_from_slice(&rest[..n]);
                            i += n + 1;
                            self.state = State::QuotedQuote;
                        }
                        None => {
                            self.out.extend_from_slice(rest);
                            i = input.len();
                        }
                    }
                }
                State::QuotedQuote => {
                    if b == b'"' {
                        i += 1;
                        self.out.extend_from_slice(b"\"\"");
                        self.state = State::Quoted;
                    } else {
                        self.out.push(b'"');
                        self.state = State::AfterField;
                    }
                }
                State::AfterField => {
                    i += 1;
                    match b {
                        b',' => {
                            self.out.push(b',');
                            self.state = State::FieldStart;
                        }
                        b'\n' => {
                            self.out.extend_from_slice(b"\r\n");
                            self.state = State::LineStart;
                        }
                        _ => return Err(bad()),
                    }
                }
            }
        }
        Ok(())
    }

    /// A whole line at the start of `input` with no quotes and no formula
    /// start needs nothing but the id cut off and CRLF: copies it and says
    /// how many bytes it took. Anything else (or a line not all here) is
    /// left to the byte-wise path: None.
    fn plain_line(&mut self, input: &[u8]) -> Option<usize> {
        let mut id: i64 = 0;
        let mut k = 0;
        // The id: digits, then a comma.
        loop {
            let b = *input.get(k)?;
            k += 1;
            if b == b',' && k > 1 {
                break;
            }
            if !b.is_ascii_digit() {
                return None;
            }
            id = id.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
        let start = k;
        let mut prev = b',';
        loop {
            let b = *input.get(k)?;
            if b == b'\n' {
                break;
            }
            if b == b'"' || (prev == b',' && formula_start(b)) {
                return None;
            }
            prev = b;
            k += 1;
        }
        self.out.extend_from_slice(&input[start..k]);
        self.out.extend_from_slice(b"\r\n");
        self.last = Some(id);
        self.rows += 1;
        Some(k + 1)
    }

    /// The CSV, the number of rows and the last id; fails on a last line
    /// cut short.
    pub(super) fn finish(self) -> Result<Page, AppError> {
        if self.state != State::LineStart {
            return Err(AppError::Internal(
                "copy: the CSV from PostgreSQL ended mid-line".to_owned(),
            ));
        }
        Ok((self.out, self.rows, self.last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::exports::encode;

    /// PostgreSQL's CSV for `cells` (None is NULL) after `id`.
    fn pg_line(id: i64, cells: &[Option<&str>]) -> String {
        let mut line = id.to_string();
        for cell in cells {
            line.push(',');
            match cell {
                None => {}
                Some(c) if c.is_empty() || c.contains([',', '"', '\r', '\n']) => {
                    line.push('"');
                    line.push_str(&c.replace('"', "\"\""));
                    line.push('"');
                }
                Some(c) => line.push_str(c),
            }
        }
        line.push('\n');
        line
    }

    const CELLS: &[Option<&str>] = &[
        Some("plain"),
        None,
        Some(""),
        Some("a,b"),
        Some("say \"hi\""),
        Some("\"lead"),
        Some("\""),
        Some("\"\""),
        Some("two\nlines"),
        Some("cr\r\nlf"),
        Some("=cmd"),
        Some("+81 3"),
        Some("-5"),
        Some("@SUM(A1)"),
        Some("\tx"),
        Some("\rx"),
        Some("=a,b"),
        Some("-\"q\""),
        Some("株式会社"),
        Some("a=b"),
        Some("'quoted"),
        Some("end"),
    ];

    #[test]
    fn rewrites_to_exactly_what_encode_writes() {
        let mut input = String::new();
        let mut rows = Vec::new();
        for id in [7, 42, 1_000_000] {
            input.push_str(&pg_line(id, CELLS));
            rows.push(
                CELLS
                    .iter()
                    .map(|c| c.unwrap_or_default().to_owned())
                    .collect::<Vec<_>>(),
            );
        }
        // Also a line whose first and last cells are empty, and lines for
        // the fast path (no quotes, no formula starts) around one with a
        // formula start but no quotes.
        let more: [(i64, &[Option<&str>]); 4] = [
            (43, &[None, Some("x"), Some("")]),
            (44, &[Some("7"), None, Some("a b"), Some("2025-04-03")]),
            (45, &[Some("7"), Some("x=1"), Some("-3"), Some("y")]),
            (1046, &[None, Some("株式会社"), None]),
        ];
        for (id, cells) in more {
            input.push_str(&pg_line(id, cells));
            rows.push(
                cells
                    .iter()
                    .map(|c| c.unwrap_or_default().to_owned())
                    .collect(),
            );
        }
        // (One `encode` a row: it wants records of one length.)
        let expected: Vec<u8> = rows
            .iter()
            .flat_map(|row| encode(std::slice::from_ref(row)).unwrap())
            .collect();
        // Whole, and split at every position.
        for split in 0..=input.len() {
            let mut rewriter = Rewriter::default();
            rewriter.feed(&input.as_bytes()[..split]).unwrap();
            rewriter.feed(&input.as_bytes()[split..]).unwrap();
            let (csv, rows, last) = rewriter.finish().unwrap();
            assert_eq!(
                String::from_utf8(csv).unwrap(),
                String::from_utf8(expected.clone()).unwrap(),
                "split at {split}"
            );
            assert_eq!((rows, last), (7, Some(1046)));
        }
        // Byte by byte.
        let mut rewriter = Rewriter::default();
        for b in input.as_bytes() {
            rewriter.feed(std::slice::from_ref(b)).unwrap();
        }
        assert_eq!(rewriter.finish().unwrap().0, expected);
    }

    #[test]
    fn refuses_a_cut_line_or_a_bad_id() {
        let mut rewriter = Rewriter::default();
        rewriter.feed(b"1,a,\"b").unwrap();
        assert!(rewriter.finish().is_err());
        assert!(Rewriter::default().feed(b"x,a\n").is_err());
        let empty = Rewriter::default().finish().unwrap();
        assert_eq!(empty, (Vec::new(), 0, None));
    }
}

/// Both paths over one PostgreSQL database of hostile cells: the COPY page
/// must be byte for byte the diesel page (the SQLite path's code, which
/// runs on PostgreSQL too). Needs TEST_DATABASE_URL (an admin URL).
#[cfg(test)]
mod against_diesel {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
    use diesel::sql_types::{BigInt, Integer, Nullable, Text};

    use super::*;
    use crate::db::{DbConn, migrate};
    use crate::services::exports::pages;

    const TEXTS: &[&str] = crate::services::exports::HOSTILE_CELLS;

    struct Scratch {
        admin: String,
        name: String,
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            if let Ok(mut conn) = PgConnection::establish(&self.admin) {
                let _ = conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }

    fn seed(conn: &mut PgConnection) {
        for (i, text) in TEXTS.iter().enumerate() {
            let id = i64::try_from(i).unwrap() + 1;
            let period = if i % 5 == 4 { "2024-12" } else { "2025-04" };
            diesel::sql_query(
                "INSERT INTO firms (id, name, registration_no, active, created_at) \
                 VALUES ($1, $2, $3, TRUE, '2025-05-01 00:00:00')",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(*text)
            .bind::<Text, _>(format!("{text}#{i}"))
            .execute(conn)
            .unwrap();
            diesel::sql_query(
                "INSERT INTO returns (id, firm_id, period, state, current_version, \
                 created_at, updated_at) VALUES ($1, $1, $2, 'submitted', 1, \
                 '2025-05-10 01:00:00', '2025-05-10 01:00:00')",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(period)
            .execute(conn)
            .unwrap();
            diesel::sql_query(
                "INSERT INTO return_versions (id, return_id, firm_id, period, version_no, \
                 receipt_no, source, status, is_nil, unauthorized_accesses, affected_accounts, \
                 fraudulent_trades, sale_amount_jpy, purchase_amount_jpy, remediation, \
                 submitted_at, due_date, on_time, reviewed_at, review_note) \
                 VALUES ($1, $1, $1, $2, 1, $3, 'web', $4, $5, $1, 0, 3, 1000000, 7, '', \
                 TIMESTAMP '2025-05-10 01:02:03.456789' + ($1 || ' seconds')::interval, \
                 '2025-05-15', $6, CASE WHEN $5 THEN NULL ELSE \
                 TIMESTAMP '2025-06-01 00:00:00' + ($1 || ' microseconds')::interval END, $7)",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(period)
            .bind::<Text, _>(format!("{text}{i}"))
            // The status has a CHECK of its own; hostile text goes in the
            // free-text columns.
            .bind::<Text, _>(["submitted", "accepted", "returned"][i % 3])
            .bind::<diesel::sql_types::Bool, _>(i % 2 == 0)
            .bind::<diesel::sql_types::Bool, _>(i % 3 == 0)
            .bind::<Nullable<Text>, _>((i % 4 != 1).then_some(*text))
            .execute(conn)
            .unwrap();
            for row in 0..3_i32 {
                let other = TEXTS[(i + usize::try_from(row).unwrap() + 1) % TEXTS.len()];
                diesel::sql_query(
                    "INSERT INTO trade_details (version_id, row_no, trade_date, side, \
                     security_code, market, quantity, amount_jpy, account_ref) \
                     VALUES ($1, $2, DATE '2025-04-01' + $2, $3, $4, $3, $5, $6, $4)",
                )
                .bind::<BigInt, _>(id)
                .bind::<Integer, _>(row + 1)
                .bind::<Text, _>(*text)
                .bind::<Text, _>(other)
                .bind::<BigInt, _>(if row == 1 { -100 } else { 100 })
                .bind::<BigInt, _>(id * 1000 - i64::from(row) * 7919)
                .execute(conn)
                .unwrap();
            }
        }
    }

    /// Rows, then (at id 5000) an error.
    struct Failing;

    impl CopyTarget for Failing {
        type Table = trade_details::table;
        type SqlType = Text;

        fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
            pass.push_sql(
                "(SELECT x, repeat('x', 100), 1 / (x - 5000) \
                 FROM generate_series(1, 10000) AS s(x))",
            );
            Ok(())
        }
    }

    #[test]
    #[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
    fn a_copy_failing_part_way_is_an_error_not_a_short_page() {
        let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
        let mut pg = PgConnection::establish(&admin).unwrap();
        let failed = copy_page(&mut pg, Failing, &Range::default(), 0);
        assert!(
            matches!(&failed, Err(AppError::Db(_))),
            "{:?}",
            failed.map(|p| (p.1, p.2))
        );
        // The connection is fine afterwards, out of any transaction.
        pg.batch_execute("SELECT 1").unwrap();
        let depth = AnsiTransactionManager::transaction_manager_status_mut(&mut pg)
            .transaction_depth()
            .unwrap();
        assert_eq!(depth, None);
    }

    #[test]
    #[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
    fn copy_pages_are_the_diesel_pages() {
        let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
        let name = format!("exports_copy_{}", std::process::id());
        let mut conn = PgConnection::establish(&admin).unwrap();
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let scratch = Scratch {
            admin: admin.clone(),
            name: name.clone(),
        };
        let (base, _) = admin.rsplit_once('/').unwrap();
        let mut pg = PgConnection::establish(&format!("{base}/{}", scratch.name)).unwrap();
        // As the pool sets it; DateStyle deliberately not ISO.
        pg.batch_execute("SET TIME ZONE 'UTC'; SET DateStyle = 'German, DMY'")
            .unwrap();
        let mut conn = DbConn::Pg(pg);
        migrate::run_pending(&mut conn).unwrap();
        let DbConn::Pg(pg) = &mut conn else {
            unreachable!()
        };
        seed(pg);
        let ranges = [
            Range::default(),
            Range {
                from: Some("2025-01".into()),
                to: Some("2025-12".into()),
            },
        ];
        for range in &ranges {
            for after in [0, 5, 40] {
                for (kind, contacts) in [
                    (Kind::Trades, false),
                    (Kind::Versions, false),
                    (Kind::Versions, true),
                ] {
                    let DbConn::Pg(pg) = &mut conn else {
                        unreachable!()
                    };
                    let copied = page(pg, kind, range, contacts, after).unwrap();
                    let read = match kind {
                        Kind::Trades => pages::trades_page(&mut conn, range, after),
                        Kind::Versions => pages::versions_page(&mut conn, range, contacts, after),
                    }
                    .unwrap();
                    if after == 0 {
                        assert!(copied.1 > 0, "{kind:?}: some rows");
                    }
                    assert_eq!(
                        (String::from_utf8(copied.0).unwrap(), copied.1, copied.2),
                        (String::from_utf8(read.0).unwrap(), read.1, read.2),
                        "{kind:?} after {after} in {range:?}"
                    );
                }
            }
        }
        // The transaction-local settings are gone afterwards.
        let DbConn::Pg(pg) = &mut conn else {
            unreachable!()
        };
        #[derive(QueryableByName)]
        struct Style {
            #[diesel(sql_type = Text)]
            datestyle: String,
        }
        let style: Style = diesel::sql_query("SELECT current_setting('DateStyle') AS datestyle")
            .get_result(pg)
            .unwrap();
        assert_eq!(style.datestyle, "German, DMY");
    }
}
