//! A request body's schema as the reference page lists it: every member
//! with its JSON Pointer, its type and limits in words, what it is for,
//! and the rules of the catalogue that read it (linked to `/rules`).

use std::collections::HashMap;

use serde_json::Value;

use crate::domain::rules::{CATALOGUE, Rule, Subject};
use crate::domain::yen::group_digits;
use crate::i18n::Tr;
use crate::services::draft_document::pointer_of;

/// One member of a body.
pub struct Member {
    /// Its JSON Pointer (`/figures/sale_amount`; `{n}` for any array index).
    pub pointer: String,
    pub kind: String,
    pub limits: Vec<String>,
    pub description: Vec<super::Span>,
    /// The IDs of the rules that read it.
    pub rules: Vec<&'static str>,
}

/// The members of a body, and the rules on the body as a whole.
#[derive(Default)]
pub struct Members {
    pub members: Vec<Member>,
    pub whole: Vec<&'static str>,
}

/// Which rules apply under a pointer: the draft document's (return and
/// document rules, by form field), the trade rows' (by column) or an
/// incident report's (by member).
#[derive(Clone, Copy)]
enum Rules {
    None,
    Draft,
    Trades,
    Incident,
}

/// Where the walk is: the rules in force and the pointer they start at.
#[derive(Clone)]
struct Scope {
    rules: Rules,
    base: String,
}

/// A `$ref` to a component schema, followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

/// The name of the component a schema refers to, if it does.
fn component(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// The one alternative of "this or null" (utoipa writes an optional
/// component as `oneOf: [{type: null}, {$ref}]`).
fn not_null(schema: &Value) -> &Value {
    let alternatives = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array);
    match alternatives {
        Some(list) => {
            let mut real = list
                .iter()
                .filter(|s| s.get("type") != Some(&"null".into()));
            match (real.next(), real.next()) {
                (Some(only), None) => only,
                _ => schema,
            }
        }
        None => schema,
    }
}

/// The schema's type in words: `integer`, `string (date)`, one of its
/// codes, or the alternatives of a `oneOf`.
pub fn kind(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, not_null(schema));
    if let Some(codes) = schema.get("enum").and_then(Value::as_array) {
        let codes: Vec<&str> = codes.iter().filter_map(Value::as_str).collect();
        return codes.join(" | ");
    }
    if let Some(list) = schema.get("oneOf").and_then(Value::as_array) {
        return list
            .iter()
            .map(|s| kind(doc, s))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    let mut text = if types.is_empty() {
        "object".to_owned()
    } else {
        types.join(" | ")
    };
    if text == "array"
        && let Some(items) = schema.get("items")
    {
        text = format!("array of {}", kind(doc, items));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(format) if format != "int64" && format != "int32" => format!("{text} ({format})"),
        _ => text,
    }
}

/// A text pattern that only keeps out control characters.
fn forbids_controls(pattern: &str) -> bool {
    pattern.starts_with(r"^[^\u0000-")
}

/// The schema's limits in words.
pub fn limits(t: &Tr, doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, not_null(schema));
    let number = |name: &str| schema.get(name).and_then(Value::as_i64);
    let mut out = Vec::new();
    match (number("minimum"), number("maximum")) {
        (Some(min), Some(max)) => out.push(t.tf(
            msg!("api_ref.limit.range"),
            &[("min", &group_digits(min)), ("max", &group_digits(max))],
        )),
        (Some(min), None) => {
            out.push(t.tf(msg!("api_ref.limit.min"), &[("min", &group_digits(min))]))
        }
        (None, Some(max)) => {
            out.push(t.tf(msg!("api_ref.limit.max"), &[("max", &group_digits(max))]))
        }
        (None, None) => {}
    }
    if let Some(n) = number("maxLength") {
        out.push(t.tf(msg!("api_ref.limit.max_chars"), &[("n", &group_digits(n))]));
    }
    if let Some(n) = number("minLength").filter(|n| *n > 0) {
        out.push(t.tf(msg!("api_ref.limit.min_chars"), &[("n", &group_digits(n))]));
    }
    if let Some(n) = number("maxItems") {
        out.push(t.tf(msg!("api_ref.limit.max_items"), &[("n", &group_digits(n))]));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        if forbids_controls(pattern) {
            out.push(t.t(msg!("api_ref.limit.no_controls")).to_owned());
        } else {
            out.push(t.tf(msg!("api_ref.limit.pattern"), &[("pattern", pattern)]));
        }
    }
    if schema.get("readOnly") == Some(&Value::Bool(true)) {
        out.push(t.t(msg!("api_ref.limit.read_only")).to_owned());
    }
    out
}

