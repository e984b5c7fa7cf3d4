//! Releasing a publication through the check-your-answers page: it shows
//! both languages and the public table; a release needs the content hash of
//! the page the admin checked (none or a stale one releases nothing, figures
//! accepted meanwhile make it stale, a replay releases once).

use diesel::prelude::*;
use incident_portal::db::schema::audit_events;
use incident_portal::domain::PublicationStatus;
use incident_portal::services::Actor;
use incident_portal::services::publication_release::{self, Outcome};
use incident_portal::services::publications::{self, DEFAULT_FOOTNOTES_EN, DEFAULT_FOOTNOTES_JA};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publication_languages::attr;
use crate::publications::{draft, load, seed};

fn released_audits(app: &TestApp, id: i64) -> i64 {
    let mut conn = app.pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("publication.released"))
        .filter(audit_events::object_id.eq(id.to_string()))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

fn status_of(app: &TestApp, id: i64) -> PublicationStatus {
    let mut conn = app.pool.get().unwrap();
    publications::find(&mut conn, id).unwrap().status
}

async fn releasing_needs_the_checked_page_and_its_hash(app: TestApp) {
    seed(&app);
    let mut admin = app.setup_admin().await;
    let id = draft(&app, "Check me", "2025-06-10T09:00:00+09:00");
    let path = format!("/admin/publications/{id}/release");

    // The draft page leads to the check page (a GET), not to a release.
    let preview = admin.get(&format!("/admin/publications/{id}")).await;
    assert_eq!(
        attr(&preview, "#release-check", "method").as_deref(),
        Some("get")
    );
    assert_eq!(
        attr(&preview, "#release-check", "action"),
        Some(path.clone())
    );

    let check = admin.get(&path).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert_eq!(check.text("#confirm-title-en"), "Check me");
    assert_eq!(check.text("#confirm-title-ja"), "Check me（日本語）");
    assert_eq!(
        check.texts("#confirm-footnotes-en li"),
        DEFAULT_FOOTNOTES_EN
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        check.texts("#confirm-footnotes-ja li"),
        DEFAULT_FOOTNOTES_JA
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    );
    assert_eq!(check.text("#confirm-cutoff"), "2025-06-10 09:00 JST");
    assert_eq!(check.text("#confirm-months"), "2025-03 – 2025-05");
    // The table as the public sees it: March (two firms) suppressed, no
    // value behind an x.
    let cells = check.texts("#confirm-table tbody td");
    assert_eq!(cells.len(), 20);
    assert_eq!(cells[0], "x");
    assert!(!check.body.contains("100,000"), "a suppressed value shown");
    assert!(check.texts("#confirm-public li").len() >= 2);
    assert!(check.text("#confirm-final").contains("cannot be withdrawn"));
    let hash = check.input_value("content_sha256").unwrap();
    assert_eq!(hash.len(), 64);

    // Without the hash (the old one-click release): nothing released.
    let bare = admin
        .submit_form(&check, &path, &[("content_sha256", "")])
        .await;
    assert_eq!(bare.status, StatusCode::CONFLICT);
    assert!(
        bare.text("#release-refused")
            .contains("Nothing was released")
    );
    assert_eq!(bare.text("#confirm-title-en"), "Check me");
    assert_eq!(status_of(&app, id), PublicationStatus::Draft);

    // The draft changes after the page was shown: the page's hash is stale.
    let why = "Both firms consented in writing to this figure.";
    let overridden = admin
        .submit_form(
            &preview,
            &format!("/admin/publications/{id}/override"),
            &[
                ("cell", "purchase_amount_jpy:2025-03"),
                ("justification", why),
            ],
        )
        .await;
    assert_eq!(overridden.status, StatusCode::SEE_OTHER);
    let stale = admin.submit_form(&check, &path, &[]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text("#release-refused").contains("changed"));
    let overrides = stale.text("#confirm-overrides");
    assert!(overrides.contains(why), "the page as it is now");
    assert!(
        overrides.contains("Purchase amount — 2025-03"),
        "the cell named as readers name it: {overrides}"
    );
    assert!(
        !stale.body.contains("purchase_amount_jpy"),
        "no internal ids"
    );
    assert!(
        stale
            .texts("#confirm-table tbody td")
            .contains(&"¥240,000".to_owned())
    );
    assert_ne!(stale.input_value("content_sha256").unwrap(), hash);
    assert_eq!(status_of(&app, id), PublicationStatus::Draft);
    assert_eq!(released_audits(&app, id), 0);

    // Confirmed from the page as it is now: released, once, however often
    // the confirmation arrives.
    let released = admin.submit_form(&stale, &path, &[]).await;
    assert_eq!(released.status, StatusCode::SEE_OTHER);
    assert_eq!(
        released.location(),
        Some(format!("/statistics/{id}").as_str())
    );
    let first = {
        let mut conn = app.pool.get().unwrap();
        publications::find(&mut conn, id).unwrap()
    };
    assert_eq!(first.status, PublicationStatus::Released);
    let replay = admin.submit_form(&stale, &path, &[]).await;
    assert_eq!(
        replay.location(),
        Some(format!("/statistics/{id}").as_str())
    );
    let after = {
        let mut conn = app.pool.get().unwrap();
        publications::find(&mut conn, id).unwrap()
    };
    assert_eq!(after.released_at, first.released_at);
    assert_eq!(after.sha256_en, first.sha256_en);
    assert_eq!(released_audits(&app, id), 1, "released once");
    // Nothing left to check.
    let gone = admin.get(&path).await;
    assert_eq!(gone.location(), Some(format!("/statistics/{id}").as_str()));
}

async fn figures_accepted_after_the_check_make_it_stale(app: TestApp) {
    seed(&app);
    let id = draft(&app, "Figures move", "2025-06-10T09:00:00+09:00");
    let mut conn = app.pool.get().unwrap();
    let shown = publication_release::to_confirm(&mut conn, id).unwrap();
    drop(conn);
    // A version submitted before the cut-off is accepted meanwhile.
    load(
        &app,
        &[(105, "2025-05", "2025-06-02T00:00:00Z", 7, 2, 5_000, 5_000)],
        true,
    );
    let mut conn = app.pool.get().unwrap();
    let actor = Actor::system("test");
    let now = app.clock.now();
    let outcome = publication_release::release(&mut conn, &actor, id, &shown.sha256, now).unwrap();
    assert_eq!(outcome, Outcome::Stale);
    assert_eq!(
        publications::find(&mut conn, id).unwrap().status,
        PublicationStatus::Draft
    );
    let again = publication_release::to_confirm(&mut conn, id).unwrap();
    assert_ne!(again.sha256, shown.sha256);
    let outcome = publication_release::release(&mut conn, &actor, id, &again.sha256, now).unwrap();
    assert!(matches!(outcome, Outcome::Released { .. }));
}

on_both_backends!(
    releasing_needs_the_checked_page_and_its_hash,
    figures_accepted_after_the_check_make_it_stale,
);
