//! The messages whose keys are put together at run time (`Tr::named`): a
//! family's prefix and a member. `msg!` checks every literal key when the
//! crate is built; these tests check every member of every family, so no
//! page or export ever shows a bare key.

use crate::domain::compensation::CompensationKind;
use crate::domain::details::{CHECK_STATUS, CHECKLIST, DETECTION, ItemStatus, MARKETS, VECTORS};
use crate::i18n::Key;
use crate::services::exports::Kind;
use crate::services::return_form::{COMPENSATION, CONTACT, CORE, OTHER};

fn missing(prefix: &str, members: &[&str]) -> Vec<String> {
    members
        .iter()
        .map(|m| format!("{prefix}.{m}"))
        .filter(|name| Key::find(name).is_none())
        .collect()
}

#[test]
fn every_field_has_a_label() {
    let fields: Vec<&str> = [
        &CORE[..],
        &COMPENSATION[..],
        &CONTACT[..],
        &OTHER[..],
        &MARKETS[..],
        &VECTORS[..],
        &DETECTION[..],
    ]
    .concat();
    assert!(fields.len() > 25);
    assert_eq!(missing("field", &fields), Vec::<String>::new());
}

#[test]
fn every_checklist_item_and_state_has_a_label() {
    assert_eq!(CHECKLIST.len(), CHECK_STATUS.len());
    assert_eq!(missing("check", &CHECKLIST), Vec::<String>::new());
    let states = [ItemStatus::Done, ItemStatus::NotApplicable].map(|s| s.code());
    assert_eq!(missing("check", &states), Vec::<String>::new());
}

#[test]
fn every_compensation_policy_has_a_label() {
    let codes: Vec<&str> = CompensationKind::ALL.iter().map(|p| p.as_str()).collect();
    assert!(!codes.is_empty());
    assert_eq!(missing("policy", &codes), Vec::<String>::new());
}

#[test]
fn every_export_column_is_named_in_japanese() {
    for kind in [Kind::Versions, Kind::Trades] {
        let columns: Vec<&str> = kind.header().split(',').collect();
        assert_eq!(missing("export.col", &columns), Vec::<String>::new());
    }
}
