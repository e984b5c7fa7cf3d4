//! The deterministic data set: firms × 120 months of returns (2016-01 to
//! 2025-12) written with multi-row INSERTs in one transaction, then the
//! period summary brought up to date through `services::summary::apply`
//! (what every filing does) and checked against a recomputation.
//!
//! Firms `1..=300` file through the portal: every latest version has its
//! details; one return in ten was sent back once and filed again; the
//! latest versions with fraudulent trades carry the trade-detail rows
//! (1,000,000 in all), and their trade count, sale and purchase totals and
//! purchases by market are those rows' (as the upload service reconciles
//! them). Firms added for the 10× set are imported history (accepted, no
//! details, no trade rows), as `import-returns` writes them; what
//! `summary::apply` would add for them is added in one UPDATE (two round
//! trips per version took minutes on PostgreSQL), and checked the same way.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_portal::db::{DbConn, write_tx};
use incident_portal::domain::due_date::timeliness;
use incident_portal::domain::period::Period;
use incident_portal::domain::time::tokyo_date;
use incident_portal::services::settings::DEFAULT_DUE_DAY;

use crate::export::Failure;
use crate::summary_fill;

pub const MONTHS: i64 = 120;
pub const FIRST_PERIOD: &str = "2016-01";
pub const LAST_PERIOD: &str = "2025-12";
const MARKETS: [&str; 4] = ["domestic", "china_hk", "us", "other"];
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 1_000;

/// Which firms to add, and how.
pub struct Part {
    pub first_firm: i64,
    pub last_firm: i64,
    /// Trade-detail rows spread over the latest versions with trades; zero
    /// means imported history (no details, no trade rows).
    pub trade_rows: u64,
}

impl Part {
    pub fn portal(&self) -> bool {
        self.trade_rows > 0
    }
}

/// How long each step took, and what was written.
pub struct Generated {
    pub versions: u64,
    pub trade_rows: u64,
    pub insert: Duration,
    pub summary: Duration,
}

/// splitmix64: a well-mixed number from a seed, the same on every run.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(firm: i64, month: i64, salt: u64) -> u64 {
    mix(((firm as u64) << 24) ^ ((month as u64) << 8) ^ salt)
}

fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

fn date(d: NaiveDate) -> String {
    format!("'{}'", d.format("%Y-%m-%d"))
}

/// Collects value tuples for one table and writes them in multi-row INSERTs.
struct Inserter {
    head: String,
    rows: Vec<String>,
    written: u64,
}

impl Inserter {
    fn new(table: &str, columns: &str) -> Self {
        Inserter {
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            rows: Vec::with_capacity(ROWS_PER_INSERT),
            written: 0,
        }
    }

    fn push(&mut self, row: String) {
        self.rows.push(row);
    }

    fn full(&self) -> bool {
        self.rows.len() >= ROWS_PER_INSERT
    }

    fn flush(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("{}{}", self.head, self.rows.join(","));
        conn.batch_execute(&sql)?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }
}

/// One firm-month's figures as filed in its latest version.
#[derive(Default)]
struct Figures {
    accesses: i64,
    accounts: i64,
    trades: i64,
    sale: i64,
    purchase: i64,
    purchase_by_market: [i64; 4],
    sells: i64,
    buys: i64,
    sale_by_market: [i64; 4],
    first_date: Option<NaiveDate>,
    last_date: Option<NaiveDate>,
}

/// One trade-detail row, derived from (version, row number).
struct Trade {
    date: NaiveDate,
    sell: bool,
    market: usize,
    code: String,
    quantity: i64,
    amount: i64,
    account: String,
}

fn trade(period: Period, version_id: i64, row: i64) -> Trade {
    let x = mix((version_id as u64) << 20 ^ row as u64);
    let days = i64::from(period.last_day().day());
    let date = period.first_day() + chrono::Duration::days((x % days as u64) as i64);
    Trade {
        date,
        sell: row % 2 == 1,
        market: ((x >> 8) % 4) as usize,
        code: format!("{:04}", 1000 + (x >> 12) % 9000),
        quantity: 100 * (1 + ((x >> 24) % 50) as i64),
        amount: 10_000 + ((x >> 32) % 5_000_000) as i64,
        account: format!("acct-{:08x}", (x >> 16) & 0xFFFF_FFFF),
    }
}

