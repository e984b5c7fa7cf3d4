//! Legal holds: placed with a reason on the firm's admin page (shown to
//! analysts too), they suspend the purge for the firm; lifted, the next
//! run purges. A reason is required, and a form from before another
//! admin's hold is refused with the reason kept.

use reqwest::StatusCode;

use super::purge::purge_details;
use super::support::{OLD, one_year_and_purge_day, run, seed, version_texts};
use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

async fn a_legal_hold_suspends_the_purge_until_lifted(app: TestApp) {
    let mut s = seed(&app).await;
    let hold = format!("/admin/firms/{}/legal-hold", s.alpha.id);
    let form = s.admin.get(&hold).await;
    assert_eq!(form.status, StatusCode::OK);
    let empty = s.admin.submit_form(&form, &hold, &[("reason", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.field_error("reason").is_some());
    let placed = s
        .admin
        .submit_form(&form, &hold, &[("reason", "Court order 17")])
        .await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.body);
    // The same form again (another admin's, from before): refused, kept.
    let stale = s
        .admin
        .submit_form(&form, &hold, &[("reason", "Enforcement case 9")])
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stale
            .field_error("reason")
            .unwrap()
            .contains("in the meantime")
    );
    assert_eq!(stale.input_value("reason").unwrap(), "Enforcement case 9");
    for page in [
        s.admin.get(&hold).await,
        s.admin.get(&format!("/review/firms/{}", s.alpha.id)).await,
    ] {
        assert!(
            page.body.contains("Under a legal hold since"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Court order 17"));
    }
    let texts = version_texts(&app, s.alpha.id, OLD);

    one_year_and_purge_day(&app);
    assert!(run(&app).unwrap() > 0, "other firms' old months are purged");
    assert_eq!(version_texts(&app, s.alpha.id, OLD), texts, "held");
    let details = purge_details(&app);
    assert!(
        details[0].ends_with(&format!("firms held: {}", s.alpha.id)),
        "{}",
        details[0]
    );

    let mut admin = app.browser();
    app.sign_in_fully(&mut admin, "admin@fsa.example", PASSWORD)
        .await;
    let page = admin.get(&hold).await;
    let lift = format!("{hold}/lift");
    let lifted = admin.submit_form(&page, &lift, &[]).await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    let again = admin.submit_form(&page, &lift, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "lifted already");
    assert_eq!(run(&app), None, "today's run is done");
    app.clock.advance(chrono::Duration::days(1));
    assert!(run(&app).unwrap() > 0);
    let purged = version_texts(&app, s.alpha.id, OLD);
    assert!(
        purged
            .iter()
            .all(|t| t == "[removed under the retention rule on 2026-04-03]"),
        "{purged:?}"
    );
    assert_eq!(purge_details(&app).len(), 2);
    let (ok, said) = crate::audit::cli(&app);
    assert!(ok, "verify-audit: {said}");
}

on_both_backends!(a_legal_hold_suspends_the_purge_until_lifted);
