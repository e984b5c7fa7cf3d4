//! The filing API's OpenAPI 3.1 document, generated from the code: each
//! handler's `#[utoipa::path]` (its parameters, body, every status it can
//! answer, its scope), the answer bodies' `ToSchema`, the draft document's
//! typed mirror (`services::draft_document::schema`). Served at
//! `GET /api/v1/openapi.json`, built once per portal (its address is in
//! it) and kept; the reference page (`reference`) reads the same document.

pub mod params;
pub mod responses;

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{RefOr, Server};

use super::{drafts, incidents, periods, reference, summary, token, trades, versions, whoami};
use crate::domain::api_client::Scope;
use crate::error::{AppError, AppResult};
use crate::web::{AppState, paths};

/// The two names operations give their security requirements by.
pub const OAUTH2: &str = "oauth2";
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Incident reporting portal: filing API",
        version = "1",
        description = "Monthly returns on unauthorized access and fraudulent trading, \
and incidents reported stage by stage, for firms' own systems (a client is a preparer: it \
drafts and marks ready, an approver submits in the portal; a stage that needs four eyes \
waits for a second person there) and the regulator's analytics tools. Authenticate with OAuth 2.0 \
client credentials and a signed client assertion (RFC 7523, `private_key_jwt`), then send \
`Authorization: Bearer <token>`. Every refusal is problem details (RFC 9457, \
`application/problem+json`); a check that failed names its rule in the catalogue \
(`/rules`, `/rules.json`) and the member at fault by a JSON Pointer. Every `PUT` and \
`POST` needs an `Idempotency-Key`."
    ),
    paths(
        token::token,
        whoami::whoami,
        periods::list,
        drafts::get,
        drafts::put,
        trades::put,
        drafts::ready,
        drafts::validate,
        versions::list,
        versions::one,
        summary::summary,
        summary::completeness,
        incidents::list,
        incidents::create,
        incidents::one,
        incidents::put_stage,
        document,
        reference::page,
    ),
    components(responses(
        responses::Unauthorized,
        responses::Internal,
        responses::Unavailable,
        responses::InProgress,
        responses::TooManyKeys,
        responses::RateLimited,
    )),
    tags(
        (name = "token", description = "Getting an access token"),
        (name = "drafts", description = "A firm's drafts: read, replace, check, mark ready"),
        (name = "returns", description = "A firm's months and what it submitted"),
        (name = "incidents", description = "A firm's incidents, reported stage by stage"),
        (name = "statistics", description = "The regulator's figures (staff clients)"),
        (name = "about", description = "This document, and the client's own token"),
    )
)]
struct ApiDoc;

/// The document as served, and as the reference page reads it.
pub struct Published {
    pub json: Value,
    pub body: web::Bytes,
    /// Each component schema's members in the order the code declares
    /// them (`json` has them sorted by name).
    pub member_order: HashMap<String, Vec<String>>,
}

/// The declared order of each component's members.
fn member_order(doc: &utoipa::openapi::OpenApi) -> HashMap<String, Vec<String>> {
    let schemas = doc.components.iter().flat_map(|c| c.schemas.iter());
    schemas
        .filter_map(|(name, schema)| match schema {
            RefOr::T(Schema::Object(object)) => {
                Some((name.clone(), object.properties.keys().cloned().collect()))
            }
            _ => None,
        })
        .collect()
}

/// What each scope allows, as the security schemes list it.
fn scopes() -> Scopes {
    Scopes::from_iter([
        (
            Scope::ReturnsRead.as_str(),
            "Read the firm's own months, drafts and versions",
        ),
        (
            Scope::ReturnsDraft.as_str(),
            "Write the firm's own drafts and mark them ready (never submit)",
        ),
        (
            Scope::IncidentsRead.as_str(),
            "Read the firm's own incidents, their versions and the regulator's messages to the firm",
        ),
        (
            Scope::IncidentsReport.as_str(),
            "Report the firm's incidents stage by stage (a stage that needs four eyes waits for a second person in the portal)",
        ),
        (
            Scope::StatsRead.as_str(),
            "Read the regulator's statistics (staff clients)",
        ),
    ])
}

/// The document for a portal at `public_url`, before it is serialized.
pub fn openapi(public_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let base = public_url.trim_end_matches('/');
    doc.servers = Some(vec![Server::new(base)]);
    let token_url = format!("{base}{}", paths::API_TOKEN);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        OAUTH2,
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(ClientCredentials::new(
                token_url,
                scopes(),
            ))],
            "Client credentials with a signed client assertion (RFC 7523, private_key_jwt): \
             the client signs a JWT (ES256 or EdDSA; iss = sub = its client id, aud = the \
             token URL, a fresh jti, exp within 5 minutes) with the private key whose public \
             JWK its firm's approvers registered.",
        )),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The access token the token endpoint gave, as `Authorization: Bearer <token>`.",
                ))
                .build(),
        ),
    );
    doc
}

