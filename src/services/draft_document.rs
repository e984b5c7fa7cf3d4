//! The draft of a monthly return as one JSON document, as the filing API
//! reads and writes it (`GET`/`PUT /api/v1/returns/{period}/draft`), and
//! its translation to and from the form a draft is stored as
//! ([`FiguresForm`]).
//!
//! The document has one object per group of fields, each within one
//! section of the return, named as a developer would expect:
//!
//! ```json
//! {
//!   "nil_return": false,
//!   "figures": {"unauthorized_accesses": 1422, "affected_accounts": 1300,
//!               "fraudulent_trades": 685, "sale_amount": 5060000000,
//!               "purchase_amount": 4480000000},
//!   "purchase_by_market": {"domestic": 0, "china_hk": 4480000000, "us": 0, "other": 0},
//!   "vectors": {"phishing": 1400, "credential_stuffing": 22, "malware": 0,
//!               "sim_swap": 0, "insider": 0, "unknown": 0},
//!   "detection": {"customer_enquiry": 600, "own_monitoring": 85, "other": 0,
//!                 "other_description": null},
//!   "losses": {"customer_losses": 0, "compensation_paid": 0, "accounts_compensated": 0,
//!              "compensation_policy": "partial", "compensation_percent": 50},
//!   "remediation": {"checklist": {"mfa_mandatory": {"status": "planned", "date": "2025-06-30"},
//!                                 "passkeys_offered": {"status": "done", "date": null}},
//!                   "narrative": "Passkeys offered to every customer since ..."},
//!   "contact": {"name": "Kei Sato", "phone": "+81 3-1234-5678", "email": "kei@firm.example"},
//!   "warnings_explanation": null,
//!   "amendment": {"reason": "correction", "text": "The sale amount of 3 April ..."},
//!   "as_typed": {}
//! }
//! ```
//!
//! - `figures` is the figures section; `purchase_by_market` the markets
//!   section; `vectors` and `detection` the attack vectors section;
//!   `losses` the losses and compensation section; `remediation` the
//!   remediation section (its checklist has the nine measures, each with a
//!   `status` and, when planned, a target `date`); `contact` and
//!   `warnings_explanation` the narrative section. Trade detail is a file
//!   of its own, not part of the document.
//! - Counts and yen amounts are JSON integers from 0 (counts up to 10^12,
//!   yen up to 10^15); `compensation_percent` is an integer from 1 to 99.
//!   Choices are the stored codes: `compensation_policy` is `full`,
//!   `partial` or `considering`; a measure's `status` is `done`, `planned`
//!   or `na`, its `date` is `YYYY-MM-DD`. Text is a string within the
//!   field's length, without control characters (line breaks only in
//!   `narrative` and `warnings_explanation`).
//! - `null`, an absent member or object, and text that is empty or only
//!   spaces all mean "not filled yet": a draft may be partial. A `PUT`
//!   replaces the whole draft, so whatever it leaves out is empty
//!   afterwards.
//! - `nil_return: true` marks the month a nil return; nothing else may then
//!   be filled but `warnings_explanation`, which a nil return needs when the
//!   firm reported incidents that began in the month (rule RET-W006).
//! - `amendment` says why the draft amends the version filed before (from
//!   the month's second version on): a `reason` code (`late_discovery`,
//!   `correction` or `regulator_request`) and its `text` (several lines).
//!   It is kept where the approver's page reads it, which offers it when
//!   the approver submits; their choice is what is filed. A first version
//!   needs none (and a nil return may carry one).
//! - The approver's attestation is never part of a draft (it is their act
//!   in the portal): a document carrying `attestation` is refused.
//! - `as_typed` is read-only: a person typing in the portal may leave a
//!   draft with a value that is not valid here (`"1.5"` in a count, a
//!   contact name longer than allowed). [`to_json`] then gives the member
//!   as `null` and the text, verbatim, in `as_typed` under the member's
//!   JSON Pointer, so nothing typed is lost and every member keeps its type.
//!   A written document's `as_typed` is ignored.
//!
//! [`from_json`] checks the document's shape only, every problem with the
//! JSON Pointer (RFC 6901) of the member at fault; the return's own rules
//! (sums, warnings, what a submission needs) run later on the form and
//! name form fields, which [`pointer_of`] turns into pointers. The shape
//! is also published as a JSON Schema ([`json_schema`], from the typed
//! mirror in [`schema`] that the OpenAPI document uses). Two checks of
//! [`from_json`] are beyond the schema: a whole number written as a
//! fraction (`12.0`) is refused, and so is a nil return with anything else
//! filled (its explanation aside).

