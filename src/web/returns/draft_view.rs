//! A prepared draft as read-only label/value rows, section by section, for
//! the approver's page and the nil confirmation (what would be discarded).

use super::details_view::Section;
use super::sections::{self, CheckRow};
use crate::i18n::Key;
use crate::i18n::Tr;
use crate::services::Invalid;
use crate::services::return_form::FiguresForm;
use crate::web::view::FieldView;

fn rows(fields: &[FieldView]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| (f.label.clone(), f.value.clone()))
        .collect()
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

/// Every section of the draft, as typed.
pub fn sections(t: &Tr, form: &FiguresForm) -> Vec<Section> {
    let s = sections::build(t, form, &Invalid::default());
    let mut compensation = rows(&s.compensation);
    let policy = if s.policy.is_empty() {
        String::new()
    } else {
        t.named(&format!("policy.{}", s.policy)).to_owned()
    };
    compensation.push((t.t(msg!("field.compensation_policy")).to_owned(), policy));
    let section = |title: Key, rows| Section {
        title: t.t(title).to_owned(),
        rows,
    };
    vec![
        section(msg!("return.figures"), rows(&s.core)),
        section(msg!("return.markets"), rows(&s.markets)),
        section(msg!("return.vectors"), rows(&s.vectors)),
        section(msg!("return.detection"), rows(&s.detection)),
        section(msg!("return.compensation"), compensation),
        section(
            msg!("return.checklist"),
            s.checklist.iter().map(|r| check(t, r)).collect(),
        ),
        section(msg!("return.narrative"), rows(&s.explanation)),
        section(msg!("return.contact"), rows(&s.contact)),
    ]
}

/// Only the fields that hold something (what marking the month nil would
/// throw away).
pub fn filled(t: &Tr, form: &FiguresForm) -> Vec<(String, String)> {
    form.filled()
        .into_iter()
        .map(|(name, value)| {
            let label = match name.strip_prefix("check_") {
                Some(item) => t
                    .named(&format!("check.{}", item.trim_end_matches("_date")))
                    .to_owned(),
                None => t.named(&format!("field.{name}")).to_owned(),
            };
            (label, value.to_owned())
        })
        .collect()
}
