//! The published rule catalogue: every check a return meets, with a stable
//! ID, a severity, the fields it reads, a description in both languages and
//! the date it took effect. The checks themselves raise message keys; the
//! catalogue names the rule behind each key, so the form, the filing API,
//! the trade-detail upload and the public `/rules` page all speak of the
//! same rules. A rule's ID never changes and is never reused.

use chrono::NaiveDate;

use super::details::{CHECK_DATE, CHECK_STATUS, DETECTION, MARKETS, VECTORS};
use crate::i18n::Key;

/// What a failed rule means for the return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The return cannot be marked ready or submitted until it is fixed.
    Error,
    /// The figure may be right, but the return needs a written
    /// explanation of it before it can be marked ready or submitted.
    Warning,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    pub fn label_key(self) -> Key {
        match self {
            Severity::Error => msg!("rules.severity.error"),
            Severity::Warning => msg!("rules.severity.warning"),
        }
    }
}

/// What a rule looks at: a return's fields, or the trade detail file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The return's fields (the form, the API's draft document).
    Return,
    /// The trade detail behind a return (the CSV upload, the API's rows).
    Trades,
    /// The shape of the filing API's draft document (JSON types, members,
    /// codes), before the return's own rules.
    Document,
    /// The report of an incident's stage (the form, and the API's JSON
    /// body with its types).
    Incident,
}

impl Subject {
    pub fn code(self) -> &'static str {
        match self {
            Subject::Return => "return",
            Subject::Trades => "trades",
            Subject::Document => "document",
            Subject::Incident => "incident",
        }
    }
}

/// The fields a rule reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// These fields of the return (or columns of the trade detail).
    Fields(&'static [&'static str]),
    /// Every count and yen amount of the return.
    Numbers,
    /// What a return must give: every number, the contact person, and the
    /// text a figure calls for.
    Required,
    /// Every free-text field of the return.
    Texts,
    /// The compensation policy and each checklist item's status.
    Choices,
    /// Each checklist item's planned date.
    PlannedDates,
    /// The trade detail file, or the draft document, as a whole.
    File,
}

const COUNTS_AND_AMOUNTS: [&str; 5] = [
    "unauthorized_accesses",
    "affected_accounts",
    "fraudulent_trades",
    "sale_amount",
    "purchase_amount",
];
const LOSS_FIGURES: [&str; 3] = [
    "customer_losses",
    "compensation_paid",
    "accounts_compensated",
];
const REQUIRED_TEXTS: [&str; 4] = [
    "detected_other_text",
    "contact_name",
    "contact_phone",
    "contact_email",
];
const TEXTS: [&str; 4] = [
    "remediation",
    "detected_other_text",
    "warnings_explanation",
    "contact_name",
];

impl Reads {
    /// The field (or column) names, in the form's order.
    pub fn fields(self) -> Vec<&'static str> {
        match self {
            Reads::Fields(names) => names.to_vec(),
            Reads::Numbers => COUNTS_AND_AMOUNTS
                .iter()
                .chain(MARKETS.iter())
                .chain(VECTORS.iter())
                .chain(DETECTION.iter())
                .chain(LOSS_FIGURES.iter())
                .copied()
                .collect(),
            Reads::Required => {
                let mut all = Reads::Numbers.fields();
                all.extend(REQUIRED_TEXTS);
                all
            }
            Reads::Texts => TEXTS.to_vec(),
            Reads::Choices => std::iter::once("compensation_policy")
                .chain(CHECK_STATUS.iter().copied())
                .collect(),
            Reads::PlannedDates => CHECK_DATE.to_vec(),
            Reads::File => Vec::new(),
        }
    }
}

/// One rule of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable: `RET-E…` (return, error), `RET-W…` (return, warning),
    /// `TRD-E…` (trade detail), `DOC-E…` (the API's draft document),
    /// `INC-E…` (an incident's report).
    pub id: &'static str,
    pub severity: Severity,
    pub subject: Subject,
    /// The message the check raises, shown beside the field.
    pub key: Key,
    /// What the rule checks, in a sentence or two.
    pub description: Key,
    pub reads: Reads,
    /// The day the rule took effect (ISO 8601).
    pub effective: &'static str,
}

impl Rule {
    pub fn effective_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.effective, "%Y-%m-%d").ok()
    }

    /// The rule's address on the public page, also the `type` of the
    /// API's problem details for it.
    pub fn path(&self) -> String {
        format!("/rules#{}", self.id)
    }
}

/// The day the portal opened: the rules it opened with took effect then.
const OPENED: &str = "2026-11-25";
/// The day incidents were first reported: their rules took effect then.
const INCIDENTS_OPENED: &str = "2026-12-08";
/// The day amendments first had to say why.
const AMENDMENT_REASONS: &str = "2026-12-09";

