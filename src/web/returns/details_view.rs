//! A submitted version's details as label/value rows, grouped by section,
//! for the receipt and review pages, and the people behind it
//! (`people_section`).

use crate::db::models::VersionDetails;
use crate::domain::details::{CHECKLIST, DETECTION, MARKETS, VECTORS};
use crate::services::four_eyes::{Basis, VersionPeople};
use crate::web::view::Chrome;

pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

fn label(c: &Chrome, field: &str) -> String {
    c.t.named(&format!("field.{field}")).to_owned()
}

pub fn sections(c: &Chrome, d: &VersionDetails) -> Vec<Section> {
    let mut out = facts(c, d);
    out.push(Section {
        title: c.t.t(msg!("return.contact")).to_owned(),
        rows: vec![
            (label(c, "contact_name"), c.kept(&d.contact_name)),
            (label(c, "contact_phone"), c.kept(&d.contact_phone)),
            (label(c, "contact_email"), c.kept(&d.contact_email)),
        ],
    });
    out.extend(warnings(c, d));
    out
}

/// The sections without the contact person (what an observer reads).
pub fn sections_without_contact(c: &Chrome, d: &VersionDetails) -> Vec<Section> {
    let mut out = facts(c, d);
    out.extend(warnings(c, d));
    out
}

fn warnings(c: &Chrome, d: &VersionDetails) -> Option<Section> {
    (!d.warnings.is_empty()).then(|| warnings_section(c, &d.warnings, &d.warnings_explanation))
}

/// Markets, vectors, detection, compensation and the checklist.
fn facts(c: &Chrome, d: &VersionDetails) -> Vec<Section> {
    let markets = [
        d.purchase_domestic_jpy,
        d.purchase_china_hk_jpy,
        d.purchase_us_jpy,
        d.purchase_other_jpy,
    ];
    let vectors = [
        d.vector_phishing,
        d.vector_credential_stuffing,
        d.vector_malware,
        d.vector_sim_swap,
        d.vector_insider,
        d.vector_unknown,
    ];
    let detected = [d.detected_customer, d.detected_monitoring, d.detected_other];
    let mut detection: Vec<(String, String)> = DETECTION
        .iter()
        .zip(detected)
        .map(|(f, v)| (label(c, f), c.count(&v)))
        .collect();
    if !d.detected_other_text.is_empty() {
        detection.push((
            label(c, "detected_other_text"),
            c.kept(&d.detected_other_text),
        ));
    }
    let policy = match (d.compensation_policy.as_str(), d.compensation_percent) {
        ("partial", Some(p)) => format!("{} ({p}%)", c.t.t(msg!("policy.partial"))),
        (code, _) => c.t.named(&format!("policy.{code}")).to_owned(),
    };
    let checklist = CHECKLIST
        .iter()
        .map(|item| {
            let state = d
                .checklist
                .split(';')
                .find_map(|e| e.strip_prefix(&format!("{item}=")))
                .unwrap_or("");
            let shown = match state.split_once(':') {
                Some(("planned", date)) => format!("{} ({date})", c.t.t(msg!("check.planned"))),
                _ => c.t.named(&format!("check.{state}")).to_owned(),
            };
            (c.t.named(&format!("check.{item}")).to_owned(), shown)
        })
        .collect();
    vec![
        Section {
            title: c.t.t(msg!("return.markets")).to_owned(),
            rows: MARKETS
                .iter()
                .zip(markets)
                .map(|(f, v)| (label(c, f), c.yen(&v)))
                .collect(),
        },
        Section {
            title: c.t.t(msg!("return.vectors")).to_owned(),
            rows: VECTORS
                .iter()
                .zip(vectors)
                .map(|(f, v)| (label(c, f), c.count(&v)))
                .collect(),
        },
        Section {
            title: c.t.t(msg!("return.detection")).to_owned(),
            rows: detection,
        },
        Section {
            title: c.t.t(msg!("return.compensation")).to_owned(),
            rows: vec![
                (label(c, "customer_losses"), c.yen(&d.customer_losses_jpy)),
                (
                    label(c, "compensation_paid"),
                    c.yen(&d.compensation_paid_jpy),
                ),
                (
                    label(c, "accounts_compensated"),
                    c.count(&d.accounts_compensated),
                ),
                (label(c, "compensation_policy"), policy),
            ],
        },
        Section {
            title: c.t.t(msg!("return.checklist")).to_owned(),
            rows: checklist,
        },
    ]
}

/// The warnings a version raised when filed (message keys, comma-separated)
/// and their explanation.
pub fn warnings_section(c: &Chrome, warnings: &str, explanation: &str) -> Section {
    let flagged = warnings
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| c.t.named(k).to_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Section {
        title: c.t.t(msg!("version.warnings")).to_owned(),
        rows: vec![
            (c.t.t(msg!("version.flagged")).to_owned(), flagged),
            (label(c, "warnings_explanation"), c.kept(explanation)),
        ],
    }
}

/// Who prepared, submitted and attested a version, by display name, with
/// the approver's note and the four-eyes basis, in the page's language.
pub fn people_section(c: &Chrome, p: &VersionPeople) -> Section {
    let nobody = || c.t.t(msg!("version.not_recorded")).to_owned();
    let preparers = if p.preparers.is_empty() {
        nobody()
    } else {
        p.preparers.join(", ")
    };
    let basis = match p.basis {
        Basis::TwoPeople => c.t.t(msg!("four_eyes.two_people")).to_owned(),
        Basis::Exempt(date) => {
            c.t.tf(msg!("four_eyes.exempt"), &[("date", &c.date(&date))])
        }
        Basis::NotRecorded => nobody(),
    };
    let mut rows = vec![
        (c.t.t(msg!("version.prepared_by")).to_owned(), preparers),
        (
            c.t.t(msg!("version.submitted_by")).to_owned(),
            p.submitter.clone().unwrap_or_else(nobody),
        ),
        (
            c.t.t(msg!("version.attested_by")).to_owned(),
            p.attested_by.clone().unwrap_or_else(nobody),
        ),
    ];
    if !p.approver_note.is_empty() {
        rows.push((
            c.t.t(msg!("field.approver_note")).to_owned(),
            c.kept(&p.approver_note),
        ));
    }
    rows.push((c.t.t(msg!("version.four_eyes")).to_owned(), basis));
    Section {
        title: c.t.t(msg!("version.control")).to_owned(),
        rows,
    }
}
