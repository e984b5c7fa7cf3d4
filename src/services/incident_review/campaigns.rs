//! Campaigns: incidents of several firms that regulator staff judge to be
//! one attack (the same phishing kit, the same mule accounts), linked under
//! one name.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Filter, RegisterLine, StateFilter, incident, register};
use crate::db::models::{IncidentCampaign, User};
use crate::db::schema::{incident_campaigns, incidents};
use crate::db::{DbConn, write_tx};
use crate::domain::limits;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Action, Event};
use crate::services::{Actor, Invalid, clean_line};

/// What the campaign form asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignChoice {
    /// Link to a campaign that exists.
    Existing(i64),
    /// Start a campaign of this name and link to it.
    New(String),
    /// Link to none.
    Unlink,
}

/// Every campaign, by name.
pub fn campaigns(conn: &mut DbConn) -> QueryResult<Vec<IncidentCampaign>> {
    incident_campaigns::table
        .order((incident_campaigns::name.asc(), incident_campaigns::id.asc()))
        .select(IncidentCampaign::as_select())
        .load(conn)
}

/// A campaign and its incidents (of any firm), as the register orders them.
pub fn campaign(
    conn: &mut DbConn,
    campaign_id: i64,
    now: NaiveDateTime,
) -> AppResult<(IncidentCampaign, Vec<RegisterLine>)> {
    let found = incident_campaigns::table
        .find(campaign_id)
        .select(IncidentCampaign::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    let filter = Filter {
        state: StateFilter::All,
        campaign_id: Some(campaign_id),
        ..Filter::default()
    };
    Ok((found, register(conn, &filter, now)?))
}

/// Links a sent incident to a campaign (one that exists, or a new one of
/// the name given) or unlinks it; audited.
pub fn link_campaign(
    conn: &mut DbConn,
    actor: &Actor,
    staff: &User,
    incident_id: i64,
    choice: CampaignChoice,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    if !staff.role.is_staff() || staff.firm_id.is_some() {
        return Err(AppError::Forbidden);
    }
    let choice = match choice {
        CampaignChoice::New(name) => match clean_line(&name, limits::CAMPAIGN_NAME, true) {
            Ok(name) => CampaignChoice::New(name),
            Err(key) => return Ok(Err(Invalid::one("new_campaign", key))),
        },
        other => other,
    };
    write_tx(conn, |conn| {
        let (incident, _, _) = incident(conn, incident_id)?;
        let (campaign_id, detail) = match choice {
            CampaignChoice::Unlink => match incident.campaign_id {
                None => return Ok(Ok(())),
                Some(was) => (None, format!("unlinked campaign={was}")),
            },
            CampaignChoice::Existing(id) => {
                let exists: i64 = incident_campaigns::table
                    .filter(incident_campaigns::id.eq(id))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Ok(Err(Invalid::one("campaign", msg!("err.form.invalid"))));
                }
                (Some(id), format!("campaign={id}"))
            }
            CampaignChoice::New(name) => {
                let id: i64 = diesel::insert_into(incident_campaigns::table)
                    .values((
                        incident_campaigns::name.eq(&name),
                        incident_campaigns::created_by.eq(staff.id),
                        incident_campaigns::created_at.eq(now),
                    ))
                    .returning(incident_campaigns::id)
                    .get_result(conn)?;
                (Some(id), format!("campaign={id} created"))
            }
        };
        diesel::update(incidents::table.find(incident_id))
            .set((
                incidents::campaign_id.eq(campaign_id),
                incidents::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::IncidentCampaignLinked,
                object_type: "incident",
                object_id: &incident_id.to_string(),
                detail: &detail,
            },
        )?;
        Ok(Ok(()))
    })
}
