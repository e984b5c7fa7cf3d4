//! Second factors: TOTP codes once only, recovery codes, the TOTP policy,
//! step-up before credential changes, and the sessions page; TOTP secrets
//! sealed at rest, under a key file created owner-only and rotated.

use chrono::Duration;
use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, settings, users};
use incident_portal::services::totp;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

const ADMIN: &str = "admin@fsa.example";

async fn codes_are_single_use_and_checked(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser.sign_in(ADMIN, PASSWORD).await;
    let form = browser.get("/login/verify").await;
    assert!(form.body.contains("authenticator app"));
    // A wrong code: the form again, 422, still pending.
    let wrong = browser
        .submit_form(&form, "/login/verify/totp", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("not right"));
    assert_eq!(
        browser.get("/dashboard").await.location(),
        Some("/login/verify")
    );
    // The right code signs in, once.
    let code = app.next_code(ADMIN);
    let ok = browser
        .submit_form(&form, "/login/verify/totp", &[("code", &code)])
        .await;
    assert_eq!(ok.location(), Some("/"));
    // The same code, replayed in the same 30 s by someone else, fails.
    let mut attacker = app.browser();
    attacker.sign_in(ADMIN, PASSWORD).await;
    let form = attacker.get("/login/verify").await;
    let replay = attacker
        .submit_form(&form, "/login/verify/totp", &[("code", &code)])
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "replayed TOTP refused"
    );
    let mut conn = app.pool.get().unwrap();
    let failures: i64 = audit_events::table
        .filter(audit_events::action.eq("auth.second_factor_failed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(failures, 2);
}

async fn recovery_codes_work_once(app: TestApp) {
    let token = app.setup_token();
    let mut admin = app.browser();
    let form = admin.get(&format!("/setup/{token}")).await;
    admin
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                ("email", ADMIN),
                ("display_name", "A"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let codes = app.enrol_totp(&mut admin, ADMIN).await;
    let mut lost_phone = app.browser();
    lost_phone.sign_in(ADMIN, PASSWORD).await;
    let form = lost_phone.get("/login/verify").await;
    let lower = codes[0].to_lowercase();
    let ok = lost_phone
        .submit_form(&form, "/login/verify/recovery", &[("code", &lower)])
        .await;
    assert_eq!(
        ok.location(),
        Some("/"),
        "a recovery code, typed in lower case"
    );
    let mut again = app.browser();
    again.sign_in(ADMIN, PASSWORD).await;
    let form = again.get("/login/verify").await;
    let reused = again
        .submit_form(&form, "/login/verify/recovery", &[("code", &codes[0])])
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let next = again
        .submit_form(&form, "/login/verify/recovery", &[("code", &codes[1])])
        .await;
    assert_eq!(next.location(), Some("/"));
    let account = again.get("/account").await;
    assert!(
        account.body.contains("Unused recovery codes: 8"),
        "{}",
        account.body
    );
}

async fn staff_cannot_use_totp_by_default(app: TestApp) {
    {
        let mut conn = app.pool.get().unwrap();
        diesel::delete(settings::table.find("totp_staff"))
            .execute(&mut conn)
            .unwrap();
    }
    let token = app.setup_token();
    let mut admin = app.browser();
    let form = admin.get(&format!("/setup/{token}")).await;
    admin
        .submit_form(
            &form,
            &format!("/setup/{token}"),
            &[
                ("email", ADMIN),
                ("display_name", "A"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let page = admin.get("/account/enrol").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("not accepted for your account"));
    assert!(
        !page.body.contains("totp-secret"),
        "no TOTP key offered to staff"
    );
    let refused = admin
        .submit_form(&page, "/account/enrol/totp", &[("code", "123456")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.get("/dashboard").await.location(),
        Some("/account/enrol"),
        "not usable yet"
    );
}

async fn firms_lose_totp_after_the_policy_date(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _firm = app.firm_with_users(&mut admin, "Alpha").await;
    let yesterday = (app.clock.now() - Duration::days(1)).date().to_string();
    {
        let mut conn = app.pool.get().unwrap();
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq("totp_firms_until"),
                settings::value.eq(&yesterday),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let mut approver = app.browser();
    let page = approver.sign_in("approver@alpha.example", PASSWORD).await;
    assert_eq!(
        page.location(),
        Some("/account/enrol"),
        "TOTP no longer counts: enrol a passkey"
    );
    let page = approver.get("/account/enrol").await;
    assert!(page.body.contains("not accepted for your account"));
}

async fn changing_credentials_needs_a_recent_sign_in(app: TestApp) {
    let mut admin = app.setup_admin().await;
    assert_eq!(
        admin.get("/account/enrol").await.status,
        StatusCode::OK,
        "just signed in"
    );
    app.clock.advance(Duration::minutes(11));
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
    for path in ["/account/enrol", "/account/password"] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location()
                .unwrap()
                .starts_with("/account/reauth?next="),
            "{path}"
        );
    }
    let form = admin.get("/account/reauth?next=/account/enrol").await;
    let wrong = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", "wrong password!"), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = app.next_code(ADMIN);
    let ok = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(ok.location(), Some("/account/enrol"));
    assert_eq!(admin.get("/account/enrol").await.status, StatusCode::OK);
    // Never an open redirect.
    let form = admin
        .get("/account/reauth?next=https://evil.example/")
        .await;
    app.clock.advance(Duration::minutes(11));
    let code = app.next_code(ADMIN);
    let page = admin
        .submit_form(
            &form,
            "/account/reauth",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(page.location(), Some("/account"));
}

async fn sign_out_everywhere_else(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut laptop = app.browser();
    app.sign_in_fully(&mut laptop, ADMIN, PASSWORD).await;
    let page = admin.get("/account/sessions").await;
    assert_eq!(page.texts("tbody tr").len(), 2, "both sessions listed");
    assert!(page.body.contains("this session"));
    let done = admin
        .submit_form(&page, "/account/sessions/end-others", &[])
        .await;
    assert_eq!(done.location(), Some("/account/sessions"));
    assert_eq!(laptop.get("/dashboard").await.location(), Some("/login"));
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
    let page = admin.get("/account/sessions").await;
    assert_eq!(page.texts("tbody tr").len(), 1);
}

async fn pending_sign_ins_expire_quickly(app: TestApp) {
    let _admin = app.setup_admin().await;
    let mut browser = app.browser();
    browser.sign_in(ADMIN, PASSWORD).await;
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        browser.get("/login/verify").await.location(),
        Some("/login")
    );
}

#[test]
fn codes_follow_rfc_6238() {
    // RFC 6238 appendix B, SHA-1, 6 digits: T = 59 s gives 94287082 (8
    // digits), so the 6-digit code is 287082.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    let at = chrono::DateTime::from_timestamp(59, 0).unwrap().naive_utc();
    assert_eq!(totp::code_at(secret, at).unwrap(), "287082");
}

/// The admin's `users.totp_secret` as stored.
fn stored_secret(app: &TestApp) -> String {
    let mut conn = app.pool.get().unwrap();
    users::table
        .filter(users::email.eq(ADMIN))
        .select(users::totp_secret.assume_not_null())
        .first(&mut conn)
        .unwrap()
}

fn enrolled_secret(app: &TestApp) -> String {
    app.secrets.lock().unwrap().get(ADMIN).cloned().unwrap()
}

/// Runs the binary on the test's database and key file.
fn run_binary(app: &TestApp, command: &str) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .arg(command)
        .env("DATABASE_URL", app.database_url())
        .env("PORTAL_DATA_DIR", data.path())
        .env("PORTAL_SECRET_KEY_FILE", &app.key_file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let said = format!(
        "{}{}[{}]",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
    (out.status.success(), said)
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn totp_secrets_are_sealed_at_rest(app: TestApp) {
    // The test's key file did not exist before the portal started.
    assert_eq!(mode(&app.key_file), 0o600, "created owner-only");
    let _admin = app.setup_admin().await;
    let secret = enrolled_secret(&app);
    let stored = stored_secret(&app);
    assert_ne!(stored, secret);
    assert!(!stored.contains(&secret), "{stored}");
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    let mut browser = app.browser();
    app.sign_in_fully(&mut browser, ADMIN, PASSWORD).await;
}

async fn clear_secrets_are_sealed_at_start(app: TestApp) {
    let _admin = app.setup_admin().await;
    let secret = enrolled_secret(&app);
    let mut conn = app.pool.get().unwrap();
    diesel::update(users::table.filter(users::email.eq(ADMIN)))
        .set(users::totp_secret.eq(&secret))
        .execute(&mut conn)
        .unwrap();
    // A secret stored before sealing existed still signs in, and the next
    // start seals it.
    let mut browser = app.browser();
    app.sign_in_fully(&mut browser, ADMIN, PASSWORD).await;
    let (ok, said) = run_binary(&app, "migrate");
    assert!(ok, "{said}");
    let stored = stored_secret(&app);
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(&secret));
    let mut browser = app.browser();
    app.sign_in_fully(&mut browser, ADMIN, PASSWORD).await;
}

async fn a_missing_key_file_beside_sealed_secrets_stops_the_start(app: TestApp) {
    let _admin = app.setup_admin().await;
    assert!(stored_secret(&app).starts_with("sealed:v1:"));
    std::fs::remove_file(&app.key_file).unwrap();
    let (ok, said) = run_binary(&app, "migrate");
    assert!(!ok, "a new key cannot open what is sealed: {said}");
    assert!(said.contains("sealed under one"), "{said}");
    assert!(
        !app.key_file.exists(),
        "the key made for nothing is taken away, so the next start refuses too"
    );
}

async fn rotate_key_never_overwrites_a_leftover_old_key(app: TestApp) {
    let _admin = app.setup_admin().await;
    let before = stored_secret(&app);
    let mut old = app.key_file.as_os_str().to_owned();
    old.push(".old");
    let key = std::fs::read_to_string(&app.key_file).unwrap();
    std::fs::write(&old, &key).unwrap();
    let (ok, said) = run_binary(&app, "rotate-key");
    assert!(!ok, "{said}");
    assert!(said.contains("did not finish"), "{said}");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), key, ".old kept");
    assert_eq!(std::fs::read_to_string(&app.key_file).unwrap(), key);
    assert_eq!(stored_secret(&app), before, "nothing re-sealed");
}

async fn rotate_key_keeps_sign_in_working(app: TestApp) {
    let _admin = app.setup_admin().await;
    let before = stored_secret(&app);
    let key_before = std::fs::read_to_string(&app.key_file).unwrap();
    let (ok, said) = run_binary(&app, "rotate-key");
    assert!(ok, "{said}");
    assert!(said.contains("1 TOTP secrets re-sealed"), "{said}");
    let after = stored_secret(&app);
    assert_ne!(after, before, "new ciphertext");
    assert!(after.starts_with("sealed:v1:"));
    assert!(!after.contains(&enrolled_secret(&app)));
    assert_ne!(std::fs::read_to_string(&app.key_file).unwrap(), key_before);
    assert_eq!(mode(&app.key_file), 0o600);
    let old = format!("{}.old", app.key_file.display());
    assert!(
        !std::path::Path::new(&old).exists(),
        "no .old once committed"
    );
    // The running portal reads the new key file.
    let mut browser = app.browser();
    app.sign_in_fully(&mut browser, ADMIN, PASSWORD).await;
}

on_both_backends!(
    totp_secrets_are_sealed_at_rest,
    clear_secrets_are_sealed_at_start,
    rotate_key_keeps_sign_in_working,
    a_missing_key_file_beside_sealed_secrets_stops_the_start,
    rotate_key_never_overwrites_a_leftover_old_key,
    codes_are_single_use_and_checked,
    recovery_codes_work_once,
    staff_cannot_use_totp_by_default,
    firms_lose_totp_after_the_policy_date,
    changing_credentials_needs_a_recent_sign_in,
    sign_out_everywhere_else,
    pending_sign_ins_expire_quickly,
    admins_set_the_totp_policy,
);

/// The admin sets the policy in the UI; it takes effect at the next sign-in
/// and the change is audited.
async fn admins_set_the_totp_policy(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let page = admin.get("/admin/policy").await;
    assert_eq!(page.status, StatusCode::OK);
    let bad = admin
        .submit_form(
            &page,
            "/admin/policy",
            &[("staff_totp", "forbidden"), ("firms_until", "next spring")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.input_value("firms_until").as_deref(),
        Some("next spring")
    );
    let saved = admin
        .submit_form(
            &page,
            "/admin/policy",
            &[("staff_totp", "forbidden"), ("firms_until", "2026-03-31")],
        )
        .await;
    assert_eq!(saved.location(), Some("/admin/policy?saved=1"));
    let shown = admin.get("/admin/policy?saved=1").await;
    assert_eq!(
        shown.input_value("firms_until").as_deref(),
        Some("2026-03-31")
    );
    // The admin's own TOTP no longer counts: a passkey must be enrolled.
    let mut next = app.browser();
    let page = next.sign_in(ADMIN, PASSWORD).await;
    assert_eq!(page.location(), Some("/account/enrol"));
    let mut conn = app.pool.get().unwrap();
    let changed: i64 = audit_events::table
        .filter(audit_events::action.eq("policy.changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(changed, 1);
}
