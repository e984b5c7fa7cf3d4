//! Reminders and the analysts' digest, driven by a moving clock: each
//! reminder goes out once per firm, period and kind however often (and
//! however concurrently) the scheduler runs; firms that submitted get none;
//! the digest goes out at most once a day with each submission in exactly
//! one digest. Emails are checked against snapshots, volatile parts
//! redacted.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use incident_portal::db::schema::reminders_sent;
use incident_portal::domain::email::EmailAddress;
use incident_portal::i18n::Lang;
use incident_portal::mail::workflow_messages::{self, ReminderKind};
use incident_portal::services::reminders;

use crate::helpers::{PASSWORD, TestApp, figures};
use crate::review::support::{FOOTER_EN, file, latest, redact, run_concurrently, sent, tick, utc};

async fn reminders_go_out_once_under_a_moving_clock(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _bravo = app.firm_with_users(&mut admin, "Bravo").await;
    let mut charlie = app.firm_with_users(&mut admin, "Charlie").await;
    let _analyst = app.analyst(&mut admin).await;
    // May's return is due on Tuesday 10 June 2025; the first reminder goes
    // out three days before (7 June), the second on Wednesday 11 June.
    file(
        &app,
        &mut alpha,
        "2025-05",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    let alpha_v1 = latest(&app, alpha.id, "2025-05");

    // From 2025-05-20 10:00 UTC to 2025-06-08 00:00 UTC (09:00 JST).
    tick(&app, 24 * 18 + 14);
    let before = sent(&app, "due on 2025-06-10");
    let mut to: Vec<&str> = before.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "approver@bravo.example",
            "approver@charlie.example",
            "reporter@bravo.example",
            "reporter@charlie.example",
        ],
        "approvers and reporters of firms with nothing submitted, once"
    );
    {
        let mut conn = app.pool.get().unwrap();
        let at: Vec<NaiveDateTime> = reminders_sent::table
            .filter(reminders_sent::period.eq("2025-05"))
            .select(reminders_sent::sent_at)
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            at,
            [utc(2025, 6, 7, 0), utc(2025, 6, 7, 0)],
            "09:00 JST on 7 June"
        );
    }
    let (subject, text) = app.last_email_to("reporter@bravo.example");
    assert_eq!(
        subject,
        "Incident Reporting Portal: return for 2025-05 due on 2025-06-10"
    );
    assert_eq!(
        redact(&app, &text, &[]),
        format!(
            "The return of Bravo Securities for 2025-05 is due on 2025-06-10 and nothing has been submitted yet.\n\n\
             If there is nothing to report, file a nil return: it takes one click.\n\n\
             Open the return:\n{{origin}}/returns/2025-05{FOOTER_EN}"
        )
    );

    // Charlie files after its first reminder: no second one.
    for who in ["approver", "reporter"] {
        let browser = if who == "approver" {
            &mut charlie.approver
        } else {
            &mut charlie.reporter
        };
        app.sign_in_fully(browser, &format!("{who}@charlie.example"), PASSWORD)
            .await;
    }
    file(
        &app,
        &mut charlie,
        "2025-05",
        &figures("2", "2", "1", "10", "10", ""),
    )
    .await;

    // On to 20 June.
    tick(&app, 24 * 12);
    assert_eq!(sent(&app, "due on 2025-06-10").len(), 4, "no repeat");
    let overdue = sent(&app, "2025-05 overdue");
    let mut to: Vec<&str> = overdue.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    assert_eq!(to, ["approver@bravo.example", "reporter@bravo.example"]);
    let (subject, text) = app.last_email_to("approver@bravo.example");
    assert_eq!(
        subject,
        "Incident Reporting Portal: return for 2025-05 overdue"
    );
    assert_eq!(
        redact(&app, &text, &[]),
        format!(
            "The return of Bravo Securities for 2025-05 was due on 2025-06-10 and nothing has been submitted.\n\n\
             If there is nothing to report, file a nil return: it takes one click.\n\n\
             Open the return:\n{{origin}}/returns/2025-05{FOOTER_EN}"
        )
    );
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<(i64, String, NaiveDateTime)> = reminders_sent::table
        .filter(reminders_sent::kind.eq("overdue"))
        .select((
            reminders_sent::firm_id,
            reminders_sent::period,
            reminders_sent::sent_at,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "2025-05");
    let when = incident_portal::domain::time::format_tokyo(rows[0].2);
    assert!(
        when.starts_with("2025-06-11 09:0"),
        "the first pass after 09:00 JST: {when}"
    );
    // No firm ever got a reminder for a period it had filed.
    assert!(
        sent(&app, "2025-05")
            .iter()
            .all(|(t, s)| !t.ends_with("alpha.example") || s.contains("received"))
    );
    let _ = alpha_v1;
}

