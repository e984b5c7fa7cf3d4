//! Demo data for someone trying the portal: a few firms, their users and
//! returns, and staff accounts. Logins are printed once; passwords are random.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::accounts::insert_firm;
use super::audit::{self, Event, action};
use super::return_form::FiguresForm;
use super::returns::{self, Source};
use super::summary::Breakdown;
use super::{Actor, password, second_factor, tokens, totp};
use crate::db::models::NewUser;
use crate::db::schema::{firms, settings, users};
use crate::db::{DbConn, write_tx};
use crate::domain::figures::ReturnFigures;
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};

pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub firm: Option<String>,
    /// The authenticator-app key (base32) and its otpauth:// URI.
    pub totp_secret: String,
    pub totp_uri: String,
}

const FIRMS: [(&str, &str, &str); 3] = [
    (
        "Sakura Securities",
        "関東財務局長（金商）第901号",
        "5493001KJTIIGC8Y1R12",
    ),
    ("Fuji Online Brokerage", "関東財務局長（金商）第902号", ""),
    ("Naniwa Trading Co.", "近畿財務局長（金商）第903号", ""),
];

/// (period, accesses, accounts, trades, sale, purchase) per demo firm,
/// shaped like the spring 2025 wave.
/// (period, accesses, accounts, trades, sale, purchase)
type DemoMonth = (&'static str, i64, i64, i64, i64, i64);

const FIGURES: [[DemoMonth; 3]; 3] = [
    [
        ("2025-02", 20, 18, 15, 420_000_000, 380_000_000),
        ("2025-03", 700, 640, 340, 9_800_000_000, 8_700_000_000),
        ("2025-04", 900, 810, 360, 11_200_000_000, 9_900_000_000),
    ],
    [
        ("2025-02", 15, 15, 12, 250_000_000, 230_000_000),
        ("2025-03", 480, 450, 250, 6_100_000_000, 5_400_000_000),
        ("2025-04", 610, 590, 270, 7_300_000_000, 6_500_000_000),
    ],
    [
        ("2025-02", 8, 8, 6, 90_000_000, 80_000_000),
        ("2025-03", 242, 230, 95, 2_000_000_000, 1_800_000_000),
        ("2025-04", 337, 320, 106, 2_600_000_000, 2_300_000_000),
    ],
];

fn random_password() -> String {
    // 24 URL-safe characters from a fresh 256-bit token.
    tokens::new_token().chars().take(24).collect()
}

/// Seeds demo data unless firms already exist. Hashing happens before the
/// transaction; the transaction writes everything or nothing.
pub fn seed(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<DemoLogin>> {
    let existing: i64 = firms::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(AppError::Conflict("err.seed.not_empty"));
    }
    let mut logins = vec![
        DemoLogin {
            email: "admin@regulator.example".into(),
            password: random_password(),
            role: Role::Admin,
            firm: None,
            totp_secret: String::new(),
            totp_uri: String::new(),
        },
        DemoLogin {
            email: "analyst@regulator.example".into(),
            password: random_password(),
            role: Role::Analyst,
            firm: None,
            totp_secret: String::new(),
            totp_uri: String::new(),
        },
    ];
    for (i, (name, _, _)) in FIRMS.iter().enumerate() {
        for role in [Role::Approver, Role::Reporter] {
            logins.push(DemoLogin {
                email: format!("{}@firm{}.example", role.as_str(), i + 1),
                password: random_password(),
                role,
                firm: Some((*name).to_owned()),
                totp_secret: String::new(),
                totp_uri: String::new(),
            });
        }
    }
    for login in &mut logins {
        login.totp_secret = totp::new_secret();
        login.totp_uri = totp::otpauth_uri(&login.totp_secret, &login.email)?;
    }
    let hashes: Vec<String> = logins
        .iter()
        .map(|l| password::hash(&l.password))
        .collect::<AppResult<_>>()?;
    let actor = Actor::system("seed-demo");
    write_tx(conn, |conn| {
        let mut firm_ids = Vec::new();
        for (name, reg, lei) in FIRMS {
            let lei = Some(lei).filter(|l| !l.is_empty());
            firm_ids.push((name, insert_firm(conn, name, reg, lei, now)?.id));
        }
        for (login, hash) in logins.iter().zip(&hashes) {
            let firm_id = login
                .firm
                .as_ref()
                .and_then(|f| firm_ids.iter().find(|(n, _)| n == f).map(|(_, id)| *id));
            diesel::insert_into(users::table)
                .values(NewUser {
                    email: &login.email,
                    display_name: &format!("Demo {}", login.role.as_str()),
                    role: login.role.as_str(),
                    firm_id,
                    password_hash: Some(hash),
                    must_change_password: false,
                    active: true,
                    locale: "en",
                    created_at: now,
                    updated_at: now,
                    password_changed_at: Some(now),
                })
                .execute(conn)?;
            // Demo accounts sign in with an authenticator app (no passkey
            // needed on a laptop); the policy below lets staff use one too.
            diesel::update(users::table.filter(users::email.eq(&login.email)))
                .set((
                    users::totp_secret.eq(&login.totp_secret),
                    users::totp_enabled_at.eq(now),
                ))
                .execute(conn)?;
        }
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(second_factor::TOTP_STAFF),
                settings::value.eq("allowed"),
            ))
            .execute(conn)?;
        for ((_, firm_id), rows) in firm_ids.iter().zip(FIGURES) {
            for (period, accesses, accounts, trades, sale, purchase) in rows {
                let period =
                    Period::parse(period).map_err(|_| AppError::Internal("demo period".into()))?;
                let mut form = FiguresForm::default();
                form.set("unauthorized_accesses", accesses.to_string());
                form.set("affected_accounts", accounts.to_string());
                form.set("fraudulent_trades", trades.to_string());
                form.set("sale_amount", sale.to_string());
                form.set("purchase_amount", purchase.to_string());
                form.set(
                    "remediation",
                    "Passkeys offered; affected accounts frozen; customers notified.",
                );
                let figures = ReturnFigures::parse_for_submission(&form.input())
                    .map_err(|_| AppError::Internal("demo figures".into()))?;
                let submitted_at = period
                    .next()
                    .first_day()
                    .and_hms_opt(1, 0, 0)
                    .unwrap_or(now)
                    + Duration::days(5);
                let ret = returns::lock_or_create(conn, *firm_id, period, now)?;
                returns::append_version(
                    conn,
                    &ret,
                    &figures,
                    Breakdown::default(),
                    Source::Import,
                    submitted_at,
                    None,
                    None,
                )?;
            }
        }
        audit::record(
            conn,
            now,
            &actor,
            Event {
                action: action::DEMO_SEEDED,
                object_type: "portal",
                object_id: "-",
                detail: "",
            },
        )?;
        Ok(logins)
    })
}
