//! Every type that holds a secret, formatted with `{:?}`, shows none of it.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use clap::Parser;

use crate::config::{Config, MailConfig, Security, Settings};
use crate::db::DbUrl;
use crate::db::models::{AuthToken, Session, User};
use crate::web::extract::SignedIn;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const TOKEN_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const CSRF: &str = "csrf-token-value-csrf-token-value-csrf-tok";
const TOKEN: &str = "session-token-value-session-token-value-s";
const DB_PASSWORD: &str = "db-pass-w0rd";
const SMTP_PASSWORD: &str = "smtp-pass-w0rd";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

fn at() -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_750_000_000, 0)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

fn user() -> User {
    User {
        id: 1,
        email: "hanako@firm.example".into(),
        display_name: "Hanako".into(),
        role: crate::domain::Role::Approver,
        firm_id: Some(2),
        password_hash: Some(HASH.into()),
        must_change_password: false,
        active: true,
        locale: "ja".into(),
        created_at: at(),
        updated_at: at(),
        password_changed_at: None,
        totp_secret: Some(TOTP.into()),
        totp_enabled_at: Some(at()),
        totp_last_step: None,
        export_right: crate::domain::amendment::ExportRight::None,
    }
}

fn session() -> Session {
    Session {
        id: 3,
        token_hash: TOKEN_HASH.into(),
        user_id: 1,
        csrf_token: CSRF.into(),
        created_at: at(),
        last_seen_at: at(),
        authenticated_at: at(),
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        stage: crate::domain::stage::Stage::Full,
        second_factor_at: Some(at()),
    }
}

fn assert_hidden(shown: &str) {
    for secret in [
        HASH,
        TOTP,
        TOKEN_HASH,
        CSRF,
        TOKEN,
        DB_PASSWORD,
        SMTP_PASSWORD,
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn rows_and_the_signed_in_user_show_no_secret() {
    let who = SignedIn {
        user: user(),
        session: session(),
        token: TOKEN.into(),
        ip: "127.0.0.1".into(),
    };
    let token = AuthToken {
        id: 4,
        token_hash: TOKEN_HASH.into(),
        purpose: "invitation".into(),
        user_id: Some(1),
        created_at: at(),
        expires_at: at(),
        used_at: None,
    };
    let shown = format!(
        "{:?} {:?} {:?} {who:?} {token:?}",
        user(),
        session(),
        who.user
    );
    assert_hidden(&shown);
    assert!(
        shown.contains("hanako@firm.example"),
        "still useful: {shown}"
    );
    assert!(shown.contains("[redacted]"));
}

#[test]
fn settings_and_config_show_no_password() {
    let db = format!("postgres://portal:{DB_PASSWORD}@db.example/portal");
    let smtp = format!("smtp://mailer:{SMTP_PASSWORD}@smtp.example:587");
    let cli = Cli::try_parse_from([
        "incident-portal",
        "--database-url",
        &db,
        "--smtp-url",
        &smtp,
    ])
    .unwrap();
    let settings = cli.settings;
    let config = settings.resolve().unwrap();
    let shown = format!("{settings:?} {config:?}");
    assert_hidden(&shown);
    assert!(shown.contains("db.example"), "{shown}");
    assert!(shown.contains("smtp.example"), "{shown}");
    let query = DbUrl::Postgres(format!(
        "postgres://db.example/portal?password={DB_PASSWORD}"
    ));
    assert_hidden(&format!("{query:?} {}", query.redacted()));
    let file = Config {
        mail: MailConfig::File {
            dir: PathBuf::from("mail"),
            from: "Portal <p@example.com>".parse().unwrap(),
        },
        security: Security::default(),
        ..config
    };
    assert_hidden(&format!("{file:?}"));
}
