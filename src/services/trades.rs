//! Trade detail behind a return: a CSV upload streamed row by row into the
//! draft's staging table (all or nothing), its totals, taking those totals
//! as the draft's figures, and at submission the move to `trade_details`
//! after an exact reconciliation with the version's figures.

mod batch;
#[cfg(test)]
mod proptests;
mod reconcile;
mod store;

use crate::i18n::Key;
use std::io::{self, Read};

use chrono::NaiveDateTime;

use super::Actor;
use super::audit::{self, Action, Event};
use super::returns;
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::trades::encoding::{Decoded, SNIFF_BYTES, sniff};
use crate::domain::trades::line_endings::UnixLines;
use crate::domain::trades::{COLUMNS, Column, Header, Problem, TradeRow, parse_row};
use crate::error::{AppError, AppResult};

pub use reconcile::{Expected, Mismatch, attach_to_version, compare, reconcile, take_figures};
pub use store::{Totals, UploadSummary, remove, summary, summary_for};

/// Most data rows one file may hold.
pub const MAX_ROWS: u64 = 200_000;
/// Problems listed in the answer; the rest are only counted.
pub const MAX_PROBLEMS: usize = 100;

/// Why a file was not attached: the first problems and how many more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadErrors {
    pub problems: Vec<Problem>,
    pub more: u64,
}

impl UploadErrors {
    /// A problem with the file as a whole (row 0).
    pub fn file(key: Key) -> Self {
        UploadErrors {
            problems: vec![Problem {
                row: 0,
                column: None,
                key,
            }],
            more: 0,
        }
    }

    fn push(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What ends an upload's transaction: a failure, or a file refused (both
/// roll back, so nothing of a bad file is kept).
enum Failure {
    App(AppError),
    Refused(UploadErrors),
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Failure::App(e.into())
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

fn read_failed(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("reading the upload: {e}"))
}

/// A file name fit for the page and the audit trail.
pub fn clean_file_name(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        "upload.csv".to_owned()
    } else {
        cleaned
    }
}

/// Forgets the trade file staged for a return's draft (inside the caller's
/// transaction), as when a preparer marks the month nil.
pub fn discard_staged(conn: &mut DbConn, return_id: i64) -> diesel::QueryResult<()> {
    store::clear(conn, return_id)
}

/// Checks every row of the CSV in `reader` and, if all are good, makes it
/// the trade detail of the firm's draft for `period`, replacing any earlier
/// upload. Streams: rows go to the database in batches inside one write
/// transaction, which a bad row rolls back.
pub fn upload<R: Read>(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    file_name: &str,
    mut reader: R,
    now: NaiveDateTime,
) -> AppResult<Result<UploadSummary, UploadErrors>> {
    let mut prefix = Vec::new();
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut prefix)
        .map_err(read_failed)?;
    let encoding = match sniff(&prefix, prefix.len() < SNIFF_BYTES) {
        Ok(encoding) => encoding,
        Err(problem) => return Ok(Err(UploadErrors::file(problem.key()))),
    };
    let source = UnixLines::new(Decoded::new(
        io::Cursor::new(prefix).chain(reader),
        encoding,
    ));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(source);
    let mut record = csv::ByteRecord::new();
    if !csv.read_byte_record(&mut record).map_err(read_failed)? {
        return Ok(Err(UploadErrors::file(msg!("err.trades.empty"))));
    }
    let names: Vec<&[u8]> = record.iter().collect();
    let header = match Header::recognise(&names) {
        Ok(header) => header,
        Err(key) => {
            let mut errors = UploadErrors::default();
            errors.push(Problem {
                row: 1,
                column: None,
                key,
            });
            return Ok(Err(errors));
        }
    };
    let file_name = clean_file_name(file_name);
    let outcome = write_tx(conn, |conn| -> Result<UploadSummary, Failure> {
        let ret = returns::lock_or_create(conn, firm_id, period, now)?;
        store::clear(conn, ret.id)?;
        withdraw_nil(conn, &ret)?;
        let mut batch = batch::Batch::new(ret.id);
        let mut totals = store::Accumulator::default();
        let mut errors = UploadErrors::default();
        let mut rows: u64 = 0;
        while csv.read_byte_record(&mut record).map_err(read_failed)? {
            rows += 1;
            let line = record.position().map_or(rows + 1, |p| p.line());
            if rows > MAX_ROWS {
                errors.push(Problem {
                    row: line,
                    column: None,
                    key: msg!("err.trades.too_many_rows"),
                });
                break;
            }
            match check_record(&record, &header, period, line) {
                Ok(trade) if errors.is_empty() => {
                    totals.add(&trade);
                    batch.push(trade);
                    if batch.is_full() {
                        batch.flush(conn)?;
                    }
                }
                Ok(_) => {}
                Err(problems) => problems.into_iter().for_each(|p| errors.push(p)),
            }
        }
        if rows == 0 {
            errors.push(Problem {
                row: 0,
                column: None,
                key: msg!("err.trades.no_rows"),
            });
        }
        let totals = match totals.finish() {
            Some(totals) if errors.is_empty() => totals,
            Some(_) => return Err(Failure::Refused(errors)),
            None => {
                return Err(Failure::Refused(UploadErrors::file(msg!(
                    "err.trades.total_too_large"
                ))));
            }
        };
        batch.flush(conn)?;
        let summary = store::save_upload(
            conn,
            ret.id,
            &file_name,
            encoding.name(),
            &totals,
            actor.user_id,
            now,
        )?;
        super::four_eyes::record_change(conn, actor, ret.id, "trades", now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::TradesUploaded,
                object_type: "return",
                object_id: &ret.id.to_string(),
                detail: &format!(
                    "firm {firm_id} period {period} file {file_name} rows {} ({})",
                    totals.rows,
                    encoding.name()
                ),
            },
        )?;
        Ok(summary)
    });
    match outcome {
        Ok(summary) => Ok(Ok(summary)),
        Err(Failure::Refused(errors)) => Ok(Err(errors)),
        Err(Failure::App(e)) => Err(e),
    }
}

/// Trade detail means the month is not nil: an upload onto a draft marked
/// nil withdraws the mark (inside the upload's transaction, so a refused
/// file leaves the mark alone). The trades page says so beforehand.
fn withdraw_nil(conn: &mut DbConn, ret: &crate::db::models::ReturnRow) -> Result<(), Failure> {
    use diesel::prelude::*;
    let draft = super::four_eyes::stored_draft(conn, ret.id)?;
    if draft.is_nil() {
        let mut form = draft;
        form.0.remove(super::return_form::NIL_MARK);
        let json = serde_json::to_string(&form).map_err(|e| AppError::Internal(e.to_string()))?;
        diesel::update(crate::db::schema::returns::table.find(ret.id))
            .set(crate::db::schema::returns::draft_json.eq(json))
            .execute(conn)?;
    }
    Ok(())
}

/// One data record: the right number of fields, each one good.
fn check_record(
    record: &csv::ByteRecord,
    header: &Header,
    period: Period,
    line: u64,
) -> Result<TradeRow, Vec<Problem>> {
    if record.len() != COLUMNS {
        return Err(vec![Problem {
            row: line,
            column: None,
            key: msg!("err.trades.columns"),
        }]);
    }
    let fields: [&[u8]; COLUMNS] = std::array::from_fn(|i| {
        record
            .get(header.position(Column::ALL[i]))
            .unwrap_or_default()
    });
    parse_row(fields, period, line)
}