/// Marks the headers a refusal always carries as required, so a client
/// (or a fuzzer) can rely on them: utoipa's header objects have no
/// `required` of their own.
fn require_headers(json: &mut Value) {
    let always = [
        ("Unauthorized", "WWW-Authenticate"),
        ("InProgress", "Retry-After"),
        ("TooManyKeys", "Retry-After"),
        ("RateLimited", "Retry-After"),
    ];
    for (response, header) in always {
        if let Some(h) = json.pointer_mut(&format!(
            "/components/responses/{response}/headers/{header}"
        )) {
            h["required"] = Value::Bool(true);
        }
    }
    // The token endpoint's "too many" always says when to retry; a draft
    // and an incident always come with their ETag (a replay too), a new
    // incident with its address.
    let operations = [
        (paths::API_TOKEN, "post", "429", "Retry-After"),
        (paths::API_DRAFT, "get", "200", "ETag"),
        (paths::API_DRAFT, "put", "200", "ETag"),
        (paths::API_DRAFT_READY, "post", "200", "ETag"),
        (paths::API_INCIDENT, "get", "200", "ETag"),
        (paths::API_INCIDENTS, "post", "201", "ETag"),
        (paths::API_INCIDENTS, "post", "201", "Location"),
        (paths::API_INCIDENTS, "post", "202", "ETag"),
        (paths::API_INCIDENTS, "post", "202", "Location"),
        (paths::API_INCIDENT_STAGE, "put", "200", "ETag"),
        (paths::API_INCIDENT_STAGE, "put", "202", "ETag"),
    ];
    for (path, method, status, header) in operations {
        let path = path.replace('~', "~0").replace('/', "~1");
        let at = format!("/paths/{path}/{method}/responses/{status}/headers/{header}");
        if let Some(h) = json.pointer_mut(&at) {
            h["required"] = Value::Bool(true);
        }
    }
}

/// Names a Link Object's members as OpenAPI does (`operationId`,
/// `operationRef`, `requestBody`): utoipa 5.5 writes them in snake case.
fn link_members(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut().filter_map(Value::as_object_mut) {
                    for (from, to) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(member) = link.remove(from) {
                            link.insert(to.to_owned(), member);
                        }
                    }
                }
            }
            map.values_mut().for_each(link_members);
        }
        Value::Array(items) => items.iter_mut().for_each(link_members),
        _ => {}
    }
}

/// Every operation a bearer token calls can meet the client's budget per
/// minute (`api::rate`): 429, unless the operation already documents a 429
/// of its own (the same problem details, with `Retry-After`).
fn rate_limited(json: &mut Value) {
    let Some(Value::Object(paths)) = json.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut().filter_map(Value::as_object_mut) {
            let bearer = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if !bearer {
                continue;
            }
            if let Some(Value::Object(responses)) = operation.get_mut("responses") {
                responses.entry("429").or_insert_with(
                    || serde_json::json!({"$ref": "#/components/responses/RateLimited"}),
                );
            }
        }
    }
}

/// Builds the document for `public_url`.
pub fn build(public_url: &str) -> AppResult<Published> {
    let typed = openapi(public_url);
    let member_order = member_order(&typed);
    let mut json = serde_json::to_value(typed).map_err(|e| AppError::Internal(e.to_string()))?;
    rate_limited(&mut json);
    require_headers(&mut json);
    link_members(&mut json);
    let body = serde_json::to_vec_pretty(&json).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Published {
        json,
        body: web::Bytes::from(body),
        member_order,
    })
}

/// This portal's document, built on first use and kept.
pub fn published(state: &AppState) -> AppResult<&Published> {
    if let Some(published) = state.api_document.get() {
        return Ok(published);
    }
    let built = build(&state.config.public_url)?;
    Ok(state.api_document.get_or_init(|| built))
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(
    get,
    path = crate::web::paths::API_OPENAPI,
    tag = "about",
    operation_id = "openapi",
    summary = "This document",
    description = "The filing API's OpenAPI 3.1 document. Anyone may read it.",
    responses(
        (status = 200, description = "The document", body = Object, content_type = "application/json"),
        (status = 500, response = responses::Internal),
    )
)]
pub async fn document(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let published = published(&state)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(published.body.clone()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
