use std::collections::HashMap;

use chrono::NaiveDate;

use super::*;
use crate::domain::figures::{FiguresInput, ReturnFigures};

fn figures(purchase: &str) -> ReturnFigures {
    ReturnFigures::parse(&FiguresInput {
        unauthorized_accesses: "100",
        affected_accounts: "90",
        fraudulent_trades: "40",
        sale_amount: "1000",
        purchase_amount: purchase,
        remediation: "",
    })
    .unwrap()
}

fn complete() -> HashMap<&'static str, String> {
    let mut form: HashMap<&'static str, String> = HashMap::new();
    for (m, v) in MARKETS.iter().zip(["500", "300", "100", "0"]) {
        form.insert(m, v.into());
    }
    for v in VECTORS {
        form.insert(v, "1".into());
    }
    for d in DETECTION {
        form.insert(d, "0".into());
    }
    for (k, v) in [
        ("customer_losses", "200"),
        ("compensation_paid", "100"),
        ("accounts_compensated", "3"),
        ("compensation_policy", "partial"),
        ("compensation_percent", "50"),
        ("contact_name", "Hanako Sato"),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@firm.example"),
        ("attestation", "yes"),
    ] {
        form.insert(k, v.into());
    }
    for s in CHECK_STATUS {
        form.insert(s, "done".into());
    }
    form
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()
}

fn check(form: &HashMap<&'static str, String>, purchase: &str) -> Result<ReturnDetails, Problems> {
    parse_for_submission(
        |k| form.get(k).map_or("", String::as_str),
        &figures(purchase),
        start(),
    )
}

#[test]
fn a_complete_return_passes() {
    let details = check(&complete(), "900").unwrap();
    assert_eq!(details.policy, CompensationPolicy::Partial(50));
    assert_eq!(details.purchase_by_market[1].value(), 300);
}

#[test]
fn markets_must_sum_to_the_purchase_amount() {
    let problems = check(&complete(), "901").unwrap_err();
    assert_eq!(
        problems,
        vec![("purchase_domestic", msg!("err.rule.markets_sum"))]
    );
}

#[test]
fn planned_items_need_a_date_and_every_item_an_answer() {
    let mut form = complete();
    form.insert("check_police_notified", "planned".into());
    form.insert("check_accounts_frozen", String::new());
    form.insert("check_mfa_mandatory", "planned".into());
    form.insert("check_mfa_mandatory_date", "2025-03-01".into());
    let problems = check(&form, "900").unwrap_err();
    assert!(problems.contains(&(
        "check_police_notified_date",
        msg!("err.rule.planned_without_date")
    )));
    assert!(problems.contains(&("check_accounts_frozen", msg!("err.choose"))));
    assert!(problems.contains(&("check_mfa_mandatory_date", msg!("err.date.before_period"))));
}

#[test]
fn contact_attestation_and_policy_are_required() {
    let mut form = complete();
    form.insert("contact_phone", "call me".into());
    form.insert("contact_email", "x@y\r\nBcc: z@evil.example".into());
    form.remove("attestation");
    form.insert("compensation_percent", "150".into());
    let problems = check(&form, "900").unwrap_err();
    for field in [
        "contact_phone",
        "contact_email",
        "attestation",
        "compensation_percent",
    ] {
        assert!(
            problems.iter().any(|(f, _)| *f == field),
            "{field}: {problems:?}"
        );
    }
}

#[test]
fn warnings_need_explaining() {
    let details = check(&complete(), "900").unwrap();
    let mut figs = figures("900");
    assert!(warnings(&figs, &details, None).is_empty());
    figs.affected_accounts = crate::domain::yen::Count::new(150).unwrap();
    let prev = Previous {
        accesses: 5,
        trades: 40,
        sale: 1000,
        purchase: 900,
    };
    let found = warnings(&figs, &details, Some(prev));
    assert!(found.contains(&Warning::AccountsExceedAccesses));
    assert!(found.contains(&Warning::TenfoldPreviousMonth("unauthorized_accesses")));
    assert_eq!(found.len(), 2);
    let mut over = complete();
    over.insert("compensation_paid", "500".into());
    let details = check(&over, "900").unwrap();
    assert!(warnings(&figures("900"), &details, None).contains(&Warning::CompensationAboveLosses));
}

#[test]
fn incidents_beyond_the_figures_warn_and_a_nil_return_over_incidents_warns_alone() {
    let two = IncidentTotals::of([(120, 30), (5, 0)]);
    assert_eq!(
        two,
        IncidentTotals {
            incidents: 2,
            accounts: 125,
            trades: 30
        }
    );
    assert_eq!(
        incident_warnings(Some((100, 40)), &two),
        [Warning::IncidentAccountsExceedAccesses]
    );
    assert_eq!(
        incident_warnings(Some((200, 20)), &two),
        [Warning::IncidentTradesExceedTrades]
    );
    assert!(
        incident_warnings(Some((125, 30)), &two).is_empty(),
        "equal is covered"
    );
    assert_eq!(
        incident_warnings(None, &two),
        [Warning::IncidentsOnNilReturn],
        "a nil return over incidents: only RET-W006"
    );
    let none = IncidentTotals::default();
    assert!(incident_warnings(None, &none).is_empty());
    assert!(incident_warnings(Some((0, 0)), &none).is_empty());
    assert_eq!(Warning::IncidentsOnNilReturn.field(), NIL_RETURN);
}
