//! The authorization matrix: every route, visited as each kind of caller,
//! answers as this table says. A route missing from the table fails the
//! test, so no route is added without deciding who may call it.
//!
//! Codes: A = allowed (any answer but the four below), L = sent to the
//! sign-in page, F = 403 forbidden, N = 404 not found, U = 401 with a
//! bearer challenge (the API: no token, and a session cookie is none). (Signing out, and a
//! GET on the passkey sign-in POST route, also land on the sign-in page.) Columns: anonymous, reporter
//! (firm A), approver (firm A, which owns the objects), approver of firm B,
//! analyst, admin, observer (scoped to firm A's 2025-04; every route that
//! is not the observer's own denies them). Objects: firm A's version of
//! 2025-04, firm A's user, firm A's incident (sent) in a campaign, and the
//! observer.

use std::collections::BTreeMap;

use diesel::prelude::*;
use incident_portal::db::schema::return_versions;
use incident_portal::web::ROUTE_TABLE;
use reqwest::StatusCode;

use crate::helpers::{Browser, Page, TestApp, figures};
use crate::on_both_backends;

const MATRIX: &[(&str, &str, &str)] = &[
    ("get", "/healthz", "A A A A A A A"),
    ("get", "/readyz", "A A A A A A A"),
    ("get", "/static/portal.css", "A A A A A A A"),
    ("get", "/static/passkey.js", "A A A A A A A"),
    ("get", "/static/focus.js", "A A A A A A A"),
    ("get", "/", "L A A A A A A"),
    ("get", "/login", "A A A A A A A"),
    ("post", "/login", "A A A A A A A"),
    ("get", "/logout", "A A A A A A A"),
    ("get", "/language", "A A A A A A A"),
    ("post", "/language", "A A A A A A A"),
    ("get", "/invite/{token}", "N N N N N N N"),
    ("post", "/invite/{token}", "N N N N N N N"),
    ("get", "/password/forgot", "A A A A A A A"),
    ("post", "/password/forgot", "A A A A A A A"),
    ("get", "/password/reset/{token}", "N N N N N N N"),
    ("post", "/password/reset/{token}", "N N N N N N N"),
    ("get", "/setup/{token}", "N N N N N N N"),
    ("post", "/setup/{token}", "N N N N N N N"),
    ("get", "/login/verify", "L A A A A A A"),
    ("post", "/login/verify/totp", "L A A A A A A"),
    ("post", "/login/verify/recovery", "L A A A A A A"),
    ("post", "/login/verify/passkey/options", "L A A A A A A"),
    ("post", "/login/verify/passkey", "L A A A A A A"),
    ("get", "/login/verify/passkey", "A A A A A A A"),
    ("post", "/login/passkey/options", "A A A A A A A"),
    ("post", "/login/passkey", "A A A A A A A"),
    ("get", "/login/passkey", "L L L L L L L"),
    ("get", "/account", "L A A A A A A"),
    ("post", "/account/recovery-codes", "L A A A A A A"),
    ("get", "/account/enrol", "L A A A A A A"),
    // An observer may enrol passkeys only: the authenticator app is refused.
    ("post", "/account/enrol/totp", "L A A A A A F"),
    ("get", "/account/reauth", "L A A A A A A"),
    ("post", "/account/reauth", "L A A A A A A"),
    ("post", "/account/reauth/passkey/options", "L A A A A A A"),
    ("post", "/account/reauth/passkey", "L A A A A A A"),
    ("get", "/account/reauth/passkey", "A A A A A A A"),
    ("get", "/account/passkeys", "L A A A A A A"),
    (
        "post",
        "/account/passkeys/register/options",
        "L A A A A A A",
    ),
    ("post", "/account/passkeys/register", "L A A A A A A"),
    ("post", "/account/passkeys/{id}/rename", "L A A A A A A"),
    ("post", "/account/passkeys/{id}/remove", "L N N N N N N"),
    ("get", "/account/passkeys/register", "A A A A A A A"),
    ("get", "/account/passkeys/{id}/rename", "A A A A A A A"),
    ("get", "/account/passkeys/{id}/remove", "A A A A A A A"),
    ("get", "/account/sessions", "L A A A A A A"),
    ("post", "/account/sessions/end-others", "L A A A A A A"),
    ("get", "/account/password", "L A A A A A A"),
    ("post", "/account/password", "L A A A A A A"),
    ("get", "/returns", "L A A A F F F"),
    ("get", "/returns/{period}", "L A A A F F F"),
    ("post", "/returns/{period}/draft", "L A A A F F F"),
    ("post", "/returns/{period}/submit", "L F A A F F F"),
    ("post", "/returns/{period}/nil", "L A A A F F F"),
    ("get", "/returns/{period}/approve", "L A A A F F F"),
    ("get", "/returns/{period}/draft", "A A A A A A A"),
    ("get", "/returns/{period}/submit", "A A A A A A A"),
    ("get", "/returns/{period}/nil", "A A A A A A A"),
    ("post", "/returns/{period}/nil/explanation", "L A A A F F F"),
    ("get", "/returns/{period}/nil/explanation", "A A A A A A A"),
    (
        "get",
        "/returns/{period}/sections/{section}",
        "L A A A F F F",
    ),
    (
        "post",
        "/returns/{period}/sections/{section}",
        "L A A A F F F",
    ),
    ("get", "/returns/{period}/check", "L A A A F F F"),
    ("post", "/returns/{period}/ready", "L A A A F F F"),
    ("get", "/returns/{period}/ready", "A A A A A A A"),
    (
        "get",
        "/returns/{period}/versions/{version}",
        "L A A N F F F",
    ),
    ("get", "/returns/{period}/trades", "L A A A F F F"),
    ("post", "/returns/{period}/trades", "L A A A F F F"),
    (
        "post",
        "/returns/{period}/trades/use-figures",
        "L A A A F F F",
    ),
    ("post", "/returns/{period}/trades/remove", "L A A A F F F"),
    (
        "get",
        "/returns/{period}/trades/use-figures",
        "A A A A A A A",
    ),
    ("get", "/returns/{period}/trades/remove", "A A A A A A A"),
    (
        "get",
        "/returns/{period}/trades/template.csv",
        "L A A A F F F",
    ),
    ("get", "/dashboard", "L F F F A A F"),
    ("get", "/review", "L F F F A A F"),
    ("get", "/review/versions/{id}", "L F F F A A F"),
    ("get", "/review/firms/{id}", "L F F F A A F"),
    ("post", "/review/versions/{id}/accept", "L F F F A A F"),
    ("post", "/review/versions/{id}/return", "L F F F A A F"),
    ("get", "/review/versions/{id}/accept", "A A A A A A A"),
    ("get", "/review/versions/{id}/return", "A A A A A A A"),
    ("get", "/review/compare", "L F F F A A F"),
    ("get", "/returns/{period}/compare", "L A A A F F F"),
    ("get", "/review/board", "L F F F A A F"),
    ("get", "/review/completeness", "L F F F A A F"),
    ("get", "/review/queue", "L F F F A A F"),
    // Exporting is a right an admin grants; this analyst has none.
    ("get", "/review/exports/versions.csv", "L F F F F A F"),
    ("get", "/review/exports/trades.csv", "L F F F F A F"),
    // Firm Alpha's incident, sent, in a campaign.
    ("get", "/review/incidents", "L F F F A A F"),
    ("get", "/review/incidents/{id}", "L F F F A A F"),
    ("post", "/review/incidents/{id}/triage", "L F F F A A F"),
    ("post", "/review/incidents/{id}/messages", "L F F F A A F"),
    ("post", "/review/incidents/{id}/campaign", "L F F F A A F"),
    ("get", "/review/incidents/{id}/triage", "A A A A A A A"),
    ("get", "/review/incidents/{id}/messages", "A A A A A A A"),
    ("get", "/review/incidents/{id}/campaign", "A A A A A A A"),
    ("get", "/review/campaigns/{id}", "L F F F A A F"),
    ("post", "/incidents/{id}/messages", "L A A N F F F"),
    ("get", "/incidents/{id}/messages", "A A A A A A A"),
    ("get", "/rules", "A A A A A A A"),
    ("get", "/rules.json", "A A A A A A A"),
    ("get", "/statistics", "A A A A A A A"),
    ("get", "/statistics/revisions", "A A A A A A A"),
    ("get", "/statistics/revisions.csv", "A A A A A A A"),
    ("get", "/statistics/{id}", "N N N N N N N"),
    ("get", "/statistics/{id}/csv", "N N N N N N N"),
    ("get", "/statistics/{id}/csv/ja", "N N N N N N N"),
    ("get", "/statistics/catalog.json", "A A A A A A A"),
    ("get", "/statistics/{id}.json", "N N N N N N N"),
    ("get", "/statistics/{id}/csv-metadata.json", "N N N N N N N"),
    (
        "get",
        "/statistics/{id}/csv/ja-metadata.json",
        "N N N N N N N",
    ),
    ("get", "/admin/publications", "L F F F F A F"),
    ("post", "/admin/publications", "L F F F F A F"),
    ("get", "/admin/publications/{id}", "L F F F F N F"),
    ("post", "/admin/publications/{id}/override", "L F F F F N F"),
    ("post", "/admin/publications/{id}/release", "L F F F F N F"),
    ("post", "/admin/publications/{id}/schedule", "L F F F F N F"),
    (
        "post",
        "/admin/publications/{id}/unschedule",
        "L F F F F N F",
    ),
    ("get", "/admin/publications/{id}/override", "A A A A A A A"),
    ("get", "/admin/publications/{id}/release", "L F F F F N F"),
    ("get", "/admin/calendar", "L F F F F A F"),
    ("post", "/admin/calendar", "L F F F F A F"),
    ("get", "/admin/incident-deadlines", "L F F F F A F"),
    ("post", "/admin/incident-deadlines", "L F F F F A F"),
    ("get", "/admin/firms", "L F F F F A F"),
    ("post", "/admin/firms", "L F F F F A F"),
    ("get", "/admin/firms/{id}/first-period", "L F F F F N F"),
    ("post", "/admin/firms/{id}/first-period", "L F F F F N F"),
    ("post", "/admin/firms/{id}/exemption", "L F F F F N F"),
    ("get", "/admin/firms/{id}/exemption", "A A A A A A A"),
    ("get", "/admin/users", "L F F F F A F"),
    ("post", "/admin/users", "L F F F F A F"),
    ("get", "/firm/users", "L F A A F F F"),
    ("post", "/firm/users", "L F A A F F F"),
    ("post", "/users/{id}/active", "L F A N F A F"),
    ("get", "/admin/audit", "L F F F F A F"),
    ("get", "/admin/policy", "L F F F F A F"),
    ("post", "/admin/policy", "L F F F F A F"),
    ("post", "/api/v1/token", "A A A A A A A"),
    ("get", "/api/v1/whoami", "U U U U U U U"),
    ("get", "/firm/api-clients", "L F A A F F F"),
    ("post", "/firm/api-clients", "L F A A F F F"),
    ("get", "/admin/api-clients", "L F F F F A F"),
    ("post", "/admin/api-clients", "L F F F F A F"),
    ("get", "/api-clients/{id}", "L F N N F N F"),
    ("post", "/api-clients/{id}/confirm", "L F N N F N F"),
    ("post", "/api-clients/{id}/suspend", "L F N N F N F"),
    ("post", "/api-clients/{id}/keys", "L F N N F N F"),
    (
        "post",
        "/api-clients/{id}/keys/{key}/retire",
        "L F N N F N F",
    ),
    ("get", "/api-clients/{id}/confirm", "A A A A A A A"),
    ("get", "/api-clients/{id}/suspend", "A A A A A A A"),
    ("get", "/api-clients/{id}/keys", "A A A A A A A"),
    (
        "get",
        "/api-clients/{id}/keys/{key}/retire",
        "A A A A A A A",
    ),
    ("get", "/incidents", "L A A A F F F"),
    ("get", "/incidents/new", "L A A A F F F"),
    ("post", "/incidents/new", "L A A A F F F"),
    ("get", "/incidents/{id}", "L A A N F F F"),
    ("get", "/incidents/{id}/stages/{stage}", "L A A N F F F"),
    ("post", "/incidents/{id}/stages/{stage}", "L A A N F F F"),
    ("post", "/incidents/{id}/approve", "L A A N F F F"),
    ("get", "/incidents/{id}/approve", "A A A A A A A"),
    ("post", "/incidents/{id}/reclassify", "L F A N F F F"),
    ("get", "/incidents/{id}/reclassify", "A A A A A A A"),
    // supervision: observers (the observer's scope: firm Alpha, 2025-04).
    ("get", "/observer", "L F F F F F A"),
    ("get", "/observer/dashboard", "L F F F F F A"),
    ("get", "/observer/versions/{id}", "L F F F F F A"),
    ("get", "/admin/observers", "L F F F F A F"),
    ("get", "/admin/observers/{id}", "L F F F F A F"),
    ("post", "/admin/observers/{id}", "L F F F F A F"),
    ("get", "/admin/observer-views", "L F F F F A F"),
    // Review threads (the version is decided by now: refused on the page).
    ("post", "/review/versions/{id}/comments", "L F F F A A F"),
    (
        "post",
        "/review/versions/{id}/comments/send",
        "L F F F A A F",
    ),
    (
        "post",
        "/review/versions/{id}/comments/{comment}/resolve",
        "L F F F N N F",
    ),
    ("get", "/review/versions/{id}/comments", "A A A A A A A"),
    (
        "get",
        "/review/versions/{id}/comments/send",
        "A A A A A A A",
    ),
    (
        "get",
        "/review/versions/{id}/comments/{comment}/resolve",
        "A A A A A A A",
    ),
    (
        "post",
        "/returns/{period}/comments/{comment}/answer",
        "L N N N F F F",
    ),
    (
        "get",
        "/returns/{period}/comments/{comment}/answer",
        "A A A A A A A",
    ),
    // Retention: the setting, and a firm's legal hold.
    ("get", "/admin/retention", "L F F F F A F"),
    ("post", "/admin/retention", "L F F F F A F"),
    ("get", "/admin/firms/{id}/legal-hold", "L F F F F N F"),
    ("post", "/admin/firms/{id}/legal-hold", "L F F F F N F"),
    ("post", "/admin/firms/{id}/legal-hold/lift", "L F F F F N F"),
    ("get", "/admin/firms/{id}/legal-hold/lift", "A A A A A A A"),
    ("post", "/users/{id}/export-right", "L F F F F A F"),
    ("get", "/users/{id}/export-right", "A A A A A A A"),
    // Deadline extensions and timeliness: firm Alpha's open request for
    // 2025-05.
    ("get", "/returns/{period}/extension", "L A A A F F F"),
    ("post", "/returns/{period}/extension", "L F A A F F F"),
    ("get", "/review/extensions", "L F F F A A F"),
    ("get", "/review/extensions/{id}", "L F F F A A F"),
    ("post", "/review/extensions/{id}", "L F F F A A F"),
    ("get", "/review/timeliness", "L F F F A A F"),
    ("post", "/logout", "L L L L L L L"),
    // The filing API takes bearer tokens only: a session is no credential.
    ("get", "/api/v1/periods", "U U U U U U U"),
    ("get", "/api/v1/returns/{period}/draft", "U U U U U U U"),
    ("put", "/api/v1/returns/{period}/draft", "U U U U U U U"),
    (
        "put",
        "/api/v1/returns/{period}/draft/trades",
        "U U U U U U U",
    ),
    (
        "post",
        "/api/v1/returns/{period}/draft/ready",
        "U U U U U U U",
    ),
    ("post", "/api/v1/validate", "U U U U U U U"),
    ("get", "/api/v1/returns/{period}/versions", "U U U U U U U"),
    (
        "get",
        "/api/v1/returns/{period}/versions/{version}",
        "U U U U U U U",
    ),
    ("get", "/api/v1/summary", "U U U U U U U"),
    ("get", "/api/v1/completeness", "U U U U U U U"),
    ("get", "/api/v1/incidents", "U U U U U U U"),
    ("post", "/api/v1/incidents", "U U U U U U U"),
    ("get", "/api/v1/incidents/{id}", "U U U U U U U"),
    (
        "put",
        "/api/v1/incidents/{id}/stages/{stage}",
        "U U U U U U U",
    ),
    // The API's document and reference page: anyone may read them.
    ("get", "/api/v1/openapi.json", "A A A A A A A"),
    ("get", "/api/v1/reference", "A A A A A A A"),
];

