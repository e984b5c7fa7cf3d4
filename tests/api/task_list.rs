//! The return as a task list: one page per section, each saved on its own
//! without touching the others, each with its status; the rules told on
//! the section as the preparer types; hostile values kept with a message.

use reqwest::StatusCode;

use crate::helpers::{Browser, Page, TestApp, figures, prepare};
use crate::on_both_backends;

/// Saves `fields` on the section page `slug` of April, pressing `then`
/// ("continue" or "later").
pub async fn save_section(
    browser: &mut Browser,
    slug: &str,
    fields: &[(&str, &str)],
    then: &str,
) -> Page {
    let path = format!("/returns/2025-04/sections/{slug}");
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("then", then));
    browser.submit_form(&form, &path, &all).await
}

/// The status tag of each section on the task list, by section.
fn statuses(page: &Page) -> Vec<(String, String)> {
    [
        "figures",
        "markets",
        "vectors",
        "losses",
        "remediation",
        "narrative",
        "trades",
    ]
    .iter()
    .map(|s| ((*s).to_owned(), page.text(&format!("#status-{s}"))))
    .collect()
}

fn status_of(page: &Page, slug: &str) -> String {
    page.text(&format!("#status-{slug}"))
}

async fn a_section_save_keeps_the_other_sections(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let contact = [
        ("contact_name", "Hanako Sato"),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@alpha.example"),
    ];
    let saved = save_section(&mut firm.reporter, "narrative", &contact, "later").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/returns/2025-04?saved=1"));
    // Another person saves another section: the contact stays.
    let typed = [
        ("unauthorized_accesses", "10"),
        ("affected_accounts", "8"),
        ("fraudulent_trades", "2"),
        ("sale_amount", "1,000"),
        ("purchase_amount", "900"),
    ];
    let saved = save_section(&mut firm.approver, "figures", &typed, "continue").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        Some("/returns/2025-04/sections/markets"),
        "on to the next section"
    );
    let narrative = firm
        .reporter
        .get("/returns/2025-04/sections/narrative")
        .await;
    assert_eq!(
        narrative.input_value("contact_email").as_deref(),
        Some("compliance@alpha.example")
    );
    // The section page holds its own fields only.
    assert_eq!(narrative.input_value("unauthorized_accesses"), None);
    let figures_page = firm.reporter.get("/returns/2025-04/sections/figures").await;
    assert_eq!(
        figures_page.input_value("sale_amount").as_deref(),
        Some("1,000")
    );
    assert_eq!(figures_page.input_value("contact_name"), None);
    // Both are preparers of the one draft.
    let tasks = firm.reporter.get("/returns/2025-04").await;
    let preparers = tasks.text("#preparers");
    assert!(
        preparers.contains("reporter") && preparers.contains("approver"),
        "{preparers}"
    );
    // A section that does not exist is not found.
    let missing = firm
        .reporter
        .get("/returns/2025-04/sections/attestation")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let csrf = tasks.input_value("csrf").unwrap();
    let missing = firm
        .reporter
        .post("/returns/2025-04/sections/nope", &[("csrf", &csrf)])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn each_section_shows_its_status(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let fresh = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(fresh.status, StatusCode::OK);
    for (section, status) in statuses(&fresh) {
        assert_eq!(status, "Not started", "{section}");
    }
    assert!(fresh.body.contains("href=\"/returns/2025-04/check\""));
    // Complete figures; one market only; a rule broken in remediation.
    save_section(
        &mut firm.reporter,
        "figures",
        &[
            ("unauthorized_accesses", "10"),
            ("affected_accounts", "8"),
            ("fraudulent_trades", "2"),
            ("sale_amount", "1,000"),
            ("purchase_amount", "900"),
        ],
        "later",
    )
    .await;
    save_section(
        &mut firm.reporter,
        "markets",
        &[("purchase_domestic", "900")],
        "later",
    )
    .await;
    save_section(
        &mut firm.reporter,
        "remediation",
        &[("check_police_notified", "planned")],
        "later",
    )
    .await;
    let page = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(status_of(&page, "figures"), "Completed");
    assert_eq!(status_of(&page, "markets"), "In progress");
    assert_eq!(status_of(&page, "remediation"), "Has problems");
    assert_eq!(status_of(&page, "losses"), "Not started");
    assert_eq!(status_of(&page, "trades"), "Not started");
    assert!(page.text("#tasks-done").contains("1 of 7"));
    // The same in Japanese, in words.
    firm.reporter.choose_language("ja").await;
    let ja = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(status_of(&ja, "figures"), "完了");
    assert_eq!(status_of(&ja, "markets"), "入力中");
    assert_eq!(status_of(&ja, "remediation"), "要修正");
    assert_eq!(status_of(&ja, "losses"), "未着手");
}

