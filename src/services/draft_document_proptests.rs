//! The draft document under generated input: valid forms come back as
//! they were, whatever a person typed is given back within the schema and
//! never lost, and the schema and the reader accept and refuse alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{Value, json};

use super::tests::schema_errors;
use super::*;

/// A valid stored value of each member, or nothing.
fn canonical(kind: Kind) -> BoxedStrategy<Option<String>> {
    let value: BoxedStrategy<String> = match kind {
        Kind::Flag => Just(String::new()).boxed(),
        Kind::Count => (0..=COUNT_MAX).prop_map(|v| v.to_string()).boxed(),
        Kind::Yen => prop_oneof![Just(YEN_MAX), 0..=YEN_MAX]
            .prop_map(|v| v.to_string())
            .boxed(),
        Kind::Percent => (1..=99_i64).prop_map(|v| v.to_string()).boxed(),
        Kind::Policy => proptest::sample::select(vec!["full", "partial", "considering"])
            .prop_map(str::to_owned)
            .boxed(),
        Kind::ItemStatus => proptest::sample::select(vec!["done", "planned", "na"])
            .prop_map(str::to_owned)
            .boxed(),
        Kind::Reason => proptest::sample::select(
            crate::domain::amendment::AmendmentReason::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>(),
        )
        .prop_map(str::to_owned)
        .boxed(),
        Kind::Date => (0..40_000_i64)
            .prop_map(|d| {
                let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
                    + chrono::Duration::days(d);
                day.format("%Y-%m-%d").to_string()
            })
            .boxed(),
        Kind::Text { max, multiline } => {
            let body = if multiline {
                "[a-zA-Z0-9 .,\r\n\t円あ-ん漢字-]{0,40}"
            } else {
                "[a-zA-Z0-9 .,@+()円あ-ん漢字-]{0,40}"
            };
            prop_oneof![
                (body, "[a-zA-Zあ-ん0-9]").prop_map(move |(b, end)| {
                    let b: String = b.chars().take(max - 1).collect();
                    format!("{b}{end}")
                }),
                Just("字".repeat(max)),
            ]
            .boxed()
        }
    };
    proptest::option::of(value).boxed()
}

/// A form as the document can hold it: every value valid, none empty; a
/// nil return holds the mark alone.
fn canonical_form() -> impl Strategy<Value = FiguresForm> {
    let values: Vec<BoxedStrategy<Option<String>>> =
        MEMBERS.iter().map(|m| canonical(m.kind)).collect();
    prop_oneof![
        1 => Just(FiguresForm::nil()),
        9 => values.prop_map(|values| {
            let mut form = FiguresForm::default();
            for (member, value) in MEMBERS.iter().zip(values) {
                if let (Some(value), false) = (value, member.kind == Kind::Flag) {
                    form.set(member.field, value);
                }
            }
            form
        }),
    ]
}

/// Anything a person might have typed in the portal (drafts keep it all).
fn typed_form() -> impl Strategy<Value = FiguresForm> {
    let value = prop_oneof![
        Just("12".to_owned()),
        Just("1,000,000".to_owned()),
        Just("¥250,000円".to_owned()),
        Just("１２３".to_owned()),
        Just("-5".to_owned()),
        Just("9".repeat(30)),
        Just("done".to_owned()),
        Just("2025-04-10".to_owned()),
        Just("full".to_owned()),
        Just("40%".to_owned()),
        Just(String::new()),
        "[0-9,.¥円 -]{0,20}",
        ".{0,80}",
        any::<String>(),
    ];
    proptest::collection::vec(proptest::option::of(value), MEMBERS.len()).prop_map(|values| {
        let mut form = FiguresForm::default();
        for (member, value) in MEMBERS.iter().zip(values) {
            if let (Some(value), false) = (value, member.kind == Kind::Flag) {
                form.set(member.field, value.chars().take(5000).collect::<String>());
            }
        }
        form
    })
}

