//! The user's sessions, and "sign out everywhere else".

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::overview::PlainForm;
use crate::error::AppResult;
use crate::services::audit::{self, Action, Event};
use crate::services::sessions;
use crate::web::csrf::CsrfForm;
use crate::web::extract::SignedIn;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths, redirect};

pub struct SessionLine {
    pub current: bool,
    pub started: String,
    pub last_seen: String,
    pub ip: String,
    pub agent: String,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    c: Chrome,
    lines: Vec<SessionLine>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
) -> AppResult<HttpResponse> {
    let user_id = who.user.id;
    let list = crate::db::run(&state.pool, move |conn| {
        Ok(sessions::of_user(conn, user_id)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who);
    let lines = list
        .iter()
        .map(|s| SessionLine {
            current: s.id == who.session.id,
            started: c.when(&s.created_at),
            last_seen: c.when(&s.last_seen_at),
            ip: s.ip.clone(),
            agent: s.user_agent.clone(),
        })
        .collect();
    ok(&SessionsPage { c, lines })
}

pub async fn end_others(
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(_form): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let (actor, user_id, keep) = (who.actor(), who.user.id, who.session.id);
    crate::db::run(&state.pool, move |conn| {
        crate::db::write_tx(conn, |conn| {
            let ended = sessions::delete_others(conn, user_id, Some(keep))?;
            audit::record(
                conn,
                now,
                &actor,
                Event {
                    action: Action::SessionsEnded,
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: &format!("{ended} other sessions"),
                },
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(redirect(paths::SESSIONS))
}
