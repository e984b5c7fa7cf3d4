//! The return form as typed: one string per field, kept verbatim in drafts
//! (a draft may hold anything), parsed in full only at submission.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::models::{Version, VersionDetails};
use crate::domain::details::{CHECK_DATE, CHECK_STATUS, DETECTION, MARKETS, VECTORS};
use crate::domain::figures::FiguresInput;

/// The FSA figures and the rest of the core.
pub const CORE: [&str; 6] = [
    "unauthorized_accesses",
    "affected_accounts",
    "fraudulent_trades",
    "sale_amount",
    "purchase_amount",
    "remediation",
];
pub const COMPENSATION: [&str; 5] = [
    "customer_losses",
    "compensation_paid",
    "accounts_compensated",
    "compensation_policy",
    "compensation_percent",
];
pub const CONTACT: [&str; 3] = ["contact_name", "contact_phone", "contact_email"];
/// The preparer's other fields (the attestation is the approver's, given
/// at submission, and never part of a draft).
pub const OTHER: [&str; 2] = ["detected_other_text", "warnings_explanation"];
/// Set (never typed) on a draft that a preparer marked nil.
pub const NIL_MARK: &str = crate::domain::details::NIL_RETURN;
/// The longest value kept for any one field of a draft.
const MAX_FIELD_CHARS: usize = 5000;

/// Whether `name` is a field of the return form.
pub fn is_field(name: &str) -> bool {
    CORE.contains(&name)
        || MARKETS.contains(&name)
        || VECTORS.contains(&name)
        || DETECTION.contains(&name)
        || COMPENSATION.contains(&name)
        || CONTACT.contains(&name)
        || OTHER.contains(&name)
        || CHECK_STATUS.contains(&name)
        || CHECK_DATE.contains(&name)
}

/// What the form holds, as typed.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq, Eq)]
#[serde(transparent)]
pub struct FiguresForm(pub BTreeMap<String, String>);

impl FiguresForm {
    /// Keeps only the form's own fields (bounded in length).
    pub fn from_fields(fields: impl IntoIterator<Item = (String, String)>) -> Self {
        FiguresForm(
            fields
                .into_iter()
                .filter(|(k, _)| is_field(k))
                .map(|(k, v)| (k, v.chars().take(MAX_FIELD_CHARS).collect()))
                .collect(),
        )
    }

    /// Whether a preparer marked this draft a nil return.
    pub fn is_nil(&self) -> bool {
        self.get(NIL_MARK) == "yes"
    }

    /// A nil return's draft.
    pub fn nil() -> Self {
        let mut form = FiguresForm::default();
        form.set(NIL_MARK, "yes");
        form
    }

    /// The fields that hold something, in form order (for what marking a
    /// month nil would discard).
    pub fn filled(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .filter(|(k, v)| is_field(k) && !v.trim().is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    pub fn input(&self) -> FiguresInput<'_> {
        FiguresInput {
            unauthorized_accesses: self.get("unauthorized_accesses"),
            affected_accounts: self.get("affected_accounts"),
            fraudulent_trades: self.get("fraudulent_trades"),
            sale_amount: self.get("sale_amount"),
            purchase_amount: self.get("purchase_amount"),
            remediation: self.get("remediation"),
        }
    }

    /// The form as a submitted version says (to amend it).
    pub fn from_version(v: &Version, details: Option<&VersionDetails>) -> Self {
        let mut form = FiguresForm::default();
        form.set("unauthorized_accesses", v.unauthorized_accesses.to_string());
        form.set("affected_accounts", v.affected_accounts.to_string());
        form.set("fraudulent_trades", v.fraudulent_trades.to_string());
        form.set("sale_amount", v.sale_amount_jpy.to_string());
        form.set("purchase_amount", v.purchase_amount_jpy.to_string());
        form.set("remediation", v.remediation.clone());
        if let Some(d) = details {
            let markets = [
                d.purchase_domestic_jpy,
                d.purchase_china_hk_jpy,
                d.purchase_us_jpy,
                d.purchase_other_jpy,
            ];
            for (name, value) in MARKETS.iter().zip(markets) {
                form.set(name, value.to_string());
            }
            let vectors = [
                d.vector_phishing,
                d.vector_credential_stuffing,
                d.vector_malware,
                d.vector_sim_swap,
                d.vector_insider,
                d.vector_unknown,
            ];
            for (name, value) in VECTORS.iter().zip(vectors) {
                form.set(name, value.to_string());
            }
            let detected = [d.detected_customer, d.detected_monitoring, d.detected_other];
            for (name, value) in DETECTION.iter().zip(detected) {
                form.set(name, value.to_string());
            }
            form.set("detected_other_text", d.detected_other_text.clone());
            form.set("customer_losses", d.customer_losses_jpy.to_string());
            form.set("compensation_paid", d.compensation_paid_jpy.to_string());
            form.set("accounts_compensated", d.accounts_compensated.to_string());
            form.set("compensation_policy", d.compensation_policy.as_str());
            form.set(
                "compensation_percent",
                d.compensation_percent
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            );
            for entry in d.checklist.split(';').filter(|e| !e.is_empty()) {
                let (item, state) = entry.split_once('=').unwrap_or((entry, ""));
                let (status, date) = state.split_once(':').unwrap_or((state, ""));
                form.set(&format!("check_{item}"), status);
                if !date.is_empty() {
                    form.set(&format!("check_{item}_date"), date);
                }
            }
            form.set("contact_name", d.contact_name.clone());
            form.set("contact_phone", d.contact_phone.clone());
            form.set("contact_email", d.contact_email.clone());
        }
        form
    }
}

#[cfg(test)]
#[path = "return_form_proptests.rs"]
mod proptests;
