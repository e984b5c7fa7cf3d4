//! Typed state: every stored enum round-trips through its real column on
//! both backends, the CHECK constraints refuse values no enum names, and a
//! value that got past them anyway (a corrupt database) is an error — a
//! signed-in user whose role does not parse gets a 500, not a reporter's
//! pages.

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Text};
use incident_portal::db::models::{NewSession, NewVersionRow, User};
use incident_portal::db::schema::{
    audit_events, publications, return_versions, returns, sessions, users, version_details,
};
use incident_portal::db::{Backend, write_tx};
use incident_portal::domain::compensation::CompensationKind;
use incident_portal::domain::{PublicationStatus, ReturnState, ReviewOutcome, Role, VersionStatus};
use incident_portal::services::Actor;
use incident_portal::services::audit::{self, Action, Event};
use incident_portal::services::policy::{self, Policy, StaffTotp};
use incident_portal::services::sessions::Stage;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::{echo, on_both_backends};
use support::{corrupt_role, details, firm, user};

pub mod support;

on_both_backends!(
    every_enum_round_trips_through_its_column,
    check_constraints_refuse_values_no_enum_names,
    a_stored_value_that_does_not_parse_is_an_error,
    a_user_whose_role_does_not_parse_gets_a_500_not_a_reporters_pages,
);

async fn every_enum_round_trips_through_its_column(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let conn = &mut *conn;
    let now = app.clock.now();
    let firm_id = firm(conn, now);

    let mut user_ids = Vec::new();
    for &role in Role::ALL {
        let id = user(conn, role, firm_id, now);
        let stored: Role = users::table
            .find(id)
            .select(users::role)
            .first(conn)
            .unwrap();
        assert_eq!(stored, role);
        assert_eq!(echo!(conn, role, Role), role);
        user_ids.push(id);
    }

    for (i, &stage) in Stage::ALL.iter().enumerate() {
        let id: i64 = diesel::insert_into(sessions::table)
            .values(NewSession {
                token_hash: &format!("hash-{i}"),
                user_id: user_ids[0],
                csrf_token: "csrf",
                created_at: now,
                last_seen_at: now,
                authenticated_at: now,
                ip: "127.0.0.1",
                user_agent: "test",
                stage,
                second_factor_at: None,
            })
            .returning(sessions::id)
            .get_result(conn)
            .unwrap();
        let stored: Stage = sessions::table
            .find(id)
            .select(sessions::stage)
            .first(conn)
            .unwrap();
        assert_eq!(stored, stage);
    }

    let mut return_ids = Vec::new();
    for (i, &state) in ReturnState::ALL.iter().enumerate() {
        let id: i64 = diesel::insert_into(returns::table)
            .values((
                returns::firm_id.eq(firm_id),
                returns::period.eq(format!("2025-0{}", i + 1)),
                returns::state.eq(state),
                returns::current_version.eq(0),
                returns::created_at.eq(now),
                returns::updated_at.eq(now),
            ))
            .returning(returns::id)
            .get_result(conn)
            .unwrap();
        let stored: ReturnState = returns::table
            .find(id)
            .select(returns::state)
            .first(conn)
            .unwrap();
        assert_eq!(stored, state);
        return_ids.push(id);
    }

    let due = NaiveDate::from_ymd_opt(2025, 2, 10).unwrap();
    for (i, &status) in VersionStatus::ALL.iter().enumerate() {
        let receipt = format!("R-TYPED-{i}");
        let version_no = i32::try_from(i).unwrap() + 1;
        let id: i64 = diesel::insert_into(return_versions::table)
            .values(NewVersionRow {
                return_id: return_ids[0],
                firm_id,
                period: "2025-01",
                version_no,
                receipt_no: &receipt,
                idempotency_key: None,
                source: "portal",
                status,
                is_nil: true,
                unauthorized_accesses: 0,
                affected_accounts: 0,
                fraudulent_trades: 0,
                sale_amount_jpy: 0,
                purchase_amount_jpy: 0,
                remediation: "",
                submitted_at: now,
                submitted_by: None,
                due_date: due,
                on_time: true,
            })
            .returning(return_versions::id)
            .get_result(conn)
            .unwrap();
        let stored: VersionStatus = return_versions::table
            .find(id)
            .select(return_versions::status)
            .first(conn)
            .unwrap();
        assert_eq!(stored, status);
        let kind = CompensationKind::ALL[i % CompensationKind::ALL.len()];
        diesel::insert_into(version_details::table)
            .values(details(id, kind))
            .execute(conn)
            .unwrap();
        let stored: CompensationKind = version_details::table
            .find(id)
            .select(version_details::compensation_policy)
            .first(conn)
            .unwrap();
        assert_eq!(stored, kind);
    }
    assert_eq!(VersionStatus::ALL.len(), CompensationKind::ALL.len());

    for &outcome in ReviewOutcome::ALL {
        assert_eq!(echo!(conn, outcome, ReviewOutcome), outcome);
    }

    for &status in PublicationStatus::ALL {
        let id: i64 = diesel::insert_into(publications::table)
            .values((
                publications::title.eq(status.as_str()),
                publications::cutoff_at.eq(now),
                publications::period_from.eq("2025-01"),
                publications::period_to.eq("2025-03"),
                publications::footnotes.eq(""),
                publications::p_percent.eq(10),
                publications::status.eq(status),
                publications::created_at.eq(now),
            ))
            .returning(publications::id)
            .get_result(conn)
            .unwrap();
        let stored: PublicationStatus = publications::table
            .find(id)
            .select(publications::status)
            .first(conn)
            .unwrap();
        assert_eq!(stored, status);
    }

    let actor = Actor::system("typed-state");
    write_tx(conn, |conn| {
        for &action in Action::ALL {
            audit::record(
                conn,
                now,
                &actor,
                Event {
                    action,
                    object_type: "typed-state",
                    object_id: "1",
                    detail: "",
                },
            )?;
        }
        Ok::<_, Error>(())
    })
    .unwrap();
    let stored: Vec<Action> = audit_events::table
        .filter(audit_events::object_type.eq("typed-state"))
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(conn)
        .unwrap();
    assert_eq!(stored, Action::ALL);

    for &staff in StaffTotp::ALL {
        let until = NaiveDate::from_ymd_opt(2026, 3, 31);
        let wanted = Policy {
            staff_totp: staff == StaffTotp::Allowed,
            firms_until: until,
        };
        policy::save(conn, &actor, &wanted, now).unwrap();
        assert_eq!(policy::current(conn).unwrap(), wanted);
        assert_eq!(echo!(conn, staff, StaffTotp), staff);
    }
}

