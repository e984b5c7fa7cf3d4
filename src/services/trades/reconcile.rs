//! Reconciling an upload with a return's figures (exactly: row count =
//! fraudulent trades, sells = sale amount, buys = purchase amount), taking
//! the file's totals as the draft's figures, and moving the staged rows to
//! `trade_details` when a version is submitted.

use crate::i18n::Key;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::store::{self, Totals, UploadSummary};
use crate::db::models::Version;
use crate::db::schema::{draft_trades, returns, trade_details};
use crate::db::{DbConn, write_tx};
use crate::domain::figures::ReturnFigures;
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Action, Event};
use crate::services::{Actor, Invalid, returns as return_service};

/// The figures an upload must match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub trades: i64,
    pub sale: i64,
    pub purchase: i64,
}

impl From<&Version> for Expected {
    fn from(v: &Version) -> Self {
        Expected {
            trades: v.fraudulent_trades,
            sale: v.sale_amount_jpy,
            purchase: v.purchase_amount_jpy,
        }
    }
}

impl From<&ReturnFigures> for Expected {
    fn from(f: &ReturnFigures) -> Self {
        Expected {
            trades: f.fraudulent_trades.value(),
            sale: f.sale_amount.value(),
            purchase: f.purchase_amount.value(),
        }
    }
}

/// How an upload and the figures differ. `file` carries the per-market
/// purchase totals too, for checks of a purchase breakdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub file: Box<Totals>,
    pub figures: Expected,
    /// (form field, message key) of each figure that differs.
    pub fields: Vec<(&'static str, Key)>,
}

impl Mismatch {
    /// The differences as form errors beside the figures.
    pub fn invalid(&self) -> Invalid {
        Invalid(self.fields.clone())
    }
}

/// Compares totals with figures; every differing figure is named.
pub fn compare(file: &Totals, figures: Expected) -> Result<(), Mismatch> {
    let mut fields = Vec::new();
    if file.rows != figures.trades {
        fields.push(("fraudulent_trades", msg!("err.trades.mismatch_trades")));
    }
    if file.sell != figures.sale {
        fields.push(("sale_amount", msg!("err.trades.mismatch_sale")));
    }
    if file.buy != figures.purchase {
        fields.push(("purchase_amount", msg!("err.trades.mismatch_purchase")));
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Mismatch {
            file: Box::new(file.clone()),
            figures,
            fields,
        })
    }
}

/// Whether the trade detail staged for a return (if any) reconciles with
/// `figures`. No upload reconciles trivially: trade detail is optional.
pub fn reconcile(
    conn: &mut DbConn,
    return_id: i64,
    figures: Expected,
) -> AppResult<Result<(), Mismatch>> {
    Ok(match store::summary(conn, return_id)? {
        Some(upload) => compare(&upload.totals, figures),
        None => Ok(()),
    })
}

/// Inside the submitting transaction, after `append_version`: checks the
/// staged trade detail against the version's figures and moves its rows
/// to `trade_details` under the version's id. A mismatch changes nothing
/// (the caller rolls back its transaction).
pub fn attach_to_version(
    conn: &mut DbConn,
    return_id: i64,
    version: &Version,
) -> AppResult<Result<(), Mismatch>> {
    let Some(upload) = store::summary(conn, return_id)? else {
        return Ok(Ok(()));
    };
    if let Err(mismatch) = compare(&upload.totals, Expected::from(version)) {
        return Ok(Err(mismatch));
    }
    let staged = draft_trades::table
        .filter(draft_trades::return_id.eq(return_id))
        .select((
            sql::<BigInt>("").bind::<BigInt, _>(version.id),
            draft_trades::row_no,
            draft_trades::trade_date,
            draft_trades::side,
            draft_trades::security_code,
            draft_trades::market,
            draft_trades::quantity,
            draft_trades::amount_jpy,
            draft_trades::account_ref,
        ));
    let moved = diesel::insert_into(trade_details::table)
        .values(staged)
        .into_columns((
            trade_details::version_id,
            trade_details::row_no,
            trade_details::trade_date,
            trade_details::side,
            trade_details::security_code,
            trade_details::market,
            trade_details::quantity,
            trade_details::amount_jpy,
            trade_details::account_ref,
        ))
        .execute(conn)?;
    if i64::try_from(moved).ok() != Some(upload.totals.rows) {
        return Err(AppError::Internal(format!(
            "trade detail of return {return_id}: {moved} rows moved, {} staged",
            upload.totals.rows
        )));
    }
    store::clear(conn, return_id)?;
    Ok(Ok(()))
}

/// Copies the upload's totals into the draft's trade and amount figures,
/// keeping everything else the draft holds. `None` when nothing is staged.
pub fn take_figures(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    now: NaiveDateTime,
) -> AppResult<Option<UploadSummary>> {
    write_tx(conn, |conn| {
        if return_service::lock_existing(conn, firm_id, period, now)?.is_none() {
            return Ok(None);
        }
        let Some(upload) = store::summary_for(conn, firm_id, period)? else {
            return Ok(None);
        };
        let mut form = return_service::load(conn, firm_id, period)?.form();
        form.0.remove(crate::services::return_form::NIL_MARK);
        form.set("fraudulent_trades", upload.totals.rows.to_string());
        form.set("sale_amount", upload.totals.sell.to_string());
        form.set("purchase_amount", upload.totals.buy.to_string());
        let json = serde_json::to_string(&form).map_err(|e| AppError::Internal(e.to_string()))?;
        diesel::update(returns::table.find(upload.return_id))
            .set((
                returns::draft_json.eq(&json),
                returns::draft_updated_by.eq(actor.user_id),
                returns::draft_updated_at.eq(now),
                returns::updated_at.eq(now),
            ))
            .execute(conn)?;
        crate::services::four_eyes::record_change(
            conn,
            actor,
            upload.return_id,
            "figures from trades",
            now,
        )?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::TradesFiguresTaken,
                object_type: "return",
                object_id: &upload.return_id.to_string(),
                detail: &format!(
                    "firm {firm_id} period {period} trades {} sale {} purchase {}",
                    upload.totals.rows, upload.totals.sell, upload.totals.buy
                ),
            },
        )?;
        Ok(Some(upload))
    })
}
