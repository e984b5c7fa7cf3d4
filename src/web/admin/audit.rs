//! The audit log for admins: filter it, page back through it (newest first,
//! keyset by id) and verify its hash chain on demand. GET only.

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::AuditEvent;
use crate::domain::time::to_tokyo;
use crate::error::AppResult;
use crate::services::audit::Action;
use crate::services::audit_chain::{self, Break, ChainReport, Fault};
use crate::services::audit_log::{self, FilterInput, PAGE_SIZE, one_line};
use crate::services::audit_rows::Row;
use crate::web::extract::Admin;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    action: String,
    actor: String,
    object_type: String,
    object_id: String,
    from: String,
    to: String,
    before: String,
    verify: String,
}

/// One event as the table shows it: every free-text field made visible
/// (line breaks and other controls as escapes), so no entry can pose as two.
pub struct EventLine {
    pub id: i64,
    pub utc: String,
    pub when: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: String,
    /// Why the row does not read as an event (then the other fields are
    /// empty).
    pub malformed: Option<String>,
}

/// A filter input: name, label key, hint key, typed value, error.
pub struct FilterField {
    pub name: &'static str,
    pub label: Key,
    pub hint: Option<Key>,
    pub value: String,
    pub error: Option<String>,
}

/// The outcome of `?verify=1`.
pub struct ChainView {
    pub intact: bool,
    pub message: String,
    pub link: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    c: Chrome,
    path: &'static str,
    action: String,
    actions: Vec<&'static str>,
    fields: Vec<FilterField>,
    errors: Vec<(String, String, String)>,
    lines: Vec<EventLine>,
    older: Option<String>,
    newest: Option<String>,
    chain: Option<ChainView>,
}

impl AuditPage {
    fn action_selected(&self, value: &str) -> bool {
        self.action == value
    }
}

fn line(c: &Chrome, row: Row) -> EventLine {
    let e = match row {
        Row::Event(e) => e,
        Row::Malformed { id, why } => {
            return EventLine {
                id,
                utc: String::new(),
                when: String::new(),
                actor: String::new(),
                ip: String::new(),
                action: String::new(),
                object_type: String::new(),
                object_id: String::new(),
                detail: String::new(),
                malformed: Some(c.t.tf(msg!("audit.malformed_row"), &[("why", &one_line(&why))])),
            };
        }
    };
    event_line(e)
}

fn event_line(e: AuditEvent) -> EventLine {
    EventLine {
        id: e.id,
        utc: e.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        when: to_tokyo(e.occurred_at)
            .format("%Y-%m-%d %H:%M:%S JST")
            .to_string(),
        actor: one_line(&e.actor),
        ip: one_line(&e.ip),
        action: one_line(&e.action),
        object_type: one_line(&e.object_type),
        object_id: one_line(&e.object_id),
        detail: one_line(&e.detail),
        malformed: None,
    }
}

/// Percent-encodes a query-string value (everything but unreserved bytes).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// This page with the same filters, from `before` (or the newest).
fn href(q: &AuditQuery, before: Option<i64>) -> String {
    let before = before.map(|id| id.to_string()).unwrap_or_default();
    let pairs = [
        ("action", q.action.trim()),
        ("actor", q.actor.trim()),
        ("object_type", q.object_type.trim()),
        ("object_id", q.object_id.trim()),
        ("from", q.from.trim()),
        ("to", q.to.trim()),
        ("before", before.as_str()),
    ];
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if query.is_empty() {
        paths::ADMIN_AUDIT.to_owned()
    } else {
        format!("{}?{}", paths::ADMIN_AUDIT, query.join("&"))
    }
}

