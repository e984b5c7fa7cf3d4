//! What the dashboard's database reads cost by themselves (no HTTP, no
//! rendering), for its default range: the last 12 months with figures.
//! Printed beside the wrk figures, so a missed target can be traced to a
//! query.

use std::time::Instant;

use incident_portal::db::DbConn;
use incident_portal::domain::period::Period;
use incident_portal::services::summary;

use crate::export::Failure;

const CALLS: u32 = 20;

/// Mean milliseconds per call of `summary::rows` and of
/// `summary::distinct_firms_with_trades` over the dashboard's default range.
pub fn dashboard_reads(conn: &mut DbConn) -> Result<(f64, f64), Failure> {
    let (_, last) = summary::bounds(conn)?.ok_or("no summary rows")?;
    let to = Period::parse(&last).map_err(|e| format!("{e:?}"))?;
    let from = (1..12).fold(to, |p, _| p.prev());
    let (before, from, to) = (from.prev().as_key(), from.as_key(), to.as_key());
    summary::rows(conn, &before, &to)?;
    let started = Instant::now();
    for _ in 0..CALLS {
        summary::rows(conn, &before, &to)?;
    }
    let rows_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(CALLS);
    summary::distinct_firms_with_trades(conn, &from, &to)?;
    let started = Instant::now();
    for _ in 0..CALLS {
        summary::distinct_firms_with_trades(conn, &from, &to)?;
    }
    let distinct_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(CALLS);
    Ok((rows_ms, distinct_ms))
}
