//! Releases audited together: an empty month is 0 in every release and
//! never protects anything; a release that would let an attacker narrow an
//! earlier release's hidden cell by differencing suppresses more and tells
//! the admin; a release no suppression can protect is refused.

use incident_portal::domain::disclosure::Reason;
use incident_portal::services::publication_release::{self, Outcome};
use incident_portal::services::publication_table::Table;
use incident_portal::services::publications::{self, DraftInput};
use incident_portal::services::{Actor, publish};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publications::{load, release};

/// Drafts a publication of `[from, to]` as of `cutoff` (p = 10).
fn draft(app: &TestApp, title: &str, cutoff: &str, from: &str, to: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    let input = DraftInput {
        title,
        title_ja: title,
        cutoff: publish::parse_cutoff(cutoff).unwrap(),
        from,
        to,
        footnotes: "",
        footnotes_ja: "",
        p_percent: 10,
    };
    publications::draft(&mut conn, &Actor::system("test"), &input, app.clock.now())
        .unwrap()
        .unwrap()
}

/// The English CSV's line for `period`.
fn csv_line(p: &incident_portal::db::models::Publication, period: &str) -> String {
    p.csv_en
        .as_deref()
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{period},")))
        .unwrap_or_else(|| panic!("no line for {period}"))
        .to_owned()
}

fn reason(t: &Table, figure: &str, column: usize) -> Option<Reason> {
    t.rows.iter().find(|r| r.figure == figure).unwrap().cells[column].reason
}

#[rustfmt::skip]
async fn an_empty_month_is_zero_in_every_release_and_protects_nothing(app: TestApp) {
    app.clock.advance(chrono::Duration::days(45));
    // January: nobody filed. February: two firms. March: four. April: six.
    let mut rows = vec![
        (1, "2025-02", "2025-05-01T00:00:00Z", 700, 300, 7_000_000_000, 6_800_000_000),
        (2, "2025-02", "2025-05-01T00:00:00Z", 722, 385, 6_100_000_000, 6_000_000_000),
    ];
    for n in 10..14 {
        rows.push((n, "2025-03", "2025-05-01T00:00:00Z", 355, 171, 3_275_000_000, 3_200_000_000));
    }
    for n in 20..26 {
        rows.push((n, "2025-04", "2025-05-01T00:00:00Z", 307, 122, 6_233_000_000, 5_333_000_000));
    }
    load(&app, &rows, true);
    let first = draft(&app, "To April", "2025-05-20T00:00:00Z", "2025-01", "2025-04");
    let mut conn = app.pool.get().unwrap();
    let p = publications::find(&mut conn, first).unwrap();
    let computed = publications::preview(&mut conn, &p).unwrap();
    for figure in incident_portal::services::publication_table::FIGURES {
        assert_eq!(reason(&computed.table, figure, 0), None, "January {figure}");
        assert_eq!(reason(&computed.table, figure, 1), Some(Reason::Threshold), "February {figure}");
        assert_eq!(reason(&computed.table, figure, 2), Some(Reason::Secondary), "March {figure}");
        assert_eq!(reason(&computed.table, figure, 3), None, "April {figure}");
    }
    assert!(computed.safe);
    assert!(matches!(release(&mut conn, first, app.clock.now()), Outcome::Released { .. }));
    let released = publications::find_released(&mut conn, first).unwrap();
    assert_eq!(csv_line(&released, "2025-01"), "2025-01,0,0,0,0,0");
    assert_eq!(csv_line(&released, "2025-02"), "2025-02,x,x,x,x,x");
    // The next release adds May, equally empty: January and May are 0.
    let second = draft(&app, "To May", "2025-06-20T00:00:00Z", "2025-01", "2025-05");
    assert!(matches!(release(&mut conn, second, app.clock.now()), Outcome::Released { .. }));
    let released = publications::find_released(&mut conn, second).unwrap();
    assert_eq!(csv_line(&released, "2025-01"), "2025-01,0,0,0,0,0");
    assert_eq!(csv_line(&released, "2025-05"), "2025-05,0,0,0,0,0");
    let audit = publication_release::stored_audit(&mut conn, second).unwrap().unwrap();
    assert!(audit.iter().all(|a| a.protected), "{audit:?}");
    assert!(audit.iter().any(|a| a.release == Some(first)), "audited with the first release");
}

