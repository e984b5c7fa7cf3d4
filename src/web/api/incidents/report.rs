//! The report of one stage as the API takes and gives it: a JSON object of
//! typed members (times as RFC 3339 or Tokyo wall-clock, counts and yen as
//! integers, booleans, the stable codes of `domain::incident`). A request
//! is turned into the `ReportForm` the browser fills, so one check
//! (`ReportForm::check`) rules both; a member of the wrong JSON type, or
//! one the report does not have, is named by its JSON Pointer.

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::domain::incident::{
    AttackVector, IncidentKind, IncidentStage, Report, ReportForm, asked,
};
use crate::domain::time::{to_rfc3339, to_tokyo};
use crate::i18n::Key;

/// What a member holds, as JSON.
#[derive(Clone, Copy)]
enum Kind {
    /// A moment: RFC 3339 with an offset, or Tokyo wall-clock.
    Time,
    /// Text (dates and codes included).
    Text,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Flag,
}

/// Every member of a report, in the form's order, with its JSON type.
const MEMBERS: [(&str, Kind); 19] = [
    ("aware_at", Kind::Time),
    ("classified_at", Kind::Time),
    ("occurred_on", Kind::Text),
    ("kind", Kind::Text),
    ("vector", Kind::Text),
    ("accounts", Kind::Integer),
    ("trades", Kind::Integer),
    ("amount_jpy", Kind::Integer),
    ("ongoing", Kind::Flag),
    ("actions", Kind::Text),
    ("customers_told", Kind::Flag),
    ("police_told", Kind::Flag),
    ("containment", Kind::Text),
    ("cause", Kind::Text),
    ("root_cause", Kind::Text),
    ("losses_jpy", Kind::Integer),
    ("compensation_jpy", Kind::Integer),
    ("remediation", Kind::Text),
    ("remediation_by", Kind::Text),
];

/// Longest RFC 3339 text read as one (anything longer is left to the
/// check, which refuses it).
const RFC3339_MAX: usize = 64;

/// A member at fault: its field (none for the whole body, or a member the
/// report does not have), its JSON Pointer and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mistake {
    pub field: Option<&'static str>,
    pub pointer: String,
    pub key: Key,
}

/// A field's pointer in the report.
pub fn pointer(field: &str) -> String {
    format!("/{}", field.replace('~', "~0").replace('/', "~1"))
}

fn slot<'a>(form: &'a mut ReportForm, field: &str) -> Option<&'a mut String> {
    Some(match field {
        "aware_at" => &mut form.aware_at,
        "classified_at" => &mut form.classified_at,
        "occurred_on" => &mut form.occurred_on,
        "kind" => &mut form.kind,
        "vector" => &mut form.vector,
        "accounts" => &mut form.accounts,
        "trades" => &mut form.trades,
        "amount_jpy" => &mut form.amount_jpy,
        "ongoing" => &mut form.ongoing,
        "actions" => &mut form.actions,
        "customers_told" => &mut form.customers_told,
        "police_told" => &mut form.police_told,
        "containment" => &mut form.containment,
        "cause" => &mut form.cause,
        "root_cause" => &mut form.root_cause,
        "losses_jpy" => &mut form.losses_jpy,
        "compensation_jpy" => &mut form.compensation_jpy,
        "remediation" => &mut form.remediation,
        "remediation_by" => &mut form.remediation_by,
        _ => return None,
    })
}

/// An RFC 3339 moment as the Tokyo wall-clock the form takes (to the
/// second); anything else as sent, for the check to judge.
fn tokyo_text(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.len() <= RFC3339_MAX
        && let Ok(at) = DateTime::parse_from_rfc3339(trimmed)
    {
        return to_tokyo(at.naive_utc())
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
    }
    raw.to_owned()
}

/// A member's value as the form's text, or the message of its JSON type.
fn text_of(kind: Kind, value: &Value) -> Result<String, Key> {
    match (kind, value) {
        (_, Value::Null) => Ok(String::new()),
        (Kind::Time, Value::String(s)) => Ok(tokyo_text(s)),
        (Kind::Text, Value::String(s)) => Ok(s.clone()),
        (Kind::Integer, Value::Number(n)) => n
            .as_i64()
            .map(|n| n.to_string())
            .ok_or(msg!("err.document.integer")),
        (Kind::Flag, Value::Bool(b)) => Ok(if *b { "yes" } else { "no" }.to_owned()),
        (Kind::Time | Kind::Text, _) => Err(msg!("err.document.string")),
        (Kind::Integer, _) => Err(msg!("err.document.integer")),
        (Kind::Flag, _) => Err(msg!("err.document.boolean")),
    }
}

