//! The two migration folders stay in step, and every migration runs up and
//! down on each backend.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use incident_portal::db::{self, Backend, DbConn};

use crate::helpers::fresh_database;

fn names(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!(
        "{}/migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
    .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{backend}/{name}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(std::path::Path::new(&path).exists(), "{path}");
            }
        }
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn user_tables(conn: &mut DbConn) -> i64 {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'"
        }
        DbConn::Pg(_) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name != '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

fn up_down_up(backend: Backend) {
    let (url, _guard) = fresh_database(backend);
    let pool = db::connect_pool(&url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::migrate::run_pending(&mut conn).unwrap();
    assert_eq!(applied.len(), names("sqlite").len());
    assert!(user_tables(&mut conn) >= 13);
    let reverted = db::migrate::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(
        user_tables(&mut conn),
        0,
        "down.sql drops everything up.sql made"
    );
    let again = db::migrate::run_pending(&mut conn).unwrap();
    assert_eq!(again.len(), applied.len());
    drop(conn);
    drop(pool);
}

#[test]
fn migrations_run_up_and_down_on_sqlite() {
    up_down_up(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
fn migrations_run_up_and_down_on_postgres() {
    up_down_up(Backend::Postgres);
}

#[test]
fn audit_events_refuse_update_and_delete_on_sqlite() {
    append_only(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
fn audit_events_refuse_update_and_delete_on_postgres() {
    append_only(Backend::Postgres);
}

fn append_only(backend: Backend) {
    let (url, _guard) = fresh_database(backend);
    let pool = db::connect_pool(&url, 2).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate::run_pending(&mut conn).unwrap();
    let now = incident_portal::clock::Clock::system().now();
    incident_portal::services::accounts::issue_setup_token(&mut conn, now).unwrap();
    use incident_portal::db::schema::audit_events::dsl::*;
    let updated = diesel::update(audit_events)
        .set(detail.eq("rewritten"))
        .execute(&mut conn);
    assert!(updated.is_err(), "UPDATE refused");
    let deleted = diesel::delete(audit_events).execute(&mut conn);
    assert!(deleted.is_err(), "DELETE refused");
    let kept: i64 = audit_events.count().get_result(&mut conn).unwrap();
    assert_eq!(kept, 1);
}
