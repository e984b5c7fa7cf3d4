//! Bringing the period summary up to date after a bulk load: through
//! `services::summary::apply`, version by version, as every filing does;
//! or, for imported history, what `apply` would add, in one UPDATE.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_portal::db::models::{Version, VersionDetails};
use incident_portal::db::schema::{return_versions, returns, version_details};
use incident_portal::db::{DbConn, write_tx};
use incident_portal::services::summary::{self, Contribution};

use crate::data::{MONTHS, Part, ts};
use crate::export::Failure;

/// Each new firm-month's latest version goes into the summary through the
/// service every filing uses.
pub fn replay_summary(conn: &mut DbConn, part: &Part, now: NaiveDateTime) -> Result<(), Failure> {
    let first_return = (part.first_firm - 1) * MONTHS + 1;
    let last_return = part.last_firm * MONTHS;
    const PAGE: i64 = 5_000;
    write_tx(conn, |conn| -> Result<(), Failure> {
        let mut from = first_return;
        while from <= last_return {
            let to = (from + PAGE - 1).min(last_return);
            let latest: Vec<(Version, Option<VersionDetails>)> = returns::table
                .inner_join(
                    return_versions::table.on(return_versions::return_id
                        .eq(returns::id)
                        .and(return_versions::version_no.eq(returns::current_version))),
                )
                .left_join(
                    version_details::table.on(version_details::version_id.eq(return_versions::id)),
                )
                .filter(returns::id.between(from, to))
                .order(returns::id.asc())
                .select((Version::as_select(), Option::<VersionDetails>::as_select()))
                .load(conn)?;
            for (version, details) in &latest {
                let contribution = Contribution::of(version, details.as_ref());
                summary::apply(
                    conn,
                    version.firm_id,
                    &version.period,
                    None,
                    contribution,
                    now,
                )?;
            }
            from = to + 1;
        }
        Ok(())
    })
}

/// What `summary::apply` adds for each imported version (its only one:
/// accepted, no details), in one statement instead of two round trips per
/// version (324,000 of them in the 10× set). `verify` then checks the
/// result against a recomputation like every other summary.
pub fn add_imported_to_summary(
    conn: &mut DbConn,
    part: &Part,
    now: NaiveDateTime,
) -> Result<(), Failure> {
    let versions = format!(
        "FROM return_versions v WHERE v.period = period_summary.period \
         AND v.firm_id BETWEEN {} AND {}",
        part.first_firm, part.last_firm
    );
    let sum = |column: &str| format!("(SELECT COALESCE(SUM(v.{column}), 0) {versions})");
    let sql = format!(
        "UPDATE period_summary SET \
         firms_with_fraudulent_trades = firms_with_fraudulent_trades + \
           (SELECT COUNT(*) {versions} AND v.fraudulent_trades > 0), \
         firms_reporting = firms_reporting + (SELECT COUNT(*) {versions}), \
         unauthorized_accesses = unauthorized_accesses + {}, \
         affected_accounts = affected_accounts + {}, \
         fraudulent_trades = fraudulent_trades + {}, \
         sale_amount_jpy = sale_amount_jpy + {}, \
         purchase_amount_jpy = purchase_amount_jpy + {}, \
         revision = revision + (SELECT COUNT(*) {versions}), \
         updated_at = {}",
        sum("unauthorized_accesses"),
        sum("affected_accounts"),
        sum("fraudulent_trades"),
        sum("sale_amount_jpy"),
        sum("purchase_amount_jpy"),
        ts(now)
    );
    // What `apply` marks for each imported version with trades.
    let months = format!(
        "INSERT INTO firm_trade_months (firm_id, period) \
         SELECT v.firm_id, v.period FROM return_versions v \
         WHERE v.firm_id BETWEEN {} AND {} AND v.fraudulent_trades > 0",
        part.first_firm, part.last_firm
    );
    write_tx(conn, |conn| {
        conn.batch_execute(&sql)?;
        conn.batch_execute(&months)
    })?;
    Ok(())
}
