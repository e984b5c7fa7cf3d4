//! The staging tables of an upload: batched inserts of the rows, the
//! totals kept beside them, and reading or removing them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::Actor;
use super::super::audit::{self, Action, Event};

use crate::db::models::TradeUploadRow;
use crate::db::schema::{draft_trades, returns, trade_uploads, users};
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::trades::{Side, TradeRow};
use crate::domain::yen::Yen;
use crate::error::AppResult;

/// What a file adds up to. Per-market figures are indexed like
/// `Market::ALL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub rows: i64,
    pub sell_count: i64,
    pub buy_count: i64,
    pub sell: i64,
    pub buy: i64,
    pub sell_by_market: [i64; 4],
    pub buy_by_market: [i64; 4],
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

/// Sums kept wide while rows stream in, checked at the end.
#[derive(Default)]
pub(super) struct Accumulator {
    rows: i64,
    counts: [i64; 2],
    by_market: [[i128; 4]; 2],
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

impl Accumulator {
    pub(super) fn add(&mut self, trade: &TradeRow) {
        let side = usize::from(trade.side == Side::Buy);
        self.rows += 1;
        self.counts[side] += 1;
        self.by_market[side][trade.market.index()] += i128::from(trade.amount_jpy);
        self.first = Some(
            self.first
                .map_or(trade.trade_date, |d| d.min(trade.trade_date)),
        );
        self.last = Some(
            self.last
                .map_or(trade.trade_date, |d| d.max(trade.trade_date)),
        );
    }

    /// The totals, unless one exceeds what a return's figure can hold.
    pub(super) fn finish(self) -> Option<Totals> {
        let max = i128::from(Yen::new(1_000_000_000_000_000).map_or(0, |y| y.value()));
        let narrow = |v: i128| {
            if v <= max {
                i64::try_from(v).ok()
            } else {
                None
            }
        };
        let mut by_market = [[0i64; 4]; 2];
        for (out, wide) in by_market.iter_mut().zip(&self.by_market) {
            for (o, w) in out.iter_mut().zip(wide) {
                *o = narrow(*w)?;
            }
        }
        Some(Totals {
            rows: self.rows,
            sell_count: self.counts[0],
            buy_count: self.counts[1],
            sell: narrow(self.by_market[0].iter().sum())?,
            buy: narrow(self.by_market[1].iter().sum())?,
            sell_by_market: by_market[0],
            buy_by_market: by_market[1],
            first_date: self.first,
            last_date: self.last,
        })
    }
}

/// An upload as the page shows it.
#[derive(Clone, Debug)]
pub struct UploadSummary {
    pub return_id: i64,
    pub file_name: String,
    pub encoding: String,
    pub totals: Totals,
    pub uploaded_by: Option<String>,
    pub uploaded_at: NaiveDateTime,
}

impl From<&TradeUploadRow> for Totals {
    fn from(u: &TradeUploadRow) -> Self {
        Totals {
            rows: u.row_count,
            sell_count: u.sell_count,
            buy_count: u.buy_count,
            sell: u.sell_total_jpy,
            buy: u.buy_total_jpy,
            sell_by_market: [
                u.sell_domestic_jpy,
                u.sell_china_hk_jpy,
                u.sell_us_jpy,
                u.sell_other_jpy,
            ],
            buy_by_market: [
                u.buy_domestic_jpy,
                u.buy_china_hk_jpy,
                u.buy_us_jpy,
                u.buy_other_jpy,
            ],
            first_date: Some(u.first_date),
            last_date: Some(u.last_date),
        }
    }
}

/// Forgets the draft's staged rows and totals.
pub(super) fn clear(conn: &mut DbConn, return_id: i64) -> QueryResult<()> {
    diesel::delete(draft_trades::table.filter(draft_trades::return_id.eq(return_id)))
        .execute(conn)?;
    diesel::delete(trade_uploads::table.find(return_id)).execute(conn)?;
    Ok(())
}

pub(super) fn save_upload(
    conn: &mut DbConn,
    return_id: i64,
    file_name: &str,
    encoding: &str,
    t: &Totals,
    uploaded_by: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<UploadSummary> {
    let [sd, sc, su, so] = t.sell_by_market;
    let [bd, bc, bu, bo] = t.buy_by_market;
    let day = t.first_date.unwrap_or_default();
    let row = TradeUploadRow {
        return_id,
        file_name: file_name.to_owned(),
        encoding: encoding.to_owned(),
        row_count: t.rows,
        sell_count: t.sell_count,
        buy_count: t.buy_count,
        sell_total_jpy: t.sell,
        buy_total_jpy: t.buy,
        sell_domestic_jpy: sd,
        sell_china_hk_jpy: sc,
        sell_us_jpy: su,
        sell_other_jpy: so,
        buy_domestic_jpy: bd,
        buy_china_hk_jpy: bc,
        buy_us_jpy: bu,
        buy_other_jpy: bo,
        first_date: day,
        last_date: t.last_date.unwrap_or(day),
        uploaded_by,
        uploaded_at: now,
    };
    diesel::insert_into(trade_uploads::table)
        .values(&row)
        .execute(conn)?;
    summary(conn, return_id).and_then(|s| s.ok_or(diesel::result::Error::NotFound))
}

/// The upload staged for a return's draft, if any.
pub fn summary(conn: &mut DbConn, return_id: i64) -> QueryResult<Option<UploadSummary>> {
    let found = trade_uploads::table
        .left_join(users::table.on(users::id.nullable().eq(trade_uploads::uploaded_by)))
        .filter(trade_uploads::return_id.eq(return_id))
        .select((TradeUploadRow::as_select(), users::display_name.nullable()))
        .first::<(TradeUploadRow, Option<String>)>(conn)
        .optional()?;
    Ok(found.map(|(row, by)| UploadSummary {
        return_id: row.return_id,
        totals: Totals::from(&row),
        file_name: row.file_name,
        encoding: row.encoding,
        uploaded_by: by,
        uploaded_at: row.uploaded_at,
    }))
}

/// The firm's return row id for a period, if the return exists.
pub(super) fn return_id_of(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
) -> QueryResult<Option<i64>> {
    returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select(returns::id)
        .first(conn)
        .optional()
}

/// The upload staged for the firm's draft of `period` (scoped by firm).
pub fn summary_for(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
) -> QueryResult<Option<UploadSummary>> {
    match return_id_of(conn, firm_id, period)? {
        Some(id) => summary(conn, id),
        None => Ok(None),
    }
}

/// Removes the draft's upload; false when there was none.
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    now: NaiveDateTime,
) -> AppResult<bool> {
    write_tx(conn, |conn| {
        let Some(row) = crate::services::returns::lock_existing(conn, firm_id, period, now)? else {
            return Ok(false);
        };
        let return_id = row.id;
        let Some(existing) = summary(conn, return_id)? else {
            return Ok(false);
        };
        clear(conn, return_id)?;
        crate::services::four_eyes::record_change(conn, actor, return_id, "trades removed", now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::TradesRemoved,
                object_type: "return",
                object_id: &return_id.to_string(),
                detail: &format!(
                    "firm {firm_id} period {period} file {} rows {}",
                    existing.file_name, existing.totals.rows
                ),
            },
        )?;
        Ok(true)
    })
}
