//! `incident-portal import-returns FILE.csv`: historical versions, all or
//! nothing.

use std::process::Command;

use diesel::prelude::*;
use incident_portal::db::schema::{audit_events, firms, return_versions};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

const HEADER: &str = "firm_registration_no,firm_name,period,submitted_at,unauthorized_accesses,affected_accounts,fraudulent_trades,sale_amount_jpy,purchase_amount_jpy";

fn run_import(app: &TestApp, csv: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.csv");
    std::fs::write(&file, csv).unwrap();
    Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .arg("import-returns")
        .arg(&file)
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn count_versions(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    return_versions::table
        .count()
        .get_result(&mut conn)
        .unwrap()
}

async fn a_good_file_backfills_accepted_versions(app: TestApp) {
    let csv = format!(
        "{HEADER}\n\
         関東財務局長（金商）第11号,Old Securities,2025-03,2025-04-09T10:00:00+09:00,700,650,340,\"9,800,000,000\",8700000000\n\
         関東財務局長（金商）第11号,Old Securities,2025-04,2025-05-09T10:00:00+09:00,900,800,360,11200000000,9900000000\n\
         関東財務局長（金商）第11号,Old Securities,2025-03,2025-04-20T09:00:00Z,720,660,350,9900000000,8800000000\n\
         近畿財務局長（金商）第12号,West Trading,2025-03,2025-04-10T17:00:00+09:00,0,0,0,0,0\n"
    );
    let output = run_import(&app, &csv);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("imported 4 versions (2 new firms)"), "{said}");

    let mut conn = app.pool.get().unwrap();
    let rows: Vec<(String, i32, String, String, chrono::NaiveDateTime, i64)> =
        return_versions::table
            .inner_join(firms::table)
            .order((
                firms::name.asc(),
                return_versions::period.asc(),
                return_versions::version_no.asc(),
            ))
            .select((
                firms::name,
                return_versions::version_no,
                return_versions::status,
                return_versions::source,
                return_versions::submitted_at,
                return_versions::unauthorized_accesses,
            ))
            .load(&mut conn)
            .unwrap();
    assert_eq!(rows.len(), 4);
    // The later submission of the same firm-month is an amendment.
    assert_eq!((rows[0].1, rows[0].5), (1, 700));
    assert_eq!((rows[1].1, rows[1].5), (2, 720));
    // Original times kept (stored UTC), imported versions count as accepted.
    assert_eq!(rows[0].4.to_string(), "2025-04-09 01:00:00");
    assert!(rows.iter().all(|r| r.2 == "accepted" && r.3 == "import"));
    let actions: Vec<String> = audit_events::table
        .select(audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert!(actions.contains(&"returns.imported".to_owned()));

    crate::helpers::assert_summary_matches_versions(&app);
    // The regulator's table includes the history (latest version per firm).
    let mut admin = app.setup_admin().await;
    let page = admin.get("/dashboard?from=2025-03&to=2025-04").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">720<"), "amended March figure shown");
    assert!(!page.body.contains(">700<"));
}

async fn a_bad_row_aborts_the_whole_file(app: TestApp) {
    let csv = format!(
        "{HEADER}\n\
         関東財務局長（金商）第11号,Old Securities,2025-03,2025-04-09T10:00:00+09:00,700,650,340,9800000000,8700000000\n\
         関東財務局長（金商）第11号,Old Securities,2025-04,2025-05-09T10:00:00+09:00,900,800,-3,11200000000,9900000000\n"
    );
    let output = run_import(&app, &csv);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("line 3"), "{said}");
    assert!(said.contains("fraudulent_trades"), "{said}");
    assert!(said.contains("nothing was imported"), "{said}");
    assert_eq!(count_versions(&app), 0);
    let mut conn = app.pool.get().unwrap();
    let firm_count: i64 = firms::table.count().get_result(&mut conn).unwrap();
    assert_eq!(firm_count, 0, "no firm created either");

    for (bad, why) in [
        ("X,Y,2025-13,2025-04-09T10:00:00Z,1,1,0,0,0", "period"),
        ("X,Y,2025-03,yesterday,1,1,0,0,0", "submitted_at"),
        (
            "X,Y,2025-03,2025-04-09T10:00:00Z,1,1,0,5,0",
            "sale_amount_jpy",
        ),
        ("X,Y,2025-03,2025-04-09T10:00:00Z,1,1", "9 columns"),
    ] {
        let output = run_import(&app, &format!("{HEADER}\n{bad}\n"));
        assert!(!output.status.success(), "{bad}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains("line 2") && said.contains(why),
            "{bad}: {said}"
        );
    }
    let output = run_import(&app, "period,firm\n2025-03,X\n");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("header"));
    // A duplicate (same firm, period and time) is refused.
    let row = "関東財務局長（金商）第11号,Old,2025-03,2025-04-09T10:00:00Z,1,1,0,0,0";
    let output = run_import(&app, &format!("{HEADER}\n{row}\n{row}\n"));
    assert!(!output.status.success());
    assert_eq!(count_versions(&app), 0);
}

on_both_backends!(
    a_good_file_backfills_accepted_versions,
    a_bad_row_aborts_the_whole_file
);
