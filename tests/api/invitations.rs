//! Invitations, disabling users, password reset.

use chrono::Duration;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;

async fn an_invitation_works_once_and_expires(app: TestApp) {
    let mut admin = app.setup_admin().await;
    app.add_user(&mut admin, "analyst@fsa.example", "analyst", None)
        .await;
    let (subject, body) = app.last_email_to("analyst@fsa.example");
    assert!(subject.contains("invit"), "{subject}");
    assert!(body.contains("First Admin"), "the inviter is named");
    // Not usable before it is accepted: no password yet.
    let mut early = app.browser();
    assert_eq!(
        early.sign_in("analyst@fsa.example", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let link = app.link_in_email("analyst@fsa.example", "/invite/");
    let mut analyst = app.first_sign_in("analyst@fsa.example").await;
    assert_eq!(analyst.get("/dashboard").await.status, StatusCode::OK);
    let used = app.browser().get(&link).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND, "single use");
    assert!(
        used.body.contains("id=\"link-used\"") && used.body.contains("has been used already"),
        "a used link says so: {}",
        used.body
    );
    assert!(
        used.body
            .contains("id=\"link-used-sign-in\" href=\"/login\""),
        "a used link offers sign-in"
    );
    let users = admin.get("/admin/users").await;
    assert!(users.body.contains("analyst@fsa.example"));

    app.add_user(&mut admin, "late@fsa.example", "analyst", None)
        .await;
    let link = app.link_in_email("late@fsa.example", "/invite/");
    app.clock.advance(Duration::hours(73));
    let mut reader = app.browser();
    reader.accept_language = Some("ja");
    let expired = reader.get(&link).await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND, "expired after 72 h");
    assert!(
        expired.body.contains("有効期限が切れています")
            && expired.body.contains("id=\"link-used-sign-in\""),
        "an expired link says so in the reader's language: {}",
        expired.body
    );
}