use std::sync::LazyLock;

use serde_json::{Map, Number, Value};

use super::return_form::{FiguresForm, NIL_MARK};
use crate::domain::amendment::{self, AmendmentReason};
use crate::domain::details::{
    CHECK_DATE, CHECK_STATUS, CHECKLIST, check_item_status, parse_percent, parse_policy_code,
};
use crate::domain::limits;
use crate::domain::text::is_forbidden_control;
use crate::domain::yen::{Count, Yen};
use crate::i18n::Key;

pub mod schema;

pub use schema::{DraftDocument, json_schema};

/// The largest count a document holds (`Count`'s limit).
pub const COUNT_MAX: i64 = 1_000_000_000_000;
/// The largest yen amount a document holds (`Yen`'s limit).
pub const YEN_MAX: i64 = 1_000_000_000_000_000;
/// The most problems one refusal lists (the first found, so a hostile
/// document costs little).
pub const MAX_PROBLEMS: usize = 100;
/// The read-only member holding values typed in the portal that are not
/// valid in the document.
pub const AS_TYPED: &str = "as_typed";

/// The one member a nil return may fill beside its mark (and the
/// amendment's reason).
const NIL_EXPLANATION: &str = "warnings_explanation";

/// A problem with the shape of a document: where, and what (a message key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentError {
    /// An RFC 6901 JSON Pointer into the document, e.g.
    /// `/figures/sale_amount` (`""` for the document itself).
    pub pointer: String,
    pub key: Key,
}

/// What one member holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `nil_return`.
    Flag,
    Count,
    Yen,
    /// A whole percentage from 1 to 99.
    Percent,
    /// `full`, `partial` or `considering`.
    Policy,
    /// `done`, `planned` or `na`.
    ItemStatus,
    /// `YYYY-MM-DD`.
    Date,
    /// An amendment's reason code (`AmendmentReason`).
    Reason,
    /// Text of at most `max` characters; line breaks only when `multiline`.
    Text {
        max: usize,
        multiline: bool,
    },
}

/// One member of the document: the form field it holds and its path.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) field: &'static str,
    pub(crate) path: Vec<&'static str>,
    pub(crate) kind: Kind,
}

impl Member {
    pub(crate) fn pointer(&self) -> String {
        self.path.iter().map(|s| format!("/{s}")).collect()
    }
}

const fn line(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: false,
    }
}

const fn lines(max: usize) -> Kind {
    Kind::Text {
        max,
        multiline: true,
    }
}