/// The members of an incident's report a stage may require (the choices
/// are chosen, rule INC-E007).
const INCIDENT_REQUIRED: [&str; 14] = [
    "aware_at",
    "classified_at",
    "occurred_on",
    "accounts",
    "trades",
    "amount_jpy",
    "actions",
    "containment",
    "cause",
    "root_cause",
    "losses_jpy",
    "compensation_jpy",
    "remediation",
    "remediation_by",
];
/// The members of an incident's report that are a moment.
const INCIDENT_TIMES: [&str; 2] = ["aware_at", "classified_at"];
/// The members of an incident's report that are a count or yen.
const INCIDENT_NUMBERS: [&str; 5] = [
    "accounts",
    "trades",
    "amount_jpy",
    "losses_jpy",
    "compensation_jpy",
];
/// The free-text members of an incident's report.
const INCIDENT_TEXTS: [&str; 5] = [
    "actions",
    "containment",
    "cause",
    "root_cause",
    "remediation",
];
/// The yes-or-no members of an incident's report.
const INCIDENT_FLAGS: [&str; 3] = ["ongoing", "customers_told", "police_told"];
/// The members of an incident's report a JSON string holds.
const INCIDENT_STRINGS: [&str; 11] = [
    "aware_at",
    "classified_at",
    "occurred_on",
    "kind",
    "vector",
    "actions",
    "containment",
    "cause",
    "root_cause",
    "remediation",
    "remediation_by",
];

macro_rules! rules {
    ($($id:literal $severity:ident $subject:ident $key:tt $description:tt $reads:expr $(, from $effective:expr)?;)*) => {
        /// Every rule, in ID order within each subject.
        pub static CATALOGUE: &[Rule] = &[$(Rule {
            id: $id,
            severity: Severity::$severity,
            subject: Subject::$subject,
            key: msg!($key),
            description: msg!($description),
            reads: $reads,
            effective: rules!(@effective $($effective)?),
        }),*];
    };
    (@effective) => { OPENED };
    (@effective $effective:expr) => { $effective };
}

