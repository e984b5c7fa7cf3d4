//! The audit trail: the chain verifies after real use and names the event a
//! tamper touched (library and `verify-audit`); a cut tail or rewritten
//! head is caught against an anchor; a malformed row is named, and shown by
//! the admin log; staff views are recorded; the admin log filters, pages,
//! refuses non-admins and escapes entries.

use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use incident_portal::db::models::AuditEvent;
use incident_portal::db::schema::{audit_events, audit_head, email_outbox, return_versions};
use incident_portal::db::{Backend, write_tx};
use incident_portal::domain::email::EmailAddress;
use incident_portal::services::Actor;
use incident_portal::services::audit::{self, Action, Event};
use incident_portal::services::audit_anchor;
use incident_portal::services::audit_chain::{self, ChainReport, Fault};
use reqwest::StatusCode;

use crate::helpers::{Browser, Firm, Page, TestApp, figures};
use crate::on_both_backends;

fn verify(app: &TestApp) -> ChainReport {
    audit_chain::verify(&mut app.pool.get().unwrap()).unwrap()
}

/// Where verification says the chain breaks, and why.
fn broken_at(app: &TestApp) -> (Option<i64>, Fault) {
    match verify(app) {
        ChainReport::Broken(b) => (b.event.map(|e| e.id), b.fault),
        intact => panic!("break missed: {intact}"),
    }
}

fn events(app: &TestApp) -> Vec<AuditEvent> {
    let mut conn = app.pool.get().unwrap();
    let query = audit_events::table.order(audit_events::id);
    query
        .select(AuditEvent::as_select())
        .load(&mut conn)
        .unwrap()
}

fn ids(app: &TestApp) -> Vec<i64> {
    events(app).into_iter().map(|e| e.id).collect()
}

/// Appends a `firm.created` event by `label` per detail.
fn record(app: &TestApp, label: &str, details: impl IntoIterator<Item = String>) {
    let mut actor = Actor::system("test");
    actor.label = label.to_owned();
    let mut conn = app.pool.get().unwrap();
    for detail in details {
        let (action, object_type, object_id) = (Action::FirmCreated, "test", "1");
        let detail = detail.as_str();
        let event = Event {
            action,
            object_type,
            object_id,
            detail,
        };
        let now = app.clock.now();
        let appended = write_tx(&mut conn, |c| audit::record(c, now, &actor, event));
        appended.unwrap();
    }
}

/// `incident-portal verify-audit` on the test's database: success, stdout.
pub(crate) fn cli(app: &TestApp) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    cli_with(app, data.path(), &[])
}

