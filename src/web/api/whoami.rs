//! `GET /api/v1/whoami`: the client a token belongs to, its firm and the
//! token's scopes (any valid token), for a client's own checks.

use actix_web::HttpResponse;
use serde::Serialize;

use super::caller::ApiCaller;
use super::problem::Problem;

#[derive(Serialize)]
struct WhoAmI<'a> {
    client_id: &'a str,
    /// `null`: a regulator client.
    firm_id: Option<i64>,
    scopes: Vec<&'static str>,
}

pub async fn whoami(caller: ApiCaller) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(WhoAmI {
        client_id: &caller.client_id,
        firm_id: caller.firm_id,
        scopes: caller.scopes.iter().map(|s| s.as_str()).collect(),
    }))
}
