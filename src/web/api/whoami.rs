//! `GET /api/v1/whoami`: the client a token belongs to, its firm and the
//! token's scopes (any valid token), for a client's own checks.

use actix_web::HttpResponse;
use serde::Serialize;

use super::caller::ApiCaller;
use super::problem::Problem;

/// The client a token belongs to.
#[derive(Serialize, utoipa::ToSchema)]
struct WhoAmI<'a> {
    /// The public client id (`pc_…`).
    client_id: &'a str,
    /// `null`: a regulator client.
    #[schema(required = true)]
    firm_id: Option<i64>,
    /// What the token allows.
    scopes: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = crate::web::paths::API_WHOAMI,
    tag = "about",
    operation_id = "whoami",
    summary = "The token's client, firm and scopes",
    description = "Any valid token: for a client's own checks.",
    params(super::openapi::params::AcceptLanguageHeader),
    responses(
        (status = 200, description = "The client", body = WhoAmI),
        (status = 401, response = super::openapi::responses::Unauthorized),
        (status = 500, response = super::openapi::responses::Internal),
        (status = 503, response = super::openapi::responses::Unavailable),
    ),
    security(("oauth2" = []), ("bearer" = []))
)]
pub async fn whoami(caller: ApiCaller) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(WhoAmI {
        client_id: &caller.client_id,
        firm_id: caller.firm_id,
        scopes: caller.scopes.iter().map(|s| s.as_str()).collect(),
    }))
}
