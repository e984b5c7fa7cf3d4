//! An incident's thread on a page (`templates/incidents/_thread.html`, on
//! the firm's incident page and the staff's), and a firm user's answer in
//! it (`POST /incidents/{id}/messages`). An answer that cannot be taken
//! comes back on a page of its own with the message beside the field and
//! the text as typed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{CsrfForm, HasCsrf};
use super::extract::FirmUser;
use super::view::{Chrome, render};
use super::{AppState, paths, redirect};
use crate::error::{AppError, AppResult};
use crate::services::Invalid;
use crate::services::incident_thread::{self, ThreadLine};

/// One message as the partial draws it.
pub struct ThreadItem {
    pub id: i64,
    pub author: String,
    pub from_regulator: bool,
    /// An internal note (only ever on the staff's page).
    pub internal: bool,
    pub body: String,
    /// When, in Tokyo time.
    pub sent_at: String,
}

/// What `templates/incidents/_thread.html` needs, as the field `thread`
/// of the page's context (beside `c`, the page's `Chrome`).
pub struct ThreadPanel {
    pub lines: Vec<ThreadItem>,
    /// Where the form posts.
    pub action: String,
    /// The message as typed (kept when it comes back).
    pub body: String,
    pub body_error: Option<String>,
    /// Staff write firm-visible messages or internal notes: the form asks
    /// which (no choice made beforehand).
    pub staff: bool,
    /// The choice as sent: `firm`, `internal` or nothing.
    pub visibility: String,
    pub visibility_error: Option<String>,
}

impl ThreadPanel {
    /// The firm's view: `lines` from `incident_thread::for_firm`, the
    /// answer form posting to `/incidents/{id}/messages`.
    pub fn for_firm(c: &Chrome, lines: Vec<ThreadLine>, incident_id: i64) -> Self {
        ThreadPanel {
            lines: items(c, lines),
            action: paths::incident_messages(incident_id),
            body: String::new(),
            body_error: None,
            staff: false,
            visibility: String::new(),
            visibility_error: None,
        }
    }

    /// The staff's view: `lines` from `incident_thread::for_staff`.
    pub fn for_staff(c: &Chrome, lines: Vec<ThreadLine>, incident_id: i64) -> Self {
        ThreadPanel {
            staff: true,
            action: paths::review_incident_messages(incident_id),
            ..ThreadPanel::for_firm(c, lines, incident_id)
        }
    }

    /// The form as typed, with its mistakes beside the fields.
    pub fn typed(
        mut self,
        c: &Chrome,
        body: String,
        visibility: String,
        invalid: &Invalid,
    ) -> Self {
        self.body = body;
        self.visibility = visibility;
        self.body_error = invalid.for_field("body").map(|k| c.t.t(k).to_owned());
        self.visibility_error = invalid.for_field("visibility").map(|k| c.t.t(k).to_owned());
        self
    }

    pub fn is_visibility(&self, value: &str) -> bool {
        self.visibility == value
    }
}

/// The messages as the partial draws them (times in Tokyo).
pub(crate) fn items(c: &Chrome, lines: Vec<ThreadLine>) -> Vec<ThreadItem> {
    lines
        .into_iter()
        .map(|l| ThreadItem {
            id: l.id,
            sent_at: c.when(&l.sent_at),
            author: l.author,
            from_regulator: l.from_regulator,
            internal: !l.firm_visible,
            body: l.body,
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

impl HasCsrf for ReplyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Template)]
#[template(path = "incidents/reply.html")]
struct ReplyPage {
    c: Chrome,
    incident_id: i64,
    back: String,
    errors: Vec<(String, String, String)>,
    thread: ThreadPanel,
}

fn incident_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// A firm user answers in the thread of one of the firm's incidents.
pub async fn reply(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ReplyForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let (now, actor, links) = (state.clock.now(), who.who.actor(), state.mail_links());
    let (author, body) = (who.who.user.clone(), form.body.clone());
    let outcome = crate::db::run(&state.pool, move |conn| {
        incident_thread::post(conn, &actor, &author, id, &body, true, now, &links)
    })
    .await?;
    let invalid = match outcome {
        Ok(()) => return Ok(redirect(paths::incident_thread(id))),
        Err(invalid) => invalid,
    };
    // The post above found the incident the firm's own, else NotFound.
    let lines = crate::db::run(&state.pool, move |conn| {
        Ok(incident_thread::for_firm(conn, id)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.who);
    let thread = ThreadPanel::for_firm(&c, lines, id).typed(&c, form.body, String::new(), &invalid);
    let errors = thread
        .body_error
        .iter()
        .map(|e| {
            (
                "body".to_owned(),
                c.t.t(msg!("incident_thread.body")).to_owned(),
                e.clone(),
            )
        })
        .collect();
    let page = ReplyPage {
        incident_id: id,
        back: paths::incident_thread(id),
        errors,
        thread,
        c,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// A GET on the answer route (reload, back button) goes to the thread.
pub async fn back_to_thread(id: web::Path<String>) -> HttpResponse {
    match id.parse::<i64>() {
        Ok(id) => redirect(paths::incident_thread(id)),
        Err(_) => redirect(paths::HOME),
    }
}
