//! The regulator's side of incidents: the register of every incident sent
//! (filtered, the overdue ones first), one incident as staff see it, its
//! triage, its timeline and the campaigns that link incidents of several
//! firms. A draft incident (nothing sent yet) is invisible here.

mod campaigns;
mod timeline;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use self::campaigns::{CampaignChoice, campaign, campaigns, link_campaign};
pub use self::timeline::{Happening, TimelineEntry, timeline};
use super::audit::{self, Action, Event};
use super::mail_links::MailLinks;
use super::{Actor, Invalid, incident_thread};
use crate::db::models::{Incident, IncidentCampaign, User};
use crate::db::schema::{firms, incident_campaigns, incident_triage, incidents};
use crate::db::{DbConn, write_tx};
use crate::domain::incident::{AttackVector, IncidentKind, IncidentStatus, Triage, check_message};
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};

/// Which incidents the register shows, by where they stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    /// Still awaiting a stage and not closed by the regulator.
    Open,
    /// Open, and the next stage's due time has passed.
    Overdue,
    /// Closed by the regulator, final, or not reportable.
    Closed,
    #[default]
    All,
}

impl StateFilter {
    pub const ALL: [StateFilter; 4] = [
        StateFilter::All,
        StateFilter::Open,
        StateFilter::Overdue,
        StateFilter::Closed,
    ];

    /// As the filter form sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Open => "open",
            StateFilter::Overdue => "overdue",
            StateFilter::Closed => "closed",
            StateFilter::All => "all",
        }
    }

    pub fn parse(input: &str) -> Option<StateFilter> {
        StateFilter::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
    }
}

/// The register's filters; `None` lets everything through.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    pub state: StateFilter,
    pub firm_id: Option<i64>,
    pub kind: Option<IncidentKind>,
    pub vector: Option<AttackVector>,
    pub period: Option<Period>,
    pub campaign_id: Option<i64>,
}

/// One incident in the register.
#[derive(Clone, Debug)]
pub struct RegisterLine {
    pub incident: Incident,
    pub firm: String,
    /// The campaign it is linked to: (id, name).
    pub campaign: Option<(i64, String)>,
    /// Open, and its next stage was due before now.
    pub overdue: bool,
}

/// Whether an incident is overdue at `now`: open, and its next stage was
/// due before then.
pub fn is_overdue(incident: &Incident, now: NaiveDateTime) -> bool {
    incident.status == IncidentStatus::Open && incident.next_due_at.is_some_and(|due| due < now)
}