async fn a_weak_password_is_refused_at_invitation(app: TestApp) {
    let mut admin = app.setup_admin().await;
    app.add_user(&mut admin, "analyst@fsa.example", "analyst", None)
        .await;
    let link = app.link_in_email("analyst@fsa.example", "/invite/");
    let mut browser = app.browser();
    let form = browser.get(&link).await;
    let weak = browser
        .submit_form(
            &form,
            &link,
            &[
                ("password", "password1234"),
                ("password_confirm", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.field_error("password").unwrap().contains("common"));
    let long = "a long passphrase with spaces and 日本語 in it that goes on and on for more than sixty four characters";
    let ok = browser
        .submit_form(
            &form,
            &link,
            &[("password", long), ("password_confirm", long)],
        )
        .await;
    assert_eq!(
        ok.location(),
        Some("/account/enrol"),
        "long passphrases, any characters"
    );
}

async fn approvers_manage_their_own_firm_only(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut a = app.firm_with_users(&mut admin, "Alpha").await;
    let b = app.firm_with_users(&mut admin, "Bravo").await;
    // An approver invites into their own firm, whatever firm id is typed.
    app.invite(
        &mut a.approver,
        "/firm/users",
        "new@alpha.example",
        "reporter",
        Some(b.id),
    )
    .await;
    let mut newcomer = app.first_sign_in("new@alpha.example").await;
    let page = newcomer.get("/returns").await;
    assert!(
        page.body.contains("Alpha Securities"),
        "joined Alpha, not Bravo"
    );
    // But not regulator staff.
    let form = a.approver.get("/firm/users").await;
    let page = a
        .approver
        .submit_form(
            &form,
            "/firm/users",
            &[
                ("email", "spy@alpha.example"),
                ("display_name", "Spy"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("may not invite"));
    // The list shows Alpha's users only.
    let list = a.approver.get("/firm/users").await;
    assert!(list.body.contains("reporter@alpha.example"));
    assert!(!list.body.contains("bravo.example"));
    // Disabling a reporter ends their sessions at once.
    let id = user_id(&app, "new@alpha.example");
    let done = a
        .approver
        .submit_form(
            &list,
            &format!("/users/{id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(done.location(), Some("/firm/users"));
    assert_eq!(newcomer.get("/returns").await.location(), Some("/login"));
    let mut again = app.browser();
    assert_eq!(
        again.sign_in("new@alpha.example", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Another firm's user cannot be touched, nor oneself; reporters manage nobody.
    let bravo = user_id(&app, "reporter@bravo.example");
    let page = a
        .approver
        .submit_form(
            &list,
            &format!("/users/{bravo}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let me = user_id(&app, "approver@alpha.example");
    let page = a
        .approver
        .submit_form(
            &list,
            &format!("/users/{me}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert_eq!(
        a.reporter.get("/firm/users").await.status,
        StatusCode::FORBIDDEN
    );
    let form = a.reporter.get("/returns").await;
    let page = a
        .reporter
        .submit_form(
            &form,
            &format!("/users/{me}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    drop(b);
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    incident_portal::services::accounts::find_user_by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

async fn password_reset_never_skips_the_second_factor(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = app.browser().get("/password/forgot").await;
    let mut visitor = app.browser();
    let form2 = visitor.get("/password/forgot").await;
    drop(form);
    let unknown = visitor
        .submit_form(
            &form2,
            "/password/forgot",
            &[("email", "nobody@fsa.example")],
        )
        .await;
    let known = visitor
        .submit_form(
            &form2,
            "/password/forgot",
            &[("email", "admin@fsa.example")],
        )
        .await;
    assert_eq!(unknown.status, known.status);
    assert_eq!(
        unknown.text(".notice"),
        known.text(".notice"),
        "the same answer"
    );
    let link = app.link_in_email("admin@fsa.example", "/password/reset/");
    let page = visitor.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    let new_password = "a brand new passphrase 2025";
    let done = visitor
        .submit_form(
            &page,
            &link,
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(
        done.location(),
        Some("/login?reset=1"),
        "not signed in by the link"
    );
    assert_eq!(
        admin.get("/dashboard").await.location(),
        Some("/login"),
        "sessions ended"
    );
    assert_eq!(
        app.browser().get(&link).await.status,
        StatusCode::NOT_FOUND,
        "single use"
    );
    let (subject, _) = app.last_email_to("admin@fsa.example");
    assert!(
        subject.to_lowercase().contains("password"),
        "told by email: {subject}"
    );
    // The new password leads to the second factor, as always.
    let mut browser = app.browser();
    let page = browser.sign_in("admin@fsa.example", new_password).await;
    assert_eq!(page.location(), Some("/login/verify"));
    app.sign_in_fully(&mut admin, "admin@fsa.example", new_password)
        .await;

    // A link is good for 30 minutes.
    let form = visitor.get("/password/forgot").await;
    visitor
        .submit_form(&form, "/password/forgot", &[("email", "admin@fsa.example")])
        .await;
    let link = app.link_in_email("admin@fsa.example", "/password/reset/");
    app.clock.advance(Duration::minutes(31));
    assert_eq!(app.browser().get(&link).await.status, StatusCode::NOT_FOUND);
}

on_both_backends!(
    an_invitation_works_once_and_expires,
    a_weak_password_is_refused_at_invitation,
    approvers_manage_their_own_firm_only,
    password_reset_never_skips_the_second_factor,
    reset_requests_are_limited,
    a_placeholder_in_a_name_is_printed_literally,
);

/// Asking again and again sends a few links, then waits: no mail bombing,
/// and the same answer every time.
async fn reset_requests_are_limited(app: TestApp) {
    use diesel::prelude::*;
    use incident_portal::db::schema::email_outbox;
    let _admin = app.setup_admin().await;
    let mut visitor = app.browser();
    for _ in 0..6 {
        let form = visitor.get("/password/forgot").await;
        let page = visitor
            .submit_form(&form, "/password/forgot", &[("email", "admin@fsa.example")])
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("If that address belongs to an account"));
    }
    let mut conn = app.pool.get().unwrap();
    let sent: i64 = email_outbox::table
        .filter(email_outbox::to_addr.eq("admin@fsa.example"))
        .filter(email_outbox::subject.like("%assword%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(sent, 3, "three links, then a wait");
}

/// A display name that looks like a placeholder is printed as typed: the
/// message is filled in one pass, so the inviter's name `{firm}` is never
/// read again and replaced by the firm's name (nor the firm's by anything).
async fn a_placeholder_in_a_name_is_printed_literally(app: TestApp) {
    use diesel::prelude::*;
    use incident_portal::db::schema::users;

    let mut admin = app.setup_admin().await;
    let firm = app
        .add_firm(
            &mut admin,
            "Hokkaido {inviter} Securities",
            "北海道財務局長（金商）第7号",
        )
        .await;
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(users::table.filter(users::email.eq("admin@fsa.example")))
            .set(users::display_name.eq("{firm}"))
            .execute(&mut conn)
            .unwrap();
    }
    app.add_user(
        &mut admin,
        "reporter@hokkaido.example",
        "reporter",
        Some(firm),
    )
    .await;
    let (_, body) = app.last_email_to("reporter@hokkaido.example");
    assert!(
        body.contains("{firm} has invited you to report for Hokkaido {inviter} Securities"),
        "both values printed as typed: {body}"
    );
    let page = admin.get("/admin/users").await;
    assert!(
        page.body.contains("{firm}"),
        "the name as typed on the page"
    );
}