fn description(doc: &Value, schema: &Value) -> String {
    [schema, not_null(schema), resolve(doc, not_null(schema))]
        .iter()
        .find_map(|s| s.get("description").and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

fn ids(rules: impl Iterator<Item = &'static Rule>) -> Vec<&'static str> {
    rules.map(|r| r.id).collect()
}

/// The rules that read the member at `pointer` (relative to the scope).
fn rules_of(scope: &Scope, pointer: &str) -> Vec<&'static str> {
    let relative = pointer.strip_prefix(scope.base.as_str()).unwrap_or(pointer);
    match scope.rules {
        Rules::None => Vec::new(),
        Rules::Draft => ids(CATALOGUE.iter().filter(|r| {
            matches!(r.subject, Subject::Return | Subject::Document)
                && r.reads
                    .fields()
                    .iter()
                    .any(|f| pointer_of(f).as_deref() == Some(relative))
        })),
        Rules::Trades => ids(CATALOGUE.iter().filter(|r| {
            r.subject == Subject::Trades
                && r.reads
                    .fields()
                    .iter()
                    .any(|f| relative.strip_prefix('/') == Some(*f))
        })),
        Rules::Incident => ids(CATALOGUE.iter().filter(|r| {
            r.subject == Subject::Incident
                && r.reads
                    .fields()
                    .iter()
                    .any(|f| relative.strip_prefix('/') == Some(*f))
        })),
    }
}

/// The rules on a whole document of `rules` (those that read no field).
fn whole(rules: Rules) -> Vec<&'static str> {
    let subject = |r: &Rule| match rules {
        Rules::None => false,
        Rules::Draft => r.subject == Subject::Document,
        Rules::Trades => r.subject == Subject::Trades,
        Rules::Incident => r.subject == Subject::Incident,
    };
    ids(CATALOGUE
        .iter()
        .filter(|r| subject(r) && r.reads.fields().is_empty()))
}

struct Walk<'a> {
    t: &'a Tr,
    doc: &'a Value,
    /// Each component's members in their declared order.
    order: &'a HashMap<String, Vec<String>>,
    out: Members,
}

impl Walk<'_> {
    fn enter(&mut self, schema: &Value, pointer: &str, scope: &Scope) -> Scope {
        let rules = match component(not_null(schema)) {
            Some("DraftDocument") => Rules::Draft,
            Some("TradeRowJson") => Rules::Trades,
            Some("IncidentReport") => Rules::Incident,
            _ => return scope.clone(),
        };
        for id in whole(rules) {
            if !self.out.whole.contains(&id) {
                self.out.whole.push(id);
            }
        }
        Scope {
            rules,
            base: pointer.to_owned(),
        }
    }

    /// The members under `schema` at `pointer`, depth first.
    fn object(&mut self, schema: &Value, pointer: &str, scope: &Scope, depth: usize) {
        let resolved = resolve(self.doc, not_null(schema));
        if let Some(items) = resolved.get("items") {
            let at = format!("{pointer}/{{n}}");
            let inner = self.enter(items, &at, scope);
            self.object(items, &at, &inner, depth + 1);
            return;
        }
        let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
            return;
        };
        let declared = component(not_null(schema)).and_then(|name| self.order.get(name));
        let mut properties: Vec<(&String, &Value)> = properties.iter().collect();
        if let Some(declared) = declared {
            let at = |name: &String| declared.iter().position(|d| d == name);
            properties.sort_by_key(|(name, _)| at(name));
        }
        // The schemas here are a few levels deep; the bound keeps a
        // self-referring one from recursing forever.
        if depth > 8 {
            return;
        }
        for (name, member) in properties {
            let at = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            let inner = self.enter(member, &at, scope);
            self.out.members.push(Member {
                kind: kind(self.doc, member),
                limits: limits(self.t, self.doc, member),
                description: super::prose(&description(self.doc, member)),
                rules: rules_of(&inner, &at),
                pointer: at.clone(),
            });
            let target = resolve(self.doc, not_null(member));
            if target.get("properties").is_some() || target.get("items").is_some() {
                self.object(member, &at, &inner, depth + 1);
            }
        }
    }
}

/// Every member of a body whose schema is `schema`, in the order the code
/// declares them.
pub fn of_body(
    t: &Tr,
    doc: &Value,
    order: &HashMap<String, Vec<String>>,
    schema: &Value,
) -> Members {
    let mut walk = Walk {
        t,
        doc,
        order,
        out: Members::default(),
    };
    let start = Scope {
        rules: Rules::None,
        base: String::new(),
    };
    let scope = walk.enter(schema, "", &start);
    walk.object(schema, "", &scope, 0);
    walk.out
}