#[rustfmt::skip]
async fn a_release_that_would_narrow_an_earlier_cell_suppresses_more_and_says_so(app: TestApp) {
    app.clock.advance(chrono::Duration::days(45));
    // Release 1: January three firms, February two (hidden, with January).
    load(&app, &[
        (1, "2025-01", "2025-03-01T00:00:00Z", 10, 3, 10, 11),
        (2, "2025-01", "2025-03-01T00:00:00Z", 11, 4, 20, 19),
        (3, "2025-01", "2025-03-01T00:00:00Z", 12, 3, 30, 31),
        (1, "2025-02", "2025-03-01T00:00:00Z", 10, 3, 5, 5),
        (2, "2025-02", "2025-03-01T00:00:00Z", 11, 4, 7, 7),
    ], true);
    let first = draft(&app, "First", "2025-03-10T00:00:00Z", "2025-01", "2025-02");
    let mut conn = app.pool.get().unwrap();
    assert!(matches!(release(&mut conn, first, app.clock.now()), Outcome::Released { .. }));
    // Then firm 2 revises February and firm 4 files it late.
    load(&app, &[
        (2, "2025-02", "2025-04-01T00:00:00Z", 12, 4, 9, 9),
        (4, "2025-02", "2025-04-01T00:00:00Z", 11, 3, 4, 4),
    ], true);
    let second = draft(&app, "Second", "2025-04-10T00:00:00Z", "2025-01", "2025-02");
    let p = publications::find(&mut conn, second).unwrap();
    let computed = publications::preview(&mut conn, &p).unwrap();
    // On its own, February (three firms) would be published; with it and
    // January published, release 1's February would be its total less
    // January: exactly. So both are hidden here too.
    assert_eq!(reason(&computed.table, "sale_amount_jpy", 1), Some(Reason::Secondary));
    assert_eq!(reason(&computed.table, "sale_amount_jpy", 0), Some(Reason::Secondary));
    assert!(computed.safe);
    // The bounds worked by hand: release 1's Jan + A + B(v1) = 72 and
    // release 2's Jan + A + B(v2) + D = 78, all unknown but non-negative:
    // release 1's February lies in [0, 72]; release 2's is 78 − Jan, and
    // Jan is at most 72, so it lies in [6, 78].
    let bounds = |release: Option<i64>| {
        computed
            .audit
            .iter()
            .find(|a| a.release == release && a.figure == "sale_amount_jpy" && a.column == "2025-02")
            .map(|a| (a.lower.round(), a.upper.map(f64::round)))
    };
    assert_eq!(bounds(Some(first)), Some((0.0, Some(72.0))));
    assert_eq!(bounds(None), Some((6.0, Some(78.0))));
    assert!(
        computed.linked.iter().any(|l| l.release == first && l.column == "2025-02"),
        "{:?}",
        computed.linked
    );
    // The admin is told on the release page.
    let mut admin = app.setup_admin().await;
    let page = admin.get(&format!("/admin/publications/{second}/release")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let told = page.texts("#audit-linked li");
    assert!(
        told.iter().any(|t| t.contains(&format!("#{first}")) && t.contains("2025-02")),
        "{told:?}"
    );
    assert!(page.text("#audit-verdict").contains("Every suppressed cell is protected"));
    assert!(page.texts("#audit-table tbody tr").len() >= 4);
    assert!(matches!(release(&mut conn, second, app.clock.now()), Outcome::Released { .. }));
    let audit = publication_release::stored_audit(&mut conn, second).unwrap().unwrap();
    assert!(audit.iter().all(|a| a.protected), "{audit:?}");
}

#[rustfmt::skip]
async fn a_release_no_suppression_can_protect_is_refused(app: TestApp) {
    app.clock.advance(chrono::Duration::days(45));
    load(&app, &[
        (1, "2025-01", "2025-03-01T00:00:00Z", 10, 3, 10, 11),
        (2, "2025-01", "2025-03-01T00:00:00Z", 11, 4, 20, 19),
        (3, "2025-01", "2025-03-01T00:00:00Z", 12, 3, 30, 31),
        (1, "2025-02", "2025-03-01T00:00:00Z", 10, 3, 5, 5),
        (2, "2025-02", "2025-03-01T00:00:00Z", 11, 4, 7, 7),
    ], true);
    let id = draft(&app, "Released cells", "2025-03-10T00:00:00Z", "2025-01", "2025-02");
    let mut conn = app.pool.get().unwrap();
    // The admin releases January's and the total's sale amounts on purpose:
    // February's is left with nothing to hide behind.
    for cell in ["sale_amount_jpy:2025-01", "sale_amount_jpy:total"] {
        publications::override_cell(
            &mut conn, &Actor::system("test"), id, cell, "Already public elsewhere.", app.clock.now(),
        )
        .unwrap()
        .unwrap();
    }
    let p = publications::find(&mut conn, id).unwrap();
    assert!(!publications::preview(&mut conn, &p).unwrap().safe);
    assert_eq!(release(&mut conn, id, app.clock.now()), Outcome::Unsafe);
    assert!(publications::find_released(&mut conn, id).is_err(), "still a draft");
    // The admin's confirmation is refused with the reason, not a 500.
    let mut admin = app.setup_admin().await;
    let page = admin.get(&format!("/admin/publications/{id}/release")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#audit-verdict").contains("cannot be released"));
    let refused = admin
        .submit_form(&page, &format!("/admin/publications/{id}/release"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.text("#release-refused").contains("disclosure audit"));
}

on_both_backends!(
    an_empty_month_is_zero_in_every_release_and_protects_nothing,
    a_release_that_would_narrow_an_earlier_cell_suppresses_more_and_says_so,
    a_release_no_suppression_can_protect_is_refused,
);