/// Any JSON value, leaning to the ones a member might nearly accept.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0_i64),
            Just(-1),
            Just(99),
            Just(100),
            Just(COUNT_MAX),
            Just(COUNT_MAX + 1),
            Just(YEN_MAX),
            Just(YEN_MAX + 1),
            any::<i64>(),
        ]
        .prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        (-1e6..1e6_f64).prop_map(|f| json!(f.trunc() + 0.5)),
        prop_oneof![
            Just("full".to_owned()),
            Just("done".to_owned()),
            Just("na".to_owned()),
            Just("2025-06-30".to_owned()),
            Just("2025-02-30".to_owned()),
            Just("2025-6-3".to_owned()),
            Just("12".to_owned()),
            Just("x".repeat(101)),
            Just("a\nb".to_owned()),
            Just("a\u{85}b".to_owned()),
            Just("\u{feff}".to_owned()),
            Just(String::new()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_valid_form_comes_back_as_it_was(form in canonical_form()) {
        let doc = to_json(&form);
        prop_assert_eq!(&doc["as_typed"], &json!({}));
        prop_assert_eq!(from_json(&doc), Ok(form));
        let errors = schema_errors(&doc);
        prop_assert!(errors.is_empty(), "{:#?}", errors);
    }

    #[test]
    fn whatever_was_typed_is_given_back_in_the_schema_and_nothing_is_lost(form in typed_form()) {
        let doc = to_json(&form);
        let errors = schema_errors(&doc);
        prop_assert!(errors.is_empty(), "{:#?}\n{:#}", errors, doc);
        let back = from_json(&doc).unwrap();
        for member in MEMBERS.iter().filter(|m| m.kind != Kind::Flag) {
            let typed = form.get(member.field);
            let pointer = member.pointer();
            let kept = doc["as_typed"].get(&pointer).and_then(Value::as_str);
            if typed.trim().is_empty() {
                prop_assert_eq!(back.get(member.field), "");
            } else if let Some(kept) = kept {
                prop_assert_eq!(kept, typed);
                prop_assert_eq!(back.get(member.field), "");
            } else {
                // Read, and meaning what was typed (numbers in plain digits).
                let again = to_json(&back);
                prop_assert_eq!(again.pointer(&pointer), doc.pointer(&pointer));
                prop_assert!(!back.get(member.field).is_empty());
            }
        }
    }

    #[test]
    fn the_schema_and_the_reader_agree_on_every_member(
        base in canonical_form(),
        at in 0..MEMBERS.len(),
        value in any_json(),
    ) {
        prop_assume!(!base.is_nil());
        let member = &MEMBERS[at];
        let mut doc = to_json(&base);
        place(doc.as_object_mut().unwrap(), &member.path, value.clone());
        let read = from_json(&doc);
        let nil_with_figures = value == json!(true) && !base.filled().is_empty();
        prop_assume!(!nil_with_figures);
        let errors = schema_errors(&doc);
        prop_assert_eq!(read.is_ok(), errors.is_empty(), "{}: {} {:?} {:?}", member.pointer(), value, read, errors);
        if let Err(problems) = read {
            prop_assert_eq!(problems.len(), 1);
            prop_assert_eq!(&problems[0].pointer, &member.pointer());
        }
    }

    #[test]
    fn the_schema_and_the_reader_agree_on_objects_and_unknown_members(
        base in canonical_form(),
        at in 0..MEMBERS.len(),
        depth in 0..4_usize,
        name in prop_oneof![Just("attestation".to_owned()), Just("figures".to_owned()), "[a-z_]{1,10}"],
        value in any_json(),
    ) {
        prop_assume!(!base.is_nil());
        let member = &MEMBERS[at];
        let path: Vec<&str> = member.path[..depth.min(member.path.len() - 1)].to_vec();
        let mut doc = to_json(&base);
        let mut target = doc.as_object_mut().unwrap();
        for step in &path {
            target = target.get_mut(*step).unwrap().as_object_mut().unwrap();
        }
        target.insert(name.clone(), value.clone());
        let read = from_json(&doc);
        let nil_with_figures = path.is_empty() && name == "nil_return";
        prop_assume!(!nil_with_figures);
        let errors = schema_errors(&doc);
        prop_assert_eq!(read.is_ok(), errors.is_empty(), "{:?}/{}: {} {:?} {:?}", path, name, value, read, errors);
    }

    #[test]
    fn any_json_at_all_is_read_or_refused_never_a_panic(value in any_json()) {
        if let Err(problems) = from_json(&value) {
            prop_assert!(!problems.is_empty() && problems.len() <= MAX_PROBLEMS);
        }
    }
}