fn period_of(month: i64) -> Result<Period, Failure> {
    let start = Period::parse(FIRST_PERIOD).map_err(|e| format!("{e:?}"))?;
    Ok((0..month).fold(start, |p, _| p.next()))
}

/// How many trade rows each trading firm-month of `part` gets: weights from
/// the hash, scaled so they add up to exactly `part.trade_rows`.
fn trade_counts(part: &Part) -> BTreeMap<(i64, i64), i64> {
    let mut weights = BTreeMap::new();
    if !part.portal() {
        return BTreeMap::new();
    }
    for firm in part.first_firm..=part.last_firm {
        for month in 0..MONTHS {
            let h = hash(firm, month, 1);
            if h % 10 < 4 {
                weights.insert((firm, month), 20 + (h >> 8) % 100);
            }
        }
    }
    let total: u64 = weights.values().sum();
    let mut counts: BTreeMap<(i64, i64), i64> = weights
        .iter()
        .map(|(k, w)| (*k, (w * part.trade_rows / total.max(1)) as i64))
        .collect();
    let mut missing = part.trade_rows as i64 - counts.values().sum::<i64>();
    for count in counts.values_mut() {
        if missing <= 0 {
            break;
        }
        *count += 1;
        missing -= 1;
    }
    counts
}

fn receipt(period: Period, firm: i64, version_no: i64) -> String {
    let bits = hash(
        firm,
        i64::from(period.month()) + i64::from(period.year()) * 12,
        7 + version_no as u64,
    );
    let suffix: String = (0..6)
        .map(|i| char::from(CROCKFORD[((bits >> (5 * i)) & 31) as usize]))
        .collect();
    format!(
        "R-{:04}{:02}-{:05}-V{:02}-{suffix}",
        period.year(),
        period.month(),
        firm,
        version_no
    )
}

struct Tables {
    firms: Inserter,
    returns: Inserter,
    versions: Inserter,
    details: Inserter,
    trades: Inserter,
    uploads: Inserter,
}

impl Tables {
    fn new() -> Self {
        Tables {
            firms: Inserter::new(
                "firms",
                "id, name, registration_no, lei, active, created_at",
            ),
            returns: Inserter::new(
                "returns",
                "id, firm_id, period, state, current_version, created_at, updated_at",
            ),
            versions: Inserter::new(
                "return_versions",
                "id, return_id, firm_id, period, version_no, receipt_no, source, status, is_nil, \
                 unauthorized_accesses, affected_accounts, fraudulent_trades, sale_amount_jpy, \
                 purchase_amount_jpy, remediation, submitted_at, due_date, on_time, reviewed_at, \
                 review_note",
            ),
            details: Inserter::new(
                "version_details",
                "version_id, purchase_domestic_jpy, purchase_china_hk_jpy, purchase_us_jpy, \
                 purchase_other_jpy, vector_phishing, vector_credential_stuffing, vector_malware, \
                 vector_sim_swap, vector_insider, vector_unknown, detected_customer, \
                 detected_monitoring, detected_other, detected_other_text, customer_losses_jpy, \
                 compensation_paid_jpy, accounts_compensated, compensation_policy, \
                 compensation_percent, checklist, contact_name, contact_phone, contact_email, \
                 warnings, warnings_explanation, four_eyes",
            ),
            trades: Inserter::new(
                "trade_details",
                "version_id, row_no, trade_date, side, security_code, market, quantity, \
                 amount_jpy, account_ref",
            ),
            uploads: Inserter::new(
                "trade_uploads",
                "return_id, file_name, encoding, row_count, sell_count, buy_count, \
                 sell_total_jpy, buy_total_jpy, sell_domestic_jpy, sell_china_hk_jpy, \
                 sell_us_jpy, sell_other_jpy, buy_domestic_jpy, buy_china_hk_jpy, buy_us_jpy, \
                 buy_other_jpy, first_date, last_date, uploaded_at",
            ),
        }
    }

    fn full(&self) -> bool {
        [
            &self.firms,
            &self.returns,
            &self.versions,
            &self.details,
            &self.trades,
            &self.uploads,
        ]
        .iter()
        .any(|i| i.full())
    }