/// The report in `value` as a form, and what is wrong with its shape.
pub fn read(value: &Value) -> (ReportForm, Vec<Mistake>) {
    let mut form = ReportForm::default();
    let mut mistakes = Vec::new();
    let Some(object) = value.as_object() else {
        mistakes.push(Mistake {
            field: None,
            pointer: String::new(),
            key: msg!("err.incident.not_object"),
        });
        return (form, mistakes);
    };
    let mut strangers: Vec<&String> = object
        .keys()
        .filter(|name| !MEMBERS.iter().any(|(f, _)| f == name))
        .collect();
    strangers.sort();
    mistakes.extend(strangers.into_iter().map(|name| Mistake {
        field: None,
        pointer: pointer(name),
        key: msg!("err.incident.unknown_member"),
    }));
    for (field, kind) in MEMBERS {
        let Some(member) = object.get(field) else {
            continue;
        };
        match (text_of(kind, member), slot(&mut form, field)) {
            (Ok(text), Some(slot)) => *slot = text,
            (Err(key), _) => mistakes.push(Mistake {
                field: Some(field),
                pointer: pointer(field),
                key,
            }),
            (Ok(_), None) => {}
        }
    }
    (form, mistakes)
}

/// The report of a stage, as sent and as answered. A stage repeats the
/// ones before it, updated; the members of later stages are `null` (or
/// absent) in earlier ones, and ignored when sent for an earlier stage.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentReport {
    /// When the firm became aware: RFC 3339 with an offset
    /// (`2026-05-01T21:40:00+09:00`), or Tokyo wall-clock
    /// (`2026-05-01T21:40`). Answered in Tokyo time. Not in the future.
    #[schema(max_length = 64, example = "2026-05-01T21:40:00+09:00")]
    pub aware_at: String,
    /// When the firm classified it as reportable (as `aware_at`; not
    /// before it). The initial stage is usually due hours after this.
    #[schema(max_length = 64, example = "2026-05-01T23:00:00+09:00")]
    pub classified_at: String,
    /// The day (Tokyo) of the first unauthorized event, `YYYY-MM-DD`, not
    /// after the day of awareness: its month is the incident's month.
    #[schema(format = Date, example = "2026-04-28")]
    pub occurred_on: String,
    #[schema(schema_with = kind_codes)]
    pub kind: String,
    #[schema(schema_with = vector_codes)]
    pub vector: String,
    /// Accounts affected (an estimate until the final stage).
    #[schema(minimum = 0, maximum = 1000000000000_i64, example = 120)]
    pub accounts: i64,
    /// Fraudulent trades (an estimate until the final stage).
    #[schema(minimum = 0, maximum = 1000000000000_i64, example = 30)]
    pub trades: i64,
    /// The amount involved, in yen (an estimate until the final stage).
    #[schema(minimum = 0, maximum = 1000000000000000_i64, example = 45000000)]
    pub amount_jpy: i64,
    /// Whether the incident is still going on.
    pub ongoing: bool,
    /// The actions taken so far.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$",
        example = "Locked the accounts; reset passwords."
    )]
    pub actions: String,
    /// Whether the customers affected have been told.
    pub customers_told: bool,
    /// Whether the police have been told.
    pub police_told: bool,
    /// Containment (intermediate and final stages: required there).
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub containment: Option<String>,
    /// The cause as known so far (intermediate and final: required there).
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub cause: Option<String>,
    /// The root cause (final stage: required there).
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub root_cause: Option<String>,
    /// Losses borne, in yen (final stage: required there).
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub losses_jpy: Option<i64>,
    /// Compensation paid or promised to customers, in yen (final stage:
    /// required there).
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub compensation_jpy: Option<i64>,
    /// Remediation, with its dates (final stage: required there).
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub remediation: Option<String>,
    /// When remediation is (to be) complete, `YYYY-MM-DD` (final stage:
    /// required there).
    #[schema(format = Date)]
    pub remediation_by: Option<String>,
}

impl IncidentReport {
    /// A version's report, as it was sent for `stage`.
    pub fn of(r: &Report, stage: IncidentStage) -> Self {
        let text = |field: &str, value: &String| asked(field, stage).then(|| value.clone());
        IncidentReport {
            aware_at: to_rfc3339(r.aware_at),
            classified_at: to_rfc3339(r.classified_at),
            occurred_on: r.occurred_on.to_string(),
            kind: r.kind.as_str().to_owned(),
            vector: r.vector.as_str().to_owned(),
            accounts: r.accounts,
            trades: r.trades,
            amount_jpy: r.amount_jpy,
            ongoing: r.ongoing,
            actions: r.actions.clone(),
            customers_told: r.customers_told,
            police_told: r.police_told,
            containment: text("containment", &r.containment),
            cause: text("cause", &r.cause),
            root_cause: text("root_cause", &r.root_cause),
            losses_jpy: r.losses_jpy,
            compensation_jpy: r.compensation_jpy,
            remediation: text("remediation", &r.remediation),
            remediation_by: r.remediation_by.map(|d| d.to_string()),
        }
    }
}

