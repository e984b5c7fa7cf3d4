//! One section of the return as its page draws it (the fields of that
//! section only, grouped under their legends, with the policy choice and
//! the remediation checklist where they belong), and the same section as
//! label/value rows for check your answers and the approver's page.

use super::sections::{self, CheckRow};
use crate::domain::return_sections::ReturnSection;
use crate::i18n::Key;
use crate::i18n::Tr;
use crate::services::Invalid;
use crate::services::return_form::FiguresForm;
use crate::web::view::FieldView;

/// Fields under one legend.
pub struct Group {
    pub legend: String,
    pub hint: Option<String>,
    /// Short number fields side by side.
    pub grid: bool,
    pub fields: Vec<FieldView>,
}

/// The compensation policy: what is chosen and its message.
pub struct Policy {
    pub chosen: String,
    pub error: Option<String>,
}

impl Policy {
    pub fn is(&self, value: &str) -> bool {
        self.chosen == value
    }
}

pub struct SectionView {
    pub groups: Vec<Group>,
    pub policy: Option<Policy>,
    pub checklist: Vec<CheckRow>,
    /// Fields after the checklist (the remediation narrative).
    pub after: Vec<FieldView>,
}

fn group(t: &Tr, legend: Key, hint: Option<Key>, grid: bool, fields: Vec<FieldView>) -> Group {
    Group {
        legend: t.t(legend).to_owned(),
        hint: hint.map(|h| t.t(h).to_owned()),
        grid,
        fields,
    }
}

/// The page of `section` over `form`, with `beside` shown by the fields.
pub fn build(t: &Tr, section: ReturnSection, form: &FiguresForm, beside: &Invalid) -> SectionView {
    let s = sections::build(t, form, beside);
    let mut explanation = s.explanation.into_iter();
    let remediation = explanation.next();
    let warnings_explanation = explanation.next();
    let mut view = SectionView {
        groups: Vec::new(),
        policy: None,
        checklist: Vec::new(),
        after: Vec::new(),
    };
    match section {
        ReturnSection::Figures => {
            view.groups = vec![group(t, msg!("return.figures"), None, false, s.core)];
        }
        ReturnSection::Markets => {
            let hint = Some(msg!("return.markets_hint"));
            view.groups = vec![group(t, msg!("return.markets"), hint, true, s.markets)];
        }
        ReturnSection::Vectors => {
            let hint = Some(msg!("return.vectors_hint"));
            view.groups = vec![
                group(t, msg!("return.vectors"), hint, true, s.vectors),
                group(t, msg!("return.detection"), None, true, s.detection),
            ];
        }
        ReturnSection::Losses => {
            view.groups = vec![group(
                t,
                msg!("return.compensation"),
                None,
                true,
                s.compensation,
            )];
            view.policy = Some(Policy {
                chosen: s.policy,
                error: s.policy_error,
            });
        }
        ReturnSection::Remediation => {
            view.checklist = s.checklist;
            view.after = remediation.into_iter().collect();
        }
        ReturnSection::Narrative => {
            view.groups = vec![
                group(
                    t,
                    msg!("return.narrative"),
                    None,
                    false,
                    warnings_explanation.into_iter().collect(),
                ),
                group(t, msg!("return.contact"), None, false, s.contact),
            ];
        }
        ReturnSection::Trades => {}
    }
    view
}

fn check(t: &Tr, row: &CheckRow) -> (String, String) {
    let status = if row.status.is_empty() {
        String::new()
    } else {
        t.named(&format!("check.{}", row.status)).to_owned()
    };
    let shown = if row.date.trim().is_empty() {
        status
    } else {
        format!("{status} ({})", row.date)
    };
    (row.label.clone(), shown)
}

/// The section's answers as (label, value) rows, in page order.
pub fn rows(t: &Tr, section: ReturnSection, form: &FiguresForm) -> Vec<(String, String)> {
    let view = build(t, section, form, &Invalid::default());
    let mut rows: Vec<(String, String)> = view
        .groups
        .iter()
        .flat_map(|g| g.fields.iter())
        .map(|f| (f.label.clone(), f.value.clone()))
        .collect();
    if let Some(p) = &view.policy {
        let chosen = if p.chosen.is_empty() {
            String::new()
        } else {
            t.named(&format!("policy.{}", p.chosen)).to_owned()
        };
        rows.push((t.t(msg!("field.compensation_policy")).to_owned(), chosen));
    }
    rows.extend(view.checklist.iter().map(|r| check(t, r)));
    rows.extend(
        view.after
            .iter()
            .map(|f| (f.label.clone(), f.value.clone())),
    );
    rows
}
