//! `GET /api/v1/reference`: the filing API's reference as a page, read
//! from the same OpenAPI document `/api/v1/openapi.json` serves: each
//! operation with its method, path, summary, scope, parameters, request
//! body (every member with its type and limits, and the rules that read
//! it, linked to `/rules`) and each status it can answer with what it
//! means. Server-rendered, no script, in the portal's layout. The
//! operations' summaries and the words around them are in the caller's
//! language; the document's own descriptions are English.

pub mod members;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::openapi::{self, Published, responses};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::web::AppState;
use crate::web::view::{Chrome, ok};

#[derive(Template)]
#[template(path = "api/reference.html")]
struct ReferencePage {
    c: Chrome,
    token_url: String,
    operations: Vec<Operation>,
}

/// One operation as the page shows it.
pub struct Operation {
    /// Its `operationId`: the anchor of its section.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: Vec<Span>,
    /// What the caller needs, in words.
    pub access: String,
    pub params: Vec<Param>,
    pub bodies: Vec<Body>,
    pub statuses: Vec<Status>,
}

pub struct Param {
    pub name: String,
    pub place: String,
    pub required: bool,
    pub kind: String,
    pub limits: Vec<String>,
    pub description: Vec<Span>,
}

/// A request body of one media type.
pub struct Body {
    pub media_type: String,
    pub kind: String,
    pub members: members::Members,
}

pub struct Status {
    pub code: String,
    /// The status's name in the caller's language.
    pub name: String,
    /// What it means for this operation (from the document).
    pub meaning: Vec<Span>,
    pub media_types: Vec<String>,
    pub headers: Vec<Header>,
}

pub struct Header {
    pub name: String,
    pub required: bool,
    pub description: Vec<Span>,
}

/// A piece of the document's prose: `code` between backticks, or text.
pub struct Span {
    pub code: bool,
    pub text: String,
}

/// Prose of the document, its `code` marked (a doc comment's line
/// breaks are spaces).
pub fn prose(text: &str) -> Vec<Span> {
    let text = text.replace('\n', " ");
    text.split('`')
        .enumerate()
        .filter(|(_, piece)| !piece.is_empty())
        .map(|(i, piece)| Span {
            code: i % 2 == 1,
            text: piece.to_owned(),
        })
        .collect()
}

fn text(value: &Value, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A `$ref` to a component (a response, a schema), followed.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| doc.pointer(pointer))
        .unwrap_or(value)
}

/// Who may call it: no token, any token, or a token with these scopes.
fn access(t: &Tr, operation: &Value) -> String {
    let Some(requirements) = operation.get("security").and_then(Value::as_array) else {
        return t.t(msg!("api_ref.access.anyone")).to_owned();
    };
    let mut scopes: Vec<&str> = requirements
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|r| r.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    if scopes.is_empty() {
        t.t(msg!("api_ref.access.any_token")).to_owned()
    } else {
        t.tf(
            msg!("api_ref.access.scope"),
            &[("scope", &scopes.join(", "))],
        )
    }
}

fn params(t: &Tr, doc: &Value, operation: &Value) -> Vec<Param> {
    let Some(list) = operation.get("parameters").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|p| resolve(doc, p))
        .map(|p| {
            let schema = p.get("schema").unwrap_or(&Value::Null);
            Param {
                name: text(p, "name"),
                place: t.named(&format!("api_ref.in.{}", text(p, "in"))).to_owned(),
                required: p.get("required") == Some(&Value::Bool(true)),
                kind: members::kind(doc, schema),
                limits: members::limits(t, doc, schema),
                description: prose(&text(p, "description")),
            }
        })
        .collect()
}

fn bodies(t: &Tr, published: &Published, operation: &Value) -> Vec<Body> {
    let doc = &published.json;
    let content = operation
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    content
        .into_iter()
        .flatten()
        .map(|(media_type, media)| {
            let schema = media.get("schema").unwrap_or(&Value::Null);
            Body {
                media_type: media_type.clone(),
                kind: members::kind(doc, schema),
                members: members::of_body(t, doc, &published.member_order, schema),
            }
        })
        .collect()
}

fn statuses(t: &Tr, doc: &Value, operation: &Value) -> Vec<Status> {
    let responses = operation.get("responses").and_then(Value::as_object);
    responses
        .into_iter()
        .flatten()
        .map(|(code, response)| {
            let response = resolve(doc, response);
            let headers = response.get("headers").and_then(Value::as_object);
            Status {
                name: t.named(&format!("api_ref.status.{code}")).to_owned(),
                code: code.clone(),
                meaning: prose(&text(response, "description")),
                media_types: response
                    .get("content")
                    .and_then(Value::as_object)
                    .map(|c| c.keys().cloned().collect())
                    .unwrap_or_default(),
                headers: headers
                    .into_iter()
                    .flatten()
                    .map(|(name, h)| Header {
                        name: name.clone(),
                        required: h.get("required") == Some(&Value::Bool(true)),
                        description: prose(&text(h, "description")),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Where an operation comes on the page: by its tag in the document's
/// order of tags (getting a token first), then by path, reads first.
fn place(doc: &Value, path: &str, method: &str, operation: &Value) -> (usize, String, u8) {
    let tags: Vec<&Value> = doc["tags"]
        .as_array()
        .map(|t| t.iter().collect())
        .unwrap_or_default();
    let tag = &operation["tags"][0];
    let by_tag = tags
        .iter()
        .position(|t| &t["name"] == tag)
        .unwrap_or(tags.len());
    let verb = match method {
        "get" => 0,
        "put" => 1,
        _ => 2,
    };
    (by_tag, path.to_owned(), verb)
}

/// Every operation of the document.
pub fn operations(t: &Tr, published: &Published) -> Vec<Operation> {
    let doc = &published.json;
    let paths = doc.get("paths").and_then(Value::as_object);
    let mut found: Vec<(&String, &String, &Value)> = paths
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, operation)| (path, method, operation))
        })
        .collect();
    found.sort_by_key(|(path, method, operation)| place(doc, path, method, operation));
    found
        .into_iter()
        .map(|(path, method, operation)| {
            let id = text(operation, "operationId");
            let own = format!("api_ref.op.{id}");
            let summary = match t.named(&own) {
                named if named == own => text(operation, "summary"),
                named => named.to_owned(),
            };
            Operation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary,
                description: prose(&text(operation, "description")),
                access: access(t, operation),
                params: params(t, doc, operation),
                bodies: bodies(t, published, operation),
                statuses: statuses(t, doc, operation),
                id,
            }
        })
        .collect()
}

/// `GET /api/v1/reference`
#[utoipa::path(
    get,
    path = crate::web::paths::API_REFERENCE,
    tag = "about",
    operation_id = "reference",
    summary = "This API's reference, as a page",
    description = "Every operation of this document as a page for people, in English or \
Japanese (the portal's language choice, or `Accept-Language`). Anyone may read it.",
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = 500, response = responses::Internal),
    )
)]
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let c = Chrome::public(&req).await;
    let operations = operations(&c.t, openapi::published(&state)?);
    ok(&ReferencePage {
        token_url: super::token_url(&state),
        operations,
        c,
    })
}