const CALLERS: [&str; 7] = [
    "anonymous",
    "reporter",
    "approver",
    "other approver",
    "analyst",
    "admin",
    "observer",
];

fn outcome(page: &Page) -> char {
    match page.status {
        StatusCode::FORBIDDEN => 'F',
        StatusCode::NOT_FOUND => 'N',
        StatusCode::UNAUTHORIZED if page.header("www-authenticate").is_some() => 'U',
        StatusCode::SEE_OTHER if page.location() == Some("/login") => 'L',
        s => {
            assert!(!s.is_server_error(), "{s}: {}", page.body);
            'A'
        }
    }
}

#[test]
fn every_route_has_a_row() {
    let rows: Vec<(&str, &str)> = MATRIX.iter().map(|(m, p, _)| (*m, *p)).collect();
    let missing: Vec<_> = ROUTE_TABLE.iter().filter(|r| !rows.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes with no row in the authorization matrix: {missing:?}"
    );
    let stale: Vec<_> = rows.iter().filter(|r| !ROUTE_TABLE.contains(r)).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
}

/// Firm Alpha's approver asks for a later due date for 2025-05.
fn alpha_extension(app: &TestApp, firm_id: i64) -> i64 {
    use incident_portal::services::{Actor, accounts, extensions};
    let mut conn = app.pool.get().unwrap();
    let approver = accounts::find_user_by_email(&mut conn, "approver@alpha.example")
        .unwrap()
        .unwrap();
    let period = incident_portal::domain::period::Period::parse("2025-05").unwrap();
    extensions::request(
        &mut conn,
        &Actor::system("authz"),
        approver.id,
        firm_id,
        period,
        "2025-06-30",
        "Core system migration",
        app.clock.now(),
    )
    .unwrap()
    .unwrap()
    .id
}