/// Every member but the checklist's, in document order.
#[rustfmt::skip]
const PLAIN: [(&str, &[&str], Kind); 29] = [
    (NIL_MARK, &["nil_return"], Kind::Flag),
    ("unauthorized_accesses", &["figures", "unauthorized_accesses"], Kind::Count),
    ("affected_accounts", &["figures", "affected_accounts"], Kind::Count),
    ("fraudulent_trades", &["figures", "fraudulent_trades"], Kind::Count),
    ("sale_amount", &["figures", "sale_amount"], Kind::Yen),
    ("purchase_amount", &["figures", "purchase_amount"], Kind::Yen),
    ("purchase_domestic", &["purchase_by_market", "domestic"], Kind::Yen),
    ("purchase_china_hk", &["purchase_by_market", "china_hk"], Kind::Yen),
    ("purchase_us", &["purchase_by_market", "us"], Kind::Yen),
    ("purchase_other", &["purchase_by_market", "other"], Kind::Yen),
    ("vector_phishing", &["vectors", "phishing"], Kind::Count),
    ("vector_credential_stuffing", &["vectors", "credential_stuffing"], Kind::Count),
    ("vector_malware", &["vectors", "malware"], Kind::Count),
    ("vector_sim_swap", &["vectors", "sim_swap"], Kind::Count),
    ("vector_insider", &["vectors", "insider"], Kind::Count),
    ("vector_unknown", &["vectors", "unknown"], Kind::Count),
    ("detected_customer", &["detection", "customer_enquiry"], Kind::Count),
    ("detected_monitoring", &["detection", "own_monitoring"], Kind::Count),
    ("detected_other", &["detection", "other"], Kind::Count),
    ("detected_other_text", &["detection", "other_description"], line(limits::DETECTED_OTHER)),
    ("customer_losses", &["losses", "customer_losses"], Kind::Yen),
    ("compensation_paid", &["losses", "compensation_paid"], Kind::Yen),
    ("accounts_compensated", &["losses", "accounts_compensated"], Kind::Count),
    ("compensation_policy", &["losses", "compensation_policy"], Kind::Policy),
    ("compensation_percent", &["losses", "compensation_percent"], Kind::Percent),
    ("remediation", &["remediation", "narrative"], lines(limits::REMEDIATION)),
    ("contact_name", &["contact", "name"], line(limits::CONTACT_NAME)),
    ("contact_phone", &["contact", "phone"], line(limits::CONTACT_PHONE)),
    ("contact_email", &["contact", "email"], line(limits::EMAIL)),
];

/// The explanation of unusual figures, at the end of the document.
const EXPLANATION: (&str, &[&str], Kind) = (
    "warnings_explanation",
    &["warnings_explanation"],
    lines(limits::WARNINGS_EXPLANATION),
);

/// Why the draft amends the version before, last.
const AMENDMENT: [(&str, &[&str], Kind); 2] = [
    (
        amendment::REASON_FIELD,
        &["amendment", "reason"],
        Kind::Reason,
    ),
    (
        amendment::TEXT_FIELD,
        &["amendment", "text"],
        lines(limits::AMENDMENT_REASON),
    ),
];

pub(crate) static MEMBERS: LazyLock<Vec<Member>> = LazyLock::new(|| {
    let member = |(field, path, kind): (&'static str, &[&'static str], Kind)| Member {
        field,
        path: path.to_vec(),
        kind,
    };
    let mut all: Vec<Member> = PLAIN.into_iter().map(member).collect();
    for ((item, status), date) in CHECKLIST.iter().zip(CHECK_STATUS).zip(CHECK_DATE) {
        for (field, leaf, kind) in [
            (status, "status", Kind::ItemStatus),
            (date, "date", Kind::Date),
        ] {
            all.push(Member {
                field,
                path: vec!["remediation", "checklist", item, leaf],
                kind,
            });
        }
    }
    all.push(member(EXPLANATION));
    all.extend(AMENDMENT.into_iter().map(member));
    all
});

/// The JSON Pointer of a form field's member (`None` for a name that is
/// not a field of the draft, such as the attestation).
pub fn pointer_of(field: &str) -> Option<String> {
    MEMBERS
        .iter()
        .find(|m| m.field == field)
        .map(Member::pointer)
}

/// The form field a JSON Pointer names (the inverse of [`pointer_of`]).
pub fn field_of(pointer: &str) -> Option<&'static str> {
    MEMBERS
        .iter()
        .find(|m| m.pointer() == pointer)
        .map(|m| m.field)
}

/// The form a document describes, or every problem with its shape (the
/// first [`MAX_PROBLEMS`] found, ordered by pointer). Only filled members are in
/// the form, as text: integers in plain digits, codes, dates and text as
/// written.
pub fn from_json(value: &Value) -> Result<FiguresForm, Vec<DocumentError>> {
    let mut reading = Reading::default();
    reading.object(value, &[]);
    let Reading { form, mut errors } = reading;
    let beside_nil =
        |k: &str| k == NIL_MARK || k == NIL_EXPLANATION || amendment::FIELDS.contains(&k);
    if form.is_nil() && form.0.keys().any(|k| !beside_nil(k)) {
        errors.push(DocumentError {
            pointer: "/nil_return".to_owned(),
            key: msg!("err.document.nil_with_figures"),
        });
    }
    if errors.is_empty() {
        Ok(form)
    } else {
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        errors.truncate(MAX_PROBLEMS);
        Err(errors)
    }
}

