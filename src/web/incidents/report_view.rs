//! A report's fields as (label, value) lines in the reader's language, for
//! every page that shows a stage as sent (or a draft as saved).

use crate::domain::incident::{FIELDS, IncidentStage, Report, ReportForm, asked};
use crate::domain::yen::group_digits;
use crate::i18n::Tr;

use super::labels;
use crate::web::retained::shown;

fn yes_no(t: &Tr, value: bool) -> String {
    t.t(if value {
        msg!("incident.yes")
    } else {
        msg!("incident.no")
    })
    .to_owned()
}

fn yen(value: i64) -> String {
    format!("¥{}", group_digits(value))
}

/// The value of `field` in `report`, formatted.
pub fn value(t: &Tr, report: &Report, field: &str) -> String {
    match field {
        "aware_at" => t.when(report.aware_at),
        "classified_at" => t.when(report.classified_at),
        "occurred_on" => t.date(report.occurred_on),
        "kind" => t.t(labels::kind(report.kind)).to_owned(),
        "vector" => t.t(labels::vector(report.vector)).to_owned(),
        "accounts" => group_digits(report.accounts),
        "trades" => group_digits(report.trades),
        "amount_jpy" => yen(report.amount_jpy),
        "ongoing" => yes_no(t, report.ongoing),
        "actions" => shown(t, &report.actions),
        "customers_told" => yes_no(t, report.customers_told),
        "police_told" => yes_no(t, report.police_told),
        "containment" => shown(t, &report.containment),
        "cause" => shown(t, &report.cause),
        "root_cause" => shown(t, &report.root_cause),
        "losses_jpy" => report.losses_jpy.map(yen).unwrap_or_default(),
        "compensation_jpy" => report.compensation_jpy.map(yen).unwrap_or_default(),
        "remediation" => shown(t, &report.remediation),
        "remediation_by" => report.remediation_by.map(|d| t.date(d)).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Every field `stage` asks for, as sent.
pub fn lines(t: &Tr, stage: IncidentStage, report: &Report) -> Vec<(String, String)> {
    FIELDS
        .iter()
        .filter(|f| asked(f, stage))
        .map(|f| (t.t(labels::field(f)).to_owned(), value(t, report, f)))
        .collect()
}

/// Every field `stage` asks for, as typed in a draft (choices named).
pub fn typed_lines(t: &Tr, stage: IncidentStage, form: &ReportForm) -> Vec<(String, String)> {
    FIELDS
        .iter()
        .filter(|f| asked(f, stage))
        .map(|f| {
            let raw = form.value(f);
            let shown = match *f {
                "kind" => crate::domain::incident::IncidentKind::parse(raw)
                    .map(|k| t.t(labels::kind(k)).to_owned())
                    .unwrap_or_else(|_| raw.to_owned()),
                "vector" => crate::domain::incident::AttackVector::parse(raw)
                    .map(|v| t.t(labels::vector(v)).to_owned())
                    .unwrap_or_else(|_| raw.to_owned()),
                "ongoing" | "customers_told" | "police_told" => match raw {
                    "yes" => yes_no(t, true),
                    "no" => yes_no(t, false),
                    other => other.to_owned(),
                },
                _ => shown(t, raw),
            };
            (t.t(labels::field(f)).to_owned(), shown)
        })
        .collect()
}