async fn csrf_of(browser: &mut Browser, signed_in: bool) -> String {
    let page = browser
        .get(if signed_in { "/account" } else { "/login" })
        .await;
    page.input_value("csrf").unwrap_or_default()
}

async fn every_route_answers_each_caller_as_the_matrix_says(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let a_firm_id = a.id;
    let b = app.firm_with_users(&mut admin, "Bravo").await;
    app.invite(
        &mut a.approver,
        "/firm/users",
        "victim@alpha.example",
        "reporter",
        None,
    )
    .await;
    let _victim = app.first_sign_in("victim@alpha.example").await;
    let analyst = app.analyst(&mut admin).await;
    let filed = figures("9", "9", "3", "900", "800", "");
    crate::helpers::prepare(&mut a.reporter, "2025-04", &filed).await;
    let form = a.approver.get("/returns/2025-04/approve").await;
    a.approver
        .submit_form(
            &form,
            "/returns/2025-04/submit",
            &figures("9", "9", "3", "900", "800", ""),
        )
        .await;
    let version_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        return_versions::table
            .select(return_versions::id)
            .first(&mut conn)
            .unwrap()
    };
    let victim_id = {
        let mut conn = app.pool.get().unwrap();
        incident_portal::services::accounts::find_user_by_email(&mut conn, "victim@alpha.example")
            .unwrap()
            .unwrap()
            .id
    };
    let (incident_id, campaign_id) = crate::incidents::review::alpha_incident_in_a_campaign(&app);
    let extension_id = alpha_extension(&app, a_firm_id);
    let observer_id = crate::observers::support::invite(&app, &mut admin, "o@npa.example").await;
    let scope = crate::observers::support::Scope {
        firms: &[a_firm_id],
        aggregates_only: false,
        from: "2025-04",
        to: "2025-04",
        expires_on: "2025-12-31",
    };
    crate::observers::support::set_scope(&mut admin, observer_id, &scope).await;
    let observer = crate::observers::support::signed_in(&app, observer_id);
    let token = "Q".repeat(43);
    let mut callers = [
        app.browser(),
        a.reporter,
        a.approver,
        b.approver,
        analyst,
        admin,
        observer,
    ];
    let mut tokens = Vec::new();
    for (i, caller) in callers.iter_mut().enumerate() {
        tokens.push(csrf_of(caller, i > 0).await);
    }
    let mut wrong: BTreeMap<String, String> = BTreeMap::new();
    for (method, pattern, expected) in MATRIX {
        let path = pattern
            .replace("{period}", "2025-04")
            .replace("{version}", "1")
            .replace("{section}", "figures")
            .replace("{stage}", "initial")
            .replace("{token}", &token)
            .replace("{key}", "1")
            .replace("{comment}", "999999")
            .replace("{stage}", "initial")
            .replace(
                "{id}",
                &if pattern.starts_with("/users") {
                    victim_id.to_string()
                } else if pattern.starts_with("/admin/observers") {
                    observer_id.to_string()
                } else if pattern.starts_with("/observer/versions") {
                    version_id.to_string()
                } else if pattern.starts_with("/review/incidents")
                    || pattern.starts_with("/incidents")
                {
                    incident_id.to_string()
                } else if pattern.starts_with("/review/extensions") {
                    extension_id.to_string()
                } else if pattern.starts_with("/review/campaigns") {
                    campaign_id.to_string()
                } else if pattern.starts_with("/review/firms") {
                    a_firm_id.to_string()
                } else if pattern.starts_with("/review") {
                    version_id.to_string()
                } else {
                    "999999".to_owned()
                },
            );
        let expected: Vec<char> = expected
            .split(' ')
            .map(|c| c.chars().next().unwrap())
            .collect();
        for (i, caller) in callers.iter_mut().enumerate() {
            let page = match *method {
                "get" => caller.get(&path).await,
                "put" => caller.put(&path, &[("csrf", tokens[i].as_str())]).await,
                _ => caller.post(&path, &[("csrf", tokens[i].as_str())]).await,
            };
            let got = outcome(&page);
            if got != expected[i] {
                wrong.insert(
                    format!("{method} {pattern} as {}", CALLERS[i]),
                    format!("expected {} got {got} ({})", expected[i], page.status),
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization matrix mismatches:\n{wrong:#?}"
    );
}

on_both_backends!(every_route_answers_each_caller_as_the_matrix_says);
