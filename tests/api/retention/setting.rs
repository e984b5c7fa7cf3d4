//! The admin's retention setting: nonsense refused beside the field with
//! what was typed kept; a good value saved and audited.

use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn the_setting_refuses_nonsense_beside_the_field_and_keeps_the_input(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/retention").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.input_value("retention_years").unwrap(), "5");
    let huge = "9".repeat(5000);
    for typed in ["0", "-3", "101", "five", "1.5", "", huge.as_str()] {
        let page = admin
            .submit_form(&form, "/admin/retention", &[("retention_years", typed)])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(page.field_error("retention_years").is_some(), "{typed}");
        assert_eq!(page.input_value("retention_years").unwrap(), typed);
    }
    let saved = admin
        .submit_form(&form, "/admin/retention", &[("retention_years", " 7 ")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = admin.get(saved.location().unwrap()).await;
    assert_eq!(page.input_value("retention_years").unwrap(), "7");
    assert!(page.body.contains("The retention is saved."));
    let mut conn = app.pool.get().unwrap();
    let details: Vec<String> = audit_events::table
        .filter(audit_events::action.eq("retention.changed"))
        .select(audit_events::detail)
        .load(&mut conn)
        .unwrap();
    assert_eq!(details, ["5 -> 7 years"]);
}

on_both_backends!(the_setting_refuses_nonsense_beside_the_field_and_keeps_the_input);
