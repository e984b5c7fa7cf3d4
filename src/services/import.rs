//! Backfill of returns collected before the portal existed: one CSV row per
//! version, the whole file in one transaction, the first bad row aborting it
//! with its line number and reason.

use crate::i18n::Key;
use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;

use super::accounts::insert_firm;
use super::audit::{self, Action, Event};
use super::return_form::FiguresForm;
use super::returns::{self, Source};
use super::summary::Breakdown;
use super::{Actor, clean_line};
use crate::db::models::Firm;
use crate::db::schema::{firms, return_versions};
use crate::db::{DbConn, write_tx};
use crate::domain::figures::ReturnFigures;
use crate::domain::period::Period;
use crate::domain::registration::RegistrationNo;
use crate::domain::trades::line_endings::UnixLines;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};

pub const COLUMNS: [&str; 9] = [
    "firm_registration_no",
    "firm_name",
    "period",
    "submitted_at",
    "unauthorized_accesses",
    "affected_accounts",
    "fraudulent_trades",
    "sale_amount_jpy",
    "purchase_amount_jpy",
];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Row { line: u64, reason: String },
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::App(AppError::from(e))
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub versions: usize,
    pub firms_created: usize,
}

struct Row {
    line: u64,
    registration_no: String,
    firm_name: String,
    period: Period,
    submitted_at: NaiveDateTime,
    figures: ReturnFigures,
}

fn row_error(line: u64, column: &str, key: Key) -> ImportError {
    let tr = Tr::new(Lang::En);
    ImportError::Row {
        line,
        reason: format!("{column}: {}", tr.t(key)),
    }
}

/// A record the CSV reader could not read, named by line (and column when
/// one field is at fault). `read` records came before it.
fn csv_error(e: &csv::Error, read: usize) -> ImportError {
    let line = e.position().map_or(
        u64::try_from(read).unwrap_or(u64::MAX).saturating_add(2),
        |p| p.line(),
    );
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => row_error(
            line,
            COLUMNS.get(err.field()).copied().unwrap_or("row"),
            msg!("err.import.utf8"),
        ),
        csv::ErrorKind::UnequalLengths { .. } => ImportError::Row {
            line,
            reason: Tr::new(Lang::En).t(msg!("err.import.columns")).to_owned(),
        },
        _ => ImportError::Row {
            line,
            reason: e.to_string(),
        },
    }
}

fn parse_rows(input: impl Read) -> Result<Vec<Row>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(UnixLines::new(input));
    let headers = reader
        .headers()
        .map_err(|e| ImportError::File(format!("line 1: the header cannot be read ({e})")))?;
    let header: Vec<&str> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .collect();
    if header != COLUMNS {
        return Err(ImportError::File(format!(
            "line 1: the header must be {} (got {})",
            COLUMNS.join(","),
            header.join(",")
        )));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, rows.len()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or_default();
        let registration_no = RegistrationNo::parse(field(0))
            .map_err(|e| row_error(line, COLUMNS[0], e.key()))?
            .as_str()
            .to_owned();
        let firm_name =
            clean_line(field(1), 200, true).map_err(|k| row_error(line, COLUMNS[1], k))?;
        let period = Period::parse(field(2)).map_err(|e| row_error(line, COLUMNS[2], e.key()))?;
        let submitted_at = DateTime::parse_from_rfc3339(field(3))
            .map_err(|_| row_error(line, COLUMNS[3], msg!("err.datetime.invalid")))?
            .naive_utc();
        let mut form = FiguresForm::default();
        form.set("unauthorized_accesses", field(4).to_owned());
        form.set("affected_accounts", field(5).to_owned());
        form.set("fraudulent_trades", field(6).to_owned());
        form.set("sale_amount", field(7).to_owned());
        form.set("purchase_amount", field(8).to_owned());

        let figures = ReturnFigures::parse_for_submission(&form.input()).map_err(|errors| {
            let first = errors.0.first();
            let column = first.map_or("figures", |e| match e.field.name() {
                "sale_amount" => "sale_amount_jpy",
                "purchase_amount" => "purchase_amount_jpy",
                other => other,
            });
            row_error(
                line,
                column,
                first.map_or(msg!("err.number.invalid"), |e| e.key),
            )
        })?;
        rows.push(Row {
            line,
            registration_no,
            firm_name,
            period,
            submitted_at,
            figures,
        });
    }
    Ok(rows)
}

/// Imports the file; nothing is written unless every row is good.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    input: impl Read,
    now: NaiveDateTime,
) -> Result<ImportReport, ImportError> {
    let mut rows = parse_rows(input)?;
    // Versions of one firm-month go in in the order they were submitted.
    rows.sort_by(|a, b| {
        (&a.registration_no, a.period, a.submitted_at).cmp(&(
            &b.registration_no,
            b.period,
            b.submitted_at,
        ))
    });
    write_tx(conn, |conn| {
        let mut report = ImportReport::default();
        let mut known: HashMap<String, Firm> = HashMap::new();
        for row in &rows {
            let firm = match known.get(&row.registration_no) {
                Some(firm) => firm.clone(),
                None => {
                    let existing = firms::table
                        .filter(firms::registration_no.eq(&row.registration_no))
                        .select(Firm::as_select())
                        .first(conn)
                        .optional()?;
                    let firm = match existing {
                        Some(firm) => firm,
                        None => {
                            report.firms_created += 1;
                            insert_firm(conn, &row.firm_name, &row.registration_no, None, now)?
                        }
                    };
                    known.insert(row.registration_no.clone(), firm.clone());
                    firm
                }
            };
            let ret = returns::lock_or_create(conn, firm.id, row.period, now)?;
            let last_submitted: Option<NaiveDateTime> = return_versions::table
                .filter(return_versions::return_id.eq(ret.id))
                .filter(return_versions::version_no.eq(ret.current_version))
                .select(return_versions::submitted_at)
                .first(conn)
                .optional()?;
            if last_submitted.is_some_and(|last| row.submitted_at <= last) {
                return Err(row_error(
                    row.line,
                    COLUMNS[3],
                    msg!("err.import.not_after_previous"),
                ));
            }
            returns::append_version(
                conn,
                &ret,
                &row.figures,
                Breakdown::default(),
                Source::Import,
                row.submitted_at,
                None,
                None,
            )?;
            report.versions += 1;
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::ReturnsImported,
                object_type: "import",
                object_id: "-",
                detail: &format!(
                    "{} versions, {} firms created",
                    report.versions, report.firms_created
                ),
            },
        )?;
        Ok(report)
    })
}

#[cfg(test)]
#[path = "import_proptests.rs"]
mod proptests;