/// The document of a stored draft: every member present (`null` when not
/// filled), numbers as integers ("1,000" typed in the portal is 1000), and
/// what is not valid in the document as `null` with its text in
/// `as_typed` (see the module's notes). A form holding only valid values
/// comes back from [`from_json`] as it was, less its empty fields.
pub fn to_json(form: &FiguresForm) -> Value {
    let mut root = Map::new();
    let mut as_typed = Map::new();
    for member in MEMBERS.iter() {
        let value = if member.kind == Kind::Flag {
            Value::Bool(form.is_nil())
        } else {
            let raw = form.get(member.field);
            shown(member.kind, raw).unwrap_or_else(|| {
                as_typed.insert(member.pointer(), Value::String(raw.to_owned()));
                Value::Null
            })
        };
        place(&mut root, &member.path, value);
    }
    root.insert(AS_TYPED.to_owned(), Value::Object(as_typed));
    Value::Object(root)
}

/// A stored value as the document gives it; `None` when it is not valid
/// there.
fn shown(kind: Kind, raw: &str) -> Option<Value> {
    if raw.trim().is_empty() {
        return Some(Value::Null);
    }
    let number = |n: i64| Some(Value::Number(Number::from(n)));
    match kind {
        Kind::Flag => None,
        Kind::Count => Count::parse(raw).ok().and_then(|c| number(c.value())),
        Kind::Yen => Yen::parse(raw).ok().and_then(|y| number(y.value())),
        Kind::Percent => parse_percent(raw).ok().and_then(|p| number(i64::from(p))),
        Kind::Policy => parse_policy_code(raw)
            .ok()
            .map(|_| Value::String(raw.to_owned())),
        Kind::ItemStatus => check_item_status(raw)
            .ok()
            .map(|()| Value::String(raw.to_owned())),
        Kind::Date => is_date(raw.trim()).then(|| Value::String(raw.trim().to_owned())),
        Kind::Reason => AmendmentReason::parse(raw)
            .ok()
            .map(|_| Value::String(raw.to_owned())),
        Kind::Text { max, multiline } => text_shape(raw, max, multiline)
            .ok()
            .map(|()| Value::String(raw.to_owned())),
    }
}

/// Puts `value` at `path`, making the objects on the way.
fn place(root: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = root;
    for name in parents {
        let next = at
            .entry((*name).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(inner) = next else {
            return;
        };
        at = inner;
    }
    at.insert((*last).to_owned(), value);
}

/// A date written `YYYY-MM-DD` that is a day of the calendar.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Text within `max` characters as written (what the schema's `maxLength`
/// counts), without control characters anywhere in it (line breaks and
/// tabs only when `multiline`), as the schema's `pattern` says.
fn text_shape(s: &str, max: usize, multiline: bool) -> Result<(), Key> {
    if s.chars().count() > max {
        return Err(msg!("err.text.too_long"));
    }
    if s.chars().any(|c| is_forbidden_control(c, multiline)) {
        return Err(msg!("err.text.control"));
    }
    Ok(())
}

/// A document being read: the form so far and the problems found.
#[derive(Default)]
struct Reading {
    form: FiguresForm,
    errors: Vec<DocumentError>,
}

impl Reading {
    fn refuse(&mut self, pointer: String, key: Key) {
        if self.errors.len() < MAX_PROBLEMS {
            self.errors.push(DocumentError { pointer, key });
        }
    }

    /// Reads the object at `prefix` (`null` there: nothing filled in it).
    fn object(&mut self, value: &Value, prefix: &[&'static str]) {
        let map = match value {
            Value::Object(map) => map,
            Value::Null if !prefix.is_empty() => return,
            _ => {
                self.refuse(pointer(prefix, None), msg!("err.document.not_object"));
                return;
            }
        };
        for (name, inner) in map {
            let child = MEMBERS.iter().find(|m| {
                m.path.len() > prefix.len()
                    && m.path.starts_with(prefix)
                    && m.path[prefix.len()] == name.as_str()
            });
            match child {
                Some(member) if member.path.len() == prefix.len() + 1 => self.leaf(member, inner),
                Some(member) => self.object(inner, &member.path[..=prefix.len()]),
                None if prefix.is_empty() && name == AS_TYPED => self.as_typed(inner),
                None if prefix.is_empty() && name == "attestation" => {
                    self.refuse(
                        pointer(prefix, Some(name)),
                        msg!("err.document.attestation"),
                    );
                }
                None => self.refuse(
                    pointer(prefix, Some(name)),
                    msg!("err.document.unknown_member"),
                ),
            }
        }
    }

    /// The read-only member: checked for its shape, then ignored.
    fn as_typed(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for (name, inner) in map {
                    if !inner.is_string() {
                        self.refuse(
                            pointer(&[AS_TYPED], Some(name)),
                            msg!("err.document.string"),
                        );
                    }
                }
            }
            _ => self.refuse(format!("/{AS_TYPED}"), msg!("err.document.not_object")),
        }
    }

    fn leaf(&mut self, member: &Member, value: &Value) {
        if value.is_null() {
            return;
        }
        match read(member.kind, value) {
            Ok(Some(text)) => self.form.set(member.field, text),
            Ok(None) => {}
            Err(key) => self.refuse(member.pointer(), key),
        }
    }
}

