//! The draft document: one pointer per field, the shape refused with the
//! pointer at fault (and by the schema alike), stored drafts given back
//! without losing what was typed, and the published JSON Schema
//! describing the same document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde_json::{Value, json};

use super::*;
use crate::domain::return_sections::ReturnSection;

/// The schema, compiled once, checking formats (`date`) too.
pub(super) static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&json_schema())
        .unwrap()
});

pub(super) fn schema_errors(doc: &Value) -> Vec<String> {
    VALIDATOR
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn form(fields: &[(&str, &str)]) -> FiguresForm {
    let mut form = FiguresForm::default();
    for (name, value) in fields {
        form.set(name, *value);
    }
    form
}

fn refused(doc: Value) -> Vec<(String, Key)> {
    from_json(&doc)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.pointer, e.key))
        .collect()
}

fn at(pointer: &str, key: Key) -> (String, Key) {
    (pointer.to_owned(), key)
}

#[test]
fn every_field_of_every_section_has_exactly_one_pointer() {
    let sections: Vec<&str> = ReturnSection::ALL.iter().flat_map(|s| s.fields()).collect();
    let members: Vec<&str> = MEMBERS.iter().map(|m| m.field).collect();
    let mut expected = sections.clone();
    expected.push(NIL_MARK);
    expected.extend(amendment::FIELDS);
    assert_eq!(
        members.iter().copied().collect::<BTreeSet<_>>(),
        expected.iter().copied().collect::<BTreeSet<_>>(),
        "the document holds the sections' fields, the nil mark and the amendment's reason, \
         nothing else"
    );
    assert_eq!(members.len(), expected.len(), "no field twice");
    let mut pointers = BTreeSet::new();
    for field in &expected {
        let pointer = pointer_of(field).unwrap_or_else(|| panic!("{field} has no pointer"));
        assert!(pointers.insert(pointer.clone()), "{pointer} named twice");
        assert_eq!(field_of(&pointer), Some(*field), "{pointer} leads back");
    }
    assert_eq!(
        pointer_of("sale_amount").as_deref(),
        Some("/figures/sale_amount")
    );
    assert_eq!(
        pointer_of("check_mfa_mandatory_date").as_deref(),
        Some("/remediation/checklist/mfa_mandatory/date")
    );
    assert_eq!(pointer_of("attestation"), None);
    assert_eq!(field_of("/figures"), None);
    assert_eq!(field_of(""), None);
}

#[test]
fn the_documents_limits_are_the_domains() {
    assert!(Count::new(COUNT_MAX).is_ok() && Count::new(COUNT_MAX + 1).is_err());
    assert!(Yen::new(YEN_MAX).is_ok() && Yen::new(YEN_MAX + 1).is_err());
    for member in MEMBERS.iter() {
        if let Kind::Text { max, .. } = member.kind {
            assert_eq!(
                limits::for_field(member.field),
                Some(max),
                "{}",
                member.field
            );
        }
    }
}

#[test]
fn a_whole_document_becomes_the_form_a_person_would_have_typed() {
    let doc = json!({
        "nil_return": false,
        "figures": {"unauthorized_accesses": 1422, "affected_accounts": 1300,
                    "fraudulent_trades": 685, "sale_amount": 5_060_000_000_i64,
                    "purchase_amount": 0},
        "purchase_by_market": {"domestic": null, "china_hk": 0},
        "vectors": {"phishing": 1400},
        "detection": {"other": 2, "other_description": "A broker's report"},
        "losses": {"compensation_policy": "partial", "compensation_percent": 50},
        "remediation": {
            "checklist": {"mfa_mandatory": {"status": "planned", "date": "2025-06-30"},
                          "police_notified": {"status": "na", "date": null},
                          "passwords_reset": null},
            "narrative": "Passkeys offered.\r\nLimits lowered.\tDone."
        },
        "contact": {"name": "佐藤 慶", "phone": "+81 3-1234-5678", "email": ""},
        "warnings_explanation": " \n ",
        "as_typed": {"/figures/sale_amount": "about 5bn"}
    });
    let expected = form(&[
        ("unauthorized_accesses", "1422"),
        ("affected_accounts", "1300"),
        ("fraudulent_trades", "685"),
        ("sale_amount", "5060000000"),
        ("purchase_amount", "0"),
        ("purchase_china_hk", "0"),
        ("vector_phishing", "1400"),
        ("detected_other", "2"),
        ("detected_other_text", "A broker's report"),
        ("compensation_policy", "partial"),
        ("compensation_percent", "50"),
        ("check_mfa_mandatory", "planned"),
        ("check_mfa_mandatory_date", "2025-06-30"),
        ("check_police_notified", "na"),
        ("remediation", "Passkeys offered.\r\nLimits lowered.\tDone."),
        ("contact_name", "佐藤 慶"),
        ("contact_phone", "+81 3-1234-5678"),
    ]);
    assert_eq!(from_json(&doc).unwrap(), expected);
    assert_eq!(from_json(&json!({})).unwrap(), FiguresForm::default());
    assert_eq!(
        from_json(&json!({"nil_return": true, "figures": null})).unwrap(),
        FiguresForm::nil()
    );
    let mut explained = FiguresForm::nil();
    explained.set(
        "warnings_explanation",
        "The incident's accounts were another firm's.",
    );
    let doc = json!({
        "nil_return": true,
        "warnings_explanation": "The incident's accounts were another firm's."
    });
    assert_eq!(
        from_json(&doc).unwrap(),
        explained,
        "a nil return may carry its explanation"
    );
    assert_eq!(from_json(&to_json(&explained)).unwrap(), explained);
}

