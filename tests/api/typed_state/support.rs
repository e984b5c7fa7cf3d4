//! Fixtures of the typed-state tests: rows written through the typed
//! models, and a role corrupted past the CHECK.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::db::models::{NewFirm, NewUser, VersionDetails};
use incident_portal::db::schema::{firms, users};
use incident_portal::db::{Backend, DbConn, write_tx};
use incident_portal::domain::Role;
use incident_portal::domain::compensation::CompensationKind;

use crate::helpers::TestApp;

/// The same value, sent as a bound parameter and read back.
#[macro_export]
macro_rules! echo {
    ($conn:expr, $value:expr, $type:ty) => {
        diesel::select($value.into_sql::<Text>())
            .get_result::<$type>($conn)
            .unwrap()
    };
}

pub fn firm(conn: &mut DbConn, now: NaiveDateTime) -> i64 {
    diesel::insert_into(firms::table)
        .values(NewFirm {
            name: "Typed Securities",
            registration_no: "Kanto-999",
            lei: None,
            active: true,
            created_at: now,
            first_period: "2024-01",
        })
        .returning(firms::id)
        .get_result(conn)
        .unwrap()
}

pub fn user(conn: &mut DbConn, role: Role, firm_id: i64, now: NaiveDateTime) -> i64 {
    diesel::insert_into(users::table)
        .values(NewUser {
            email: &format!("{role}@typed.example"),
            display_name: role.as_str(),
            role,
            firm_id: role.is_firm().then_some(firm_id),
            password_hash: None,
            must_change_password: false,
            active: true,
            locale: "en",
            created_at: now,
            updated_at: now,
            password_changed_at: None,
        })
        .returning(users::id)
        .get_result(conn)
        .unwrap()
}

pub fn details(version_id: i64, compensation_policy: CompensationKind) -> VersionDetails {
    VersionDetails {
        version_id,
        purchase_domestic_jpy: 0,
        purchase_china_hk_jpy: 0,
        purchase_us_jpy: 0,
        purchase_other_jpy: 0,
        vector_phishing: 0,
        vector_credential_stuffing: 0,
        vector_malware: 0,
        vector_sim_swap: 0,
        vector_insider: 0,
        vector_unknown: 0,
        detected_customer: 0,
        detected_monitoring: 0,
        detected_other: 0,
        detected_other_text: String::new(),
        customer_losses_jpy: 0,
        compensation_paid_jpy: 0,
        accounts_compensated: 0,
        compensation_policy,
        compensation_percent: None,
        checklist: String::new(),
        contact_name: String::new(),
        contact_phone: String::new(),
        contact_email: String::new(),
        attested_by: None,
        warnings: String::new(),
        warnings_explanation: String::new(),
        four_eyes: String::new(),
    }
}

/// Writes `statement` with the CHECK on `users.role` out of the way, as a
/// corrupt database (or a hand edit) would have it. Through `write_tx`, so
/// what the portal keeps in memory is read again.
pub fn corrupt_role(app: &TestApp, user_id: i64) {
    let mut conn = app.pool.get().unwrap();
    let statement = format!("UPDATE users SET role = 'root' WHERE id = {user_id}");
    match app.backend {
        Backend::Sqlite => {
            diesel::sql_query("PRAGMA ignore_check_constraints = ON")
                .execute(&mut *conn)
                .unwrap();
            let written = write_tx(&mut conn, |c| diesel::sql_query(&statement).execute(c));
            diesel::sql_query("PRAGMA ignore_check_constraints = OFF")
                .execute(&mut *conn)
                .unwrap();
            assert_eq!(written.unwrap(), 1);
        }
        Backend::Postgres => {
            let written = write_tx(&mut conn, |c| {
                diesel::sql_query("ALTER TABLE users DROP CONSTRAINT users_role_check")
                    .execute(c)?;
                diesel::sql_query(&statement).execute(c)
            });
            assert_eq!(written.unwrap(), 1);
        }
    }
}
