//! The return as a task list: its sections, which form fields each holds,
//! and how a section stands (not started, in progress, has problems,
//! completed), told from what the draft holds and what the rules say.

use super::details::{CHECK_DATE, CHECK_STATUS, DETECTION, MARKETS, VECTORS};
use crate::i18n::Key;

/// One page of the return, in the order the preparer fills them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnSection {
    Figures,
    Markets,
    Vectors,
    Losses,
    Remediation,
    Narrative,
    Trades,
}

const FIGURES: [&str; 5] = [
    "unauthorized_accesses",
    "affected_accounts",
    "fraudulent_trades",
    "sale_amount",
    "purchase_amount",
];
const LOSSES: [&str; 5] = [
    "customer_losses",
    "compensation_paid",
    "accounts_compensated",
    "compensation_policy",
    "compensation_percent",
];
const NARRATIVE: [&str; 4] = [
    "warnings_explanation",
    "contact_name",
    "contact_phone",
    "contact_email",
];
/// The keys of trade detail that disagrees with the figures.
const TRADE_MISMATCH: [Key; 3] = [
    msg!("err.trades.mismatch_trades"),
    msg!("err.trades.mismatch_sale"),
    msg!("err.trades.mismatch_purchase"),
];
/// Message keys that mean "nothing entered yet" rather than "wrong".
const MISSING: [Key; 2] = [msg!("err.required"), msg!("err.choose")];

impl ReturnSection {
    pub const ALL: [ReturnSection; 7] = [
        ReturnSection::Figures,
        ReturnSection::Markets,
        ReturnSection::Vectors,
        ReturnSection::Losses,
        ReturnSection::Remediation,
        ReturnSection::Narrative,
        ReturnSection::Trades,
    ];

    /// As in the section's address.
    pub fn slug(self) -> &'static str {
        match self {
            ReturnSection::Figures => "figures",
            ReturnSection::Markets => "markets",
            ReturnSection::Vectors => "vectors",
            ReturnSection::Losses => "losses",
            ReturnSection::Remediation => "remediation",
            ReturnSection::Narrative => "narrative",
            ReturnSection::Trades => "trades",
        }
    }

    /// Its title, as the task list shows it.
    pub fn title_key(self) -> Key {
        match self {
            ReturnSection::Figures => msg!("task.figures"),
            ReturnSection::Markets => msg!("task.markets"),
            ReturnSection::Vectors => msg!("task.vectors"),
            ReturnSection::Losses => msg!("task.losses"),
            ReturnSection::Remediation => msg!("task.remediation"),
            ReturnSection::Narrative => msg!("task.narrative"),
            ReturnSection::Trades => msg!("task.trades"),
        }
    }

    /// The section a slug names; `None` for anything else.
    pub fn parse(slug: &str) -> Option<ReturnSection> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The form fields the section's page holds (none for trade detail,
    /// which is a file).
    pub fn fields(self) -> Vec<&'static str> {
        match self {
            ReturnSection::Figures => FIGURES.to_vec(),
            ReturnSection::Markets => MARKETS.to_vec(),
            ReturnSection::Vectors => {
                let mut all = VECTORS.to_vec();
                all.extend(DETECTION);
                all.push("detected_other_text");
                all
            }
            ReturnSection::Losses => LOSSES.to_vec(),
            ReturnSection::Remediation => {
                let mut all: Vec<&str> = CHECK_STATUS
                    .iter()
                    .zip(CHECK_DATE.iter())
                    .flat_map(|(s, d)| [*s, *d])
                    .collect();
                all.push("remediation");
                all
            }
            ReturnSection::Narrative => NARRATIVE.to_vec(),
            ReturnSection::Trades => Vec::new(),
        }
    }

    /// The section a form field belongs to.
    pub fn of_field(field: &str) -> Option<ReturnSection> {
        Self::ALL.into_iter().find(|s| s.fields().contains(&field))
    }

    /// The section after this one (`None` after the last).
    pub fn next(self) -> Option<ReturnSection> {
        let at = Self::ALL.iter().position(|s| *s == self)?;
        Self::ALL.get(at + 1).copied()
    }
}

/// How a section stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionStatus {
    /// Nothing saved in it.
    NotStarted,
    /// Something saved, something still to enter.
    InProgress,
    /// A rule fails, or an unusual figure is not explained.
    HasProblems,
    /// Everything entered, every rule met, every warning explained.
    Completed,
}

impl SectionStatus {
    /// The message key of its tag.
    pub fn key(self) -> Key {
        match self {
            SectionStatus::NotStarted => msg!("task.status.not_started"),
            SectionStatus::InProgress => msg!("task.status.in_progress"),
            SectionStatus::HasProblems => msg!("task.status.has_problems"),
            SectionStatus::Completed => msg!("task.status.completed"),
        }
    }

    /// Its class in the stylesheet (the text says it too, not colour alone).
    pub fn class(self) -> &'static str {
        match self {
            SectionStatus::NotStarted => "tag-not-started",
            SectionStatus::InProgress => "tag-in-progress",
            SectionStatus::HasProblems => "tag-problems",
            SectionStatus::Completed => "tag-completed",
        }
    }
}

/// What the rules said over the whole draft.
pub struct Findings<'a> {
    /// (field, message key) of every failing rule.
    pub errors: &'a [(&'static str, Key)],
    /// The field of every warning that fired.
    pub warnings: &'a [&'static str],
    /// Whether the warnings are explained.
    pub explained: bool,
}

/// How `section` stands, given which of its fields hold something
/// (`filled`) and the findings over the draft. Trade detail stands by its
/// file: `filled("trade_file")` says whether one is staged, and a
/// mismatch with the figures is its problem.
pub fn status(
    section: ReturnSection,
    filled: impl Fn(&str) -> bool,
    found: &Findings<'_>,
) -> SectionStatus {
    if section == ReturnSection::Trades {
        return if !filled("trade_file") {
            SectionStatus::NotStarted
        } else if found.errors.iter().any(|(_, k)| TRADE_MISMATCH.contains(k)) {
            SectionStatus::HasProblems
        } else {
            SectionStatus::Completed
        };
    }
    let fields = section.fields();
    if !fields.iter().any(|f| filled(f)) {
        return SectionStatus::NotStarted;
    }
    let mine: Vec<&(&str, Key)> = found
        .errors
        .iter()
        .filter(|(f, _)| fields.contains(f))
        .collect();
    let wrong = mine.iter().any(|(_, k)| !MISSING.contains(k));
    let unexplained = !found.explained && found.warnings.iter().any(|w| fields.contains(w));
    if wrong || unexplained {
        SectionStatus::HasProblems
    } else if !mine.is_empty() {
        SectionStatus::InProgress
    } else {
        SectionStatus::Completed
    }
}

#[cfg(test)]
#[path = "return_sections_tests.rs"]
mod tests;