fn is_check_violation(result: QueryResult<usize>, what: &str) {
    match result {
        Err(Error::DatabaseError(DatabaseErrorKind::CheckViolation, _)) => {}
        other => panic!("{what}: expected a CHECK violation, got {other:?}"),
    }
}

async fn check_constraints_refuse_values_no_enum_names(app: TestApp) {
    let mut conn = app.pool.get().unwrap();
    let conn = &mut *conn;
    let now = app.clock.now();
    let firm_id = firm(conn, now);
    let user_id = user(conn, Role::Approver, firm_id, now);
    let actor = Actor::system("typed-state");
    policy::save(
        conn,
        &actor,
        &Policy {
            staff_totp: false,
            firms_until: None,
        },
        now,
    )
    .unwrap();

    // Straight into the database, past the enums.
    let ts = "'2025-05-20 10:00:00'";
    let refused = [
        (
            "users.role",
            format!(
                "INSERT INTO users (email, display_name, role, firm_id, must_change_password, \
                 active, locale, created_at, updated_at) VALUES ('root@typed.example', 'Root', \
                 'root', NULL, false, true, 'en', {ts}, {ts})"
            ),
        ),
        (
            "users.role (update)",
            format!("UPDATE users SET role = 'Reporter' WHERE id = {user_id}"),
        ),
        (
            "sessions.stage",
            format!(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, \
                 authenticated_at, ip, user_agent, stage) VALUES ('h', {user_id}, 'c', {ts}, {ts}, \
                 {ts}, 'ip', 'ua', 'half')"
            ),
        ),
        (
            "returns.state",
            format!(
                "INSERT INTO returns (firm_id, period, state, current_version, created_at, \
                 updated_at) VALUES ({firm_id}, '2025-01', 'lost', 0, {ts}, {ts})"
            ),
        ),
        (
            "publications.status",
            format!(
                "INSERT INTO publications (title, cutoff_at, period_from, period_to, footnotes, \
                 p_percent, status, created_at) VALUES ('t', {ts}, '2025-01', '2025-03', '', 10, \
                 'withdrawn', {ts})"
            ),
        ),
        (
            "settings totp_staff",
            "UPDATE settings SET value = 'maybe' WHERE key = 'totp_staff'".to_owned(),
        ),
        (
            "settings totp_firms_until",
            "UPDATE settings SET value = 'next spring' WHERE key = 'totp_firms_until'".to_owned(),
        ),
    ];
    for (what, statement) in refused {
        is_check_violation(diesel::sql_query(statement).execute(conn), what);
    }
    // return_versions.status: an existing version may not take a stranger.
    diesel::sql_query(format!(
        "INSERT INTO returns (firm_id, period, state, current_version, created_at, updated_at) \
         VALUES ({firm_id}, '2025-02', 'submitted', 1, {ts}, {ts})"
    ))
    .execute(conn)
    .unwrap();
    let return_id: i64 = returns::table.select(returns::id).first(conn).unwrap();
    diesel::sql_query(format!(
        "INSERT INTO return_versions (return_id, firm_id, period, version_no, receipt_no, source, \
         status, is_nil, unauthorized_accesses, affected_accounts, fraudulent_trades, \
         sale_amount_jpy, purchase_amount_jpy, remediation, submitted_at, due_date, on_time) \
         VALUES ({return_id}, {firm_id}, '2025-02', 1, 'R-1', 'portal', 'submitted', true, 0, 0, \
         0, 0, 0, '', {ts}, '2025-03-10', true)"
    ))
    .execute(conn)
    .unwrap();
    is_check_violation(
        diesel::sql_query("UPDATE return_versions SET status = 'pending'").execute(conn),
        "return_versions.status",
    );
    let version_id: i64 = return_versions::table
        .select(return_versions::id)
        .first(conn)
        .unwrap();
    diesel::insert_into(version_details::table)
        .values(details(version_id, CompensationKind::Full))
        .execute(conn)
        .unwrap();
    is_check_violation(
        diesel::sql_query("UPDATE version_details SET compensation_policy = 'none'").execute(conn),
        "version_details.compensation_policy",
    );

    // The constraints are in the catalog under the names the migration gave.
    let constraints: i64 = match app.backend {
        Backend::Postgres => diesel::select(sql::<BigInt>(
            "(SELECT COUNT(*) FROM pg_constraint WHERE contype = 'c' AND conname IN \
             ('users_role_check', 'sessions_stage_known', 'returns_state_known', \
             'return_versions_status_known', 'publications_status_known', \
             'version_details_compensation_policy_known', 'settings_totp_staff_known', 'settings_totp_firms_until_known'))",
        ))
        .get_result(conn)
        .unwrap(),
        Backend::Sqlite => diesel::select(sql::<BigInt>(
            "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND (\
             (name = 'users' AND sql LIKE '%CHECK (role IN%') OR \
             (name = 'sessions' AND sql LIKE '%CHECK (stage IN%') OR \
             (name = 'returns' AND sql LIKE '%CHECK (state IN%') OR \
             (name = 'return_versions' AND sql LIKE '%CHECK (status IN%') OR \
             (name = 'publications' AND sql LIKE '%CHECK (status IN%') OR \
             (name = 'version_details' AND sql LIKE '%CHECK (compensation_policy IN%') OR \
             (name = 'settings' AND sql LIKE '%totp_staff%' AND sql LIKE '%totp_firms_until%')))",
        ))
        .get_result(conn)
        .unwrap(),
    };
    let expected = match app.backend {
        Backend::Postgres => 8,
        Backend::Sqlite => 7,
    };
    assert_eq!(constraints, expected);
}

