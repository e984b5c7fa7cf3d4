#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn now() -> NaiveDateTime {
    parse_tokyo_time("2026-05-02T00:00").unwrap()
}

fn initial() -> ReportForm {
    ReportForm {
        aware_at: "2026-05-01 22:10".into(),
        classified_at: "2026-05-01 23:00".into(),
        occurred_on: "2026-04-30".into(),
        kind: "unauthorized_access".into(),
        vector: "phishing".into(),
        accounts: "120".into(),
        trades: "30".into(),
        amount_jpy: "45000000".into(),
        ongoing: "yes".into(),
        actions: "Locked the accounts.".into(),
        customers_told: "no".into(),
        police_told: "no".into(),
        ..ReportForm::default()
    }
}

#[test]
fn an_initial_report_round_trips_through_its_form() {
    let report = initial().check(IncidentStage::Initial, now()).unwrap();
    assert_eq!(report.accounts, 120);
    assert_eq!(ReportForm::from(&report), initial());
}

#[test]
fn later_stages_ask_for_more() {
    let m = initial().check(IncidentStage::Final, now()).unwrap_err();
    let fields: Vec<&str> = m.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        [
            "containment",
            "cause",
            "root_cause",
            "losses_jpy",
            "compensation_jpy",
            "remediation",
            "remediation_by"
        ]
    );
}

#[test]
fn times_must_be_in_order_and_past() {
    let mut f = initial();
    f.classified_at = "2026-05-01T20:00".into();
    f.aware_at = "2026-05-03T10:00".into();
    let m = f.check(IncidentStage::Initial, now()).unwrap_err();
    assert_eq!(m[0], ("aware_at", msg!("err.incident.future")));
}
