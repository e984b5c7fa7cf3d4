//! Hostile values on the account, administration, sign-in and review forms
//! (over-long text, control characters, `{placeholder}` text, HTML, a role
//! that does not exist, missing fields): each comes back as the form with
//! what was typed and the message beside the field, or as a plain 4xx for
//! a control no one types into; never a 500, never a change.

use diesel::prelude::*;
use incident_portal::db::schema::{firms, users};
use incident_portal::domain::limits;
use reqwest::StatusCode;
use scraper::Selector;

use crate::helpers::{Browser, Page, TestApp, figures};
use crate::on_both_backends;
use crate::review::support::file;

fn user_count(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    users::table.count().get_result(&mut conn).unwrap()
}

/// The `maxlength` of the element `selector` on `page`.
fn maxlength(page: &Page, selector: &str) -> Option<String> {
    page.html()
        .select(&Selector::parse(selector).unwrap())
        .next()
        .and_then(|e| e.value().attr("maxlength").map(str::to_owned))
}

/// The selected option of the select `name`.
fn selected(page: &Page, name: &str) -> Option<String> {
    let selector = Selector::parse(&format!("select[name={name}] option[selected]")).unwrap();
    page.html()
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_owned))
}

fn refused(page: &Page, what: &str) {
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        page.body
    );
}

async fn the_invitation_form_keeps_what_was_typed(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm_id = app
        .add_firm(&mut admin, "Alpha", "関東財務局長（金商）第7号")
        .await;
    let before = user_count(&app);
    let form = admin.get("/admin/users").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        maxlength(&form, "input#email"),
        Some(limits::EMAIL.to_string())
    );
    assert_eq!(
        maxlength(&form, "input#display_name"),
        Some(limits::DISPLAY_NAME.to_string())
    );

    // A role that does not exist, a firm that is not a number, an address
    // far over its limit, HTML and placeholder text in the name.
    let long_email = format!("{}@firm.example", "a".repeat(limits::EMAIL));
    let name = "<b>{name}</b> {{firm}}";
    let page = admin
        .submit_form(
            &form,
            "/admin/users",
            &[
                ("email", &long_email),
                ("display_name", name),
                ("role", "superuser"),
                ("firm_id", "1 OR 1=1"),
            ],
        )
        .await;
    refused(&page, "hostile invitation");
    assert_eq!(
        page.field_error("email").as_deref(),
        Some("Enter a valid email address, such as name@example.co.jp.")
    );
    assert_eq!(page.field_error("role").as_deref(), Some("Choose a role."));
    assert_eq!(
        page.field_error("firm_id").as_deref(),
        Some("Choose the user's firm.")
    );
    assert_eq!(page.input_value("email").as_deref(), Some(&*long_email));
    assert_eq!(page.input_value("display_name").as_deref(), Some(name));
    assert!(!page.body.contains("<b>{name}"), "the HTML is escaped");

    // A control character in the name; nothing at all.
    let page = admin
        .submit_form(
            &form,
            "/admin/users",
            &[
                ("email", "new@alpha.example"),
                ("display_name", "Hana\u{7}ko"),
                ("role", "reporter"),
                ("firm_id", &firm_id.to_string()),
            ],
        )
        .await;
    refused(&page, "control character");
    assert_eq!(
        page.field_error("display_name").as_deref(),
        Some("The text contains characters that are not allowed.")
    );
    assert_eq!(
        page.input_value("email").as_deref(),
        Some("new@alpha.example")
    );
    assert_eq!(selected(&page, "role").as_deref(), Some("reporter"));
    assert_eq!(
        selected(&page, "firm_id").as_deref(),
        Some(&*firm_id.to_string())
    );
    let page = admin.submit_form(&form, "/admin/users", &[]).await;
    refused(&page, "missing fields");
    assert_eq!(page.field_error("email").as_deref(), Some("Enter a value."));
    assert_eq!(page.field_error("role").as_deref(), Some("Choose a role."));

    // An approver may not invite an admin, whatever the form says.
    let mut firm = app.firm_with_users(&mut admin, "Beta").await;
    let before_firm = user_count(&app);
    let form = firm.approver.get("/firm/users").await;
    let page = firm
        .approver
        .submit_form(
            &form,
            "/firm/users",
            &[
                ("email", "boss@beta.example"),
                ("display_name", "Boss"),
                ("role", "admin"),
            ],
        )
        .await;
    refused(&page, "an approver inviting an admin");
    assert!(page.field_error("role").is_some(), "{}", page.body);
    assert_eq!(user_count(&app), before_firm, "nobody was invited");
    assert_eq!(
        before + 2,
        before_firm,
        "only the firm's two users were added"
    );
}