async fn a_stored_value_that_does_not_parse_is_an_error(app: TestApp) {
    let now = app.clock.now();
    let user_id = {
        let mut conn = app.pool.get().unwrap();
        let firm_id = firm(&mut conn, now);
        // Staff, so the stranger also passes the firm-or-staff CHECK.
        user(&mut conn, Role::Analyst, firm_id, now)
    };
    corrupt_role(&app, user_id);
    let mut conn = app.pool.get().unwrap();
    let raw: String = users::table
        .find(user_id)
        .select(sql::<Text>("role"))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(raw, "root", "the stranger is in the table");
    let read = users::table
        .find(user_id)
        .select(User::as_select())
        .first(&mut *conn);
    match read {
        Err(Error::DeserializationError(e)) => {
            let cause = std::error::Error::source(&*e).map(ToString::to_string);
            assert_eq!(
                cause.as_deref(),
                Some("\"root\" is not a known Role"),
                "{e}"
            );
        }
        Err(other) => panic!("expected a deserialization error, got {other:?}"),
        Ok(u) => panic!("read as {:?}", u.role),
    }
}

async fn a_user_whose_role_does_not_parse_gets_a_500_not_a_reporters_pages(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let before = admin.get("/admin/users").await;
    assert_eq!(before.status, StatusCode::OK);
    let admin_id: i64 = {
        let mut conn = app.pool.get().unwrap();
        users::table
            .filter(users::email.eq("admin@fsa.example"))
            .select(users::id)
            .first(&mut *conn)
            .unwrap()
    };
    corrupt_role(&app, admin_id);
    for path in ["/admin/users", "/returns"] {
        let page = admin.get(path).await;
        assert_eq!(
            page.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            page.body
        );
    }
}
