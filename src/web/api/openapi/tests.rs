use serde_json::Value;

use super::*;
use crate::i18n::Key;
use crate::web::{ROUTE_TABLE, paths};

fn doc() -> Value {
    build("https://portal.example/").unwrap().json
}

/// (method, path, operation) of every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(target) => doc
            .pointer(target.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("{target} does not resolve")),
        None => value,
    }
}

fn header<'a>(doc: &'a Value, response: &'a Value, name: &str) -> Option<&'a Value> {
    resolve(doc, response).pointer(&format!("/headers/{name}"))
}

#[test]
fn the_document_is_openapi_3_1_with_every_api_route_and_nothing_else() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(doc["info"]["version"], "1");
    assert_eq!(doc["servers"][0]["url"], "https://portal.example");
    let documented: Vec<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let routes: Vec<(String, String)> = ROUTE_TABLE
        .iter()
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert!(routes.len() >= 14, "{routes:?}");
    let missing: Vec<_> = routes.iter().filter(|r| !documented.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "API routes missing from the document: {missing:?}"
    );
    let extra: Vec<_> = documented.iter().filter(|d| !routes.contains(d)).collect();
    assert!(
        extra.is_empty(),
        "documented operations with no route: {extra:?}"
    );
}

/// Every `$ref` of the document points at something in it.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                match inner {
                    Value::String(target) if name == "$ref" => out.push(target.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_schema_is_json_schema() {
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50);
    for target in &found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target}"));
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(jsonschema::meta::is_valid(schema), "{name}: {schema}");
    }
    let problem = &doc["components"]["schemas"]["Problem"];
    for member in ["type", "title", "status"] {
        assert!(
            problem["required"]
                .as_array()
                .unwrap()
                .contains(&member.into())
        );
    }
    let error = &doc["components"]["schemas"]["ProblemError"];
    for member in ["rule", "severity", "pointer", "message"] {
        assert!(
            error["required"]
                .as_array()
                .unwrap()
                .contains(&member.into())
        );
    }
}

#[test]
fn path_parameters_headers_and_scopes_are_declared() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let params: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let has = |name: &str, place: &str, required: bool| {
            params
                .iter()
                .any(|p| p["name"] == name && p["in"] == place && p["required"] == required)
        };
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            assert!(has(name, "path", true), "{method} {path}: {name}");
        }
        let writes = method == "put" || method == "post";
        if writes && path != paths::API_TOKEN {
            assert!(has("Idempotency-Key", "header", true), "{method} {path}");
        }
        if path == paths::API_DRAFT_READY || path == paths::API_INCIDENT_STAGE {
            assert!(has("If-Match", "header", true), "{method} {path}");
        }
        let bearer = op.get("security").is_some();
        assert_eq!(
            bearer,
            ![paths::API_TOKEN, paths::API_OPENAPI, paths::API_REFERENCE].contains(&path.as_str()),
            "{method} {path}"
        );
        if bearer {
            assert!(has("Accept-Language", "header", false), "{method} {path}");
            let unauthorized = &op["responses"]["401"];
            let challenge = header(&doc, unauthorized, "WWW-Authenticate")
                .unwrap_or_else(|| panic!("{method} {path}: 401 without a challenge"));
            assert_eq!(challenge["required"], true);
            let schemes: Vec<&str> = op["security"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_object().unwrap().keys())
                .map(String::as_str)
                .collect();
            assert_eq!(schemes, [OAUTH2, BEARER], "{method} {path}");
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"],
        "https://portal.example/api/v1/token"
    );
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let period = &doc["paths"][paths::API_DRAFT]["get"]["parameters"][0];
    assert_eq!(period["schema"]["pattern"], r"^[0-9]{4}-(0[1-9]|1[0-2])$");
}

#[test]
fn every_refusal_is_problem_details_and_says_when_to_retry() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let code: u16 = status.parse().unwrap();
            let response = resolve(&doc, response);
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} {status}: no meaning"
            );
            if code < 400 {
                continue;
            }
            let (media, schema) = if path == paths::API_TOKEN {
                ("application/json", "#/components/schemas/OAuthError")
            } else {
                ("application/problem+json", "#/components/schemas/Problem")
            };
            assert_eq!(
                response["content"][media]["schema"]["$ref"], schema,
                "{method} {path} {status}"
            );
            if [409, 429].contains(&code) {
                let retry = header(&doc, response, "Retry-After")
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no Retry-After"));
                // A stage that is not open is a conflict no wait resolves:
                // only the key still running says when to come back.
                let either = code == 409 && path == paths::API_INCIDENT_STAGE;
                let required = retry["required"] == true;
                assert_eq!(required, !either, "{method} {path} {status}");
            }
            if code == 503 {
                assert!(header(&doc, response, "Retry-After").is_some());
            }
        }
        let successes: Vec<&Value> = op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .map(|(_, response)| resolve(&doc, response))
            .collect();
        assert!(!successes.is_empty(), "{method} {path}: no success");
        let tagged = [
            paths::API_DRAFT,
            paths::API_DRAFT_READY,
            paths::API_INCIDENT,
            paths::API_INCIDENT_STAGE,
        ];
        if tagged.contains(&path.as_str()) || (path == paths::API_INCIDENTS && method == "post") {
            for ok in &successes {
                let etag = header(&doc, ok, "ETag").unwrap_or_else(|| panic!("{method} {path}"));
                assert_eq!(etag["required"], true, "{method} {path}");
            }
        }
        if (method == "put" || method == "post") && path != paths::API_TOKEN {
            for ok in &successes {
                assert!(
                    header(&doc, ok, "Idempotent-Replayed").is_some(),
                    "{method} {path}"
                );
            }
            for code in ["400", "409", "422", "429", "500", "503"] {
                assert!(
                    op["responses"].get(code).is_some(),
                    "{method} {path} {code}"
                );
            }
        }
    }
}