async fn a_hard_error_shows_on_the_section_after_save(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = [
        ("unauthorized_accesses", "3"),
        ("affected_accounts", "3"),
        ("fraudulent_trades", "7"),
        ("sale_amount", "5,000"),
        ("purchase_amount", "0"),
    ];
    let page = save_section(&mut firm.reporter, "figures", &typed, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.field_error("fraudulent_trades")
            .unwrap()
            .contains("cannot exceed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"#fraudulent_trades\""));
    assert_eq!(page.input_value("fraudulent_trades").as_deref(), Some("7"));
    // Saved all the same: the draft keeps it, and the section says so.
    let again = firm.reporter.get("/returns/2025-04/sections/figures").await;
    assert_eq!(again.input_value("fraudulent_trades").as_deref(), Some("7"));
    assert!(again.field_error("fraudulent_trades").is_some());
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(status_of(&tasks, "figures"), "Has problems");
    // "Save and come back later" goes to the task list whatever it holds.
    let later = save_section(&mut firm.reporter, "figures", &typed, "later").await;
    assert_eq!(later.location(), Some("/returns/2025-04?saved=1"));
}

async fn an_unusual_figure_asks_for_the_explanation_on_its_section(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = [
        ("unauthorized_accesses", "10"),
        ("affected_accounts", "12"),
        ("fraudulent_trades", "2"),
        ("sale_amount", "1,000"),
        ("purchase_amount", "900"),
    ];
    let page = save_section(&mut firm.reporter, "figures", &typed, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.text("#warnings").contains("Affected accounts"));
    // What blocks is the missing explanation; the warning has its own box.
    let summary = page.text("#error-summary");
    assert!(
        summary.contains("Explanation of unusual figures"),
        "{summary}"
    );
    assert!(!summary.contains("More affected accounts"), "{summary}");
    assert!(
        page.field_error("affected_accounts")
            .unwrap()
            .contains("explain")
    );
    assert!(
        page.field_error("warnings_explanation")
            .unwrap()
            .contains("Explain"),
        "the explanation field on the figures page"
    );
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(status_of(&tasks, "figures"), "Has problems");
    // Explained on the same page, the preparer moves on.
    let mut explained = typed.to_vec();
    explained.push((
        "warnings_explanation",
        "Accounts reached through an API key.",
    ));
    let page = save_section(&mut firm.reporter, "figures", &explained, "continue").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some("/returns/2025-04/sections/markets"));
    let narrative = firm
        .reporter
        .get("/returns/2025-04/sections/narrative")
        .await;
    assert_eq!(
        narrative.text("textarea#warnings_explanation"),
        "Accounts reached through an API key."
    );
    let tasks = firm.reporter.get("/returns/2025-04").await;
    assert_eq!(status_of(&tasks, "figures"), "Completed");
}

async fn hostile_values_come_back_with_a_message_beside_the_field(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let huge = "9".repeat(40);
    let typed = [
        ("unauthorized_accesses", huge.as_str()),
        ("affected_accounts", "-5"),
        ("fraudulent_trades", "0"),
        ("sale_amount", "0"),
        ("purchase_amount", "0"),
        ("not_a_field", "ignored"),
    ];
    let page = save_section(&mut firm.reporter, "figures", &typed, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(
        page.input_value("unauthorized_accesses"),
        Some(huge.clone())
    );
    assert!(
        page.field_error("unauthorized_accesses")
            .unwrap()
            .contains("too large")
    );
    assert_eq!(page.input_value("affected_accounts").as_deref(), Some("-5"));
    assert!(
        page.field_error("affected_accounts")
            .unwrap()
            .contains("negative")
    );
    // A 5,000-character paste into a field of 100: kept, with the message.
    let paste = "長".repeat(5000);
    let contact = [
        ("contact_name", paste.as_str()),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@alpha.example"),
    ];
    let page = save_section(&mut firm.reporter, "narrative", &contact, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(page.input_value("contact_name"), Some(paste.clone()));
    assert_eq!(
        page.field_error("contact_name").as_deref(),
        Some("The text is too long. (RET-E005)")
    );
    let html = page.html();
    let input = html
        .select(&scraper::Selector::parse("input#contact_name").unwrap())
        .next()
        .unwrap();
    assert_eq!(input.value().attr("maxlength"), Some("100"));
    assert_eq!(input.value().attr("aria-invalid"), Some("true"));
}

async fn the_whole_form_save_still_feeds_the_sections(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    prepare(
        &mut firm.reporter,
        "2025-04",
        &figures("10", "8", "2", "1,000", "900", "Passkeys."),
    )
    .await;
    let tasks = firm.reporter.get("/returns/2025-04").await;
    for (section, status) in statuses(&tasks) {
        let expected = if section == "trades" {
            "Not started"
        } else {
            "Completed"
        };
        assert_eq!(status, expected, "{section}");
    }
}

/// Values a page never offers (a policy, a status, a date in another
/// notation, a step that does not exist, a field sent twice) are named
/// beside their field or refused as a bad form, never a 500.
async fn values_no_page_offers_are_named_or_refused(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = [
        ("customer_losses", "0"),
        ("compensation_paid", "0"),
        ("accounts_compensated", "0"),
        ("compensation_policy", "most"),
        ("compensation_percent", "150"),
    ];
    let page = save_section(&mut firm.reporter, "losses", &typed, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(
        page.field_error("compensation_policy").as_deref(),
        Some("Choose one. (RET-E009)")
    );
    assert_eq!(
        page.field_error("compensation_percent").as_deref(),
        Some("Enter a whole percentage from 1 to 99. (RET-E010)")
    );
    assert_eq!(
        page.input_value("compensation_percent").as_deref(),
        Some("150")
    );
    let typed = [
        ("check_mfa_mandatory", "planned"),
        ("check_mfa_mandatory_date", "31/05/2025"),
    ];
    let page = save_section(&mut firm.reporter, "remediation", &typed, "continue").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(
        page.field_error("check_mfa_mandatory_date").as_deref(),
        Some("Enter a date as YYYY-MM-DD. (RET-E011)")
    );
    let page = save_section(
        &mut firm.reporter,
        "figures",
        &[("sale_amount", "1")],
        "onwards",
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    let twice = [("sale_amount", "1"), ("sale_amount", "2")];
    let page = save_section(&mut firm.reporter, "figures", &twice, "later").await;
    assert!(
        matches!(page.status, StatusCode::BAD_REQUEST | StatusCode::SEE_OTHER),
        "{}: {}",
        page.status,
        page.body
    );
}

on_both_backends!(
    a_section_save_keeps_the_other_sections,
    each_section_shows_its_status,
    a_hard_error_shows_on_the_section_after_save,
    an_unusual_figure_asks_for_the_explanation_on_its_section,
    hostile_values_come_back_with_a_message_beside_the_field,
    the_whole_form_save_still_feeds_the_sections,
    values_no_page_offers_are_named_or_refused,
);
