//! Publications in both languages: each reader sees the title and
//! footnotes in their language; hostile titles stay literal or are refused
//! beside their field; the command line takes a Japanese title; the
//! migration's backfill. (Releasing: `publication_release`.)

use diesel::prelude::*;
use diesel::sql_types::Text;
use incident_portal::db::{self, Backend, DbConn};
use incident_portal::domain::PublicationStatus;
use incident_portal::services::publications::{self, DEFAULT_FOOTNOTES_EN, DEFAULT_FOOTNOTES_JA};
use reqwest::StatusCode;
use scraper::Selector;

use crate::helpers::{Browser, Page, TestApp, fresh_database};
use crate::on_both_backends;
use crate::publications::seed;

const CUTOFF: &str = "2025-06-10 09:00";

/// The draft form's fields, English and Japanese title and footnotes as
/// given.
fn typed<'a>(
    title: &'a str,
    title_ja: &'a str,
    notes: &'a str,
    notes_ja: &'a str,
) -> [(&'static str, &'a str); 8] {
    [
        ("title", title),
        ("title_ja", title_ja),
        ("cutoff", CUTOFF),
        ("from", "2025-03"),
        ("to", "2025-05"),
        ("footnotes", notes),
        ("footnotes_ja", notes_ja),
        ("p_percent", "10"),
    ]
}

/// Drafts through the admin form; returns the draft's id.
async fn draft_on_the_web(admin: &mut Browser, fields: &[(&str, &str)]) -> i64 {
    let form = admin.get("/admin/publications").await;
    let made = admin
        .submit_form(&form, "/admin/publications", fields)
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    made.location()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Opens the check-your-answers page and confirms it.
async fn release_on_the_web(admin: &mut Browser, id: i64) -> Page {
    let path = format!("/admin/publications/{id}/release");
    let check = admin.get(&path).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    admin.submit_form(&check, &path, &[]).await
}
pub(crate) fn attr(page: &Page, css: &str, name: &str) -> Option<String> {
    let selector = Selector::parse(css).unwrap();
    page.html()
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr(name).map(str::to_owned))
}

fn reader(app: &TestApp, lang: &'static str) -> Browser {
    let mut browser = app.browser();
    browser.accept_language = Some(lang);
    browser
}

