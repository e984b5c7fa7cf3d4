//! Staged rows on their way into `draft_trades`: multi-row INSERTs with
//! bound parameters, one statement per batch.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text};

use crate::db::DbConn;
use crate::domain::trades::{COLUMNS, TradeRow};

/// Rows per multi-row INSERT (9 bound values each, well under both
/// backends' limits; measured fastest on SQLite between 100 and 500).
const BATCH_ROWS: usize = 100;

/// Rows waiting for their multi-row INSERT.
pub(super) struct Batch {
    return_id: i64,
    next_row_no: i32,
    rows: Vec<TradeRow>,
    /// PostgreSQL's statement for a full batch, built once.
    full_sql: Option<String>,
}

impl Batch {
    pub(super) fn new(return_id: i64) -> Self {
        Batch {
            return_id,
            next_row_no: 1,
            rows: Vec::with_capacity(BATCH_ROWS),
            full_sql: None,
        }
    }

    pub(super) fn push(&mut self, trade: TradeRow) {
        self.rows.push(trade);
    }

    pub(super) fn is_full(&self) -> bool {
        self.rows.len() >= BATCH_ROWS
    }

    /// Inserts the waiting rows with one statement.
    pub(super) fn flush(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let first = self.next_row_no;
        let count = i32::try_from(self.rows.len()).unwrap_or(i32::MAX);
        match conn {
            DbConn::Sqlite(lite) => self.flush_sqlite(lite, first)?,
            DbConn::Pg(pg) => self.flush_pg(pg, first)?,
        }
        self.next_row_no = first.saturating_add(count);
        self.rows.clear();
        Ok(())
    }

    /// Diesel's typed insert. A full batch goes as an array, whose
    /// statement has a fixed shape: diesel prepares it once per connection
    /// and keeps it, where a statement of any other shape (a raw one, or a
    /// `Vec`) is parsed again for every batch, a tenth of an import's time.
    /// The values are moved out of the batch (the cache needs them owned).
    fn flush_sqlite(&mut self, lite: &mut SqliteConnection, first: i32) -> QueryResult<()> {
        use crate::db::schema::draft_trades as d;
        let return_id = self.return_id;
        let values: Vec<_> = self
            .rows
            .drain(..)
            .zip(first..)
            .map(|(t, row_no)| {
                (
                    d::return_id.eq(return_id),
                    d::row_no.eq(row_no),
                    d::trade_date.eq(t.trade_date),
                    d::side.eq(t.side.as_str()),
                    d::security_code.eq(t.security_code),
                    d::market.eq(t.market.as_str()),
                    d::quantity.eq(t.quantity),
                    d::amount_jpy.eq(t.amount_jpy),
                    d::account_ref.eq(t.account_ref),
                )
            })
            .collect();
        match <Box<[_; BATCH_ROWS]>>::try_from(values.into_boxed_slice()) {
            Ok(full) => diesel::insert_into(d::table).values(full).execute(lite)?,
            Err(last) => diesel::insert_into(d::table)
                .values(last.into_vec())
                .execute(lite)?,
        };
        Ok(())
    }

    /// Bound parameters on a raw statement, its text built once for a full
    /// batch. (The import target is measured on SQLite; whether the typed
    /// array insert helps here too has not been measured.)
    fn flush_pg(&mut self, pg: &mut PgConnection, first: i32) -> QueryResult<()> {
        let sql = match (&self.full_sql, self.rows.len() == BATCH_ROWS) {
            (Some(sql), true) => sql.clone(),
            _ => insert_sql(self.rows.len()),
        };
        if self.rows.len() == BATCH_ROWS && self.full_sql.is_none() {
            self.full_sql = Some(sql.clone());
        }
        let mut query = diesel::sql_query(sql).into_boxed::<Pg>();
        for (t, row_no) in self.rows.iter().zip(first..) {
            query = query
                .bind::<BigInt, _>(self.return_id)
                .bind::<Integer, _>(row_no)
                .bind::<Date, _>(t.trade_date)
                .bind::<Text, _>(t.side.as_str())
                .bind::<Text, _>(&t.security_code)
                .bind::<Text, _>(t.market.as_str())
                .bind::<BigInt, _>(t.quantity)
                .bind::<BigInt, _>(t.amount_jpy)
                .bind::<Text, _>(&t.account_ref);
        }
        query.execute(pg)?;
        Ok(())
    }
}

/// `INSERT … VALUES ($1, …), …` for `rows` rows.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO draft_trades (return_id, row_no, trade_date, side, security_code, \
         market, quantity, amount_jpy, account_ref) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for column in 0..COLUMNS + 2 {
            if column > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(row * (COLUMNS + 2) + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}
