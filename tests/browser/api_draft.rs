//! A draft filed by a firm's system through the API, then the approvers in
//! the browser: approver A registered the client, so the client's draft is
//! A's preparation: A's page says so and offers no way to submit (four
//! eyes); approver B, in a browser of their own, sees the figures as the
//! system put them and submits. In English at desk width and in Japanese
//! at 360 px.

use diesel::prelude::*;
use fantoccini::{Client, Locator};
use incident_portal::config::MailConfig;
use incident_portal::db::Backend;
use incident_portal::db::schema::return_versions;

use crate::api_clients::{Words as ClientWords, fits, sign_in as sign_in_to};
use crate::api_support::{TestKey, get_token, seed_firm_client};
use crate::helpers::TestApp;
use crate::support::{
    BoxError, Chromedriver, connect, drive, press, require_browser, sign_out, text, wait_for,
};

struct Words {
    client: &'static ClientWords,
    submit: &'static str,
    /// What the page tells an approver who prepared the return.
    preparer: &'static str,
}

static ENGLISH: Words = Words {
    client: &crate::api_clients::ENGLISH,
    submit: "Submit return",
    preparer: "You changed this return, so you are one of its preparers.",
};

static JAPANESE: Words = Words {
    client: &crate::api_clients::JAPANESE,
    submit: "報告を提出",
    preparer: "あなたはこの報告を変更したため作成者の一人です。",
};

/// The month the system files (the test clock stands in May 2025).
const PERIOD: &str = "2025-04";

fn document() -> serde_json::Value {
    let done = serde_json::json!({"status": "done"});
    serde_json::json!({
        "figures": {"unauthorized_accesses": 1422, "affected_accounts": 1300, "fraudulent_trades": 685,
                    "sale_amount": 5060000, "purchase_amount": 4480000},
        "purchase_by_market": {"domestic": 0, "china_hk": 4480000, "us": 0, "other": 0},
        "vectors": {"phishing": 1400, "credential_stuffing": 22, "malware": 0, "sim_swap": 0, "insider": 0, "unknown": 0},
        "detection": {"customer_enquiry": 600, "own_monitoring": 85, "other": 0},
        "losses": {"customer_losses": 0, "compensation_paid": 0, "accounts_compensated": 0,
                   "compensation_policy": "considering"},
        "remediation": {"checklist": {"mfa_mandatory": done, "passkeys_offered": done, "login_notifications": done,
                                      "trading_restrictions": done, "accounts_frozen": done, "passwords_reset": done,
                                      "takedown_requested": done, "police_notified": done, "customers_notified": done},
                        "narrative": "Passkeys offered to every customer."},
        "contact": {"name": "Kei Sato", "phone": "+81 3-1234-5678", "email": "kei@firm.example"}
    })
}

#[actix_web::test]
#[cfg_attr(
    not(test_browser),
    ignore = "browser: set PORTAL_BROWSER_TESTS=1 (needs chromium and chromedriver)"
)]
async fn a_system_drafts_and_the_approver_who_did_not_register_it_submits() {
    require_browser();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.setup_admin().await;
    let base =
        crate::support::localhost_portal(&app, MailConfig::Memory(Default::default()), false);
    let axe = std::sync::Arc::new(crate::axe::source());
    for (tag, words) in [("Tokai", &ENGLISH), ("Kyushu", &JAPANESE)] {
        let firm = app
            .add_firm(
                &mut admin,
                &format!("{tag} Securities"),
                &format!("東海財務局長（金商）第{}号", tag.len() + 40),
            )
            .await;
        let (a, b) = (
            format!("a@{}.example", tag.to_lowercase()),
            format!("b@{}.example", tag.to_lowercase()),
        );
        for email in [&a, &b] {
            app.add_user(&mut admin, email, "approver", Some(firm))
                .await;
            app.first_sign_in(email).await;
        }
        // The firm's system: registered by A, confirmed by B.
        let now = app.clock.now();
        let (client_id, key) = seed_firm_client(&app.pool, now, firm, TestKey::es256());
        let token = get_token(&base, now, &client_id, &key, None).await;
        let put = reqwest::Client::new()
            .put(format!("{base}/api/v1/returns/{PERIOD}/draft"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("{tag}-1"))
            .header("Content-Type", "application/json")
            .body(document().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), reqwest::StatusCode::OK);

        for (who, submits) in [(&a, false), (&b, true)] {
            let code = app.next_code(who);
            let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
            let driver = Chromedriver::start().await;
            let client = connect(&driver.url, profile.path(), words.client.accept).await;
            let session = client.clone();
            let (base, who, axe) = (base.clone(), who.clone(), axe.clone());
            drive(
                &client,
                std::time::Duration::from_secs(120),
                "api-draft-failure.png",
                async move {
                    sign_in_to(&session, &base, &who, &code, words.client).await?;
                    approve(&session, &base, &axe, words, submits).await
                },
            )
            .await;
            drop(driver);
        }
        let mut conn = app.pool.get().unwrap();
        let filed: i64 = return_versions::table
            .filter(return_versions::firm_id.eq(firm))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(filed, 1, "{tag}: B filed it, A could not");
    }
}

/// The approver's page of the month: the figures as the system put them;
/// for the preparer, why they cannot submit and no form; for the other
/// approver, the attestation ticked by its label and the submit button
/// pressed by its text.
async fn approve(
    client: &Client,
    base: &str,
    axe: &str,
    words: &Words,
    submits: bool,
) -> Result<(), BoxError> {
    client
        .goto(&format!("{base}/returns/{PERIOD}/approve"))
        .await?;
    wait_for(client, "#standing").await?;
    let page = text(client, "main").await?;
    for shown in ["1422", "1300", "685"] {
        if !page.contains(shown) {
            return Err(format!("the page does not show {shown}").into());
        }
    }
    fits(client, axe, "the approver's page").await?;
    if !submits {
        let standing = text(client, "#standing").await?;
        if !standing.contains(words.preparer) {
            return Err(format!("expected the preparer's note, got {standing:?}").into());
        }
        if client.find(Locator::Id("approval")).await.is_ok() {
            return Err("the preparer is offered the submit form".into());
        }
        return sign_out(client).await;
    }
    client
        .find(Locator::Css(r#"label[for="attestation"]"#))
        .await?
        .click()
        .await?;
    press(client, words.submit, "main").await?;
    let url = client.current_url().await?;
    if url.path().ends_with("/approve") {
        return Err(format!("not submitted: {}", text(client, "main").await?).into());
    }
    sign_out(client).await
}
