//! Nothing typed is lost: every text field carries the server's limit as
//! `maxlength`, a value over it comes back in the form with a message
//! beside the field, and only a body no such form can produce is refused.

use reqwest::StatusCode;

use crate::helpers::{self, TestApp};
use crate::on_both_backends;
use incident_portal::domain::limits;

async fn a_text_over_its_limit_comes_back_in_the_form(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Long").await;
    let form = helpers::sections(&mut firm.approver, "2025-04").await;
    assert_eq!(form.status, StatusCode::OK);
    for (selector, limit) in [
        ("textarea#remediation", limits::REMEDIATION),
        (
            "textarea#warnings_explanation",
            limits::WARNINGS_EXPLANATION,
        ),
        ("input#contact_name", limits::CONTACT_NAME),
        ("input#contact_email", limits::EMAIL),
    ] {
        let html = form.html();
        let found = html
            .select(&scraper::Selector::parse(selector).unwrap())
            .next()
            .and_then(|e| e.value().attr("maxlength").map(str::to_owned));
        assert_eq!(found, Some(limit.to_string()), "{selector} maxlength");
    }
    // One character over, in Japanese: three bytes each, still far below
    // the body limit. A draft keeps anything typed, so the save goes
    // through and the form shows the text with the message beside it.
    let typed = "再発防止".repeat(limits::REMEDIATION / 4) + "策";
    let fields = helpers::figures("1", "1", "1", "100", "100", &typed);
    let page = firm
        .approver
        .submit_form(&form, "/returns/2025-04/draft", &fields)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = helpers::section_of(&mut firm.approver, "2025-04", "remediation").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.field_error("remediation").as_deref(),
        Some("The text is too long. (RET-E005)"),
        "a message beside the field"
    );
    assert_eq!(
        page.text("textarea#remediation"),
        typed,
        "the typed text is kept"
    );
}

on_both_backends!(a_text_over_its_limit_comes_back_in_the_form);