#[test]
fn each_wrong_member_is_refused_with_its_pointer() {
    let integer = msg!("err.document.integer");
    let cases = [
        (
            json!({"figures": {"sale_amount": "12"}}),
            vec![at("/figures/sale_amount", integer)],
        ),
        (
            json!({"figures": {"sale_amount": 1.5}}),
            vec![at("/figures/sale_amount", integer)],
        ),
        (
            json!({"figures": {"sale_amount": 12.0}}),
            vec![at("/figures/sale_amount", integer)],
        ),
        (
            json!({"figures": {"sale_amount": [1]}}),
            vec![at("/figures/sale_amount", integer)],
        ),
        (
            json!({"figures": {"sale_amount": true}}),
            vec![at("/figures/sale_amount", integer)],
        ),
        (
            json!({"figures": {"sale_amount": -1}}),
            vec![at("/figures/sale_amount", msg!("err.number.negative"))],
        ),
        (
            json!({"figures": {"unauthorized_accesses": COUNT_MAX + 1, "sale_amount": YEN_MAX + 1}}),
            vec![
                at("/figures/sale_amount", msg!("err.number.too_large")),
                at(
                    "/figures/unauthorized_accesses",
                    msg!("err.number.too_large"),
                ),
            ],
        ),
        (
            json!({"purchase_by_market": {"us": u64::MAX}}),
            vec![at("/purchase_by_market/us", msg!("err.number.too_large"))],
        ),
        (
            json!({"figures": [1]}),
            vec![at("/figures", msg!("err.document.not_object"))],
        ),
        (
            json!({"figures": {"sales": 1}, "comment": "hi"}),
            vec![
                at("/comment", msg!("err.document.unknown_member")),
                at("/figures/sales", msg!("err.document.unknown_member")),
            ],
        ),
        (
            json!({"a/b~c": 1}),
            vec![at("/a~1b~0c", msg!("err.document.unknown_member"))],
        ),
        (
            json!({"attestation": "yes"}),
            vec![at("/attestation", msg!("err.document.attestation"))],
        ),
        (
            json!({"remediation": {"checklist": {"mfa_mandatory": {"status": "soon", "date": "31/01/2026"},
                                                  "cctv": {"status": "done"}}}}),
            vec![
                at(
                    "/remediation/checklist/cctv",
                    msg!("err.document.unknown_member"),
                ),
                at(
                    "/remediation/checklist/mfa_mandatory/date",
                    msg!("err.document.date"),
                ),
                at(
                    "/remediation/checklist/mfa_mandatory/status",
                    msg!("err.document.item_status_code"),
                ),
            ],
        ),
        (
            json!({"remediation": {"checklist": {"passwords_reset": {"date": "2025-02-30"}}}}),
            vec![at(
                "/remediation/checklist/passwords_reset/date",
                msg!("err.document.date"),
            )],
        ),
        (
            json!({"losses": {"compensation_policy": "most", "compensation_percent": 100}}),
            vec![
                at("/losses/compensation_percent", msg!("err.percent.invalid")),
                at(
                    "/losses/compensation_policy",
                    msg!("err.document.policy_code"),
                ),
            ],
        ),
        (
            json!({"losses": {"compensation_percent": 0}}),
            vec![at(
                "/losses/compensation_percent",
                msg!("err.percent.invalid"),
            )],
        ),
        (
            json!({"contact": {"name": "a\u{7}b", "phone": "1".repeat(31), "email": 5}}),
            vec![
                at("/contact/email", msg!("err.document.string")),
                at("/contact/name", msg!("err.text.control")),
                at("/contact/phone", msg!("err.text.too_long")),
            ],
        ),
        (
            json!({"detection": {"other_description": "a\nb"}, "warnings_explanation": "\u{202e}x"}),
            vec![
                at("/detection/other_description", msg!("err.text.control")),
                at("/warnings_explanation", msg!("err.text.control")),
            ],
        ),
        (
            json!({"nil_return": "yes"}),
            vec![at("/nil_return", msg!("err.document.boolean"))],
        ),
        (
            json!({"nil_return": true, "figures": {"sale_amount": 0}}),
            vec![at("/nil_return", msg!("err.document.nil_with_figures"))],
        ),
        (
            json!({"as_typed": {"/figures/sale_amount": 1}}),
            vec![at(
                "/as_typed/~1figures~1sale_amount",
                msg!("err.document.string"),
            )],
        ),
        (
            json!({"as_typed": 3}),
            vec![at("/as_typed", msg!("err.document.not_object"))],
        ),
        (json!([]), vec![at("", msg!("err.document.not_object"))]),
        (json!(null), vec![at("", msg!("err.document.not_object"))]),
    ];
    // The two checks beyond the schema (module notes).
    let beyond_schema = [
        json!({"figures": {"sale_amount": 12.0}}),
        json!({"nil_return": true, "figures": {"sale_amount": 0}}),
    ];
    for (doc, expected) in cases {
        assert_eq!(refused(doc.clone()), expected, "{doc}");
        assert_eq!(
            schema_errors(&doc).is_empty(),
            beyond_schema.contains(&doc),
            "the schema refuses {doc} too"
        );
    }
}

