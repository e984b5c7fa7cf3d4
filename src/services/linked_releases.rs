//! The releases a new one is audited with: every released publication that
//! shares a month with it, as the audit sees it (the filings it was
//! computed from and which of its cells it suppressed). Every release
//! stays public, so an attacker holds all of them at once.

use std::collections::HashMap;

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
    // The versions every stored release counted, read in one go over the
    // months they span together (not once a release).
    let kept = kept_versions(conn, &stored)?;
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
                    ids.iter().filter_map(|v| kept.get(v).cloned()).collect()
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

/// The versions of the months the stored releases with kept filings span,
/// by id (by their months rather than by a list of ids: a release of many
/// years holds more ids than a statement takes parameters).
fn kept_versions(conn: &mut DbConn, stored: &[Stored]) -> AppResult<HashMap<i64, Filing>> {
    let spans = stored
        .iter()
        .filter(|s| s.5.is_some())
        .map(|s| (&s.2, &s.3));
    let (Some(from), Some(to)) = (
        spans.clone().map(|(from, _)| from).min(),
        spans.map(|(_, to)| to).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let versions: Vec<Version> = return_versions::table
        .filter(return_versions::period.ge(from))
        .filter(return_versions::period.le(to))
        .select(Version::as_select())
        .load(conn)?;
    Ok(versions
        .into_iter()
        .map(|v| {
            let filing = Filing {
                firm: v.firm_id,
                values: figure_values(&v),
                month: v.period,
                version: v.id,
            };
            (filing.version, filing)
        })
        .collect())
}

fn broken(id: i64, what: &str) -> AppError {
    AppError::Internal(format!("release {id}: {what} cannot be read"))
}
