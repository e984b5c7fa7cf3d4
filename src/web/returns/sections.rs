//! The return form's sections as the template draws them: each field with
//! its label, what was typed and its message, and the checklist rows.

use crate::domain::details::{CHECK_DATE, CHECK_STATUS, CHECKLIST, DETECTION, MARKETS, VECTORS};
use crate::domain::rules::Subject;
use crate::i18n::Key;
use crate::i18n::Tr;
use crate::services::Invalid;
use crate::services::return_form::FiguresForm;
use crate::web::view::{FieldKind, FieldView};

/// One remediation item: its status (done / planned / not applicable) and,
/// when planned, the target date.
pub struct CheckRow {
    pub label: String,
    pub status_name: &'static str,
    pub date_name: &'static str,
    pub status: String,
    pub date: String,
    pub error: Option<String>,
    pub date_error: Option<String>,
}

impl CheckRow {
    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

pub struct Sections {
    pub core: Vec<FieldView>,
    pub markets: Vec<FieldView>,
    pub vectors: Vec<FieldView>,
    pub detection: Vec<FieldView>,
    pub compensation: Vec<FieldView>,
    pub policy: String,
    pub policy_error: Option<String>,
    pub checklist: Vec<CheckRow>,
    pub contact: Vec<FieldView>,
    pub attested: bool,
    pub attestation_error: Option<String>,
    pub explanation: Vec<FieldView>,
    /// A message about the form as a whole (four eyes).
    pub general: Option<String>,
}

/// A check's message with its rule's ID.
fn ruled(t: &Tr, key: Key) -> String {
    crate::web::rules::message(t, Subject::Return, key)
}

fn field(
    t: &Tr,
    form: &FiguresForm,
    invalid: &Invalid,
    name: &'static str,
    kind: FieldKind,
) -> FieldView {
    let hint = Key::find(&format!("hint.{name}")).map(|k| t.t(k));
    FieldView {
        name,
        label: t.named(&format!("field.{name}")).to_owned(),
        value: form.get(name).to_owned(),
        error: invalid.for_field(name).map(|k| ruled(t, k)),
        hint: hint.map(str::to_owned),
        kind,
    }
}

fn group(
    t: &Tr,
    form: &FiguresForm,
    invalid: &Invalid,
    names: &[&'static str],
    kind: FieldKind,
) -> Vec<FieldView> {
    names
        .iter()
        .map(|n| field(t, form, invalid, n, kind))
        .collect()
}

pub fn build(t: &Tr, form: &FiguresForm, invalid: &Invalid) -> Sections {
    let core = vec![
        field(t, form, invalid, "unauthorized_accesses", FieldKind::Number),
        field(t, form, invalid, "affected_accounts", FieldKind::Number),
        field(t, form, invalid, "fraudulent_trades", FieldKind::Number),
        field(t, form, invalid, "sale_amount", FieldKind::Number),
        field(t, form, invalid, "purchase_amount", FieldKind::Number),
    ];
    let mut detection = group(t, form, invalid, &DETECTION, FieldKind::Number);
    detection.push(field(
        t,
        form,
        invalid,
        "detected_other_text",
        FieldKind::Text,
    ));
    let mut compensation = group(
        t,
        form,
        invalid,
        &[
            "customer_losses",
            "compensation_paid",
            "accounts_compensated",
        ],
        FieldKind::Number,
    );
    compensation.push(field(
        t,
        form,
        invalid,
        "compensation_percent",
        FieldKind::Number,
    ));
    let checklist = CHECKLIST
        .iter()
        .enumerate()
        .map(|(i, item)| CheckRow {
            label: t.named(&format!("check.{item}")).to_owned(),
            status_name: CHECK_STATUS[i],
            date_name: CHECK_DATE[i],
            status: form.get(CHECK_STATUS[i]).to_owned(),
            date: form.get(CHECK_DATE[i]).to_owned(),
            error: invalid.for_field(CHECK_STATUS[i]).map(|k| ruled(t, k)),
            date_error: invalid.for_field(CHECK_DATE[i]).map(|k| ruled(t, k)),
        })
        .collect();
    let mut contact = group(
        t,
        form,
        invalid,
        &["contact_name", "contact_phone"],
        FieldKind::Text,
    );
    contact.push(field(t, form, invalid, "contact_email", FieldKind::Email));
    Sections {
        core,
        markets: group(t, form, invalid, &MARKETS, FieldKind::Number),
        vectors: group(t, form, invalid, &VECTORS, FieldKind::Number),
        detection,
        compensation,
        policy: form.get("compensation_policy").to_owned(),
        policy_error: invalid
            .for_field("compensation_policy")
            .map(|k| ruled(t, k)),
        checklist,
        contact,
        attested: form.get("attestation") == "yes",
        attestation_error: invalid.for_field("attestation").map(|k| ruled(t, k)),
        explanation: vec![
            field(t, form, invalid, "remediation", FieldKind::Multiline),
            field(
                t,
                form,
                invalid,
                "warnings_explanation",
                FieldKind::Multiline,
            ),
        ],
        general: invalid.for_field("four_eyes").map(|k| ruled(t, k)),
    }
}

impl Sections {
    /// Every problem, in form order, for the summary at the top: (field id,
    /// label, message).
    pub fn summary(&self, t: &Tr) -> Vec<(String, String, String)> {
        let mut all = Vec::new();
        let groups = [
            &self.core,
            &self.markets,
            &self.vectors,
            &self.detection,
            &self.compensation,
        ];
        for f in groups.into_iter().flatten() {
            if let Some(e) = &f.error {
                all.push((f.name.to_owned(), f.label.clone(), e.clone()));
            }
        }
        if let Some(e) = &self.policy_error {
            all.push((
                "compensation_policy".into(),
                t.t(msg!("field.compensation_policy")).to_owned(),
                e.clone(),
            ));
        }
        for row in &self.checklist {
            if let Some(e) = &row.error {
                all.push((row.status_name.to_owned(), row.label.clone(), e.clone()));
            }
            if let Some(e) = &row.date_error {
                all.push((row.date_name.to_owned(), row.label.clone(), e.clone()));
            }
        }
        for f in self.contact.iter().chain(self.explanation.iter()) {
            if let Some(e) = &f.error {
                all.push((f.name.to_owned(), f.label.clone(), e.clone()));
            }
        }
        if let Some(e) = &self.attestation_error {
            all.push((
                "attestation".into(),
                t.t(msg!("field.attestation")).to_owned(),
                e.clone(),
            ));
        }
        all
    }
}