#[test]
fn text_at_its_limit_passes_and_one_more_character_is_refused() {
    for member in MEMBERS.iter() {
        let Kind::Text { max, .. } = member.kind else {
            continue;
        };
        let mut doc = json!({});
        let full = "あ".repeat(max);
        place(doc.as_object_mut().unwrap(), &member.path, json!(full));
        assert_eq!(from_json(&doc).unwrap().get(member.field), full);
        place(
            doc.as_object_mut().unwrap(),
            &member.path,
            json!(format!("{full}a")),
        );
        assert_eq!(
            refused(doc),
            [at(&member.pointer(), msg!("err.text.too_long"))]
        );
    }
}

#[test]
fn a_hostile_document_costs_at_most_a_hundred_problems() {
    let many: serde_json::Map<String, Value> =
        (0..5000).map(|i| (format!("m{i:05}"), json!(i))).collect();
    let errors = from_json(&Value::Object(many)).unwrap_err();
    assert_eq!(errors.len(), MAX_PROBLEMS);
    assert_eq!(errors[0].pointer, "/m00000");
}

#[test]
fn an_empty_draft_is_every_member_null() {
    let doc = to_json(&FiguresForm::default());
    assert_eq!(doc["nil_return"], json!(false));
    assert_eq!(doc["as_typed"], json!({}));
    for member in MEMBERS.iter().filter(|m| m.kind != Kind::Flag) {
        assert_eq!(
            doc.pointer(&member.pointer()),
            Some(&Value::Null),
            "{}",
            member.field
        );
    }
    assert_eq!(to_json(&FiguresForm::nil())["nil_return"], json!(true));
    assert!(schema_errors(&doc).is_empty());
}

#[test]
fn what_a_person_typed_in_the_portal_is_given_back_not_lost() {
    let typed = form(&[
        ("unauthorized_accesses", "１，２３４"),
        ("sale_amount", "¥250,000円"),
        ("purchase_amount", "1.5"),
        ("affected_accounts", "-3"),
        ("compensation_percent", "40%"),
        ("compensation_policy", "most"),
        ("check_mfa_mandatory", "planned"),
        ("check_mfa_mandatory_date", " 2026-01-31 "),
        ("check_passkeys_offered_date", "31/01/2026"),
        ("contact_name", &"長".repeat(150)),
        ("contact_email", "   "),
        ("attestation", "yes"),
    ]);
    let doc = to_json(&typed);
    assert_eq!(doc["figures"]["unauthorized_accesses"], json!(1234));
    assert_eq!(doc["figures"]["sale_amount"], json!(250_000));
    assert_eq!(doc["losses"]["compensation_percent"], json!(40));
    assert_eq!(
        doc["remediation"]["checklist"]["mfa_mandatory"],
        json!({"status": "planned", "date": "2026-01-31"})
    );
    assert_eq!(doc["contact"]["email"], Value::Null);
    assert!(doc.get("attestation").is_none());
    assert_eq!(
        doc["as_typed"],
        json!({
            "/figures/purchase_amount": "1.5",
            "/figures/affected_accounts": "-3",
            "/losses/compensation_policy": "most",
            "/remediation/checklist/passkeys_offered/date": "31/01/2026",
            "/contact/name": "長".repeat(150),
        })
    );
    for member in [
        "purchase_amount",
        "affected_accounts",
        "compensation_policy",
        "contact_name",
    ] {
        assert_eq!(
            doc.pointer(&pointer_of(member).unwrap()),
            Some(&Value::Null)
        );
    }
    assert!(schema_errors(&doc).is_empty(), "{:#?}", schema_errors(&doc));
    // Written back, the readable values stay (in plain digits), the others
    // are what the client chose to leave out.
    let back = from_json(&doc).unwrap();
    assert_eq!(
        back,
        form(&[
            ("unauthorized_accesses", "1234"),
            ("sale_amount", "250000"),
            ("compensation_percent", "40"),
            ("check_mfa_mandatory", "planned"),
            ("check_mfa_mandatory_date", "2026-01-31"),
        ])
    );
}