/// `verify-audit` with `args`, its data folder (where anchors go) `data`.
fn cli_with(app: &TestApp, data: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_incident-portal"))
        .arg("verify-audit")
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("PORTAL_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success(), said)
}

/// The text of one column (a CSS class) of the log table, row by row.
fn column(page: &Page, class: &str) -> Vec<String> {
    page.texts(&format!("#audit-events tbody .{class}"))
}

fn older_link(page: &Page) -> Option<String> {
    let selector = scraper::Selector::parse("#audit-older").unwrap();
    let html = page.html();
    let link = html.select(&selector).next()?;
    link.value().attr("href").map(str::to_owned)
}

/// Admin, firm Alpha (a draft, then a submission), an analyst who opens
/// the version; the version's id last.
async fn filed_and_viewed(app: &TestApp) -> (Browser, Firm, Browser, i64) {
    let mut admin = app.setup_admin().await;
    let mut firm = app.firm_with_users(&mut admin, "Alpha").await;
    let typed = figures("12", "10", "3", "1,000,000", "900,000", "Passkeys.");
    let form = firm.reporter.get("/returns/2025-04").await;
    let draft = "/returns/2025-04/draft";
    let saved = firm.reporter.submit_form(&form, draft, &typed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let form = firm.approver.get("/returns/2025-04/approve").await;
    let submit = "/returns/2025-04/submit";
    let done = firm.approver.submit_form(&form, submit, &typed).await;
    assert_eq!(done.location(), Some("/returns/2025-04/versions/1"));
    let mut conn = app.pool.get().unwrap();
    let id = return_versions::table.select(return_versions::id);
    let id: i64 = id.first(&mut conn).unwrap();
    let mut analyst = app.analyst(&mut admin).await;
    let page = analyst.get(&format!("/review/versions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    (admin, firm, analyst, id)
}

async fn real_use_verifies_and_only_admins_read_the_log(app: TestApp) {
    let (mut admin, mut firm, mut analyst, version) = filed_and_viewed(&app).await;
    let all = events(&app);
    let views: Vec<_> = all.iter().filter(|e| e.action == "return.viewed").collect();
    assert_eq!(views.len(), 1, "one view, one event");
    assert_eq!(views[0].object_type, "version");
    assert_eq!(views[0].object_id, version.to_string());
    assert_eq!(views[0].actor, "analyst@fsa.example");
    let detail = format!("firm {} period 2025-04 v1", firm.id);
    assert_eq!(views[0].detail, detail);
    for action in ["return.draft_saved", "return.submitted", "firm.created"] {
        assert!(all.iter().any(|e| e.action == action), "{action} recorded");
    }
    let (events, head) = (all.len() as i64, all[all.len() - 1].hash.clone());
    let last_id = all[all.len() - 1].id;
    let intact = ChainReport::Intact {
        events,
        last_id,
        head,
    };
    assert_eq!(verify(&app), intact);
    let (ok, said) = cli(&app);
    assert!(ok, "{said}");
    let intact = format!("audit chain intact: {events} events, head ");
    assert!(said.starts_with(&intact), "{said}");

    assert_eq!(admin.get("/admin/audit").await.status, StatusCode::OK);
    let nav = admin.get("/admin/firms").await.texts("header nav a");
    assert!(nav.contains(&"Audit log".to_owned()), "{nav:?}");
    for who in [&mut analyst, &mut firm.approver, &mut firm.reporter] {
        let page = who.get("/admin/audit?verify=1").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
    let anonymous = app.browser().get("/admin/audit").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), Some("/login"));
}

/// Simulates an attacker with database access: the append-only triggers
/// go first.
fn disable_append_only(app: &TestApp) {
    let mut conn = app.pool.get().unwrap();
    let refused = conn.batch_execute("UPDATE audit_events SET actor = 'x'");
    assert!(refused.is_err());
    assert!(conn.batch_execute("DELETE FROM audit_events").is_err());
    let sql = match app.backend {
        Backend::Sqlite => concat!(
            "DROP TRIGGER audit_events_no_update;",
            "DROP TRIGGER audit_events_no_delete"
        ),
        Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER USER",
    };
    conn.batch_execute(sql).unwrap();
}

async fn a_tampered_event_is_named(app: TestApp) {
    let (mut admin, ..) = filed_and_viewed(&app).await;
    let all = events(&app);
    let victim = &all[all.len() / 2];
    disable_append_only(&app);
    let mut conn = app.pool.get().unwrap();
    diesel::update(audit_events::table.find(victim.id))
        .set(audit_events::detail.eq("quietly changed"))
        .execute(&mut conn)
        .unwrap();
    let (at, fault) = broken_at(&app);
    assert_eq!(at, Some(victim.id));
    assert!(matches!(fault, Fault::Hash { .. }), "{fault:?}");
    let (ok, said) = cli(&app);
    assert!(!ok, "exit status 1: {said}");
    let (id, action) = (victim.id, &victim.action);
    let named = format!("audit chain broken at event {id} ({action} at ");
    assert!(said.starts_with(&named), "{said}");
    assert!(said.contains("a field was altered"), "{said}");
    // The admin page says so too, with a link to the event.
    let page = admin.get("/admin/audit?verify=1").await;
    let status = page.text("#chain-status");
    let broken = format!("Chain broken at event {id} ");
    assert!(status.contains(&broken), "{status}");
    let link = format!("/admin/audit?before={}", id + 1);
    assert!(page.body.contains(&link));
}

async fn a_removed_event_breaks_the_next_link(app: TestApp) {
    record(&app, "ops@fsa.example", (0..4).map(|i| format!("firm {i}")));
    let ids = ids(&app);
    disable_append_only(&app);
    let mut conn = app.pool.get().unwrap();
    let gone = diesel::delete(audit_events::table.find(ids[2]));
    gone.execute(&mut conn).unwrap();
    let (at, fault) = broken_at(&app);
    assert_eq!(at, Some(ids[3]));
    assert!(matches!(fault, Fault::PrevHash { .. }), "{fault:?}");
    // Without the newest events, the head points past the log.
    let gone = diesel::delete(audit_events::table.filter(audit_events::id.gt(ids[1])));
    gone.execute(&mut conn).unwrap();
    let (at, fault) = broken_at(&app);
    assert_eq!(at, Some(ids[1]));
    assert!(matches!(fault, Fault::HeadHash { .. }), "{fault:?}");
}

async fn the_log_filters_and_pages(app: TestApp) {
    let (mut admin, _, _, version) = filed_and_viewed(&app).await;
    record(
        &app,
        "bulk@fsa.example",
        (0..55).map(|i| format!("bulk {i}")),
    );
    let first = admin.get("/admin/audit").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text("caption"), "Audit events, newest first");
    assert_eq!(column(&first, "detail").len(), 50);
    // Following "older" to the end visits every event once, newest first.
    let (mut seen, mut page) = (Vec::new(), first);
    loop {
        let shown = page.texts("#audit-events tbody th");
        seen.extend(shown.iter().map(|id| id.parse::<i64>().unwrap()));
        let Some(older) = older_link(&page) else {
            break;
        };
        assert!(!older.contains("action="), "no filter, none carried");
        page = admin.get(&older).await;
        assert!(!page.texts("#audit-newest").is_empty());
    }
    assert_eq!(seen, ids(&app).into_iter().rev().collect::<Vec<_>>());

    let viewed = admin.get("/admin/audit?action=return.viewed").await;
    assert_eq!(column(&viewed, "object"), [format!("version {version}")]);
    let by_actor = admin.get("/admin/audit?actor=ANALYST%40fsa").await;
    let actors = column(&by_actor, "actor");
    assert!(!actors.is_empty(), "case-insensitive");
    assert!(
        actors.iter().all(|a| a == "analyst@fsa.example"),
        "{actors:?}"
    );
    let bulk = admin
        .get("/admin/audit?action=firm.created&actor=bulk")
        .await;
    assert_eq!(column(&bulk, "detail").len(), 50);
    let older = older_link(&bulk).unwrap();
    let kept = "/admin/audit?action=firm.created&actor=bulk&before=";
    assert!(older.starts_with(kept), "{older}");
    let rest = admin.get(&older).await;
    let oldest = ["bulk 4", "bulk 3", "bulk 2", "bulk 1", "bulk 0"];
    assert_eq!(column(&rest, "detail"), oldest);
    let path = format!("/admin/audit?object_type=version&object_id={version}");
    let objects = column(&admin.get(&path).await, "object");
    assert!(objects.len() >= 2, "submitted and viewed: {objects:?}");
    assert!(objects.iter().all(|o| o == &format!("version {version}")));

    // Dates are JST: 15:00 UTC on the 20th is the 21st in Tokyo (then back, for the session).
    app.clock.advance(chrono::Duration::hours(6));
    record(&app, "late@fsa.example", ["after midnight".to_owned()]);
    app.clock.advance(chrono::Duration::hours(-6));
    let on_21st = admin
        .get("/admin/audit?from=2025-05-21&to=2025-05-21")
        .await;
    assert_eq!(column(&on_21st, "actor"), ["late@fsa.example"]);
    let to_20th = admin.get("/admin/audit?to=2025-05-20&actor=late").await;
    assert!(!to_20th.texts("#audit-none").is_empty());
    let bad = admin.get("/admin/audit?from=20%2F05%2F2025").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = bad.field_error("from");
    assert_eq!(error.as_deref(), Some("Enter a date as YYYY-MM-DD."));

    let status = admin
        .get("/admin/audit?verify=1")
        .await
        .text("#chain-status");
    let intact = format!("Chain intact: {} events", ids(&app).len());
    assert!(status.starts_with(&intact), "{status}");
}

async fn injected_entries_stay_on_one_escaped_row(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let forged = "ok\r\n<script>alert(1)</script>\n2025-05-20 auth.sign_in admin";
    record(&app, "evil\n@example", [forged.to_owned()]);
    let page = admin.get("/admin/audit?actor=evil").await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    let escaped = ["&lt;script&gt;alert(1)", "&#60;script&#62;alert(1)"];
    assert!(escaped.iter().any(|e| page.body.contains(e)));
    assert_eq!(page.texts("#audit-events tbody tr").len(), 1);
    let shown = r"ok\r\n<script>alert(1)</script>\n2025-05-20 auth.sign_in admin";
    assert_eq!(column(&page, "detail"), [shown]);
    assert_eq!(column(&page, "actor"), [r"evil\n@example"]);
    assert!(verify(&app).is_intact());
}

/// Points `audit_head` at the last event left, as an owner who cut the
/// tail would, so the chain alone verifies.
fn rewrite_head(app: &TestApp) {
    let all = events(app);
    let last = all.last().unwrap();
    let mut conn = app.pool.get().unwrap();
    diesel::update(audit_head::table.find(1))
        .set((
            audit_head::last_hash.eq(&last.hash),
            audit_head::events.eq(all.len() as i64),
        ))
        .execute(&mut conn)
        .unwrap();
}

async fn a_cut_tail_is_caught_against_the_anchor(app: TestApp) {
    record(&app, "ops@fsa.example", (0..8).map(|i| format!("firm {i}")));
    let data = tempfile::tempdir().unwrap();
    let (ok, said) = cli_with(&app, data.path(), &[]);
    assert!(ok, "{said}");
    let anchors = data.path().join("audit-anchors.log");
    let written = std::fs::read_to_string(&anchors).unwrap();
    let last = events(&app).last().unwrap().clone();
    let line = format!(" {} {}\n", last.id, last.hash);
    assert!(written.ends_with(&line), "{written}");
    assert!(said.contains("anchor: "), "printed: {said}");
    assert!(said.contains(line.trim()), "printed: {said}");
    // The owner drops the triggers, deletes the newest five events and
    // rewrites the head: the chain alone still verifies.
    disable_append_only(&app);
    let ids = ids(&app);
    let cut = ids[ids.len() - 5];
    let mut conn = app.pool.get().unwrap();
    let gone = diesel::delete(audit_events::table.filter(audit_events::id.ge(cut)));
    assert_eq!(gone.execute(&mut conn).unwrap(), 5);
    rewrite_head(&app);
    assert!(verify(&app).is_intact(), "the chain alone cannot tell");
    let file = anchors.to_str().unwrap();
    let (ok, said) = cli_with(&app, data.path(), &["--anchor", file]);
    assert!(!ok, "exit status 1: {said}");
    let named = format!("audit log truncated: anchored event {} ", last.id);
    assert!(said.contains(&named), "{said}");
    assert!(said.contains("beyond the end of the log"), "{said}");
    // A failed check anchors nothing new.
    assert_eq!(std::fs::read_to_string(&anchors).unwrap(), written);
}

async fn a_rewritten_head_is_caught_against_the_anchor(app: TestApp) {
    record(&app, "ops@fsa.example", (0..3).map(|i| format!("firm {i}")));
    let data = tempfile::tempdir().unwrap();
    let (ok, said) = cli_with(&app, data.path(), &[]);
    assert!(ok, "{said}");
    let anchors = data.path().join("audit-anchors.log");
    let file = anchors.to_str().unwrap();
    let (ok, said) = cli_with(&app, data.path(), &["--anchor", file]);
    assert!(ok, "an untouched log matches its anchors: {said}");
    // The newest event is altered and its hash recomputed, and the head
    // follows: the chain alone verifies.
    disable_append_only(&app);
    let mut last = events(&app).last().unwrap().clone();
    last.detail = "quietly changed".to_owned();
    let rehashed = audit_chain::recompute(&last.prev_hash, &last);
    let mut conn = app.pool.get().unwrap();
    diesel::update(audit_events::table.find(last.id))
        .set((
            audit_events::detail.eq(&last.detail),
            audit_events::hash.eq(&rehashed),
        ))
        .execute(&mut conn)
        .unwrap();
    rewrite_head(&app);
    assert!(verify(&app).is_intact(), "the chain alone cannot tell");
    let (ok, said) = cli_with(&app, data.path(), &["--anchor", file]);
    assert!(!ok, "exit status 1: {said}");
    let named = format!("audit log rewritten: event {} has hash {rehashed}", last.id);
    assert!(said.contains(&named), "{said}");
}

async fn the_server_anchors_each_day_once_and_mails_it(app: TestApp) {
    record(&app, "ops@fsa.example", (0..2).map(|i| format!("firm {i}")));
    let data = tempfile::tempdir().unwrap();
    let to = EmailAddress::parse("anchors@fsa.example").unwrap();
    let sink = audit_anchor::Sink {
        file: audit_anchor::default_path(data.path()),
        email: Some(to),
    };
    let mut conn = app.pool.get().unwrap();
    let now = app.clock.now();
    let first = audit_anchor::daily(&mut conn, &sink, now).unwrap();
    let last = events(&app).last().unwrap().clone();
    let first = first.expect("the day's first check anchors");
    assert_eq!(
        (first.id, first.hash.as_str()),
        (last.id, last.hash.as_str())
    );
    let later = now + chrono::Duration::hours(1);
    assert_eq!(audit_anchor::daily(&mut conn, &sink, later).unwrap(), None);
    let next_day = now + chrono::Duration::days(1);
    assert!(
        audit_anchor::daily(&mut conn, &sink, next_day)
            .unwrap()
            .is_some()
    );
    assert_eq!(audit_anchor::read(&sink.file).unwrap().len(), 2);
    let mailed: Vec<String> = email_outbox::table
        .filter(email_outbox::to_addr.eq("anchors@fsa.example"))
        .select(email_outbox::body_text)
        .load(&mut conn)
        .unwrap();
    assert_eq!(mailed.len(), 2);
    assert!(mailed[0].contains(&first.to_string()), "{}", mailed[0]);
}

/// Writes an audit row the model cannot read: a timestamp that is not one
/// (SQLite keeps any text) or, on PostgreSQL, a NULL actor once the owner
/// dropped the constraint. Returns its id.
fn insert_malformed(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    let (prepare, when, actor) = match app.backend {
        Backend::Sqlite => ("", "'not a time'", "'x'"),
        Backend::Postgres => (
            "ALTER TABLE audit_events ALTER COLUMN actor DROP NOT NULL;",
            "'2025-05-20 10:00:00'",
            "NULL",
        ),
    };
    conn.batch_execute(&format!(
        "{prepare} INSERT INTO audit_events (occurred_at, actor_user_id, actor, ip, action, \
         object_type, object_id, detail, prev_hash, hash) VALUES ({when}, NULL, {actor}, \
         'x', 'firm.created', 'test', '1', 'forged', 'p', 'malformed')"
    ))
    .unwrap();
    audit_events::table
        .filter(audit_events::hash.eq("malformed"))
        .select(audit_events::id)
        .first(&mut conn)
        .unwrap()
}

async fn a_malformed_row_is_named_and_shown(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let id = insert_malformed(&app);
    let (at, fault) = broken_at(&app);
    assert_eq!(at, Some(id));
    assert!(matches!(fault, Fault::Malformed { .. }), "{fault:?}");
    let (ok, said) = cli(&app);
    assert!(!ok, "exit status 1: {said}");
    let named = format!("audit chain broken at event {id}: the row does not read as an event (");
    assert!(said.starts_with(&named), "{said}");
    // The admin log shows the row for what it is instead of failing.
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = page.text(&format!("#event-{id}"));
    assert!(row.contains("This row does not read as an event"), "{row}");
    assert!(
        !page.texts("#audit-events tbody .actor").is_empty(),
        "the good rows stay"
    );
    let page = admin.get("/admin/audit?verify=1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let status = page.text("#chain-status");
    assert!(
        status.contains(&format!("Chain broken at event {id}: ")),
        "{status}"
    );
    let page = admin.get("/admin/audit?action=firm.created").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
}

on_both_backends!(
    a_cut_tail_is_caught_against_the_anchor,
    a_rewritten_head_is_caught_against_the_anchor,
    a_malformed_row_is_named_and_shown,
    the_server_anchors_each_day_once_and_mails_it,
    real_use_verifies_and_only_admins_read_the_log,
    a_tampered_event_is_named,
    a_removed_event_breaks_the_next_link,
    the_log_filters_and_pages,
    injected_entries_stay_on_one_escaped_row,
);