fn chain_view(c: &Chrome, report: &ChainReport) -> ChainView {
    let t = &c.t;
    let (event, fault) = match report {
        ChainReport::Intact { events, head, .. } => {
            return ChainView {
                intact: true,
                message: t.tn(
                    msg!("audit.intact"),
                    *events,
                    &[("count", &c.count(events)), ("head", head)],
                ),
                link: None,
            };
        }
        ChainReport::Broken(Break { event, fault }) => (event, fault),
    };
    let what = match fault {
        Fault::PrevHash { stored, expected } => t.tf(
            msg!("audit.fault.prev_hash"),
            &[("stored", stored), ("expected", expected)],
        ),
        Fault::Hash { stored, computed } => t.tf(
            msg!("audit.fault.hash"),
            &[("stored", stored), ("computed", computed)],
        ),
        Fault::HeadHash { head, last } => t.tf(
            msg!("audit.fault.head_hash"),
            &[("head", head), ("last", last)],
        ),
        Fault::HeadCount { head, counted } => t.tf(
            msg!("audit.fault.head_count"),
            &[
                ("head", &head.to_string()),
                ("counted", &counted.to_string()),
            ],
        ),
        Fault::Malformed { why } => t.tf(msg!("audit.fault.malformed"), &[("why", &one_line(why))]),
    };
    let (message, link) = match event {
        Some(e) if e.action.is_none() || e.occurred_at.is_none() => (
            t.tf(
                msg!("audit.broken_row"),
                &[("id", &e.id.to_string()), ("what", &what)],
            ),
            Some(href(&AuditQuery::default(), e.id.checked_add(1))),
        ),
        Some(e) => (
            t.tf(
                msg!("audit.broken"),
                &[
                    ("id", &e.id.to_string()),
                    ("action", &one_line(e.action.as_deref().unwrap_or_default())),
                    (
                        "when",
                        &e.occurred_at.map(|at| c.when(&at)).unwrap_or_default(),
                    ),
                    ("what", &what),
                ],
            ),
            Some(href(&AuditQuery::default(), e.id.checked_add(1))),
        ),
        None => (t.tf(msg!("audit.broken_head"), &[("what", &what)]), None),
    };
    ChainView {
        intact: false,
        message,
        link,
    }
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let parsed = FilterInput {
        action: &q.action,
        actor: &q.actor,
        object_type: &q.object_type,
        object_id: &q.object_id,
        from: &q.from,
        to: &q.to,
        before: &q.before,
    }
    .parse();
    let verify = q.verify == "1";
    let filter = parsed.as_ref().ok().cloned();
    let (found, report) = crate::db::run(&state.pool, move |conn| {
        let found = match filter {
            Some(filter) => Some(audit_log::page(conn, &filter, PAGE_SIZE)?),
            None => None,
        };
        let report = if verify {
            Some(audit_chain::verify(conn)?)
        } else {
            None
        };
        Ok((found, report))
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let invalid = parsed.err().unwrap_or_default();
    let specs: [(&'static str, Key, Option<Key>, &str); 5] = [
        ("actor", msg!("audit.actor"), None, &q.actor),
        (
            "object_type",
            msg!("audit.object_type"),
            None,
            &q.object_type,
        ),
        ("object_id", msg!("audit.object_id"), None, &q.object_id),
        (
            "from",
            msg!("audit.from"),
            Some(msg!("audit.hint.date")),
            &q.from,
        ),
        ("to", msg!("audit.to"), Some(msg!("audit.hint.date")), &q.to),
    ];
    let fields: Vec<FilterField> = specs
        .into_iter()
        .map(|(name, label, hint, value)| FilterField {
            name,
            label,
            hint,
            value: value.to_owned(),
            error: invalid.for_field(name).map(|k| c.t.t(k).to_owned()),
        })
        .collect();
    let mut errors: Vec<(String, String, String)> = fields
        .iter()
        .filter_map(|f| {
            let e = f.error.clone()?;
            Some((f.name.to_owned(), c.t.t(f.label).to_owned(), e))
        })
        .collect();
    if let Some(key) = invalid.for_field("action") {
        let label = c.t.t(msg!("audit.action")).to_owned();
        errors.push(("action".to_owned(), label, c.t.t(key).to_owned()));
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (lines, older) = match found {
        Some(page) => (
            page.events.into_iter().map(|row| line(&c, row)).collect(),
            page.older.map(|id| href(&q, Some(id))),
        ),
        None => (Vec::new(), None),
    };
    let newest = (!q.before.trim().is_empty()).then(|| href(&q, None));
    let chain = report.map(|r| chain_view(&c, &r));
    let mut actions: Vec<&'static str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    actions.sort_unstable();
    render(
        status,
        &AuditPage {
            path: paths::ADMIN_AUDIT,
            action: q.action.trim().to_owned(),
            actions,
            fields,
            errors,
            lines,
            older,
            newest,
            chain,
            c,
        },
    )
}
