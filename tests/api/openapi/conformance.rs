//! The OpenAPI document as a test reads it: an answer the API gave is
//! checked against the operation it answered — its status documented,
//! its media type one the status names, its body valid against that
//! media type's schema, the headers the document calls required present.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::filing_api::support::Answer;

pub struct Document {
    pub json: Value,
}

impl Document {
    /// The document as anyone reads it at `address`.
    pub async fn fetch(address: &str) -> Document {
        let response = reqwest::get(format!("{address}/api/v1/openapi.json"))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(kind.as_deref(), Some("application/json"));
        Document {
            json: serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        }
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => self.json.pointer(&target[1..]).unwrap(),
            None => value,
        }
    }

    /// Panics unless `answer` is one the document allows for `method`
    /// on the path template `path`.
    pub fn check(&self, method: &str, path: &str, answer: &Answer) {
        let what = format!("{} {path} → {}", method.to_uppercase(), answer.status);
        let operation = self
            .json
            .pointer(&format!("/paths/{}/{method}", path.replace('/', "~1")))
            .unwrap_or_else(|| panic!("{what}: no such operation"));
        let response = operation["responses"]
            .get(answer.status.as_str())
            .map(|r| self.resolve(r))
            .unwrap_or_else(|| panic!("{what}: undocumented status: {}", answer.body));
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for (name, header) in headers {
                if header["required"] == true {
                    assert!(answer.header(name).is_some(), "{what}: no {name}");
                }
            }
        }
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return;
        };
        let kind = answer.content_type.as_deref().unwrap_or_default();
        let media = content
            .get(kind)
            .unwrap_or_else(|| panic!("{what}: {kind} is not documented: {}", answer.body));
        if !kind.ends_with("json") {
            return;
        }
        // The schema keeps its `#/components/…` references: the root the
        // validator reads them from carries the components.
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.json["components"],
            "allOf": [media["schema"]],
        });
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&answer.json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{}", answer.body);
    }
}
