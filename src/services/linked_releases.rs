//! The releases a new one is audited with: every released publication that
//! shares a month with it, as the audit sees it (the filings it was
//! computed from and which of its cells it suppressed). Every release
//! stays public, so an attacker holds all of them at once.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::publication_table::{Earlier, FIGURES, Table, figure_values, filings};
use crate::db::DbConn;
use crate::db::models::Version;
use crate::db::schema::{publications, return_versions};
use crate::domain::PublicationStatus;
use crate::domain::period::Period;
use crate::domain::vintages::{Filing, Vintage};
use crate::error::{AppError, AppResult};

type Stored = (
    i64,
    NaiveDateTime,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The released (or scheduled) publications other than `except` whose
/// months overlap `[from, to]`, oldest release first.
pub fn earlier(
    conn: &mut DbConn,
    except: i64,
    from: Period,
    to: Period,
) -> AppResult<Vec<Earlier>> {
    let stored: Vec<Stored> = publications::table
        // A scheduled release will be public: it counts already.
        .filter(publications::status.ne(PublicationStatus::Draft))
        .filter(publications::id.ne(except))
        .filter(publications::period_from.le(to.as_key()))
        .filter(publications::period_to.ge(from.as_key()))
        .order((publications::released_at.asc(), publications::id.asc()))
        .select((
            publications::id,
            publications::cutoff_at,
            publications::period_from,
            publications::period_to,
            publications::table_json,
            publications::contributors_json,
        ))
        .load(conn)?;
    stored
        .into_iter()
        .map(|(id, cutoff, pf, pt, table, contributors)| {
            let (from, to) = match (Period::parse(&pf), Period::parse(&pt)) {
                (Ok(f), Ok(t)) => (f, t),
                _ => return Err(broken(id, "its months")),
            };
            let table: Table = table
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .ok_or_else(|| broken(id, "its table"))?;
            let filings = match contributors {
                Some(json) => {
                    let ids: Vec<i64> =
                        serde_json::from_str(&json).map_err(|_| broken(id, "its filings"))?;
                    by_id(conn, &ids, from, to)?
                }
                None => filings(conn, cutoff, from, to)?,
            };
            let mut vintage = Vintage::new(table.months.clone(), filings);
            for (r, figure) in FIGURES.iter().enumerate() {
                let row = table.rows.iter().find(|row| row.figure == *figure);
                for (c, slot) in vintage.status[r].iter_mut().enumerate() {
                    *slot = row
                        .and_then(|row| row.cells.get(c))
                        .and_then(|cell| cell.reason);
                }
            }
            Ok(Earlier { id, vintage })
        })
        .collect()
}

/// The versions a release was computed from, by id.
fn by_id(conn: &mut DbConn, ids: &[i64], from: Period, to: Period) -> AppResult<Vec<Filing>> {
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    // By the release's months rather than by a list of ids (a release of
    // many years holds more ids than a statement takes parameters).
    let versions: Vec<Version> = return_versions::table
        .filter(return_versions::period.ge(from.as_key()))
        .filter(return_versions::period.le(to.as_key()))
        .select(Version::as_select())
        .load(conn)?;
    Ok(versions
        .into_iter()
        .filter(|v| wanted.contains(&v.id))
        .map(|v| Filing {
            firm: v.firm_id,
            values: figure_values(&v),
            month: v.period,
            version: v.id,
        })
        .collect())
}

fn broken(id: i64, what: &str) -> AppError {
    AppError::Internal(format!("release {id}: {what} cannot be read"))
}
