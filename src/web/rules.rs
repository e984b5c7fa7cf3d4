//! The public rule catalogue: `/rules`, a page for people (every rule with
//! its ID, severity, what it checks, the message it shows, the fields it
//! reads and the day it took effect), and `/rules.json`, the same for
//! programs. Both are built from `domain::rules::CATALOGUE` once per
//! language, as they change only with the code.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;

use crate::domain::rules::{CATALOGUE, Rule, Subject};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::web::AppState;
use crate::web::view::{Chrome, ok};

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    c: Chrome,
    /// (subject heading, its rules).
    subjects: Vec<(String, Vec<Shown>)>,
}

/// One rule as the page shows it.
struct Shown {
    id: &'static str,
    severity: &'static str,
    warning: bool,
    description: &'static str,
    message: &'static str,
    fields: String,
    effective: &'static str,
}

fn fields_read(t: &Tr, rule: &Rule) -> String {
    let names = rule.reads.fields();
    if names.is_empty() {
        return t.t(msg!("rules.whole_file")).to_owned();
    }
    names
        .iter()
        .map(|f| match rule.subject {
            Subject::Return => t.named(&format!("field.{f}")).to_owned(),
            Subject::Trades => (*f).to_owned(),
            Subject::Document => {
                crate::services::draft_document::pointer_of(f).unwrap_or_else(|| format!("/{f}"))
            }
            Subject::Incident => format!("/{f}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn shown(t: &Tr, subject: Subject) -> Vec<Shown> {
    CATALOGUE
        .iter()
        .filter(|r| r.subject == subject)
        .map(|r| Shown {
            id: r.id,
            severity: t.t(r.severity.label_key()),
            warning: r.severity == crate::domain::rules::Severity::Warning,
            description: t.t(r.description),
            message: t.t(r.key),
            fields: fields_read(t, r),
            effective: r.effective,
        })
        .collect()
}

/// `GET /rules`
pub async fn page(req: HttpRequest) -> AppResult<HttpResponse> {
    let c = Chrome::public(&req).await;
    let subjects = vec![
        (
            c.t.t(msg!("rules.subject.return")).to_owned(),
            shown(&c.t, Subject::Return),
        ),
        (
            c.t.t(msg!("rules.subject.trades")).to_owned(),
            shown(&c.t, Subject::Trades),
        ),
        (
            c.t.t(msg!("rules.subject.document")).to_owned(),
            shown(&c.t, Subject::Document),
        ),
        (
            c.t.t(msg!("rules.subject.incident")).to_owned(),
            shown(&c.t, Subject::Incident),
        ),
    ];
    ok(&RulesPage { c, subjects })
}

#[derive(Serialize)]
struct Texts {
    en: &'static str,
    ja: &'static str,
}

#[derive(Serialize)]
struct RuleJson {
    id: &'static str,
    /// The URI the API's problem details name this rule by.
    #[serde(rename = "type")]
    type_uri: String,
    severity: &'static str,
    subject: &'static str,
    fields: Vec<&'static str>,
    description: Texts,
    message: Texts,
    effective: &'static str,
}

#[derive(Serialize)]
struct CatalogueJson {
    rules: Vec<RuleJson>,
}

fn both(key: crate::i18n::Key) -> Texts {
    Texts {
        en: Tr::new(Lang::En).t(key),
        ja: Tr::new(Lang::Ja).t(key),
    }
}

/// The catalogue as JSON, rule URIs under the portal's public address.
pub fn catalogue_json(public_url: &str) -> AppResult<String> {
    let base = public_url.trim_end_matches('/');
    let rules = CATALOGUE
        .iter()
        .map(|r| RuleJson {
            id: r.id,
            type_uri: format!("{base}{}", r.path()),
            severity: r.severity.code(),
            subject: r.subject.code(),
            fields: r.reads.fields(),
            description: both(r.description),
            message: both(r.key),
            effective: r.effective,
        })
        .collect();
    serde_json::to_string_pretty(&CatalogueJson { rules })
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// `GET /rules.json`
pub async fn json(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = match BODY.get() {
        Some(body) => body.clone(),
        None => {
            let body = catalogue_json(&state.config.public_url)?;
            BODY.get_or_init(|| body).clone()
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body))
}

/// A check's message as the return's pages show it: the message, then the
/// ID of the rule behind it (the same ID the API and `/rules` give), when
/// the catalogue has one.
pub fn message(t: &Tr, subject: Subject, key: crate::i18n::Key) -> String {
    match crate::domain::rules::raised(subject, key) {
        Some(rule) => format!("{} ({})", t.t(key), rule.id),
        None => t.t(key).to_owned(),
    }
}
