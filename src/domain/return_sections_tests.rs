use super::*;

fn none() -> Findings<'static> {
    Findings {
        errors: &[],
        warnings: &[],
        explained: false,
    }
}

fn only(names: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |f| names.contains(&f)
}

#[test]
fn every_field_of_the_form_belongs_to_exactly_one_section() {
    let mut seen = Vec::new();
    for section in ReturnSection::ALL {
        for field in section.fields() {
            assert!(!seen.contains(&field), "{field} twice");
            seen.push(field);
            assert_eq!(ReturnSection::of_field(field), Some(section));
        }
    }
    assert!(seen.contains(&"remediation"));
    assert!(seen.contains(&"check_police_notified_date"));
    assert_eq!(ReturnSection::of_field("attestation"), None);
}

#[test]
fn slugs_round_trip_and_unknown_ones_are_none() {
    for section in ReturnSection::ALL {
        assert_eq!(ReturnSection::parse(section.slug()), Some(section));
    }
    assert_eq!(ReturnSection::parse("attestation"), None);
    assert_eq!(ReturnSection::parse(""), None);
    assert_eq!(ReturnSection::Figures.next(), Some(ReturnSection::Markets));
    assert_eq!(ReturnSection::Trades.next(), None);
}

#[test]
fn nothing_saved_is_not_started_even_with_required_errors() {
    let found = Findings {
        errors: &[("unauthorized_accesses", msg!("err.required"))],
        ..none()
    };
    assert_eq!(
        status(ReturnSection::Figures, |_| false, &found),
        SectionStatus::NotStarted
    );
}

#[test]
fn saved_but_blank_required_fields_is_in_progress() {
    let found = Findings {
        errors: &[
            ("sale_amount", msg!("err.required")),
            ("compensation_policy", msg!("err.choose")),
        ],
        ..none()
    };
    assert_eq!(
        status(
            ReturnSection::Figures,
            only(&["unauthorized_accesses"]),
            &found
        ),
        SectionStatus::InProgress
    );
}

#[test]
fn a_failing_rule_is_a_problem_of_its_own_section_only() {
    let found = Findings {
        errors: &[("fraudulent_trades", msg!("err.rule.trades_exceed_accesses"))],
        ..none()
    };
    assert_eq!(
        status(ReturnSection::Figures, only(&["fraudulent_trades"]), &found),
        SectionStatus::HasProblems
    );
    assert_eq!(
        status(ReturnSection::Markets, only(&["purchase_us"]), &found),
        SectionStatus::Completed
    );
}

#[test]
fn an_unexplained_warning_is_a_problem_until_explained() {
    let mut found = Findings {
        warnings: &["compensation_paid"],
        ..none()
    };
    let filled = only(&["compensation_paid"]);
    assert_eq!(
        status(ReturnSection::Losses, &filled, &found),
        SectionStatus::HasProblems
    );
    assert_eq!(
        status(ReturnSection::Figures, only(&["sale_amount"]), &found),
        SectionStatus::Completed,
        "another section's warning"
    );
    found.explained = true;
    assert_eq!(
        status(ReturnSection::Losses, &filled, &found),
        SectionStatus::Completed
    );
}

#[test]
fn trade_detail_stands_by_its_file() {
    assert_eq!(
        status(ReturnSection::Trades, |_| false, &none()),
        SectionStatus::NotStarted
    );
    assert_eq!(
        status(ReturnSection::Trades, only(&["trade_file"]), &none()),
        SectionStatus::Completed
    );
    let found = Findings {
        errors: &[("sale_amount", msg!("err.trades.mismatch_sale"))],
        ..none()
    };
    assert_eq!(
        status(ReturnSection::Trades, only(&["trade_file"]), &found),
        SectionStatus::HasProblems
    );
}
