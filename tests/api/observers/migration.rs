//! The observer role reaches the users table without losing anything: on
//! SQLite the table is rebuilt (its CHECK cannot change in place), so the
//! rows, the index, the other tables' references to it and the audit
//! trail's triggers must all be there after it, and the old CHECK's other
//! rules still hold.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use incident_portal::db::{self, Backend, DbConn};

use crate::helpers::fresh_database;

/// The observers migration's version (diesel names a migration by its digits).
const OURS: &str = "20261209000040";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut DbConn, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Reverts migrations until the observers' one is undone.
fn revert_ours(conn: &mut DbConn) {
    loop {
        let name = db::migrate::revert_last(conn).unwrap();
        if name.contains(OURS) {
            return;
        }
    }
}

const SEED: &[&str] = &[
    "INSERT INTO firms (id, name, registration_no, active, created_at, first_period, single_user_exempt) VALUES (7, 'Kept Securities', 'REG-7', TRUE, '2025-01-01 00:00:00', '2024-01', FALSE)",
    "INSERT INTO users (id, email, display_name, role, firm_id, password_hash, must_change_password, active, locale, created_at, updated_at, totp_secret) VALUES (41, 'kept@firm.example', 'Kept', 'approver', 7, 'hash', FALSE, TRUE, 'ja', '2025-01-01 00:00:00', '2025-01-02 00:00:00', 'sealed')",
    "INSERT INTO users (id, email, display_name, role, password_hash, must_change_password, active, locale, created_at, updated_at) VALUES (42, 'staff@fsa.example', 'Staff', 'analyst', NULL, FALSE, TRUE, 'en', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, authenticated_at, ip, user_agent, stage) VALUES ('h41', 41, 'c', '2025-01-01 00:00:00', '2025-01-01 00:00:00', '2025-01-01 00:00:00', '::1', 'ua', 'full')",
];

fn the_users_table_keeps_everything(backend: Backend) {
    let (url, _guard) = fresh_database(backend);
    let pool = db::connect_pool(&url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate::run_pending(&mut conn).unwrap();
    revert_ours(&mut conn);
    let observer = "INSERT INTO users (email, display_name, role, must_change_password, active, locale, created_at, updated_at) VALUES ('o@npa.example', 'O', 'observer', FALSE, TRUE, 'en', '2025-01-01 00:00:00', '2025-01-01 00:00:00')";
    assert!(
        diesel::sql_query(observer).execute(&mut conn).is_err(),
        "no observer role before"
    );
    for sql in SEED {
        diesel::sql_query(*sql).execute(&mut conn).unwrap();
    }
    db::migrate::run_pending(&mut conn).unwrap();
    let kept: Vec<Name> = diesel::sql_query(
        "SELECT email || ' ' || role || ' ' || locale || ' ' || COALESCE(totp_secret, '-') AS name FROM users ORDER BY id",
    )
    .load(&mut conn)
    .unwrap();
    let kept: Vec<String> = kept.into_iter().map(|n| n.name).collect();
    assert_eq!(
        kept,
        [
            "kept@firm.example approver ja sealed",
            "staff@fsa.example analyst en -"
        ]
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM sessions WHERE user_id = 41"
        ),
        1
    );
    diesel::sql_query(observer).execute(&mut conn).unwrap();
    // The other rules of the table still hold.
    let firm_observer = "INSERT INTO users (email, display_name, role, firm_id, must_change_password, active, locale, created_at, updated_at) VALUES ('x@npa.example', 'X', 'observer', 7, FALSE, TRUE, 'en', '2025-01-01 00:00:00', '2025-01-01 00:00:00')";
    assert!(
        diesel::sql_query(firm_observer).execute(&mut conn).is_err(),
        "an observer has no firm"
    );
    let duplicate = "INSERT INTO users (email, display_name, role, must_change_password, active, locale, created_at, updated_at) VALUES ('o@npa.example', 'O', 'analyst', FALSE, TRUE, 'en', '2025-01-01 00:00:00', '2025-01-01 00:00:00')";
    assert!(
        diesel::sql_query(duplicate).execute(&mut conn).is_err(),
        "emails stay unique"
    );
    let dangling = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, authenticated_at, ip, user_agent, stage) VALUES ('h99', 99999, 'c', '2025-01-01 00:00:00', '2025-01-01 00:00:00', '2025-01-01 00:00:00', '::1', 'ua', 'full')";
    assert!(
        diesel::sql_query(dangling).execute(&mut conn).is_err(),
        "sessions still reference users"
    );
    if let DbConn::Sqlite(_) = *conn {
        let index = "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'users_firm' AND tbl_name = 'users'";
        assert_eq!(count(&mut conn, index), 1, "the index is back");
        let triggers = "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'";
        assert_eq!(
            count(&mut conn, triggers),
            2,
            "the audit trail's triggers survive"
        );
        let references = "SELECT COUNT(*) AS n FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = 'users'";
        assert!(
            count(&mut conn, references) >= 20,
            "other tables still point at users"
        );
        let broken = "SELECT COUNT(*) AS n FROM pragma_foreign_key_check";
        assert_eq!(count(&mut conn, broken), 0);
        let users_new = "SELECT COUNT(*) AS n FROM sqlite_master WHERE sql LIKE '%users_new%'";
        assert_eq!(
            count(&mut conn, users_new),
            0,
            "no reference to the temporary name"
        );
    }
    // Down and up again: observers go, everything else stays.
    revert_ours(&mut conn);
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM users"), 2);
    db::migrate::run_pending(&mut conn).unwrap();
}

#[test]
fn the_users_table_keeps_everything_on_sqlite() {
    the_users_table_keeps_everything(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
fn the_users_table_keeps_everything_on_postgres() {
    the_users_table_keeps_everything(Backend::Postgres);
}
