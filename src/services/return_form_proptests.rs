//! Hostile input to the return form and the domain types behind it: any
//! field names and values, in any script, never panic; every refusal names
//! a field of the form with a message both catalogues hold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{CHECK_DATE, CHECK_STATUS, COMPENSATION, CONTACT, CORE, FiguresForm, OTHER, is_field};
use crate::db::testing::{memory_db, test_now};
use crate::domain::details::{DETECTION, MARKETS, VECTORS};
use crate::domain::email::EmailAddress;
use crate::domain::lei::Lei;
use crate::domain::period::Period;
use crate::domain::registration::RegistrationNo;
use crate::domain::yen::{Count, Yen};
use crate::i18n::{Key, Lang, Tr};
use crate::services::accounts::insert_firm;
use crate::services::submission;

fn in_catalogues(key: Key) -> bool {
    !Tr::new(Lang::En).t(key).is_empty() && !Tr::new(Lang::Ja).t(key).is_empty()
}

fn all_fields() -> Vec<&'static str> {
    [
        &CORE[..],
        &MARKETS[..],
        &VECTORS[..],
        &DETECTION[..],
        &COMPENSATION[..],
        &CONTACT[..],
        &OTHER[..],
        &CHECK_STATUS[..],
        &CHECK_DATE[..],
    ]
    .concat()
}

/// A value as someone might type it, or anything at all.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("12".to_owned()),
        Just("1,000,000".to_owned()),
        Just("¥250,000円".to_owned()),
        Just("１２３".to_owned()),
        Just("-5".to_owned()),
        Just("9".repeat(30)),
        Just("done".to_owned()),
        Just("2025-04-10".to_owned()),
        Just("considering".to_owned()),
        Just("compliance@firm.example".to_owned()),
        Just(String::new()),
        "[0-9,.¥円 -]{0,20}",
        ".{0,80}",
        any::<String>(),
    ]
}

/// Every field of the form with some value, plus a few unknown names.
fn form_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let fields = all_fields();
    let n = fields.len();
    (
        proptest::collection::vec(proptest::option::of(value()), n),
        proptest::collection::vec((".{0,20}", value()), 0..4),
    )
        .prop_map(move |(values, extra)| {
            let mut out: Vec<(String, String)> = fields
                .iter()
                .zip(values)
                .filter_map(|(name, v)| v.map(|v| ((*name).to_owned(), v)))
                .collect();
            out.extend(extra);
            out
        })
}

#[test]
fn any_form_is_checked_with_every_problem_named() {
    let mut conn = memory_db();
    let firm = insert_firm(&mut conn, "Form Securities", "第7号", None, test_now()).unwrap();
    let conn = RefCell::new(conn);
    let period = Period::parse("2025-04").unwrap();
    let mut runner = TestRunner::new(Config::with_cases(512));
    runner
        .run(&form_fields(), |fields| {
            let form = FiguresForm::from_fields(fields.clone());
            for (name, kept) in &form.0 {
                prop_assert!(is_field(name), "unknown field {name} dropped");
                prop_assert!(kept.chars().count() <= 5000);
            }
            let checked = submission::check(&mut conn.borrow_mut(), firm.id, period, &form)
                .map_err(|e| TestCaseError::fail(format!("system error: {e}")))?;
            if let Err(invalid) = checked {
                prop_assert!(!invalid.is_empty(), "a refusal says why");
                for (field, key) in &invalid.0 {
                    // The attestation is the approver's, on the approval form.
                    prop_assert!(
                        is_field(field) || *field == "attestation",
                        "{field} is a field of the form"
                    );
                    prop_assert!(in_catalogues(*key), "{key} in both catalogues");
                }
            }
            Ok(())
        })
        .unwrap();
}

proptest! {
    #[test]
    fn domain_types_refuse_with_catalogued_keys(s in any::<String>()) {
        let keys = [
            Yen::parse(&s).err().map(|e| e.key()),
            Count::parse(&s).err().map(|e| e.key()),
            Period::parse(&s).err().map(|e| e.key()),
            RegistrationNo::parse(&s).err().map(|e| e.key()),
            Lei::parse(&s).err().map(|e| e.key()),
            EmailAddress::parse(&s).err().map(|e| e.key()),
        ];
        for key in keys.into_iter().flatten() {
            prop_assert!(in_catalogues(key), "{key} in both catalogues");
        }
    }

    #[test]
    fn numbers_in_any_script_never_panic(
        digits in proptest::collection::vec(
            prop_oneof![Just('0'), Just('9'), Just('０'), Just('９'), Just('٣'),
                        Just(','), Just('，'), Just('.'), Just('¥'), Just('円'),
                        Just(' '), Just('\u{3000}'), Just('-'), Just('+'), Just('e')],
            0..40,
        )
    ) {
        let s: String = digits.into_iter().collect();
        for key in [Yen::parse(&s).err(), Count::parse(&s).err()]
            .into_iter()
            .flatten()
            .map(|e| e.key())
        {
            prop_assert!(in_catalogues(key), "{key} in both catalogues");
        }
        if let Ok(y) = Yen::parse(&s) {
            prop_assert!(y.value() >= 0);
            prop_assert_eq!(Yen::parse(&y.to_string()), Ok(y));
        }
    }
}
