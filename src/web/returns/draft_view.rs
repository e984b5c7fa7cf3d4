//! A prepared draft's filled fields as read-only label/value rows, for the
//! nil confirmation (what would be discarded). The whole draft section by
//! section is `summary_view`.

use crate::i18n::Tr;
use crate::services::return_form::FiguresForm;

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