rules! {
    "RET-E001" Error Return "err.required" "rules.ret_e001" Reads::Required;
    "RET-E002" Error Return "err.number.invalid" "rules.ret_e002" Reads::Numbers;
    "RET-E003" Error Return "err.number.negative" "rules.ret_e003" Reads::Numbers;
    "RET-E004" Error Return "err.number.too_large" "rules.ret_e004" Reads::Numbers;
    "RET-E005" Error Return "err.text.too_long" "rules.ret_e005" Reads::Texts;
    "RET-E006" Error Return "err.text.control" "rules.ret_e006" Reads::Texts;
    "RET-E007" Error Return "err.email.invalid" "rules.ret_e007" Reads::Fields(&["contact_email"]);
    "RET-E008" Error Return "err.phone.invalid" "rules.ret_e008" Reads::Fields(&["contact_phone"]);
    "RET-E009" Error Return "err.choose" "rules.ret_e009" Reads::Choices;
    "RET-E010" Error Return "err.percent.invalid" "rules.ret_e010" Reads::Fields(&["compensation_percent"]);
    "RET-E011" Error Return "err.date.invalid" "rules.ret_e011" Reads::PlannedDates;
    "RET-E012" Error Return "err.date.before_period" "rules.ret_e012" Reads::PlannedDates;
    "RET-E013" Error Return "err.rule.planned_without_date" "rules.ret_e013" Reads::PlannedDates;
    "RET-E014" Error Return "err.rule.trades_exceed_accesses" "rules.ret_e014" Reads::Fields(&["fraudulent_trades", "unauthorized_accesses"]);
    "RET-E015" Error Return "err.rule.amount_without_trades" "rules.ret_e015" Reads::Fields(&["sale_amount", "purchase_amount", "fraudulent_trades"]);
    "RET-E016" Error Return "err.rule.trades_without_amount" "rules.ret_e016" Reads::Fields(&["fraudulent_trades", "sale_amount", "purchase_amount"]);
    "RET-E017" Error Return "err.rule.accounts_without_accesses" "rules.ret_e017" Reads::Fields(&["affected_accounts", "unauthorized_accesses"]);
    "RET-E018" Error Return "err.rule.markets_sum" "rules.ret_e018" Reads::Fields(&["purchase_domestic", "purchase_china_hk", "purchase_us", "purchase_other", "purchase_amount"]);
    "RET-E019" Error Return "err.explanation.required" "rules.ret_e019" Reads::Fields(&["warnings_explanation"]);
    "RET-E020" Error Return "err.trades.mismatch_trades" "rules.ret_e020" Reads::Fields(&["fraudulent_trades"]);
    "RET-E021" Error Return "err.trades.mismatch_sale" "rules.ret_e021" Reads::Fields(&["sale_amount"]);
    "RET-E022" Error Return "err.trades.mismatch_purchase" "rules.ret_e022" Reads::Fields(&["purchase_amount"]);
    "RET-E023" Error Return "err.amendment.reason_required" "rules.ret_e023" Reads::Fields(&["amendment_reason"]), from AMENDMENT_REASONS;
    "RET-E024" Error Return "err.amendment.text_required" "rules.ret_e024" Reads::Fields(&["amendment_reason_text"]), from AMENDMENT_REASONS;
    "RET-W001" Warning Return "warn.accounts_exceed_accesses" "rules.ret_w001" Reads::Fields(&["affected_accounts", "unauthorized_accesses"]);
    "RET-W002" Warning Return "warn.tenfold" "rules.ret_w002" Reads::Fields(&["unauthorized_accesses", "fraudulent_trades", "sale_amount", "purchase_amount"]);
    "RET-W003" Warning Return "warn.compensation_above_losses" "rules.ret_w003" Reads::Fields(&["compensation_paid", "customer_losses"]);
    "RET-W004" Warning Return "warn.incident_accounts" "rules.ret_w004" Reads::Fields(&["unauthorized_accesses"]), from INCIDENTS_OPENED;
    "RET-W005" Warning Return "warn.incident_trades" "rules.ret_w005" Reads::Fields(&["fraudulent_trades"]), from INCIDENTS_OPENED;
    "RET-W006" Warning Return "warn.incidents_nil" "rules.ret_w006" Reads::Fields(&["unauthorized_accesses", "affected_accounts", "fraudulent_trades", "sale_amount", "purchase_amount"]), from INCIDENTS_OPENED;
    "TRD-E001" Error Trades "err.trades.empty" "rules.trd_e001" Reads::File;
    "TRD-E002" Error Trades "err.trades.not_csv" "rules.trd_e002" Reads::File;
    "TRD-E003" Error Trades "err.trades.file_encoding" "rules.trd_e003" Reads::File;
    "TRD-E004" Error Trades "err.trades.too_large" "rules.trd_e004" Reads::File;
    "TRD-E005" Error Trades "err.trades.header" "rules.trd_e005" Reads::File;
    "TRD-E006" Error Trades "err.trades.no_rows" "rules.trd_e006" Reads::File;
    "TRD-E007" Error Trades "err.trades.too_many_rows" "rules.trd_e007" Reads::File;
    "TRD-E008" Error Trades "err.trades.total_too_large" "rules.trd_e008" Reads::File;
    "TRD-E009" Error Trades "err.trades.columns" "rules.trd_e009" Reads::File;
    "TRD-E010" Error Trades "err.trades.too_long" "rules.trd_e010" Reads::File;
    "TRD-E011" Error Trades "err.trades.encoding" "rules.trd_e011" Reads::File;
    "TRD-E012" Error Trades "err.trades.control" "rules.trd_e012" Reads::File;
    "TRD-E013" Error Trades "err.trades.quote" "rules.trd_e013" Reads::File;
    "TRD-E014" Error Trades "err.required" "rules.trd_e014" Reads::Fields(&["trade_date", "side", "security_code", "market", "quantity", "amount_jpy", "account_ref"]);
    "TRD-E015" Error Trades "err.trades.date" "rules.trd_e015" Reads::Fields(&["trade_date"]);
    "TRD-E016" Error Trades "err.trades.date_outside_period" "rules.trd_e016" Reads::Fields(&["trade_date"]);
    "TRD-E017" Error Trades "err.trades.side" "rules.trd_e017" Reads::Fields(&["side"]);
    "TRD-E018" Error Trades "err.trades.security_code" "rules.trd_e018" Reads::Fields(&["security_code"]);
    "TRD-E019" Error Trades "err.trades.market" "rules.trd_e019" Reads::Fields(&["market"]);
    "TRD-E020" Error Trades "err.trades.quantity" "rules.trd_e020" Reads::Fields(&["quantity"]);
    "TRD-E021" Error Trades "err.trades.amount" "rules.trd_e021" Reads::Fields(&["amount_jpy"]);
    "TRD-E022" Error Trades "err.number.too_large" "rules.trd_e022" Reads::Fields(&["quantity", "amount_jpy"]);
    "TRD-E023" Error Trades "err.trades.account_ref" "rules.trd_e023" Reads::Fields(&["account_ref"]);
    "TRD-E024" Error Trades "err.trades.account_number" "rules.trd_e024" Reads::Fields(&["account_ref"]);
    "TRD-E025" Error Trades "err.trades.account_email" "rules.trd_e025" Reads::Fields(&["account_ref"]);
    "DOC-E001" Error Document "err.document.not_object" "rules.doc_e001" Reads::File;
    "DOC-E002" Error Document "err.document.unknown_member" "rules.doc_e002" Reads::File;
    "DOC-E003" Error Document "err.document.attestation" "rules.doc_e003" Reads::Fields(&["attestation"]);
    "DOC-E004" Error Document "err.document.integer" "rules.doc_e004" Reads::Numbers;
    "DOC-E005" Error Document "err.document.string" "rules.doc_e005" Reads::Texts;
    "DOC-E006" Error Document "err.document.boolean" "rules.doc_e006" Reads::File;
    "DOC-E007" Error Document "err.document.policy_code" "rules.doc_e007" Reads::Fields(&["compensation_policy"]);
    "DOC-E008" Error Document "err.document.item_status_code" "rules.doc_e008" Reads::Choices;
    "DOC-E009" Error Document "err.document.date" "rules.doc_e009" Reads::PlannedDates;
    "DOC-E010" Error Document "err.document.nil_with_figures" "rules.doc_e010" Reads::File;
    "INC-E001" Error Incident "err.required" "rules.inc_e001" Reads::Fields(&INCIDENT_REQUIRED), from INCIDENTS_OPENED;
    "INC-E002" Error Incident "err.incident.time" "rules.inc_e002" Reads::Fields(&INCIDENT_TIMES), from INCIDENTS_OPENED;
    "INC-E003" Error Incident "err.incident.future" "rules.inc_e003" Reads::Fields(&INCIDENT_TIMES), from INCIDENTS_OPENED;
    "INC-E004" Error Incident "err.incident.classified_before_aware" "rules.inc_e004" Reads::Fields(&["classified_at", "aware_at"]), from INCIDENTS_OPENED;
    "INC-E005" Error Incident "err.date.invalid" "rules.inc_e005" Reads::Fields(&["occurred_on", "remediation_by"]), from INCIDENTS_OPENED;
    "INC-E006" Error Incident "err.incident.occurred_after_aware" "rules.inc_e006" Reads::Fields(&["occurred_on", "aware_at"]), from INCIDENTS_OPENED;
    "INC-E007" Error Incident "err.choose" "rules.inc_e007" Reads::Fields(&["kind", "vector", "ongoing", "customers_told", "police_told"]), from INCIDENTS_OPENED;
    "INC-E008" Error Incident "err.form.invalid" "rules.inc_e008" Reads::Fields(&["kind", "vector", "ongoing", "customers_told", "police_told"]), from INCIDENTS_OPENED;
    "INC-E009" Error Incident "err.number.invalid" "rules.inc_e009" Reads::Fields(&INCIDENT_NUMBERS), from INCIDENTS_OPENED;
    "INC-E010" Error Incident "err.number.negative" "rules.inc_e010" Reads::Fields(&INCIDENT_NUMBERS), from INCIDENTS_OPENED;
    "INC-E011" Error Incident "err.number.too_large" "rules.inc_e011" Reads::Fields(&INCIDENT_NUMBERS), from INCIDENTS_OPENED;
    "INC-E012" Error Incident "err.text.too_long" "rules.inc_e012" Reads::Fields(&INCIDENT_TEXTS), from INCIDENTS_OPENED;
    "INC-E013" Error Incident "err.text.control" "rules.inc_e013" Reads::Fields(&INCIDENT_TEXTS), from INCIDENTS_OPENED;
    "INC-E014" Error Incident "err.incident.not_object" "rules.inc_e014" Reads::File, from INCIDENTS_OPENED;
    "INC-E015" Error Incident "err.incident.unknown_member" "rules.inc_e015" Reads::File, from INCIDENTS_OPENED;
    "INC-E016" Error Incident "err.document.integer" "rules.inc_e016" Reads::Fields(&INCIDENT_NUMBERS), from INCIDENTS_OPENED;
    "INC-E017" Error Incident "err.document.string" "rules.inc_e017" Reads::Fields(&INCIDENT_STRINGS), from INCIDENTS_OPENED;
    "INC-E018" Error Incident "err.document.boolean" "rules.inc_e018" Reads::Fields(&INCIDENT_FLAGS), from INCIDENTS_OPENED;
}

/// The rule that raises `key` about `subject`, if the catalogue has one.
pub fn raised(subject: Subject, key: Key) -> Option<&'static Rule> {
    CATALOGUE
        .iter()
        .find(|r| r.subject == subject && r.key == key)
}

/// The rule with this ID.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().find(|r| r.id == id)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