#[test]
fn every_operation_and_status_is_named_in_both_languages() {
    let doc = doc();
    let mut ids = Vec::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap().to_owned();
        assert!(!ids.contains(&id), "{id} twice");
        assert!(op["summary"].as_str().is_some(), "{method} {path}");
        assert!(
            Key::find(&format!("api_ref.op.{id}")).is_some(),
            "no api_ref.op.{id} in the catalogues"
        );
        for status in op["responses"].as_object().unwrap().keys() {
            assert!(
                Key::find(&format!("api_ref.status.{status}")).is_some(),
                "no api_ref.status.{status} in the catalogues"
            );
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let place = p["in"].as_str().unwrap();
            assert!(
                Key::find(&format!("api_ref.in.{place}")).is_some(),
                "{place}"
            );
        }
        ids.push(id);
    }
}

#[test]
fn the_draft_document_is_the_body_of_a_draft_and_of_its_answers() {
    let doc = doc();
    let put = &doc["paths"][paths::API_DRAFT]["put"];
    assert_eq!(
        put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DraftDocument"
    );
    let trades = &doc["paths"][paths::API_DRAFT_TRADES]["put"]["requestBody"]["content"];
    assert_eq!(trades["text/csv"]["schema"]["type"], "string");
    assert_eq!(trades["application/json"]["schema"]["type"], "array");
    assert_eq!(
        doc["components"]["schemas"]["DraftJson"]["properties"]["draft"]["$ref"],
        "#/components/schemas/DraftDocument"
    );
    let token = &doc["paths"][paths::API_TOKEN]["post"]["requestBody"]["content"];
    assert!(token.get("application/x-www-form-urlencoded").is_some());
}

#[test]
fn links_chain_a_put_draft_to_marking_it_ready() {
    let doc = doc();
    let ids: Vec<String> = operations(&doc)
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap().to_owned())
        .collect();
    let put = &doc["paths"][paths::API_DRAFT]["put"]["responses"]["200"]["links"];
    let ready = &put["mark_ready"];
    assert_eq!(ready["operationId"], "mark_ready");
    assert_eq!(
        ready["parameters"]["header.If-Match"],
        "$response.header.ETag"
    );
    assert_eq!(ready["parameters"]["period"], "$request.path.period");
    for (_, _, op) in operations(&doc) {
        for response in op["responses"].as_object().unwrap().values() {
            for link in response["links"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, l)| l)
            {
                let target = link["operationId"].as_str().unwrap();
                assert!(ids.iter().any(|id| id == target), "a link to {target}");
            }
        }
    }
}

/// The names of the types deriving `ToSchema` in `dir` (their `as` name
/// when they give one), with the file each is in.
fn schema_names(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            schema_names(&path, out);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let mut deriving = false;
        let mut renamed: Option<String> = None;
        for line in source.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                deriving = true;
            } else if deriving && line.starts_with("#[schema(as = ") {
                renamed = line
                    .trim_start_matches("#[schema(as = ")
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .map(str::to_owned);
            } else if deriving && !line.starts_with("#[") && !line.starts_with("///") {
                let name = line
                    .split_whitespace()
                    .skip_while(|w| *w != "struct" && *w != "enum")
                    .nth(1)
                    .map(|n| n.split(['<', '{', '(']).next().unwrap_or(n));
                if let Some(name) = name {
                    let name = renamed.take().unwrap_or_else(|| name.to_owned());
                    out.push((name, path.display().to_string()));
                }
                deriving = false;
            }
        }
    }
}

#[test]
fn no_two_bodies_share_a_component_name() {
    // utoipa keys components by the type's name: a second type of the
    // same name would silently replace the first in the document.
    let mut names = Vec::new();
    schema_names(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    assert!(names.len() > 30, "{names:?}");
    names.sort();
    for pair in names.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "{pair:?}");
    }
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["VersionJson"]["properties"]["receipt_no"].is_object());
    assert!(schemas["IncidentVersionJson"]["properties"]["report"].is_object());
}