async fn readers_see_titles_and_footnotes_in_their_language(app: TestApp) {
    seed(&app);
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/publications").await;
    // The defaults: the FSA's footnotes, each in its own language.
    assert_eq!(
        form.input_value("footnotes").unwrap().trim(),
        DEFAULT_FOOTNOTES_EN
    );
    assert_eq!(
        form.input_value("footnotes_ja").unwrap().trim(),
        DEFAULT_FOOTNOTES_JA
    );
    assert!(!DEFAULT_FOOTNOTES_EN.contains('。'));
    assert!(DEFAULT_FOOTNOTES_JA.contains("金額は顧客の損失額ではありません。"));
    for name in ["title", "title_ja"] {
        assert_eq!(
            attr(&form, &format!("input[name={name}]"), "maxlength").as_deref(),
            Some("200"),
            "{name}: the server's limit"
        );
    }
    let id = draft_on_the_web(
        &mut admin,
        &typed(
            "April figures",
            "4月の計数",
            "Provisional figures.\r\nCounted per account.",
            "速報値です。\r\n口座ごとに集計しています。",
        ),
    )
    .await;
    let done = release_on_the_web(&mut admin, id).await;
    assert_eq!(done.location(), Some(format!("/statistics/{id}").as_str()));

    for (lang, title, other, notes, foreign) in [
        (
            "en",
            "April figures",
            "4月の計数",
            ["Provisional figures.", "Counted per account."],
            "速報値",
        ),
        (
            "ja",
            "4月の計数",
            "April figures",
            ["速報値です。", "口座ごとに集計しています。"],
            "Provisional",
        ),
    ] {
        let mut visitor = reader(&app, lang);
        let list = visitor.get("/statistics").await;
        assert_eq!(
            list.texts("#releases tbody th"),
            vec![title.to_owned()],
            "{lang}"
        );
        assert!(
            !list.body.contains(other),
            "{lang}: the other title on the list"
        );
        let page = visitor.get(&format!("/statistics/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("main h1"), title, "{lang}");
        assert!(page.text("title").contains(title), "{lang}: <title>");
        let shown = page.texts("#footnotes li");
        assert_eq!(&shown[..2], &notes.map(str::to_owned), "{lang}");
        assert!(!page.body.contains(other), "{lang}: the other title");
        assert!(!page.body.contains(foreign), "{lang}: the other footnotes");
    }

    // Staff pages follow the reader's language too.
    admin.choose_language("ja").await;
    let list = admin.get("/admin/publications").await;
    assert!(
        list.texts("#publications tbody th")
            .contains(&"4月の計数".to_owned())
    );
    assert!(!list.body.contains("April figures"));
    let one = admin.get(&format!("/admin/publications/{id}")).await;
    assert_eq!(one.text("main h1"), "4月の計数");
}
async fn hostile_titles_stay_literal_or_are_refused_beside_the_field(app: TestApp) {
    seed(&app);
    let mut admin = app.setup_admin().await;
    let form = admin.get("/admin/publications").await;

    // Too long, and blank: refused beside each field, everything typed kept.
    let long_en = "A".repeat(10_000);
    let long_notes = "注".repeat(10_000);
    let refused = admin
        .submit_form(
            &form,
            "/admin/publications",
            &typed(&long_en, "", "Provisional.", &long_notes),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("title")
            .unwrap()
            .contains("200 characters")
    );
    assert!(
        refused
            .field_error("title_ja")
            .unwrap()
            .contains("Japanese title")
    );
    assert!(
        refused
            .field_error("footnotes_ja")
            .unwrap()
            .contains("2,000 characters")
    );
    assert_eq!(refused.field_error("footnotes"), None);
    assert_eq!(refused.input_value("title"), Some(long_en.clone()));
    assert_eq!(
        refused
            .input_value("footnotes_ja")
            .as_deref()
            .map(str::trim),
        Some(long_notes.as_str())
    );
    assert_eq!(
        refused.input_value("footnotes").as_deref().map(str::trim),
        Some("Provisional.")
    );
    assert_eq!(
        attr(&refused, "#title_ja", "aria-describedby").as_deref(),
        Some("title_ja-error")
    );
    assert!(refused.texts("#error-summary a").len() >= 3);
    {
        let mut conn = app.pool.get().unwrap();
        assert!(
            publications::all(&mut conn).unwrap().is_empty(),
            "nothing drafted"
        );
    }
    // The same in Japanese: the messages are Japanese.
    admin.choose_language("ja").await;
    let ja_form = admin.get("/admin/publications").await;
    let refused = admin
        .submit_form(
            &ja_form,
            "/admin/publications",
            &typed("Fine", &"字".repeat(201), "", ""),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("title_ja")
            .unwrap()
            .contains("日本語の表題")
    );
    admin.choose_language("en").await;

    // Placeholders and markup are text: kept as typed, shown literally.
    let title = "{firm} <script>alert(1)</script> {count}";
    let title_ja = "{firm}様 <b>太字</b> &amp; {{n}}";
    let note = "{n} <i>not italic</i>";
    let note_ja = "{n}件 <img src=x onerror=alert(1)>";
    let id = draft_on_the_web(&mut admin, &typed(title, title_ja, note, note_ja)).await;
    let check = admin
        .get(&format!("/admin/publications/{id}/release"))
        .await;
    assert_eq!(check.text("#confirm-title-en"), title);
    assert_eq!(check.text("#confirm-title-ja"), title_ja);
    assert_eq!(
        check.texts("#confirm-footnotes-ja li"),
        vec![note_ja.to_owned()]
    );
    assert!(!check.body.contains("<script>alert(1)"));
    let done = release_on_the_web(&mut admin, id).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    for (lang, title, note) in [("en", title, note), ("ja", title_ja, note_ja)] {
        let mut visitor = reader(&app, lang);
        let page = visitor.get(&format!("/statistics/{id}")).await;
        assert_eq!(page.text("main h1"), title, "{lang}");
        assert_eq!(page.texts("#footnotes li")[0], note, "{lang}");
        assert!(!page.body.contains("<script>alert(1)"), "{lang}");
        assert!(!page.body.contains("<img src=x"), "{lang}");
        assert!(!page.body.contains("<b>太字"), "{lang}");
        let list = visitor.get("/statistics").await;
        assert_eq!(
            list.texts("#releases tbody th"),
            vec![title.to_owned()],
            "{lang}"
        );
    }
}

async fn the_publish_command_takes_a_japanese_title(app: TestApp) {
    seed(&app);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_incident-portal"))
            .arg("publish")
            .args(args)
            .env("DATABASE_URL", app.database_url())
            .env("PORTAL_DB_POOL", "1")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let help = run(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    assert!(help.contains("--title-ja"), "{help}");
    assert!(help.contains("English title is used"), "{help}");
    let out = run(&[
        "--cutoff",
        "2025-06-10 09:00",
        "--title",
        "April figures",
        "--title-ja",
        "4月の計数",
        "--release",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("released"));
    let plain = run(&["--cutoff", "2025-06-10 09:00", "--title", "English only"]);
    assert!(
        plain.status.success(),
        "{:?}; stdout {}; stderr {}",
        plain.status,
        String::from_utf8_lossy(&plain.stdout),
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(String::from_utf8_lossy(&plain.stderr).contains("English title is used"));
    let mut conn = app.pool.get().unwrap();
    let all = publications::all(&mut conn).unwrap();
    let both = all.iter().find(|p| p.title == "April figures").unwrap();
    assert_eq!(both.title_ja, "4月の計数");
    assert_eq!(both.status, PublicationStatus::Released);
    assert_eq!(
        (both.footnotes.as_str(), both.footnotes_ja.as_str()),
        (DEFAULT_FOOTNOTES_EN, DEFAULT_FOOTNOTES_JA)
    );
    let plain = all.iter().find(|p| p.title == "English only").unwrap();
    assert_eq!(plain.title_ja, "English only");
    assert_eq!(plain.status, PublicationStatus::Draft);
    drop(conn);
    let mut visitor = reader(&app, "ja");
    let page = visitor.get(&format!("/statistics/{}", both.id)).await;
    assert_eq!(page.text("main h1"), "4月の計数");
    assert_eq!(
        page.texts("#footnotes li")[..3],
        DEFAULT_FOOTNOTES_JA
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()[..]
    );
}

on_both_backends!(
    readers_see_titles_and_footnotes_in_their_language,
    hostile_titles_stay_literal_or_are_refused_beside_the_field,
    the_publish_command_takes_a_japanese_title,
);

/// The migration: the former bilingual default (as the form sent it, with
/// CRLF) becomes the English and Japanese defaults; anything else, and the
/// title, is copied into the Japanese columns.
fn backfill(backend: Backend) {
    const MIGRATION: &str = "20261205000060";
    let (url, _guard) = fresh_database(backend);
    let pool = db::connect_pool(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate::run_pending(&mut conn).unwrap();
    loop {
        let reverted = db::migrate::revert_last(&mut conn).unwrap();
        if reverted.replace('-', "").starts_with(MIGRATION) {
            break;
        }
    }
    let legacy = "Figures are provisional. / 数値は速報値です。\r\n\
                  Amounts are summed per victim account. / 金額は被害口座ごとの合計です。\r\n\
                  Amounts are not customer losses. / 金額は顧客の損失額ではありません。";
    insert_old(&mut conn, "Old default", legacy);
    insert_old(&mut conn, "Own notes", "Our own note.");
    db::migrate::run_pending(&mut conn).unwrap();
    let all = publications::all(&mut conn).unwrap();
    let old = all.iter().find(|p| p.title == "Old default").unwrap();
    assert_eq!(old.title_ja, "Old default");
    assert_eq!(old.footnotes, DEFAULT_FOOTNOTES_EN);
    assert_eq!(old.footnotes_ja, DEFAULT_FOOTNOTES_JA);
    let own = all.iter().find(|p| p.title == "Own notes").unwrap();
    assert_eq!(
        (
            own.title_ja.as_str(),
            own.footnotes.as_str(),
            own.footnotes_ja.as_str()
        ),
        ("Own notes", "Our own note.", "Our own note.")
    );
}

fn insert_old(conn: &mut DbConn, title: &str, footnotes: &str) {
    diesel::sql_query(
        "INSERT INTO publications (title, cutoff_at, period_from, period_to, footnotes, p_percent, status, created_at) \
         VALUES ($1, '2025-06-01 00:00:00', '2025-03', '2025-05', $2, 10, 'released', '2025-06-01 00:00:00')",
    )
    .bind::<Text, _>(title)
    .bind::<Text, _>(footnotes)
    .execute(conn)
    .unwrap();
}

#[test]
fn the_migration_backfills_on_sqlite() {
    backfill(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(test_postgres), ignore = "PostgreSQL: set TEST_DATABASE_URL")]
fn the_migration_backfills_on_postgres() {
    backfill(Backend::Postgres);
}
