//! The whole draft, section by section, as check your answers and the
//! approver's page both show it (one partial, `returns/_summary.html`):
//! each section's status, its answers, and on check your answers a
//! "Change" link to its page.

use super::section_view;
use crate::domain::period::Period;
use crate::domain::return_sections::{self, Findings, ReturnSection, SectionStatus};
use crate::i18n::Key;
use crate::i18n::Tr;
use crate::services::return_form::FiguresForm;
use crate::services::submission::Assessment;
use crate::web::paths;

/// One section in the summary.
pub struct SummaryBlock {
    pub slug: &'static str,
    pub title: String,
    pub status: SectionStatus,
    pub rows: Vec<(String, String)>,
    /// The section's page, where the preparer may change it.
    pub change: Option<String>,
}

/// The title key of each section (as on the task list).
pub fn title_key(section: ReturnSection) -> Key {
    section.title_key()
}

/// How each section stands over `form`, by the rules in `checks`;
/// `trade_file` says whether trade detail is staged.
pub fn statuses(
    form: &FiguresForm,
    checks: &Assessment,
    trade_file: bool,
) -> Vec<(ReturnSection, SectionStatus)> {
    let warnings: Vec<&'static str> = checks.warnings.iter().map(|w| w.field()).collect();
    let found = Findings {
        errors: &checks.errors.0,
        warnings: &warnings,
        explained: checks.explained,
    };
    let filled = |field: &str| {
        if field == "trade_file" {
            trade_file
        } else {
            !form.get(field).trim().is_empty()
        }
    };
    ReturnSection::ALL
        .into_iter()
        .map(|s| (s, return_sections::status(s, filled, &found)))
        .collect()
}

/// Every section of `form`, with `trade_line` describing the staged trade
/// file (or that there is none); change links only when `changeable`.
pub fn blocks(
    t: &Tr,
    period: Period,
    form: &FiguresForm,
    statuses: &[(ReturnSection, SectionStatus)],
    trade_line: String,
    changeable: bool,
) -> Vec<SummaryBlock> {
    statuses
        .iter()
        .map(|(section, status)| SummaryBlock {
            slug: section.slug(),
            title: t.t(title_key(*section)).to_owned(),
            status: *status,
            rows: if *section == ReturnSection::Trades {
                vec![(t.t(msg!("task.trades")).to_owned(), trade_line.clone())]
            } else {
                section_view::rows(t, *section, form)
            },
            change: changeable.then(|| paths::return_section(period, *section)),
        })
        .collect()
}
