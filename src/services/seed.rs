//! Demo data for someone trying the portal: a few firms, their users and
//! returns, and staff accounts. Logins are printed once; passwords are random.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::accounts::insert_firm;
use super::audit::{self, Action, Event};
use super::return_form::FiguresForm;
use super::returns::{self, Source};
use super::summary::Breakdown;
use super::{Actor, password, second_factor, submission, tokens, totp};
use crate::db::models::NewUser;
use crate::db::schema::{firms, settings, users};
use crate::db::{DbConn, write_tx};
use crate::domain::amendment::ExportRight;
use crate::domain::details::{CHECK_DATE, CHECK_STATUS, DETECTION, MARKETS, VECTORS};
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

/// What each demo firm's returns say beyond the FSA figures, derived from
/// FIGURES with integer arithmetic so every sum a submission checks is
/// exact. Shares are per cent (markets, compensation) or basis points
/// (vectors, detection); the last part of each split is the remainder.
struct DemoDetails {
    /// Per month: (domestic, China/HK, US) in per cent of the purchase
    /// amount; other markets take the rest.
    markets: [[i64; 3]; 3],
    /// (phishing, credential stuffing, malware, SIM swap, insider) in basis
    /// points of the accesses; unknown takes the rest.
    vectors: [i64; 5],
    /// (customer, monitoring) in basis points of the accesses; other
    /// channels take the rest.
    detected: [i64; 2],
    /// Customer losses in per cent of the purchase amount.
    losses: i64,
    /// "full", "partial" or "considering", and the partial percentage.
    policy: (&'static str, &'static str),
    /// Per month: compensation paid in per cent of the losses, and accounts
    /// compensated in per cent of the affected accounts.
    compensated: [(i64, i64); 3],
    /// Per month, per checklist item: d(one), p(lanned) or n(ot applicable).
    /// What the remediation text claims (passkeys offered, accounts frozen,
    /// customers notified) is always done.
    checklist: [&'static str; 3],
    contact: (&'static str, &'static str, &'static str),
}

const DETAILS: [DemoDetails; 3] = [
    DemoDetails {
        markets: [[60, 25, 10], [15, 70, 10], [10, 75, 10]],
        vectors: [7000, 1500, 800, 200, 0],
        detected: [3500, 6000],
        losses: 6,
        policy: ("partial", "50"),
        compensated: [(50, 100), (50, 100), (20, 40)],
        checklist: ["pdddddpdd", "pdddddddd", "ddddddddd"],
        contact: ("Hanako Sato", "+81 3-5555-0101", "compliance@firm1.example"),
    },
    DemoDetails {
        markets: [[70, 20, 5], [25, 60, 10], [20, 65, 10]],
        vectors: [6000, 2500, 600, 100, 0],
        detected: [5000, 5000],
        losses: 5,
        policy: ("full", ""),
        compensated: [(100, 100), (60, 60), (0, 0)],
        checklist: ["pdpdddpdd", "pdddddddd", "ddddddddd"],
        contact: (
            "Kenji Watanabe",
            "+81 3-5555-0102",
            "compliance@firm2.example",
        ),
    },
    DemoDetails {
        markets: [[80, 10, 5], [35, 50, 10], [30, 55, 10]],
        vectors: [5500, 2000, 1200, 300, 50],
        detected: [4000, 5500],
        losses: 7,
        policy: ("considering", ""),
        compensated: [(0, 0), (0, 0), (0, 0)],
        checklist: ["pddpddnpd", "pdpdddndd", "pdddddndd"],
        contact: ("Yuki Tanaka", "+81 6-5555-0103", "compliance@firm3.example"),
    },
];

/// What the versions' details say about who checked them: demo data was
/// prepared and attested by no one.
const FOUR_EYES: &str = "demo data (seed-demo)";

/// `total` split by `shares` (each per `unit`), the remainder last, so the
/// parts sum to `total` exactly.
fn split<const N: usize>(total: i64, shares: &[i64], unit: i64) -> [i64; N] {
    let mut out = [0; N];
    for (slot, share) in out.iter_mut().zip(shares) {
        *slot = total * share / unit;
    }
    if let Some(last) = out.last_mut() {
        *last = total
            - shares
                .iter()
                .take(N - 1)
                .map(|s| total * s / unit)
                .sum::<i64>();
    }
    out
}

/// Whether the tenfold rule flags `now` against the month before.
fn tenfold(now: DemoMonth, before: Option<DemoMonth>) -> bool {
    let Some(before) = before else {
        return false;
    };
    [
        (now.1, before.1),
        (now.3, before.3),
        (now.4, before.4),
        (now.5, before.5),
    ]
    .into_iter()
    .any(|(now, before)| before > 0 && now > before.saturating_mul(10))
}

/// The return form for demo firm `firm`'s month `month`, filled in full as
/// a person would submit it.
fn demo_form(firm: usize, month: usize, row: DemoMonth, before: Option<DemoMonth>) -> FiguresForm {
    let d = &DETAILS[firm % DETAILS.len()];
    let month = month % 3;
    let (period, accesses, accounts, trades, sale, purchase) = row;
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
    let markets: [i64; 4] = split(purchase, &d.markets[month], 100);
    for (name, value) in MARKETS.iter().zip(markets) {
        form.set(name, value.to_string());
    }
    let vectors: [i64; 6] = split(accesses, &d.vectors, 10_000);
    for (name, value) in VECTORS.iter().zip(vectors) {
        form.set(name, value.to_string());
    }
    let detected: [i64; 3] = split(accesses, &d.detected, 10_000);
    for (name, value) in DETECTION.iter().zip(detected) {
        form.set(name, value.to_string());
    }
    if detected[2] > 0 {
        form.set(
            "detected_other_text",
            "Alerts from the JSDA and other brokers",
        );
    }
    let losses = purchase * d.losses / 100;
    let (paid, compensated) = d.compensated[month];
    form.set("customer_losses", losses.to_string());
    form.set("compensation_paid", (losses * paid / 100).to_string());
    form.set(
        "accounts_compensated",
        (accounts * compensated / 100).to_string(),
    );
    form.set("compensation_policy", d.policy.0);
    form.set("compensation_percent", d.policy.1);
    // Planned measures fall due from two weeks after the month ends.
    let due_from = Period::parse(period).map(|p| p.next().first_day()).ok();
    for (i, status) in d.checklist[month]
        .chars()
        .enumerate()
        .take(CHECK_STATUS.len())
    {
        let (code, days) = match status {
            'd' => ("done", None),
            'p' => ("planned", Some(14 + 7 * i as i64)),
            _ => ("na", None),
        };
        form.set(CHECK_STATUS[i], code);
        if let (Some(days), Some(from)) = (days, due_from) {
            form.set(CHECK_DATE[i], (from + Duration::days(days)).to_string());
        }
    }
    let (name, phone, email) = d.contact;
    form.set("contact_name", name);
    form.set("contact_phone", phone);
    form.set("contact_email", email);
    form.set("attestation", "yes");
    if tenfold(row, before) {
        form.set(
            "warnings_explanation",
            "A wave of phishing sites imitating our login page this month, as at \
             other brokers: accesses and trades rose sharply.",
        );
    }
    form
}

fn random_password() -> String {
    // 24 URL-safe characters from a fresh 256-bit token.
    tokens::new_token().chars().take(24).collect()
}

/// Seeds demo data unless firms already exist. Hashing happens before the
/// transaction; the transaction writes everything or nothing.
pub fn seed(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<Vec<DemoLogin>> {
    let existing: i64 = firms::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(AppError::Conflict(msg!("err.seed.not_empty")));
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
                    role: login.role,
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
        // The demo analyst may export (contact details left out).
        diesel::update(users::table.filter(users::role.eq(Role::Analyst)))
            .set(users::export_right.eq(ExportRight::Export))
            .execute(conn)?;
        // The policy may already be set (an admin set up before seeding).
        diesel::delete(settings::table.filter(settings::key.eq(second_factor::TOTP_STAFF)))
            .execute(conn)?;
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(second_factor::TOTP_STAFF),
                settings::value.eq(super::policy::StaffTotp::Allowed.as_str()),
            ))
            .execute(conn)?;
        for (f, ((_, firm_id), rows)) in firm_ids.iter().zip(FIGURES).enumerate() {
            let mut before = None;
            for (m, row) in rows.into_iter().enumerate() {
                let period =
                    Period::parse(row.0).map_err(|_| AppError::Internal("demo period".into()))?;
                // The same rules as a person's submission, warnings included.
                let form = demo_form(f, m, row, before);
                let checked =
                    submission::check(conn, *firm_id, period, &form)?.map_err(|invalid| {
                        AppError::Internal(format!("demo return {period}: {:?}", invalid.0))
                    })?;
                let submitted_at = period
                    .next()
                    .first_day()
                    .and_hms_opt(1, 0, 0)
                    .unwrap_or(now)
                    + Duration::days(5);
                let ret = returns::lock_or_create(conn, *firm_id, period, now)?;
                let version = returns::append_version(
                    conn,
                    &ret,
                    &checked.figures,
                    Breakdown::from(&checked.details),
                    Source::Import,
                    submitted_at,
                    None,
                    None,
                )?;
                submission::store_details(conn, version.id, &checked, None, FOUR_EYES)?;
                before = Some(row);
            }
        }
        audit::record(
            conn,
            now,
            &actor,
            Event {
                action: Action::DemoSeeded,
                object_type: "portal",
                object_id: "-",
                detail: "",
            },
        )?;
        Ok(logins)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use diesel::prelude::*;

    use super::*;
    use crate::db::models::{SummaryRow, Version, VersionDetails};
    use crate::db::schema::{period_summary, return_versions, version_details};
    use crate::db::testing::{memory_db, test_now};

    fn sum(form: &FiguresForm, names: &[&str]) -> i64 {
        names
            .iter()
            .map(|n| form.get(n).parse::<i64>().unwrap())
            .sum()
    }

    #[test]
    fn demo_forms_split_purchases_and_accesses_exactly() {
        for (f, rows) in FIGURES.iter().enumerate() {
            let mut before = None;
            for (m, row) in rows.iter().enumerate() {
                let form = demo_form(f, m, *row, before);
                assert_eq!(sum(&form, &MARKETS), row.5, "{f} {m} markets");
                assert_eq!(sum(&form, &VECTORS), row.1, "{f} {m} vectors");
                assert_eq!(sum(&form, &DETECTION), row.1, "{f} {m} detection");
                assert!(form.get("vector_phishing").parse::<i64>().unwrap() > 0);
                let losses: i64 = form.get("customer_losses").parse().unwrap();
                let paid: i64 = form.get("compensation_paid").parse().unwrap();
                assert!(paid <= losses, "no compensation-above-losses warning");
                let compensated: i64 = form.get("accounts_compensated").parse().unwrap();
                assert!(compensated <= row.2);
                for item in ["passkeys_offered", "accounts_frozen", "customers_notified"] {
                    assert_eq!(form.get(&format!("check_{item}")), "done", "{f} {m} {item}");
                }
                assert_eq!(
                    form.get("warnings_explanation").is_empty(),
                    m != 1,
                    "only the March wave is tenfold"
                );
                before = Some(*row);
            }
        }
    }

    #[test]
    fn seed_gives_every_demo_version_details_in_the_summary() {
        let mut conn = memory_db();
        let logins = seed(&mut conn, test_now()).unwrap();
        assert_eq!(logins.len(), 8);
        let versions: Vec<(Version, Option<VersionDetails>)> = return_versions::table
            .left_join(version_details::table)
            .select((Version::as_select(), Option::<VersionDetails>::as_select()))
            .load(&mut conn)
            .unwrap();
        assert_eq!(versions.len(), 9);
        for (v, d) in &versions {
            let d = d.as_ref().unwrap_or_else(|| panic!("{} has details", v.id));
            let markets = d.purchase_domestic_jpy
                + d.purchase_china_hk_jpy
                + d.purchase_us_jpy
                + d.purchase_other_jpy;
            assert_eq!(markets, v.purchase_amount_jpy);
            assert_eq!(v.status, crate::domain::VersionStatus::Accepted);
            assert_eq!(v.source, "import");
            assert_eq!(d.warnings.is_empty(), v.period != "2025-03");
        }
        let rows: Vec<SummaryRow> = period_summary::table
            .select(SummaryRow::as_select())
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 3);
        for r in rows {
            let b = Breakdown::from(&r);
            assert_eq!(
                b.purchase_by_market.iter().sum::<i64>(),
                r.purchase_amount_jpy
            );
            assert_eq!(b.vectors.iter().sum::<i64>(), r.unauthorized_accesses);
        }
        assert!(matches!(
            seed(&mut conn, test_now()),
            Err(AppError::Conflict(_))
        ));
    }
}
