use super::*;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn firms_scope<'a>(
    firms: &'a [String],
    from: &'a str,
    to: &'a str,
    expires: &'a str,
) -> ScopeInput<'a> {
    ScopeInput {
        firms,
        aggregates_only: false,
        period_from: from,
        period_to: to,
        expires_on: expires,
    }
}

#[test]
fn a_firm_scope_covers_its_firms_and_months_through_its_last_day() {
    let firms = strings(&["3", "1", "3"]);
    let input = firms_scope(&firms, "2025-02", "2025-04", "2025-06-30");
    let scope = ObserverScope::parse(&input, |id| id < 10, day("2025-05-20")).unwrap();
    assert_eq!(
        scope.reach,
        Reach::Firms {
            firms: vec![1, 3],
            from: Period::parse("2025-02").unwrap(),
            to: Period::parse("2025-04").unwrap(),
        }
    );
    let today = day("2025-06-30");
    assert!(scope.covers(1, "2025-02", today));
    assert!(scope.covers(3, "2025-04", today));
    assert!(!scope.covers(2, "2025-03", today), "a firm outside");
    assert!(!scope.covers(1, "2025-01", today), "a month before");
    assert!(!scope.covers(1, "2025-05", today), "a month after");
    assert!(!scope.covers(1, "not a month", today));
    assert!(!scope.covers(1, "2025-03", day("2025-07-01")), "expired");
    assert_eq!(scope.months(day("2025-07-01")), None);
}

#[test]
fn an_aggregates_only_scope_covers_no_version() {
    let input = ScopeInput {
        aggregates_only: true,
        expires_on: "2025-12-31",
        ..Default::default()
    };
    let scope = ObserverScope::parse(&input, |_| true, day("2025-05-20")).unwrap();
    assert_eq!(scope.reach, Reach::AggregatesOnly);
    assert!(!scope.covers(1, "2025-04", day("2025-05-20")));
    assert_eq!(scope.months(day("2025-05-20")), None);
}

#[test]
fn each_mistake_is_named_by_its_field() {
    let firms = strings(&["1", "99"]);
    let input = firms_scope(&firms, "2025-13", "x", "2025-02-30");
    let errors = ObserverScope::parse(&input, |id| id < 10, day("2025-05-20")).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["expires_on", "firms"]);
    let none: Vec<String> = vec![];
    let input = firms_scope(&none, "2025-05", "2025-04", "2025-05-19");
    let errors = ObserverScope::parse(&input, |_| true, day("2025-05-20")).unwrap_err();
    assert_eq!(
        errors,
        [
            ("expires_on", msg!("observer.err.expired")),
            ("firms", msg!("observer.err.no_firm")),
            ("period_to", msg!("observer.err.months_order")),
        ]
    );
    let hostile = strings(&["-1", "1\u{0}"]);
    let long = "9".repeat(5000);
    let input = firms_scope(&hostile, &long, "2025-04", &long);
    let errors = ObserverScope::parse(&input, |id| id > 0, day("2025-05-20")).unwrap_err();
    assert!(errors.contains(&("firms", msg!("observer.err.firm"))));
    assert!(errors.contains(&("expires_on", msg!("err.date.invalid"))));
}