async fn the_digest_lists_each_submission_once_a_day_at_most(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let mut alpha = app.firm_with_users(&mut admin, "Alpha").await;
    let _analyst = app.analyst(&mut admin).await;
    // 2025-05-20 10:00 UTC is 19:00 JST: the day's digest may go out.
    let v1 = file(
        &app,
        &mut alpha,
        "2025-04",
        &figures("1", "1", "0", "0", "0", ""),
    )
    .await;
    run_concurrently(&app);
    let first = sent(&app, "new submission");
    let mut to: Vec<&str> = first.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@fsa.example", "analyst@fsa.example"],
        "analysts and admins, once"
    );
    let (subject, text) = app.last_email_to("analyst@fsa.example");
    assert_eq!(subject, "Incident Reporting Portal: 1 new submission");
    assert_eq!(
        redact(&app, &text, &[&v1.receipt_no]),
        format!(
            "Submissions received since the last digest (as of {{time}}):\n\n\
             - Alpha Securities, 2025-04 v1, receipt {{receipt}}, {{time}}, late\n\n\
             Review them:\n{{origin}}/review{FOOTER_EN}"
        )
    );

    // A second submission the same day waits for the next day's digest,
    // which goes out after 09:00 JST and lists only it.
    let v2 = file(
        &app,
        &mut alpha,
        "2025-04",
        &figures("2", "1", "0", "0", "0", ""),
    )
    .await;
    tick(&app, 13); // 2025-05-20 23:00 UTC = 08:00 JST on the 21st
    assert_eq!(
        sent(&app, "new submission").len(),
        2,
        "not twice on the 20th, not before 09:00"
    );
    tick(&app, 1);
    assert_eq!(sent(&app, "new submission").len(), 4);
    let (_, text) = app.last_email_to("admin@fsa.example");
    assert!(
        text.contains(&v2.receipt_no) && !text.contains(&v1.receipt_no),
        "{text}"
    );
    tick(&app, 48);
    assert_eq!(
        sent(&app, "new submission").len(),
        4,
        "nothing new, no digest"
    );

    // Every portal submission is in exactly one digest.
    let mut conn = app.pool.get().unwrap();
    use incident_portal::db::schema::digest_items;
    let items: Vec<i64> = digest_items::table
        .order(digest_items::version_id.asc())
        .select(digest_items::version_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(items, [v1.id, v2.id]);
}

async fn the_servers_scheduler_sends_them(app: TestApp) {
    let mut admin = app.setup_admin().await;
    let _bravo = app.firm_with_users(&mut admin, "Bravo").await;
    // 8 June 2025, 10:00 JST: inside the first reminder's window.
    app.clock.advance(Duration::days(18) + Duration::hours(15));
    let handle = reminders::spawn(
        app.pool.clone(),
        app.clock.clone(),
        incident_portal::web::mail_links::for_portal(&app.address),
    );
    let mut waited = 0;
    while sent(&app, "due on 2025-06-10").len() < 2 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    handle.abort();
    assert_eq!(sent(&app, "due on 2025-06-10").len(), 2);
    let again = reminders::pass(
        &app.pool,
        &app.clock,
        &incident_portal::web::mail_links::for_portal(&app.address),
    )
    .await
    .unwrap();
    assert_eq!(again, reminders::RunReport::default(), "already sent");
}

crate::on_both_backends!(
    reminders_go_out_once_under_a_moving_clock,
    the_digest_lists_each_submission_once_a_day_at_most,
    the_servers_scheduler_sends_them,
);

fn to() -> EmailAddress {
    EmailAddress::parse("hanako@firm.example").unwrap()
}

#[test]
fn japanese_reminders_and_html() {
    let due = NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
    let link = "https://portal.example/returns/2025-05";
    let mut texts = BTreeMap::new();
    for kind in [ReminderKind::Before, ReminderKind::Overdue] {
        let email = workflow_messages::reminder(
            &to(),
            Lang::Ja,
            kind,
            "かぶ証券 & Co",
            "2025-05",
            due,
            link,
        )
        .unwrap();
        assert!(email.html.contains("かぶ証券 &#38; Co"), "escaped in HTML");
        assert_eq!(
            email.html.matches(&format!("<a href=\"{link}\">")).count(),
            1
        );
        assert!(!email.html.contains("<script") && !email.html.contains("style="));
        texts.insert(
            kind.as_str(),
            (email.subject, email.text.replace(link, "{link}")),
        );
    }
    let footer = "\n\n--\n本ポータルがメールでパスワードや認証コードをお尋ねすることはありません。また、ファイルを添付することもありません。\nこのメールは不正アクセス・不正取引 報告ポータルから自動送信されています。ご返信いただいても対応できません。";
    assert_eq!(
        texts["before"],
        (
            "【不正アクセス・不正取引 報告ポータル】2025-05 の報告の提出期限は 2025-06-10 です"
                .to_owned(),
            format!(
                "かぶ証券 & Co の 2025-05 の報告は 2025-06-10 が提出期限ですが、まだ提出されていません。\n\n報告すべき事象がない場合は、該当なし報告をワンクリックで提出できます。\n\n報告画面を開く：\n{{link}}{footer}"
            )
        )
    );
    assert_eq!(
        texts["overdue"].0,
        "【不正アクセス・不正取引 報告ポータル】2025-05 の報告が提出期限を過ぎています"
    );
}
