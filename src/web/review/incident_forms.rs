//! The staff's forms on an incident: move its triage, write in its thread,
//! link it to a campaign. Each goes back to the incident when done; a
//! mistake brings the page back (422) with what was typed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::incident::{Typed, incident_id, show};
use crate::domain::incident::{Triage, check_message};
use crate::error::AppResult;
use crate::services::incident_review::{self, CampaignChoice, TriageMove};
use crate::services::{Invalid, incident_thread};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Staff;
use crate::web::{AppState, paths, redirect};

macro_rules! csrf_form {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        pub struct $name {
            csrf: String,
            $($field: String,)*
        }

        impl HasCsrf for $name {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    };
}

csrf_form!(TriageForm { from, to, request });
csrf_form!(MessageForm { body, visibility });
csrf_form!(CampaignForm {
    action,
    campaign,
    new_campaign
});

fn done(id: i64, what: &str, anchor: &str) -> HttpResponse {
    redirect(format!(
        "{}?done={what}#{anchor}",
        paths::review_incident(id)
    ))
}

pub async fn triage(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<TriageForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let to = match Triage::parse(form.to.trim()) {
        Ok(to) => Ok(to),
        Err(_) if form.to.trim().is_empty() => Err(msg!("err.choose")),
        Err(_) => Err(msg!("err.form.invalid")),
    };
    let outcome = match (to, Triage::parse(form.from.trim())) {
        (Err(key), _) => Err(Invalid::one("to", key)),
        // A state the form never shows: as if someone had moved it since.
        (_, Err(_)) => Err(Invalid::one("to", msg!("incident_review.err.triage_stale"))),
        (Ok(to), Ok(from)) => {
            let (now, actor, links) = (state.clock.now(), who.0.actor(), state.mail_links());
            let (staff, request) = (who.0.user.clone(), form.request.clone());
            crate::db::run(&state.pool, move |conn| {
                let change = TriageMove {
                    from,
                    to,
                    request: &request,
                };
                incident_review::triage(conn, &actor, &staff, id, change, now, &links)
            })
            .await?
        }
    };
    match outcome {
        Ok(()) => Ok(done(id, "triaged", "triage-section")),
        Err(invalid) => {
            let typed = Typed {
                to: form.to,
                request: form.request,
                invalid,
                ..Typed::default()
            };
            show(&req, &state, &who, id, None, typed).await
        }
    }
}

pub async fn message(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<MessageForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let visible = match form.visibility.trim() {
        "firm" => Ok(true),
        "internal" => Ok(false),
        "" => Err(msg!("err.choose")),
        _ => Err(msg!("err.form.invalid")),
    };
    let outcome = match visible {
        Err(key) => {
            // Both mistakes at once, so the second is not a surprise.
            let mut invalid = Invalid::default();
            if let Err(body) = check_message(&form.body) {
                invalid.push("body", body);
            }
            invalid.push("visibility", key);
            Err(invalid)
        }
        Ok(visible) => {
            let (now, actor, links) = (state.clock.now(), who.0.actor(), state.mail_links());
            let (staff, body) = (who.0.user.clone(), form.body.clone());
            crate::db::run(&state.pool, move |conn| {
                incident_thread::post(conn, &actor, &staff, id, &body, visible, now, &links)
            })
            .await?
        }
    };
    match outcome {
        Ok(()) => Ok(done(id, "message", "thread")),
        Err(invalid) => {
            let typed = Typed {
                body: form.body,
                visibility: form.visibility,
                invalid,
                ..Typed::default()
            };
            show(&req, &state, &who, id, None, typed).await
        }
    }
}

/// The campaign asked for: unlink, an existing one, or a new name (not
/// both, not neither).
fn choice_of(form: &CampaignForm) -> Result<CampaignChoice, Invalid> {
    if form.action == "unlink" {
        return Ok(CampaignChoice::Unlink);
    }
    let (existing, new) = (form.campaign.trim(), form.new_campaign.trim());
    match (existing.is_empty(), new.is_empty()) {
        (false, false) => Err(Invalid::one(
            "campaign",
            msg!("incident_review.err.campaign_both"),
        )),
        (false, true) => existing
            .parse()
            .map(CampaignChoice::Existing)
            .map_err(|_| Invalid::one("campaign", msg!("err.form.invalid"))),
        (true, false) => Ok(CampaignChoice::New(form.new_campaign.clone())),
        (true, true) => Err(Invalid::one("campaign", msg!("err.choose"))),
    }
}

pub async fn campaign(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<CampaignForm>,
) -> AppResult<HttpResponse> {
    let id = incident_id(&id)?;
    let outcome = match choice_of(&form) {
        Err(invalid) => Err(invalid),
        Ok(choice) => {
            let (now, actor, staff) = (state.clock.now(), who.0.actor(), who.0.user.clone());
            crate::db::run(&state.pool, move |conn| {
                incident_review::link_campaign(conn, &actor, &staff, id, choice, now)
            })
            .await?
        }
    };
    match outcome {
        Ok(()) => Ok(done(id, "campaign", "campaign-section")),
        Err(invalid) => {
            let typed = Typed {
                campaign: form.campaign,
                new_campaign: form.new_campaign,
                invalid,
                ..Typed::default()
            };
            show(&req, &state, &who, id, None, typed).await
        }
    }
}

/// A GET on one of the forms' routes (reload, back button) goes to the
/// incident.
pub async fn back_to_incident(id: web::Path<String>) -> HttpResponse {
    match id.parse::<i64>() {
        Ok(id) => redirect(paths::review_incident(id)),
        Err(_) => redirect(paths::REVIEW_INCIDENTS),
    }
}