/// The schema's node for a property, through `oneOf` (nullable) and `$ref`.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let node = match node.get("oneOf").and_then(Value::as_array) {
        Some(branches) => branches
            .iter()
            .find(|b| b.get("type") != Some(&json!("null")))
            .unwrap(),
        None => node,
    };
    match node.get("$ref").and_then(Value::as_str) {
        Some(target) => &root["$defs"][target.strip_prefix("#/$defs/").unwrap()],
        None => node,
    }
}

fn schema_at<'a>(root: &'a Value, path: &[&str]) -> &'a Value {
    let mut node = resolve(root, root);
    for name in path {
        let next = node["properties"]
            .get(*name)
            .unwrap_or_else(|| panic!("the schema has no {name} in {path:?}"));
        node = resolve(root, next);
    }
    node
}

/// The members of each object of the document, by the object's path.
fn objects() -> BTreeMap<Vec<&'static str>, BTreeSet<&'static str>> {
    let mut out: BTreeMap<Vec<&'static str>, BTreeSet<&'static str>> = BTreeMap::new();
    for member in MEMBERS.iter() {
        for depth in 0..member.path.len() {
            out.entry(member.path[..depth].to_vec())
                .or_default()
                .insert(member.path[depth]);
        }
    }
    out.entry(Vec::new()).or_default().insert(AS_TYPED);
    out
}

#[test]
fn the_schema_describes_the_same_document() {
    let schema = json_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the schema is a schema"
    );
    for (path, names) in objects() {
        let node = schema_at(&schema, &path);
        assert_eq!(
            node["additionalProperties"],
            json!(false),
            "{path:?} is closed"
        );
        let properties: BTreeSet<&str> = node["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(properties, names, "the members of {path:?}");
    }
    let single = schema_at(&schema, &["contact", "name"])["pattern"].clone();
    let multi = schema_at(&schema, &["remediation", "narrative"])["pattern"].clone();
    assert_ne!(single, multi);
    for member in MEMBERS.iter() {
        let node = schema_at(&schema, &member.path);
        let nullable = |t: &str| json!([t, "null"]);
        let range = |min: i64, max: i64| {
            assert_eq!(node["type"], nullable("integer"), "{}", member.field);
            assert_eq!(node["minimum"], json!(min), "{}", member.field);
            assert_eq!(node["maximum"], json!(max), "{}", member.field);
        };
        match member.kind {
            Kind::Flag => assert_eq!(node["type"], nullable("boolean")),
            Kind::Count => range(0, COUNT_MAX),
            Kind::Yen => range(0, YEN_MAX),
            Kind::Percent => range(1, 99),
            Kind::Policy => assert_eq!(node["enum"], json!(["full", "partial", "considering"])),
            Kind::ItemStatus => assert_eq!(node["enum"], json!(["done", "planned", "na"])),
            Kind::Date => assert_eq!(node["format"], json!("date")),
            Kind::Reason => {
                let codes: Vec<&str> = AmendmentReason::ALL.iter().map(|r| r.as_str()).collect();
                assert_eq!(node["enum"], json!(codes));
            }
            Kind::Text { max, multiline } => {
                assert_eq!(node["type"], nullable("string"), "{}", member.field);
                assert_eq!(node["maxLength"], json!(max), "{}", member.field);
                let pattern = if multiline { &multi } else { &single };
                assert_eq!(&node["pattern"], pattern, "{}", member.field);
            }
        }
    }
    let as_typed = &schema_at(&schema, &[])["properties"][AS_TYPED];
    assert_eq!(as_typed["readOnly"], json!(true));
}