async fn the_admin_forms_keep_what_was_typed(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let firm_id = app
        .add_firm(&mut admin, "Gamma", "関東財務局長（金商）第9号")
        .await;

    // The sign-in policy: a choice it does not offer, a date as HTML.
    let form = admin.get("/admin/policy").await;
    assert_eq!(
        maxlength(&form, "input#firms_until"),
        Some(limits::DATE.to_string())
    );
    let typed = "<script>{date}</script>";
    let page = admin
        .submit_form(
            &form,
            "/admin/policy",
            &[("staff_totp", "superuser"), ("firms_until", typed)],
        )
        .await;
    refused(&page, "hostile policy");
    assert_eq!(
        page.field_error("staff_totp").as_deref(),
        Some("This value is not accepted.")
    );
    assert_eq!(
        page.field_error("firms_until").as_deref(),
        Some("Enter a date as YYYY-MM-DD.")
    );
    assert_eq!(page.input_value("firms_until").as_deref(), Some(typed));
    assert!(!page.body.contains("<script>{date}"), "the HTML is escaped");
    let page = admin.submit_form(&form, "/admin/policy", &[]).await;
    refused(&page, "no staff choice");
    assert!(page.field_error("staff_totp").is_some());

    // A firm's first month: over-long, placeholder text, a month to come.
    let path = format!("/admin/firms/{firm_id}/first-period");
    let form = admin.get(&path).await;
    assert_eq!(
        maxlength(&form, "input#first_period"),
        Some(limits::PERIOD.to_string())
    );
    let before: String = {
        let mut conn = app.pool.get().unwrap();
        firms::table
            .find(firm_id)
            .select(firms::first_period)
            .first(&mut conn)
            .unwrap()
    };
    for typed in [
        "{period}",
        &"2025-04".repeat(300),
        "2999-01",
        "20\u{7}25-04",
    ] {
        let page = admin
            .submit_form(&form, &path, &[("first_period", typed)])
            .await;
        refused(&page, typed);
        assert!(
            page.field_error("first_period").is_some(),
            "{typed}: {}",
            page.body
        );
        assert_eq!(page.input_value("first_period").as_deref(), Some(typed));
    }
    let after: String = {
        let mut conn = app.pool.get().unwrap();
        firms::table
            .find(firm_id)
            .select(firms::first_period)
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(before, after, "nothing was changed");

    // The language switch is two buttons: anything else is a bad request.
    let page = admin.get("/account").await;
    for lang in ["superuser", "", "{lang}", "ja\u{0}"] {
        let answer = admin
            .submit_form(&page, "/language", &[("lang", lang)])
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{lang:?}");
    }
}

async fn the_sign_in_forms_keep_what_was_typed(app: TestApp) {
    let mut admin = app.setup_admin().await;
    drop(admin.get("/").await);
    let mut visitor = app.browser();
    let form = visitor.get("/login").await;

    // Longer than any address or password: the form, not a failed sign-in.
    let long_email = format!("{}@fsa.example", "{x}".repeat(100));
    let page = visitor
        .submit_form(
            &form,
            "/login",
            &[("email", &long_email), ("password", "x")],
        )
        .await;
    refused(&page, "over-long email");
    assert_eq!(
        page.field_error("email").as_deref(),
        Some("The text is too long.")
    );
    assert_eq!(page.input_value("email").as_deref(), Some(&*long_email));
    let long_password = "パスワード".repeat(limits::PASSWORD / 5 + 1);
    let page = visitor
        .submit_form(
            &form,
            "/login",
            &[("email", "admin@fsa.example"), ("password", &long_password)],
        )
        .await;
    refused(&page, "over-long password");
    assert_eq!(
        page.field_error("password").as_deref(),
        Some("The text is too long.")
    );
    assert_eq!(
        page.input_value("email").as_deref(),
        Some("admin@fsa.example")
    );
    // Not counted as failures: the right password still signs in at once.
    let mut again = app.browser();
    let signed = again
        .sign_in("admin@fsa.example", crate::helpers::PASSWORD)
        .await;
    assert_eq!(signed.location(), Some("/login/verify"), "{}", signed.body);

    // The second step: a code longer than any code, beside its field.
    let verify = again.get("/login/verify").await;
    assert_eq!(
        maxlength(&verify, "input#code"),
        Some(limits::ONE_TIME_CODE.to_string())
    );
    let page = again
        .submit_form(
            &verify,
            "/login/verify/recovery",
            &[("code", &"<b>1234</b>".repeat(10))],
        )
        .await;
    refused(&page, "over-long recovery code");
    assert_eq!(
        page.field_error("recovery-code").as_deref(),
        Some("The text is too long.")
    );
    let code = app.next_code("admin@fsa.example");
    let done = again
        .submit_form(&verify, "/login/verify/totp", &[("code", &code)])
        .await;
    assert_eq!(done.location(), Some("/"), "{}", done.body);

    // Step-up: an over-long password, beside its field.
    let reauth = again.get("/account/reauth").await;
    let page = again
        .submit_form(
            &reauth,
            "/account/reauth",
            &[("password", &long_password), ("code", "")],
        )
        .await;
    refused(&page, "over-long step-up password");
    assert_eq!(
        page.field_error("password").as_deref(),
        Some("The text is too long.")
    );

    // Forgotten password: what is no address at all comes back with its
    // message (whoever's it might be); a real one gets the usual answer.
    let mut visitor = app.browser();
    let form = visitor.get("/password/forgot").await;
    for typed in ["<i>{email}</i>", &long_email, "admin@fsa.example\u{7}"] {
        let page = visitor
            .submit_form(&form, "/password/forgot", &[("email", typed)])
            .await;
        refused(&page, typed);
        assert_eq!(
            page.field_error("email").as_deref(),
            Some("Enter a valid email address, such as name@example.co.jp."),
            "{typed:?}"
        );
        assert_eq!(page.input_value("email").as_deref(), Some(typed));
    }
    let page = visitor.submit_form(&form, "/password/forgot", &[]).await;
    refused(&page, "no address");
    assert!(page.field_error("email").is_some());
    let page = visitor
        .submit_form(
            &form,
            "/password/forgot",
            &[("email", "nobody@fsa.example")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
}

async fn the_return_reason_keeps_what_was_typed(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Delta").await;
    let mut analyst: Browser = app.analyst(&mut admin).await;
    let v = file(
        &app,
        &mut firm,
        "2025-04",
        &figures("10", "8", "3", "900", "800", "MFA"),
    )
    .await;
    let path = format!("/review/versions/{}", v.id);
    let page = analyst.get(&path).await;
    assert_eq!(
        maxlength(&page, "textarea#reason"),
        Some(limits::RETURN_REASON.to_string())
    );
    let long = "{reason}".repeat(limits::RETURN_REASON / 8) + "<b>";
    for (typed, message) in [
        (long.as_str(), "The text is too long."),
        (
            "Figures \u{1b}[31m wrong",
            "The text contains characters that are not allowed.",
        ),
        ("   ", "Enter a value."),
    ] {
        let shown = analyst
            .submit_form(&page, &format!("{path}/return"), &[("reason", typed)])
            .await;
        refused(&shown, message);
        assert_eq!(shown.field_error("reason").as_deref(), Some(message));
        // (The page's text is read trimmed.)
        assert_eq!(shown.text("textarea#reason"), typed.trim(), "kept as typed");
    }
    let shown = analyst
        .submit_form(&page, &format!("{path}/return"), &[])
        .await;
    refused(&shown, "no reason");
    // Nothing was decided.
    let v_after = crate::review::support::latest(&app, firm.id, "2025-04");
    assert_eq!(v_after.status, v.status);
    assert_eq!(v_after.reviewed_at, None);
}

/// The value of the input `#id` on `page`.
fn value_of(page: &Page, id: &str) -> Option<String> {
    page.html()
        .select(&Selector::parse(&format!("input#{id}")).unwrap())
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_owned))
}

async fn passkey_names_keep_what_was_typed(app: TestApp) {
    use crate::passkeys::support::{Portal, admin_with_passkey, register};

    let p = Portal::start(app).await;
    let (mut admin, _key) = admin_with_passkey(&p).await;
    let ids = p.passkey_ids();
    let page = admin.get("/account/passkeys").await;
    let field = format!("name-{}", ids[0]);
    assert_eq!(
        maxlength(&page, &format!("input#{field}")),
        Some(limits::PASSKEY_NAME.to_string())
    );
    assert_eq!(
        maxlength(&page, "input#passkey-name"),
        Some(limits::PASSKEY_NAME.to_string())
    );
    let rename = format!("/account/passkeys/{}/rename", ids[0]);
    let long = "鍵".repeat(limits::PASSKEY_NAME + 1);
    for (typed, message) in [
        (long.as_str(), "The text is too long."),
        (
            "<b>{name}</b>\tkey",
            "The text contains characters that are not allowed.",
        ),
        ("", "Enter a value."),
    ] {
        let shown = admin.submit_form(&page, &rename, &[("name", typed)]).await;
        refused(&shown, message);
        assert_eq!(
            shown.field_error(&field).as_deref(),
            Some(message),
            "{typed:?}"
        );
        assert_eq!(value_of(&shown, &field).as_deref(), Some(typed));
        assert_eq!(shown.texts(".passkey-name"), ["Passkey 1"], "unchanged");
    }
    // A new passkey's name is checked before the ceremony is finished.
    let (_device, refused_name) = register(&p, &mut admin, &page, &long).await;
    assert_eq!(
        refused_name.location(),
        Some("/account/passkeys?passkey=name"),
        "{}",
        refused_name.body
    );
    assert_eq!(p.passkey_ids(), ids, "no passkey added");
}

async fn the_first_code_keeps_its_field(app: TestApp) {
    let mut admin = app.setup_admin().await;
    app.add_user(&mut admin, "new@fsa.example", "analyst", None)
        .await;
    let link = app.link_in_email("new@fsa.example", "/invite/");
    let mut invitee = app.browser();
    let form = invitee.get(&link).await;
    let password = crate::helpers::PASSWORD;
    let done = invitee
        .submit_form(
            &form,
            &link,
            &[("password", password), ("password_confirm", password)],
        )
        .await;
    assert_eq!(done.location(), Some("/account/enrol"), "{}", done.body);
    let enrol = invitee.get("/account/enrol").await;
    assert_eq!(
        maxlength(&enrol, "input#code"),
        Some(limits::ONE_TIME_CODE.to_string())
    );
    let page = invitee
        .submit_form(
            &enrol,
            "/account/enrol/totp",
            &[("code", &"{code}".repeat(20))],
        )
        .await;
    refused(&page, "over-long code");
    assert_eq!(
        page.field_error("code").as_deref(),
        Some("The text is too long.")
    );
    // The enrolment still completes with a real code.
    app.enrol_totp(&mut invitee, "new@fsa.example").await;
}

on_both_backends!(
    passkey_names_keep_what_was_typed,
    the_first_code_keeps_its_field,
    the_invitation_form_keeps_what_was_typed,
    the_admin_forms_keep_what_was_typed,
    the_sign_in_forms_keep_what_was_typed,
    the_return_reason_keeps_what_was_typed,
);
