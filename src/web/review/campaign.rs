//! A campaign: the incidents of every firm linked under its name.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::incidents::IncidentRow;
use crate::error::{AppError, AppResult};
use crate::services::incident_review;
use crate::web::extract::Staff;
use crate::web::view::{Chrome, ok};
use crate::web::{AppState, paths};

#[derive(Template)]
#[template(path = "review/campaign.html")]
struct CampaignPage {
    c: Chrome,
    name: String,
    created: String,
    firms: String,
    count: String,
    rows: Vec<IncidentRow>,
    back: &'static str,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Staff,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let now = state.clock.now();
    let (campaign, lines) = crate::db::run(&state.pool, move |conn| {
        incident_review::campaign(conn, id, now)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who.0);
    let mut firms: Vec<&str> = lines.iter().map(|l| l.firm.as_str()).collect();
    firms.sort_unstable();
    firms.dedup();
    let (n, f) = (lines.len(), firms.len());
    let of_firms = c.t.tn(
        msg!("incident_review.campaign_firm_count"),
        u64::try_from(f).unwrap_or(u64::MAX),
        &[("n", &f.to_string())],
    );
    let count = c.t.tn(
        msg!("incident_review.campaign_count"),
        u64::try_from(n).unwrap_or(u64::MAX),
        &[("n", &n.to_string()), ("firms", &of_firms)],
    );
    let firms = firms.join(", ");
    let page = CampaignPage {
        name: campaign.name,
        created: c.when(&campaign.created_at),
        firms,
        count,
        rows: lines.into_iter().map(|l| IncidentRow::of(&c, l)).collect(),
        back: paths::REVIEW_INCIDENTS,
        c,
    };
    ok(&page)
}
