//! Saving one section of the return: what was typed on that page replaces
//! that section's fields and nothing else, so sections saved by others (or
//! earlier) stay as they were. A draft keeps anything typed; the rules are
//! told on the page, never refused here.

use chrono::NaiveDateTime;

use super::Actor;
use super::return_form::{FiguresForm, NIL_MARK};
use super::returns::{self, lock_or_create, write_draft};
use crate::db::{DbConn, write_tx};
use crate::domain::period::Period;
use crate::domain::return_sections::ReturnSection;
use crate::error::AppResult;

/// The explanation of unusual figures: on every section page where a
/// warning fires, so it is kept whenever a page sends it.
const EXPLANATION: &str = "warnings_explanation";

/// `base` with the fields of `section` taken from `typed` (a field the
/// page sent nothing for, like an unticked radio, becomes empty), the
/// explanation when the page carried it, and no nil mark: entering figures
/// means the month is not nil.
pub fn merged(base: &FiguresForm, section: ReturnSection, typed: &FiguresForm) -> FiguresForm {
    let mut form = base.clone();
    form.0.remove(NIL_MARK);
    for field in section.fields() {
        form.set(field, typed.get(field));
    }
    if let Some(explanation) = typed.0.get(EXPLANATION) {
        form.set(EXPLANATION, explanation.clone());
    }
    form
}

/// Saves the fields of one section into the firm-month's draft (created
/// on first use; an amendment starts from the latest version), inside one
/// transaction that locks the return, so two people saving two sections
/// at once both keep what they typed.
pub fn save_section(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    section: ReturnSection,
    typed: &FiguresForm,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let row = lock_or_create(conn, firm_id, period, now)?;
        let base = returns::load(conn, firm_id, period)?.form();
        let form = merged(&base, section, typed);
        write_draft(conn, actor, &row, &form, now)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FiguresForm {
        FiguresForm(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn one_section_replaces_only_its_own_fields() {
        let base = form(&[
            ("unauthorized_accesses", "10"),
            ("contact_name", "Hanako Sato"),
            ("compensation_policy", "full"),
        ]);
        let typed = form(&[("unauthorized_accesses", "12"), ("contact_name", "Mallory")]);
        let saved = merged(&base, ReturnSection::Figures, &typed);
        assert_eq!(saved.get("unauthorized_accesses"), "12");
        assert_eq!(saved.get("contact_name"), "Hanako Sato");
        assert_eq!(saved.get("compensation_policy"), "full");
        let losses = merged(&base, ReturnSection::Losses, &form(&[]));
        assert_eq!(losses.get("compensation_policy"), "", "an unticked radio");
    }

    #[test]
    fn the_explanation_is_kept_only_when_sent_and_the_nil_mark_goes() {
        let mut base = FiguresForm::nil();
        base.set("warnings_explanation", "a one-off campaign");
        let saved = merged(&base, ReturnSection::Markets, &form(&[]));
        assert!(!saved.is_nil());
        assert_eq!(saved.get("warnings_explanation"), "a one-off campaign");
        let saved = merged(
            &base,
            ReturnSection::Figures,
            &form(&[("warnings_explanation", "")]),
        );
        assert_eq!(saved.get("warnings_explanation"), "");
    }
}
