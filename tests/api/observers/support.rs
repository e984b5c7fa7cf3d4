//! What the observer tests share: an observer invited by the admin and
//! signed in, a scope set through the admin's form, and returns filed with
//! contact details that must never reach an observer.

use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use incident_portal::services::{accounts, sessions};
use incident_portal::web::extract::SESSION_COOKIE;
use reqwest::StatusCode;

use crate::helpers::{Browser, Firm, PASSWORD, Page, TestApp, figures};

/// The contact typed in every return these tests file.
pub const CONTACT: [&str; 3] = [
    "Tanuki Kiyoshi",
    "+81 3-9876-0042",
    "leak-check@contact.example",
];

/// A complete return whose contact person is `CONTACT`.
pub fn with_contact(accesses: &str) -> Vec<(&'static str, String)> {
    figures(
        accesses,
        accesses,
        "2",
        "500000",
        "400000",
        "Passwords reset",
    )
    .into_iter()
    .map(|(k, v)| {
        let v = match k {
            "contact_name" => CONTACT[0],
            "contact_phone" => CONTACT[1],
            "contact_email" => CONTACT[2],
            _ => v,
        };
        (k, v.to_owned())
    })
    .collect()
}

/// Files a version of `period` for `firm` with `CONTACT`; its id.
pub async fn file(app: &TestApp, firm: &mut Firm, period: &str, accesses: &str) -> i64 {
    let typed = with_contact(accesses);
    let fields: Vec<(&'static str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::helpers::file(firm, period, &fields).await;
    let mut conn = app.pool.get().unwrap();
    use incident_portal::db::schema::return_versions;
    return_versions::table
        .filter(return_versions::firm_id.eq(firm.id))
        .filter(return_versions::period.eq(period))
        .order(return_versions::version_no.desc())
        .select(return_versions::id)
        .first(&mut conn)
        .unwrap()
}

/// The admin invites an observer on the users page; they accept the
/// invitation (choosing a password). Their id.
pub async fn invite(app: &TestApp, admin: &mut Browser, email: &str) -> i64 {
    app.add_user(admin, email, "observer", None).await;
    let link = app.link_in_email(email, "/invite/");
    let mut browser = app.browser();
    let form = browser.get(&link).await;
    let done = browser
        .submit_form(
            &form,
            &link,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(done.location(), Some("/account/enrol"), "{}", done.body);
    // An outside authority signs in with passkeys only, even where the
    // staff policy allows an authenticator app (as in this suite).
    let enrol = browser.get("/account/enrol").await;
    assert_eq!(enrol.status, StatusCode::OK);
    assert!(enrol.texts("#totp-secret").is_empty(), "no TOTP offered");
    let mut conn = app.pool.get().unwrap();
    accounts::find_user_by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

/// The observer signed in (their passkey ceremony is the passkey tests'
/// subject: here the session it ends in is made directly).
pub fn signed_in(app: &TestApp, user_id: i64) -> Browser {
    let mut conn = app.pool.get().unwrap();
    let issued = sessions::create(
        &mut conn,
        user_id,
        sessions::Stage::Full,
        "127.0.0.1",
        "test",
        app.clock.now(),
    )
    .unwrap();
    let mut browser = app.browser();
    browser
        .cookies
        .insert(SESSION_COOKIE.to_owned(), issued.token);
    browser
}

/// The scope form as the admin fills it in.
pub struct Scope<'a> {
    pub firms: &'a [i64],
    pub aggregates_only: bool,
    pub from: &'a str,
    pub to: &'a str,
    pub expires_on: &'a str,
}

/// Submits the scope form for observer `id` from a freshly opened page.
pub async fn set_scope(admin: &mut Browser, id: i64, scope: &Scope<'_>) -> Page {
    let path = format!("/admin/observers/{id}");
    let form = admin.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    submit_scope(admin, &form, id, scope).await
}

/// Submits the scope form shown on `form`.
pub async fn submit_scope(admin: &mut Browser, form: &Page, id: i64, scope: &Scope<'_>) -> Page {
    let firm_names: Vec<String> = scope.firms.iter().map(|f| format!("firm-{f}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("period_from", scope.from),
        ("period_to", scope.to),
        ("expires_on", scope.expires_on),
    ];
    if scope.aggregates_only {
        fields.push(("aggregates_only", "on"));
    }
    fields.extend(firm_names.iter().map(|n| (n.as_str(), "on")));
    admin
        .submit_form(form, &format!("/admin/observers/{id}"), &fields)
        .await
}

/// Audit events of `action` by user `actor`.
pub fn audited(app: &TestApp, action: &str, actor: i64) -> Vec<(String, String, String)> {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq(action))
        .filter(audit_events::actor_user_id.eq(actor))
        .order(audit_events::id)
        .select((
            audit_events::object_type,
            audit_events::object_id,
            audit_events::detail,
        ))
        .load(&mut conn)
        .unwrap()
}
