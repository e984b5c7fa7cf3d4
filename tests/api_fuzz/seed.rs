//! The portals the outside tests run against, prepared through the
//! services before they are called: the demo data (three firms with
//! months filed, the regulator's staff) with a second approver at the
//! first firm and an active API client of it, plus a regulator's client;
//! or one new firm of two approvers and a client, nothing filed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use incident_portal::db::DbPool;
use incident_portal::db::models::{NewUser, User};
use incident_portal::db::schema::{firms, users};
use incident_portal::domain::Role;
use incident_portal::services::api_clients::{self, Registration};
use incident_portal::services::{Actor, accounts, password, seed};

use crate::api_support::{TestKey, seed_firm_client};

/// A client's id and the key it signs with.
pub type Client = (String, TestKey);

/// An approver of `firm` who has signed up (a password set).
fn add_approver(pool: &DbPool, firm: i64, email: &str, now: NaiveDateTime) {
    let hash = password::hash("a fuzzed portal's approver").unwrap();
    let mut conn = pool.get().unwrap();
    diesel::insert_into(users::table)
        .values(NewUser {
            email,
            display_name: email,
            role: Role::Approver,
            firm_id: Some(firm),
            password_hash: Some(&hash),
            must_change_password: false,
            active: true,
            locale: "en",
            created_at: now,
            updated_at: now,
            password_changed_at: Some(now),
        })
        .execute(&mut conn)
        .unwrap();
}

/// A regulator's client, registered by the admin (active at once).
fn staff_client(pool: &DbPool, now: NaiveDateTime) -> Client {
    let key = TestKey::ed25519();
    let mut conn = pool.get().unwrap();
    let admin: User = users::table
        .filter(users::role.eq(Role::Admin))
        .select(User::as_select())
        .first(&mut conn)
        .unwrap();
    let jwk = key.public_jwk().to_string();
    let registered = api_clients::register(
        &mut conn,
        &Actor::system("test"),
        &admin,
        &Registration {
            name: "Analytics",
            public_jwk: &jwk,
        },
        now,
    )
    .unwrap()
    .unwrap();
    (registered.client_id, key)
}

/// The demo portal: the first firm's client, and the regulator's.
pub fn demo_portal(pool: &DbPool, now: NaiveDateTime) -> (Client, Client) {
    let firm: i64 = {
        let mut conn = pool.get().unwrap();
        seed::seed(&mut conn, now).unwrap();
        firms::table
            .filter(firms::name.eq("Sakura Securities"))
            .select(firms::id)
            .first(&mut conn)
            .unwrap()
    };
    add_approver(pool, firm, "second@firm1.example", now);
    let firm_client = seed_firm_client(pool, now, firm, TestKey::es256());
    (firm_client, staff_client(pool, now))
}

/// A new firm that owes returns since 2020, with two approvers: its id.
pub fn new_firm(pool: &DbPool, name: &str, now: NaiveDateTime) -> i64 {
    let firm = {
        let mut conn = pool.get().unwrap();
        let firm = accounts::insert_firm(&mut conn, name, "関東財務局長（金商）第990号", None, now)
            .unwrap();
        diesel::update(firms::table.find(firm.id))
            .set(firms::first_period.eq("2020-01"))
            .execute(&mut conn)
            .unwrap();
        firm.id
    };
    add_approver(pool, firm, "first@new.example", now);
    add_approver(pool, firm, "second@new.example", now);
    firm
}
