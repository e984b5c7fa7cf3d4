use std::collections::BTreeSet;

use super::*;

/// The code that checks a return's fields (tests cut off).
const RETURN_CHECKS: [(&str, &str); 8] = [
    ("domain/figures.rs", include_str!("figures.rs")),
    ("domain/amendment.rs", include_str!("amendment.rs")),
    ("domain/details.rs", include_str!("details.rs")),
    ("domain/yen.rs", include_str!("yen.rs")),
    ("domain/email.rs", include_str!("email.rs")),
    (
        "services/submission.rs",
        include_str!("../services/submission.rs"),
    ),
    (
        "services/trades/reconcile.rs",
        include_str!("../services/trades/reconcile.rs"),
    ),
    (
        "web/returns/fields.rs",
        include_str!("../web/returns/fields.rs"),
    ),
];

/// The code that checks a trade detail file.
const TRADE_CHECKS: [(&str, &str); 6] = [
    ("domain/trades.rs", include_str!("trades.rs")),
    (
        "domain/trades/encoding.rs",
        include_str!("trades/encoding.rs"),
    ),
    ("domain/trades/fields.rs", include_str!("trades/fields.rs")),
    ("services/trades.rs", include_str!("../services/trades.rs")),
    (
        "web/returns/trades.rs",
        include_str!("../web/returns/trades.rs"),
    ),
    (
        "web/returns/upload.rs",
        include_str!("../web/returns/upload.rs"),
    ),
];

/// The code that checks the shape of the API's draft document (it also
/// raises rules of the return, on the members that hold them).
const DOCUMENT_CHECKS: [(&str, &str); 1] = [(
    "services/draft_document.rs",
    include_str!("../services/draft_document.rs"),
)];

/// The code that checks an incident's report: the form's check (its
/// counts and yen parsed as the return's are), and the API's body.
const INCIDENT_CHECKS: [(&str, &str); 3] = [
    ("domain/incident.rs", include_str!("incident.rs")),
    ("domain/yen.rs", include_str!("yen.rs")),
    (
        "web/api/incidents/report.rs",
        include_str!("../web/api/incidents/report.rs"),
    ),
];

/// Keys those files raise that are not checks of what was filed, with why.
const NOT_RULES: [(&str, &str); 2] = [
    // The approver's act on submitting, never a property of the return.
    ("err.attestation.required", "the approver's attestation"),
    // The upload form's file picker left empty; an API body is never absent.
    ("err.trades.no_file", "the upload form's empty file picker"),
];

/// `source` without its inline test module (`#[cfg(test)]` over a
/// `mod … {`; a test module in a file of its own is only declared).
fn without_tests(source: &str) -> &str {
    let mut from = 0;
    while let Some(at) = source[from..].find("#[cfg(test)]") {
        let start = from + at;
        let after = &source[start + "#[cfg(test)]".len()..];
        let next_line = after.trim_start().lines().next().unwrap_or_default();
        if next_line.starts_with("mod ") && next_line.trim_end().ends_with('{') {
            return &source[..start];
        }
        from = start + 1;
    }
    source
}

/// Every `msg!("err.…")` and `msg!("warn.…")` in `source` outside its tests.
fn raised_keys(source: &str) -> BTreeSet<String> {
    let code = without_tests(source);
    let mut keys = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("msg!(") {
        rest = &rest[at + 5..];
        let body = rest.trim_start();
        if let Some(quoted) = body.strip_prefix('"')
            && let Some(end) = quoted.find('"')
        {
            let key = &quoted[..end];
            if key.starts_with("err.") || key.starts_with("warn.") {
                keys.insert(key.to_owned());
            }
        }
    }
    keys
}

fn raised_by(files: &[(&str, &str)]) -> BTreeSet<String> {
    files.iter().flat_map(|(_, s)| raised_keys(s)).collect()
}

fn catalogued(subject: Subject) -> BTreeSet<String> {
    CATALOGUE
        .iter()
        .filter(|r| r.subject == subject)
        .map(|r| r.key.name().to_owned())
        .collect()
}

