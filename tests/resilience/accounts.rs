//! Accounts prepared through the library before the portal starts: one
//! firm per filer, whose only user is its approver (the regulator exempts
//! the firm from four eyes, so it files alone), signing in with a password
//! and an authenticator app.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::clock::Clock;
use incident_portal::db::models::NewUser;
use incident_portal::db::schema::{firms, users};
use incident_portal::db::{self, DbPool, DbUrl, write_tx};
use incident_portal::domain::email::EmailAddress;
use incident_portal::mail::outbox::{self, Email};
use incident_portal::services::{accounts, password, totp};

pub const PASSWORD: &str = "resilience horse battery staple";

#[derive(Clone, Debug)]
pub struct Account {
    pub email: String,
    pub totp_secret: String,
    pub firm_id: i64,
}

/// A pool on `url` with every migration applied.
pub fn migrated_pool(url: &DbUrl) -> DbPool {
    let pool = db::connect_pool(url, 4).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate::run_pending(&mut conn).unwrap();
    pool
}

/// `count` firms, each with one approver; `tag` keeps names apart when a
/// test makes several batches.
pub fn firms_with_approvers(pool: &DbPool, tag: &str, count: usize) -> Vec<Account> {
    let now = Clock::system().now();
    firms_with_approvers_at(pool, tag, count, now)
}

pub fn firms_with_approvers_at(
    pool: &DbPool,
    tag: &str,
    count: usize,
    now: NaiveDateTime,
) -> Vec<Account> {
    let hash = password::hash(PASSWORD).unwrap();
    let mut conn = pool.get().unwrap();
    // Registration numbers are unique: each batch takes its own range.
    let base = 1000
        + tag
            .bytes()
            .fold(0usize, |acc, b| (acc * 31 + usize::from(b)) % 9000)
            * 100;
    write_tx(&mut conn, |conn| {
        let mut made = Vec::new();
        for i in 0..count {
            let firm = accounts::insert_firm(
                conn,
                &format!("{tag} {i:02} Securities"),
                &format!("関東財務局長（金商）第{}号", base + i),
                None,
                now,
            )?;
            // The regulator's decision: a single-user firm files alone.
            diesel::update(firms::table.find(firm.id))
                .set((
                    firms::single_user_exempt.eq(true),
                    firms::exempt_decided_on.eq(now.date()),
                    // Owes returns from long before the harness's months.
                    firms::first_period.eq("2020-01"),
                ))
                .execute(conn)?;
            let email = format!("approver{i:02}@{}.example", tag.to_lowercase());
            let secret = totp::new_secret();
            diesel::insert_into(users::table)
                .values(NewUser {
                    email: &email,
                    display_name: &format!("Filer {i:02}"),
                    role: incident_portal::domain::Role::Approver,
                    firm_id: Some(firm.id),
                    password_hash: Some(&hash),
                    must_change_password: false,
                    active: true,
                    locale: "en",
                    created_at: now,
                    updated_at: now,
                    password_changed_at: Some(now),
                })
                .execute(conn)?;
            diesel::update(users::table.filter(users::email.eq(&email)))
                .set((
                    users::totp_secret.eq(&secret),
                    users::totp_enabled_at.eq(now),
                ))
                .execute(conn)?;
            made.push(Account {
                email,
                totp_secret: secret,
                firm_id: firm.id,
            });
        }
        Ok::<_, diesel::result::Error>(made)
    })
    .unwrap()
}

/// Writes `count` messages to the outbox, due at `now`, each in its own
/// committed transaction; returns their subjects.
pub fn enqueue_mail(pool: &DbPool, tag: &str, count: usize, now: NaiveDateTime) -> Vec<String> {
    let mut conn = pool.get().unwrap();
    (0..count)
        .map(|i| {
            let subject = format!("{tag} message {i:03}");
            let email = Email {
                to: EmailAddress::parse(&format!("{tag}{i:03}@firm.example")).unwrap(),
                subject: subject.clone(),
                text: format!("text of {subject}"),
                html: format!("<p>html of {subject}</p>"),
            };
            write_tx(&mut conn, |c| outbox::enqueue(c, &email, now)).unwrap();
            subject
        })
        .collect()
}