/// A string member that takes one of `codes`.
fn codes(codes: Vec<&'static str>, description: &str, example: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(codes))
        .description(Some(description))
        .examples([example])
        .build()
}

pub(super) fn kind_codes() -> Object {
    codes(
        IncidentKind::ALL.iter().map(|k| k.as_str()).collect(),
        "What kind of incident.",
        IncidentKind::UnauthorizedAccess.as_str(),
    )
}

pub(super) fn vector_codes() -> Object {
    codes(
        AttackVector::ALL.iter().map(|v| v.as_str()).collect(),
        "How the attacker got in (`unknown` while it is not known).",
        AttackVector::Phishing.as_str(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::limits;

    #[test]
    fn typed_members_become_the_form_the_browser_sends() {
        let (form, mistakes) = read(&json!({
            "aware_at": "2026-05-01T12:40:00Z",
            "classified_at": "2026-05-01T23:00",
            "occurred_on": "2026-04-28",
            "kind": "unauthorized_access",
            "vector": "phishing",
            "accounts": 120,
            "trades": 0,
            "amount_jpy": 45000000,
            "ongoing": true,
            "actions": "Locked.",
            "customers_told": false,
            "police_told": null,
        }));
        assert_eq!(mistakes, vec![]);
        assert_eq!(form.aware_at, "2026-05-01T21:40:00");
        assert_eq!(form.classified_at, "2026-05-01T23:00");
        assert_eq!(form.accounts, "120");
        assert_eq!(form.ongoing, "yes");
        assert_eq!(form.customers_told, "no");
        assert_eq!(form.police_told, "");
    }

    #[test]
    fn members_of_the_wrong_type_or_unknown_are_named_by_pointer() {
        let (form, mistakes) = read(&json!({
            "accounts": "12",
            "trades": 1.5,
            "amount_jpy": 18446744073709551615_u64,
            "ongoing": "yes",
            "actions": 7,
            "a/b~c": 1,
        }));
        let found: Vec<(&str, &str)> = mistakes
            .iter()
            .map(|m| (m.pointer.as_str(), m.key.name()))
            .collect();
        assert_eq!(
            found,
            [
                ("/a~1b~0c", "err.incident.unknown_member"),
                ("/accounts", "err.document.integer"),
                ("/trades", "err.document.integer"),
                ("/amount_jpy", "err.document.integer"),
                ("/ongoing", "err.document.boolean"),
                ("/actions", "err.document.string"),
            ]
        );
        assert_eq!(form, ReportForm::default());
        let (_, root) = read(&json!([1]));
        assert_eq!(root[0].pointer, "");
        assert_eq!(root[0].key.name(), "err.incident.not_object");
    }

    #[test]
    fn a_report_reads_back_as_it_was_sent() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 5, 2)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        let sent = json!({
            "aware_at": "2026-05-01T21:40:00+09:00",
            "classified_at": "2026-05-01T23:00:00+09:00",
            "occurred_on": "2026-04-28",
            "kind": "system_breach",
            "vector": "unknown",
            "accounts": 1, "trades": 2, "amount_jpy": 3,
            "ongoing": false, "actions": "A", "customers_told": true, "police_told": false,
            "containment": "C", "cause": "K",
        });
        let (form, mistakes) = read(&sent);
        assert!(mistakes.is_empty());
        let report = form.check(IncidentStage::Intermediate, now).unwrap();
        let back =
            serde_json::to_value(IncidentReport::of(&report, IncidentStage::Intermediate)).unwrap();
        let mut expected = sent.clone();
        for later in [
            "root_cause",
            "losses_jpy",
            "compensation_jpy",
            "remediation",
            "remediation_by",
        ] {
            expected[later] = Value::Null;
        }
        assert_eq!(back, expected);
    }

    #[test]
    fn the_members_are_the_forms_fields_with_its_limits() {
        let names: Vec<&str> = MEMBERS.iter().map(|(f, _)| *f).collect();
        assert_eq!(names, crate::domain::incident::FIELDS);
        let schema =
            serde_json::to_value(<IncidentReport as utoipa::PartialSchema>::schema()).unwrap();
        for text in [
            "actions",
            "containment",
            "cause",
            "root_cause",
            "remediation",
        ] {
            assert_eq!(
                schema["properties"][text]["maxLength"],
                json!(limits::INCIDENT_TEXT),
                "{text}"
            );
        }
        let mut documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort_unstable();
        let mut fields = crate::domain::incident::FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(documented, fields);
    }
}