/// The catalogue lists exactly what `files` raise about `subject`, beside
/// rules of the subjects `also` (which those files may raise too).
fn check(subject: Subject, files: &[(&str, &str)], also: &[Subject]) {
    let mut not_rules: BTreeSet<String> = NOT_RULES.iter().map(|(k, _)| (*k).to_owned()).collect();
    for other in also {
        not_rules.extend(catalogued(*other));
    }
    let raised: BTreeSet<String> = raised_by(files).difference(&not_rules).cloned().collect();
    let listed = catalogued(subject);
    let missing: Vec<_> = raised.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "the code raises checks the catalogue lacks ({subject:?}): {missing:?}"
    );
    let idle: Vec<_> = listed.difference(&raised).collect();
    assert!(
        idle.is_empty(),
        "the catalogue lists checks nothing raises ({subject:?}): {idle:?}"
    );
}

#[test]
fn every_check_of_a_return_is_catalogued_and_every_rule_is_raised() {
    check(Subject::Return, &RETURN_CHECKS, &[]);
}

#[test]
fn every_check_of_a_trade_file_is_catalogued_and_every_rule_is_raised() {
    check(Subject::Trades, &TRADE_CHECKS, &[]);
}

#[test]
fn every_check_of_the_draft_document_is_catalogued_and_every_rule_is_raised() {
    check(Subject::Document, &DOCUMENT_CHECKS, &[Subject::Return]);
}

#[test]
fn every_check_of_an_incident_report_is_catalogued_and_every_rule_is_raised() {
    check(Subject::Incident, &INCIDENT_CHECKS, &[]);
}

#[test]
fn the_scanner_reads_keys_split_over_lines_and_stops_at_tests() {
    let source = "#[cfg(test)]\nmod proptests;\nlet a = msg!(\n    \"err.one\"\n);\nmsg!(\"nav.x\");\nmsg!(\"warn.two\")\n#[cfg(test)]\nmod tests {\nmsg!(\"err.three\")";
    let keys: Vec<String> = raised_keys(source).into_iter().collect();
    assert_eq!(keys, ["err.one", "warn.two"]);
}

#[test]
fn ids_are_unique_well_formed_and_in_order() {
    let mut seen = BTreeSet::new();
    for rule in CATALOGUE {
        assert!(seen.insert(rule.id), "{} twice", rule.id);
        let (prefix, number) = rule.id.split_at(5);
        let expected = match (rule.subject, rule.severity) {
            (Subject::Return, Severity::Error) => "RET-E",
            (Subject::Return, Severity::Warning) => "RET-W",
            (Subject::Trades, _) => "TRD-E",
            (Subject::Document, _) => "DOC-E",
            (Subject::Incident, _) => "INC-E",
        };
        assert_eq!(prefix, expected, "{}", rule.id);
        assert!(
            number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit()),
            "{}",
            rule.id
        );
        assert!(rule.effective_date().is_some(), "{}", rule.id);
        assert_eq!(by_id(rule.id), Some(rule));
        assert_eq!(raised(rule.subject, rule.key), Some(rule));
    }
}

#[test]
fn each_key_names_one_rule_per_subject() {
    for subject in [
        Subject::Return,
        Subject::Trades,
        Subject::Document,
        Subject::Incident,
    ] {
        let keys: Vec<_> = CATALOGUE.iter().filter(|r| r.subject == subject).collect();
        let distinct: BTreeSet<_> = keys.iter().map(|r| r.key.name()).collect();
        assert_eq!(distinct.len(), keys.len(), "{subject:?}");
    }
}

#[test]
fn every_field_a_rule_reads_is_a_field_of_the_return_or_a_trade_column() {
    use crate::domain::return_sections::ReturnSection;
    let columns = [
        "trade_date",
        "side",
        "security_code",
        "market",
        "quantity",
        "amount_jpy",
        "account_ref",
    ];
    for rule in CATALOGUE {
        for field in rule.reads.fields() {
            let known = match rule.subject {
                Subject::Return => {
                    ReturnSection::of_field(field).is_some()
                        || crate::domain::amendment::FIELDS.contains(&field)
                }
                Subject::Document => {
                    ReturnSection::of_field(field).is_some() || field == "attestation"
                }
                Subject::Trades => columns.contains(&field),
                Subject::Incident => crate::domain::incident::FIELDS.contains(&field),
            };
            assert!(known, "{} reads {field}, which is not a field", rule.id);
        }
        if rule.subject == Subject::Return {
            assert!(!rule.reads.fields().is_empty(), "{} reads nothing", rule.id);
        }
    }
}