/// Every incident sent (never a draft) that passes `filter`: the overdue
/// ones first, the oldest due first; then the others by their next due
/// time, those awaiting nothing last, newest first.
pub fn register(
    conn: &mut DbConn,
    filter: &Filter,
    now: NaiveDateTime,
) -> QueryResult<Vec<RegisterLine>> {
    let mut query = incidents::table
        .inner_join(firms::table)
        .left_join(incident_campaigns::table)
        .filter(incidents::status.ne(IncidentStatus::Draft))
        .into_boxed();
    match filter.state {
        StateFilter::All => {}
        StateFilter::Open => {
            query = query
                .filter(incidents::status.eq(IncidentStatus::Open))
                .filter(incidents::triage.ne(Triage::Closed));
        }
        StateFilter::Overdue => {
            query = query
                .filter(incidents::status.eq(IncidentStatus::Open))
                .filter(incidents::next_due_at.lt(now));
        }
        StateFilter::Closed => {
            query = query.filter(
                incidents::status
                    .ne(IncidentStatus::Open)
                    .or(incidents::triage.eq(Triage::Closed)),
            );
        }
    }
    if let Some(firm_id) = filter.firm_id {
        query = query.filter(incidents::firm_id.eq(firm_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(incidents::kind.eq(kind));
    }
    if let Some(vector) = filter.vector {
        query = query.filter(incidents::vector.eq(vector));
    }
    if let Some(period) = filter.period {
        query = query.filter(incidents::period.eq(period.to_string()));
    }
    if let Some(campaign_id) = filter.campaign_id {
        query = query.filter(incidents::campaign_id.eq(campaign_id));
    }
    let rows: Vec<(Incident, String, Option<IncidentCampaign>)> = query
        .select((
            Incident::as_select(),
            firms::name,
            Option::<IncidentCampaign>::as_select(),
        ))
        .load(conn)?;
    let mut lines: Vec<RegisterLine> = rows
        .into_iter()
        .map(|(incident, firm, campaign)| RegisterLine {
            overdue: is_overdue(&incident, now),
            campaign: campaign.map(|c| (c.id, c.name)),
            incident,
            firm,
        })
        .collect();
    lines.sort_by_key(|l| {
        (
            !l.overdue,
            l.incident.next_due_at.is_none(),
            l.incident.next_due_at,
            std::cmp::Reverse((l.incident.opened_at, l.incident.id)),
        )
    });
    Ok(lines)
}

/// A sent incident with its firm's name and its campaign; a draft or a
/// missing one is `NotFound`.
pub fn incident(
    conn: &mut DbConn,
    incident_id: i64,
) -> AppResult<(Incident, String, Option<IncidentCampaign>)> {
    incidents::table
        .inner_join(firms::table)
        .left_join(incident_campaigns::table)
        .filter(incidents::id.eq(incident_id))
        .filter(incidents::status.ne(IncidentStatus::Draft))
        .select((
            Incident::as_select(),
            firms::name,
            Option::<IncidentCampaign>::as_select(),
        ))
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// A triage move as the analyst made it: the state they saw, the state
/// they chose, and the request to the firm (required, and only accepted,
/// when asking for more information).
#[derive(Clone, Copy, Debug)]
pub struct TriageMove<'a> {
    pub from: Triage,
    pub to: Triage,
    pub request: &'a str,
}

/// Moves an incident's triage as `Triage::next_states` allows, logs it and
/// audits it. Asking for more information sends the request to the firm
/// through the thread in the same transaction. A move from a state the
/// incident has already left is refused (someone else moved it).
#[allow(clippy::too_many_arguments)]
pub fn triage(
    conn: &mut DbConn,
    actor: &Actor,
    staff: &User,
    incident_id: i64,
    change: TriageMove<'_>,
    now: NaiveDateTime,
    links: &MailLinks,
) -> AppResult<Result<(), Invalid>> {
    if !staff.role.is_staff() || staff.firm_id.is_some() {
        return Err(AppError::Forbidden);
    }
    let request = match (change.to, change.request.trim().is_empty()) {
        (Triage::MoreInformation, _) => match check_message(change.request) {
            Ok(request) => Some(request),
            Err(key) => return Ok(Err(Invalid::one("request", key))),
        },
        (_, true) => None,
        (_, false) => {
            return Ok(Err(Invalid::one(
                "request",
                msg!("incident_review.err.request_unused"),
            )));
        }
    };
    write_tx(conn, |conn| {
        let (incident, _, _) = incident(conn, incident_id)?;
        if incident.triage != change.from {
            return Ok(Err(Invalid::one(
                "to",
                msg!("incident_review.err.triage_stale"),
            )));
        }
        if !change.from.next_states().contains(&change.to) {
            return Ok(Err(Invalid::one(
                "to",
                msg!("incident_review.err.triage_move"),
            )));
        }
        // Moves only from the state read: a concurrent move touches nothing.
        let moved = diesel::update(
            incidents::table
                .filter(incidents::id.eq(incident_id))
                .filter(incidents::triage.eq(change.from)),
        )
        .set((
            incidents::triage.eq(change.to),
            incidents::updated_at.eq(now),
        ))
        .execute(conn)?;
        if moved == 0 {
            return Ok(Err(Invalid::one(
                "to",
                msg!("incident_review.err.triage_stale"),
            )));
        }
        diesel::insert_into(incident_triage::table)
            .values((
                incident_triage::incident_id.eq(incident_id),
                incident_triage::state.eq(change.to),
                incident_triage::changed_by.eq(staff.id),
                incident_triage::changed_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::IncidentTriaged,
                object_type: "incident",
                object_id: &incident_id.to_string(),
                detail: &format!("from={} to={}", change.from, change.to),
            },
        )?;
        if let Some(request) = request {
            // The incident was read as sent just above, so the thread takes
            // it; were it to refuse, the move is undone with it.
            if let Err(invalid) = incident_thread::post_in(
                conn,
                actor,
                staff,
                incident_id,
                &request,
                true,
                now,
                links,
            )? {
                let key = invalid
                    .for_field("body")
                    .unwrap_or(msg!("err.form.invalid"));
                return Err(AppError::Conflict(key));
            }
        }
        Ok(Ok(()))
    })
}
