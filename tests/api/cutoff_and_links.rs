//! A publication's cut-off cannot be in the future (admin form, publish
//! command, release), and the public statistics are linked from where a
//! visitor lands.

use incident_portal::services::publications::{self, CUTOFF_IN_FUTURE, DraftInput};
use incident_portal::services::{Actor, publish};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

/// The test clock stands at 2025-05-20 10:00 UTC (19:00 in Tokyo).
const FUTURE: &str = "2025-05-20 19:30";
const PAST: &str = "2025-05-20 18:30";

async fn the_admin_form_refuses_a_cut_off_in_the_future(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/publications").await;
    let typed = |cutoff: &'static str| {
        [
            ("title", "May figures"),
            ("title_ja", "5月の計数"),
            ("cutoff", cutoff),
            ("from", "2025-03"),
            ("to", "2025-05"),
            ("footnotes", "Provisional."),
            ("p_percent", "10"),
        ]
    };
    let refused = admin
        .submit_form(&form, "/admin/publications", &typed(FUTURE))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.field_error("cutoff").unwrap_or_default();
    assert!(
        message.contains("cannot be in the future"),
        "a message beside the cut-off field: {message:?}"
    );
    assert_eq!(refused.input_value("cutoff").as_deref(), Some(FUTURE));
    assert_eq!(refused.input_value("title").as_deref(), Some("May figures"));
    assert_eq!(
        refused.input_value("title_ja").as_deref(),
        Some("5月の計数")
    );
    let mut conn = app.pool.get().unwrap();
    assert!(publications::released(&mut conn).unwrap().is_empty());
    drop(conn);

    let made = admin
        .submit_form(&form, "/admin/publications", &typed(PAST))
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
}

async fn the_publish_command_refuses_a_cut_off_in_the_future(app: TestApp) {
    let now = app.clock.now();
    let mut conn = app.pool.get().unwrap();
    let refused = publish::publish(&mut conn, "Too early", None, FUTURE, true, now);
    let Err(message) = refused else {
        panic!("a future cut-off was published");
    };
    assert!(message.contains("in the future"), "{message}");
    let input = DraftInput {
        title: "Too early",
        title_ja: "時期尚早",
        cutoff: publish::parse_cutoff(FUTURE).unwrap(),
        from: "2025-03",
        to: "2025-05",
        footnotes: "",
        footnotes_ja: "",
        p_percent: 10,
    };
    let invalid = publications::draft(&mut conn, &Actor::system("test"), &input, now)
        .unwrap()
        .unwrap_err();
    assert!(invalid.0.contains(&("cutoff", CUTOFF_IN_FUTURE)));
    assert!(publications::released(&mut conn).unwrap().is_empty());
    let done = publish::publish(&mut conn, "In time", None, PAST, true, now).unwrap();
    assert!(done.released);

    // The command line says so too (it runs on the real clock).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .args(["publish", "--cutoff", "2999-01-01 00:00", "--title", "CLI"])
        .env("DATABASE_URL", app.database_url())
        .env("PORTAL_DB_POOL", "1")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in the future"), "{stderr}");
}

async fn visitors_find_the_public_statistics(app: TestApp) {
    let mut visitor = app.browser();
    let home = visitor.get("/").await;
    assert_eq!(
        home.location(),
        Some("/login"),
        "/ lands on the sign-in page"
    );
    for (lang, words) in [("en", "published statistics"), ("ja", "公表統計を見る")] {
        let mut reader = app.browser();
        reader.accept_language = Some(lang);
        let login = reader.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        let link = login.text("#login-statistics");
        assert!(link.contains(words), "{lang}: {link:?}");
        assert!(
            login
                .body
                .contains("id=\"login-statistics\" href=\"/statistics\"")
        );
        assert!(
            login
                .body
                .contains("id=\"footer-statistics\" href=\"/statistics\"")
        );
        let list = reader.get("/statistics").await;
        assert_eq!(list.status, StatusCode::OK);
    }
}

on_both_backends!(
    the_admin_form_refuses_a_cut_off_in_the_future,
    the_publish_command_refuses_a_cut_off_in_the_future,
    visitors_find_the_public_statistics,
);
