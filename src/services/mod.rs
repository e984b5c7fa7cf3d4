//! Use cases. Each function takes a connection, owns its transaction and
//! writes the audit events for what it changes. No HTTP here.

use crate::i18n::Key;

pub mod account_actions;
pub mod accounts;
pub mod amendments;
pub mod api_clients;
pub mod api_tokens;
pub mod as_of;
pub mod audit;
pub mod audit_anchor;
pub mod audit_chain;
pub mod audit_log;
pub mod audit_rows;
pub mod calendar;
pub mod completeness;
pub mod draft_document;
pub mod export_rights;
pub mod exports;
pub mod extensions;
pub mod firm_history;
pub mod firm_start;
pub mod four_eyes;
pub mod handover;
pub mod idempotency;
pub mod idempotent_answer;
pub mod import;
pub mod incident_client;
pub mod incident_figures;
pub mod incident_notices;
pub mod incident_review;
pub mod incident_rules;
pub mod incident_thread;
pub mod incidents;
pub mod invitations;
pub mod legal_holds;
pub mod linked_releases;
pub mod links;
pub mod mail_links;
pub mod notify;
pub mod observers;
pub mod open_data;
pub mod passkeys;
pub mod password;
pub mod periods;
pub mod policy;
pub mod preferences;
pub mod publication_release;
pub mod publication_table;
pub mod publications;
pub mod publish;
pub mod readiness;
pub mod reconcile;
pub mod release_cache;
pub mod reminders;
pub mod reset;
pub mod retention;
pub mod return_form;
pub mod returns;
pub mod review;
pub mod review_answers;
pub mod review_comments;
pub mod review_file;
pub mod review_page;
pub mod review_threads;
pub mod revisions;
pub mod scheduled_releases;
pub mod second_factor;
pub mod section_save;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod step_up;
pub mod submission;
pub mod summary;
pub mod throttle;
pub mod timeliness;
pub mod tokens;
pub mod totp;
pub mod trades;

/// Who is acting, for authorization and the audit trail.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
    pub ip: String,
}

impl Actor {
    /// The command line (imports, seeding, setup tokens).
    pub fn system(what: &str) -> Self {
        Actor {
            user_id: None,
            label: format!("system:{what}"),
            ip: "local".to_owned(),
        }
    }
}

/// A user's mistakes: (form field, message key) pairs. Returned inside an
/// `Ok` so that a system failure and a user mistake never look alike.
#[derive(Debug, Default, Clone)]
pub struct Invalid(pub Vec<(&'static str, Key)>);

impl Invalid {
    pub fn one(field: &'static str, key: Key) -> Self {
        Invalid(vec![(field, key)])
    }

    pub fn push(&mut self, field: &'static str, key: Key) {
        self.0.push((field, key));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<Key> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
    }
}

/// Trims a free-text field and checks its length (in characters) and that
/// it holds no control characters other than line breaks and tabs.
pub fn clean_text(value: &str, max_chars: usize, required: bool) -> Result<String, Key> {
    let value = value.trim().replace("\r\n", "\n");
    if required && value.is_empty() {
        return Err(msg!("err.required"));
    }
    if value.chars().count() > max_chars {
        return Err(msg!("err.text.too_long"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(msg!("err.text.control"));
    }
    Ok(value)
}

/// Single-line text: as `clean_text`, and no line breaks at all.
pub fn clean_line(value: &str, max_chars: usize, required: bool) -> Result<String, Key> {
    let value = clean_text(value, max_chars, required)?;
    if value.contains(['\n', '\t']) {
        return Err(msg!("err.text.control"));
    }
    Ok(value)
}