/// A member's value as the form keeps it (`None`: not filled), or why it
/// is refused.
fn read(kind: Kind, value: &Value) -> Result<Option<String>, Key> {
    let code = |codes: &[&str], wrong: Key| match value.as_str() {
        Some(s) if codes.contains(&s) => Ok(Some(s.to_owned())),
        _ => Err(wrong),
    };
    match kind {
        Kind::Flag => match value {
            Value::Bool(true) => Ok(Some("yes".to_owned())),
            Value::Bool(false) => Ok(None),
            _ => Err(msg!("err.document.boolean")),
        },
        Kind::Count | Kind::Yen | Kind::Percent => whole_number(kind, value).map(Some),
        Kind::Policy => code(
            &["full", "partial", "considering"],
            msg!("err.document.policy_code"),
        ),
        Kind::ItemStatus => code(
            &["done", "planned", "na"],
            msg!("err.document.item_status_code"),
        ),
        Kind::Date => match value.as_str() {
            Some(s) if is_date(s) => Ok(Some(s.to_owned())),
            _ => Err(msg!("err.document.date")),
        },
        // The code the approver's page would refuse alike (RET-E009).
        Kind::Reason => match value.as_str().map(AmendmentReason::parse) {
            Some(Ok(reason)) => Ok(Some(reason.as_str().to_owned())),
            _ => Err(msg!("err.choose")),
        },
        Kind::Text { max, multiline } => match value.as_str() {
            Some(s) => {
                text_shape(s, max, multiline).map(|()| (!s.trim().is_empty()).then(|| s.to_owned()))
            }
            None => Err(msg!("err.document.string")),
        },
    }
}

/// A count, an amount or a percentage: a JSON integer within its range.
fn whole_number(kind: Kind, value: &Value) -> Result<String, Key> {
    let Value::Number(n) = value else {
        return Err(msg!("err.document.integer"));
    };
    let Some(v) = n.as_i64() else {
        return Err(if n.is_u64() {
            msg!("err.number.too_large")
        } else {
            msg!("err.document.integer")
        });
    };
    let checked = match kind {
        Kind::Count => Count::new(v).map(drop).map_err(|e| e.key()),
        Kind::Yen => Yen::new(v).map(drop).map_err(|e| e.key()),
        _ if (1..=99).contains(&v) => Ok(()),
        _ => Err(msg!("err.percent.invalid")),
    };
    checked.map(|()| v.to_string())
}

/// The pointer of `prefix`, or of its member `name` (escaped as RFC 6901
/// says: `~` as `~0`, `/` as `~1`).
fn pointer(prefix: &[&str], name: Option<&str>) -> String {
    prefix
        .iter()
        .copied()
        .chain(name)
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
#[path = "draft_document_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "draft_document_proptests.rs"]
mod proptests;
