//! `incident-portal backup` run by the real binary while firms are filing:
//! every receipt issued before the backup started is in the copy with its
//! figures, the copy holds nothing the live database does not, its audit
//! chain verifies, and a portal started on it serves those returns.

use std::cell::{Cell, RefCell};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use incident_portal::config::Config;
use incident_portal::db::schema::return_versions;
use incident_portal::db::{Backend, DbUrl};
use incident_portal::server;
use reqwest::StatusCode;

use crate::helpers::{Firm, TestApp, figures, file};

/// Periods a firm files one after another (all before the test clock's
/// May 2025).
const PERIODS: [&str; 16] = [
    "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08",
    "2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04",
];
/// Filings completed before the backup is started.
const BEFORE_BACKUP: usize = 4;

/// A receipt as stored: firm, period, receipt number and the five figures.
type Receipt = (i64, String, String, [i64; 5]);

fn receipts(conn: &mut SqliteConnection) -> Vec<Receipt> {
    return_versions::table
        .order(return_versions::id)
        .select((
            return_versions::firm_id,
            return_versions::period,
            return_versions::receipt_no,
            return_versions::unauthorized_accesses,
            return_versions::affected_accounts,
            return_versions::fraudulent_trades,
            return_versions::sale_amount_jpy,
            return_versions::purchase_amount_jpy,
        ))
        .load::<(i64, String, String, i64, i64, i64, i64, i64)>(conn)
        .unwrap()
        .into_iter()
        .map(|(firm, period, receipt, a, b, c, d, e)| (firm, period, receipt, [a, b, c, d, e]))
        .collect()
}

fn binary(args: &[&str], database: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .args(args)
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// One firm files month after month until the backup has finished and it
/// has filed once more; each completed filing is logged with its time.
async fn keep_filing(
    firm: &mut Firm,
    log: &RefCell<Vec<(i64, String, Instant)>>,
    backup_done: &Cell<bool>,
) {
    let mut after_backup = 0;
    for (i, period) in PERIODS.iter().enumerate() {
        let n = i64::try_from(i).unwrap();
        let accesses = (100 + n).to_string();
        let trades = (40 + n).to_string();
        let sale = (1_000_000 + n * 1_000).to_string();
        let purchase = (800_000 + n).to_string();
        let typed = figures(&accesses, "90", &trades, &sale, &purchase, "");
        file(firm, period, &typed).await;
        log.borrow_mut()
            .push((firm.id, (*period).to_owned(), Instant::now()));
        if backup_done.get() {
            after_backup += 1;
            if after_backup >= 1 {
                break;
            }
        }
    }
}

#[actix_web::test]
async fn a_backup_taken_while_filing_keeps_every_earlier_receipt() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let DbUrl::Sqlite(live) = app.db_url.clone() else {
        unreachable!("spawned on SQLite")
    };
    let mut admin = app.setup_admin().await;
    let mut firms = Vec::new();
    for tag in ["Ayame", "Botan", "Chiba"] {
        firms.push(app.firm_with_users(&mut admin, tag).await);
    }
    let out_dir = tempfile::tempdir().unwrap();
    let copy = out_dir.path().join("portal backup's copy.db");

    let log = RefCell::new(Vec::new());
    let backup_done = Cell::new(false);
    let backup = async {
        while log.borrow().len() < BEFORE_BACKUP {
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        let started = Instant::now();
        let (live, copy) = (live.clone(), copy.clone());
        let output = actix_web::rt::task::spawn_blocking(move || {
            binary(&["backup", copy.to_str().unwrap()], &live)
        })
        .await
        .unwrap();
        let finished = Instant::now();
        backup_done.set(true);
        (started, finished, output)
    };
    let [a, b, c] = &mut firms[..] else {
        unreachable!()
    };
    let ((started, finished, output), (), (), ()) = tokio::join!(
        backup,
        keep_filing(a, &log, &backup_done),
        keep_filing(b, &log, &backup_done),
        keep_filing(c, &log, &backup_done),
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "backup: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = log.into_inner();
    let before: Vec<&(i64, String, Instant)> =
        log.iter().filter(|(_, _, at)| *at < started).collect();
    assert!(before.len() >= BEFORE_BACKUP, "{} before", before.len());
    assert!(
        log.iter().any(|(_, _, at)| *at > finished),
        "filing went on after the backup"
    );

    let mut live_conn = SqliteConnection::establish(&live.to_string_lossy()).unwrap();
    let live_receipts = receipts(&mut live_conn);
    assert_eq!(live_receipts.len(), log.len(), "one receipt per filing");
    let mut copy_conn = SqliteConnection::establish(&copy.to_string_lossy()).unwrap();
    let copied = receipts(&mut copy_conn);
    // Every receipt issued before the backup began, with its figures.
    for (firm, period, _) in &before {
        let issued = live_receipts
            .iter()
            .find(|r| r.0 == *firm && r.1 == *period)
            .unwrap();
        assert!(
            copied.contains(issued),
            "receipt {} ({period}) missing from the backup",
            issued.2
        );
    }
    // Nothing torn or invented: the copy is a prefix of the live receipts.
    assert_eq!(copied[..], live_receipts[..copied.len()]);
    assert!(
        stdout.contains(&format!("{} receipts", copied.len())),
        "{stdout}"
    );
    assert!(stdout.contains("integrity check ok"), "{stdout}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the copy is readable by its owner only"
        );
    }
    drop(copy_conn);

    // The audit chain of the copy verifies.
    let verified = binary(&["verify-audit"], &copy);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("audit chain intact"));

    // A portal started on the copy serves a filed return with its receipt
    // (the approver's session is in the copy too).
    let (firm, period, _) = before[0];
    let receipt = &copied
        .iter()
        .find(|r| r.0 == *firm && r.1 == *period)
        .unwrap()
        .2;
    let restored = serve(&copy, &app);
    let approver = firms.iter().find(|f| f.id == *firm).unwrap();
    let mut browser = crate::helpers::Browser::new(&restored);
    browser.cookies = approver.approver.cookies.clone();
    let page = browser.get(&format!("/returns/{period}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(receipt.as_str()),
        "receipt {receipt} shown"
    );
}

/// Starts a portal on the SQLite file at `path`; its address.
fn serve(path: &Path, like: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config {
        database_url: DbUrl::Sqlite(path.to_path_buf()),
        bind: format!("127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        data_dir: std::env::temp_dir(),
        pool_size: 2,
        workers: 1,
        mail: incident_portal::config::MailConfig::Memory(Default::default()),
        mail_worker: false,
        security: incident_portal::config::Security {
            key_file: Some(like.key_file.clone()),
            ..Default::default()
        },
        limits: Default::default(),
    };
    let pool = server::prepare_database(&config).unwrap();
    let running = server::start(Arc::new(config), pool, like.clock.clone(), listener).unwrap();
    actix_web::rt::spawn(running);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn backup_refuses_an_existing_file_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let migrated = binary(&["migrate"], &live);
    assert!(migrated.status.success());
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, b"keep me").unwrap();
    let refused = binary(&["backup", taken.to_str().unwrap()], &live);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read(&taken).unwrap(),
        b"keep me",
        "never overwritten"
    );

    let pg = Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .args(["backup", "portal.dump"])
        .env(
            "DATABASE_URL",
            "postgres://portal:secret@127.0.0.1:1/portal",
        )
        .output()
        .unwrap();
    assert!(!pg.status.success());
    let message = String::from_utf8_lossy(&pg.stderr);
    assert!(
        message.contains("pg_dump -Fc") && message.contains("pg_restore"),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "no password printed: {message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
}
