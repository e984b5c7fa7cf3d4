//! Every check's result as the API tells it: each problem with the ID of
//! its rule in the catalogue, its severity, a JSON Pointer into the
//! document the caller sent (the draft, or the trade rows) and the message
//! in the caller's language.

use serde::Serialize;

use super::problem::ProblemError;
use crate::domain::rules::{self, Subject};
use crate::domain::trades::Problem as TradeProblem;
use crate::i18n::{Key, Tr};
use crate::services::Invalid;
use crate::services::draft_document::{DocumentError, pointer_of};
use crate::services::return_form::FiguresForm;
use crate::services::submission::Assessment;
use crate::services::trades::UploadErrors;
use crate::web::returns::fields::ReturnFields;

/// One check that failed, named by its rule.
pub fn failed(t: &Tr, subject: Subject, key: Key, pointer: String) -> ProblemError {
    match rules::raised(subject, key) {
        Some(rule) => ProblemError {
            rule: rule.id.to_owned(),
            severity: rule.severity.code().to_owned(),
            pointer,
            message: t.t(key).to_owned(),
        },
        // The catalogue's tests keep this from happening; if it did, the
        // message still reaches the caller.
        None => {
            tracing::warn!(key = key.name(), "a check without a rule in the catalogue");
            ProblemError {
                rule: key.name().to_owned(),
                severity: "error".to_owned(),
                pointer,
                message: t.t(key).to_owned(),
            }
        }
    }
}

/// Where a field of the return sits in the draft document.
fn pointer(field: &str) -> String {
    pointer_of(field).unwrap_or_else(|| format!("/{field}"))
}

/// The draft's checks, as `GET`/`PUT …/draft` and `POST /validate` answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Checks {
    /// No error, and any warning explained: the draft can be marked ready
    /// for approval.
    pub ready: bool,
    /// What must be put right before the draft can be marked ready.
    pub errors: Vec<ProblemError>,
    /// Unusual figures that need a written explanation
    /// (`/warnings_explanation`).
    pub warnings: Vec<ProblemError>,
    /// Whether the warnings are explained.
    pub explained: bool,
}

/// The single-field rules of the form (as the section pages show them).
fn field_problems(form: &FiguresForm) -> Invalid {
    let fields: Option<ReturnFields> = serde_json::to_value(&form.0)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok());
    fields.map_or_else(Invalid::default, |f| f.problems(ReturnFields::NAMES))
}

/// Every check over `form`, given what `assess` found.
pub fn of_draft(t: &Tr, form: &FiguresForm, assessment: &Assessment) -> Checks {
    let mut seen: Vec<(&'static str, Key)> = Vec::new();
    let mut errors = Vec::new();
    for (field, key) in field_problems(form)
        .0
        .iter()
        .chain(assessment.errors.0.iter())
    {
        // One message per field, as beside a field on the page.
        if seen.iter().any(|(f, _)| f == field) {
            continue;
        }
        seen.push((field, *key));
        errors.push(failed(t, Subject::Return, *key, pointer(field)));
    }
    let warnings: Vec<ProblemError> = assessment
        .warnings
        .iter()
        .map(|w| failed(t, Subject::Return, w.key(), pointer(w.field())))
        .collect();
    if !warnings.is_empty() && !assessment.explained {
        errors.push(failed(
            t,
            Subject::Return,
            msg!("err.explanation.required"),
            pointer("warnings_explanation"),
        ));
    }
    Checks {
        ready: errors.is_empty(),
        errors,
        warnings,
        explained: assessment.explained,
    }
}

/// A service's refusal of the return's fields, named by their rules.
pub fn of_invalid(t: &Tr, invalid: &Invalid) -> Vec<ProblemError> {
    invalid
        .0
        .iter()
        .map(|(field, key)| failed(t, Subject::Return, *key, pointer(field)))
        .collect()
}

/// What is wrong with the shape of a posted draft document (its own
/// rules, and the return's rules it checks on the members).
pub fn of_document(t: &Tr, problems: &[DocumentError]) -> Vec<ProblemError> {
    problems
        .iter()
        .map(|p| {
            let subject = if rules::raised(Subject::Document, p.key).is_some() {
                Subject::Document
            } else {
                Subject::Return
            };
            failed(t, subject, p.key, p.pointer.clone())
        })
        .collect()
}

/// Where a trade problem sits in the rows as JSON: `/{index}/{column}`
/// (the index counts trades from 0, after the header line of a CSV), `/`
/// and the index for a whole row, the empty pointer for the file.
fn trade_pointer(p: &TradeProblem) -> String {
    match (p.row, p.column) {
        (0 | 1, None) => String::new(),
        (row, None) => format!("/{}", row.saturating_sub(2)),
        (row, Some(column)) => format!("/{}/{}", row.saturating_sub(2), column.name()),
    }
}

/// Why a trade detail file was refused.
pub fn of_upload(t: &Tr, errors: &UploadErrors) -> Vec<ProblemError> {
    errors
        .problems
        .iter()
        .map(|p| failed(t, Subject::Trades, p.key, trade_pointer(p)))
        .collect()
}