    /// Writes what is buffered. Called between firm-months only, so every
    /// child row goes out with (or after) its parent.
    fn flush(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        // Parents first: the foreign keys are checked per statement.
        self.firms.flush(conn)?;
        self.returns.flush(conn)?;
        self.versions.flush(conn)?;
        self.details.flush(conn)?;
        self.trades.flush(conn)?;
        self.uploads.flush(conn)
    }
}

/// A version's submission time: the 5th of the next month (the 12th for a
/// refiling), 10:00 Tokyo.
fn submitted(period: Period, version_no: i64) -> Option<NaiveDateTime> {
    let day = if version_no == 1 { 5 } else { 12 };
    period
        .next()
        .first_day()
        .with_day(day)?
        .and_hms_opt(1, 0, 0)
}

fn checklist() -> String {
    incident_portal::domain::details::CHECKLIST
        .iter()
        .map(|item| format!("{item}=done"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Writes one firm-month: its return, versions, details and trade rows.
fn firm_month(
    t: &mut Tables,
    part: &Part,
    firm: i64,
    month: i64,
    trades: i64,
    checklist: &str,
) -> Result<(), Failure> {
    let period = period_of(month)?;
    let key = period.as_key();
    let h = hash(firm, month, 2);
    let return_id = (firm - 1) * MONTHS + month + 1;
    let refiled = part.portal() && (firm * 7 + month) % 10 == 0;
    let latest_no = if refiled { 2 } else { 1 };
    let last_months = month >= MONTHS - 2;
    let latest_status = if !part.portal() {
        "accepted"
    } else if last_months && h.is_multiple_of(3) {
        "submitted"
    } else {
        "accepted"
    };
    let accesses = 5 + (h % 200) as i64;
    let mut f = Figures {
        accesses,
        accounts: accesses - ((h >> 8) % 5) as i64,
        ..Figures::default()
    };
    let latest_id = return_id * 2 - 2 + latest_no;
    if part.portal() {
        for row in 1..=trades {
            let tr = trade(period, latest_id, row);
            if tr.sell {
                f.sells += 1;
                f.sale += tr.amount;
                f.sale_by_market[tr.market] += tr.amount;
            } else {
                f.buys += 1;
                f.purchase += tr.amount;
                f.purchase_by_market[tr.market] += tr.amount;
            }
            f.first_date = Some(f.first_date.map_or(tr.date, |d| d.min(tr.date)));
            f.last_date = Some(f.last_date.map_or(tr.date, |d| d.max(tr.date)));
            t.trades.push(format!(
                "({latest_id},{row},{},{},{},{},{},{},{})",
                date(tr.date),
                text(if tr.sell { "sell" } else { "buy" }),
                text(&tr.code),
                text(MARKETS[tr.market]),
                tr.quantity,
                tr.amount,
                text(&tr.account)
            ));
        }
        f.trades = trades;
    } else if h % 10 < 4 {
        f.trades = 1 + ((h >> 16) % 80) as i64;
        f.sale = f.trades * (200_000 + ((h >> 24) % 3_000_000) as i64);
        f.purchase = f.trades * (150_000 + ((h >> 32) % 2_000_000) as i64);
    }
    for version_no in 1..=latest_no {
        let latest = version_no == latest_no;
        let at = submitted(period, version_no).ok_or("submission time")?;
        let timely = timeliness(period, DEFAULT_DUE_DAY, tokyo_date(at));
        // A first filing that was sent back reported the accesses only.
        let (trades, sale, purchase) = if latest {
            (f.trades, f.sale, f.purchase)
        } else {
            (0, 0, 0)
        };
        let status = if latest { latest_status } else { "returned" };
        let reviewed = match status {
            "submitted" => "NULL".to_owned(),
            _ if !part.portal() => "NULL".to_owned(),
            _ => ts(at + chrono::Duration::days(2)),
        };
        let note = if status == "returned" {
            text("Trade detail missing; please file again.")
        } else {
            "NULL".to_owned()
        };
        let id = return_id * 2 - 2 + version_no;
        t.versions.push(format!(
            "({id},{return_id},{firm},{},{version_no},{},{},{},FALSE,{},{},{trades},{sale},\
                 {purchase},{},{},{},{},{reviewed},{note})",
            text(&key),
            text(&receipt(period, firm, version_no)),
            text(if part.portal() { "portal" } else { "import" }),
            text(status),
            f.accesses,
            f.accounts,
            text("Passkeys offered; affected accounts frozen; customers notified."),
            ts(at),
            date(timely.due),
            if timely.on_time { "TRUE" } else { "FALSE" },
        ));
        if part.portal() {
            let [d, c, u, o] = if latest { f.purchase_by_market } else { [0; 4] };
            let phishing = f.accesses / 2;
            t.details.push(format!(
                "({id},{d},{c},{u},{o},{phishing},{},0,0,0,0,{},{},0,'',0,0,0,'considering',\
                     NULL,{},'Hanako Sato','+81 3-1234-5678','compliance@firm{firm}.example',\
                     '','','bench generator')",
                f.accesses - phishing,
                f.accesses / 3,
                f.accesses - f.accesses / 3,
                text(checklist),
            ));
        }
    }
    let created = submitted(period, 1).ok_or("submission time")?;
    let updated = submitted(period, latest_no).ok_or("submission time")?;
    t.returns.push(format!(
        "({return_id},{firm},{},{},{latest_no},{},{})",
        text(&key),
        text(latest_status),
        ts(created),
        ts(updated)
    ));
    if let (Some(first), Some(last)) = (f.first_date, f.last_date) {
        let [sd, sc, su, so] = f.sale_by_market;
        let [bd, bc, bu, bo] = f.purchase_by_market;
        t.uploads.push(format!(
            "({return_id},'trades-{key}.csv','utf-8',{},{},{},{},{},{sd},{sc},{su},{so},{bd},\
                 {bc},{bu},{bo},{},{},{})",
            f.trades,
            f.sells,
            f.buys,
            f.sale,
            f.purchase,
            date(first),
            date(last),
            ts(updated)
        ));
    }
    Ok(())
}

/// Adds `part` to the database and brings the period summary up to date.
pub fn generate(conn: &mut DbConn, part: &Part, now: NaiveDateTime) -> Result<Generated, Failure> {
    let started = Instant::now();
    let counts = trade_counts(part);
    let checklist = checklist();
    let mut t = Tables::new();
    write_tx(conn, |conn| -> Result<(), Failure> {
        for firm in part.first_firm..=part.last_firm {
            t.firms.push(format!(
                "({firm},{},{},NULL,TRUE,'2015-12-01 00:00:00')",
                text(&format!("Bench Securities {firm:04}")),
                text(&format!("関東財務局長（金商）第{}号", 10_000 + firm))
            ));
        }
        t.firms.flush(conn)?;
        for firm in part.first_firm..=part.last_firm {
            for month in 0..MONTHS {
                let trades = counts.get(&(firm, month)).copied().unwrap_or(0);
                firm_month(&mut t, part, firm, month, trades, &checklist)?;
                if t.full() {
                    t.flush(conn)?;
                }
            }
        }
        t.flush(conn)?;
        Ok(())
    })?;
    let insert = started.elapsed();
    let started = Instant::now();
    if part.portal() {
        summary_fill::replay_summary(conn, part, now)?;
    } else {
        summary_fill::add_imported_to_summary(conn, part, now)?;
    }
    if let DbConn::Pg(_) = conn {
        // Explicit ids do not move PostgreSQL's sequences: move them.
        for table in ["firms", "returns", "return_versions", "trade_details"] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT MAX(id) FROM {table}))"
            ))?;
        }
        // What autovacuum does after a bulk insert (statistics, and the
        // visibility map that lets the distinct-firms count read its index
        // alone), done now and flushed, so that it does not run in the
        // middle of a measurement.
        // (Two calls: one string of statements would run as one
        // transaction, which VACUUM refuses.)
        conn.batch_execute("VACUUM (ANALYZE)")?;
        conn.batch_execute("CHECKPOINT")?;
    }
    Ok(Generated {
        versions: t.versions.written,
        trade_rows: t.trades.written,
        insert,
        summary: started.elapsed(),
    })
}
