//! Accessibility checks with axe-core, injected into the page under test
//! over WebDriver. axe-core comes from the npm registry, pinned in
//! tests/browser/axe/package.json; a missing install fails the test.

use std::path::PathBuf;

use fantoccini::Client;
use serde::Deserialize;

use crate::support::BoxError;

/// WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no `wcag22a` tag).
const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The impacts that fail a test.
const FAILING: [&str; 2] = ["serious", "critical"];

/// axe.min.js as installed by `npm ci --prefix tests/browser/axe`.
pub fn source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the browser tests need axe-core; \
             run `npm ci --prefix tests/browser/axe`",
            path.display()
        )
    })
}

/// What `axe.run` found, as the injected script reports it.
#[derive(Debug, Deserialize)]
struct Report {
    version: String,
    violations: Vec<Violation>,
}

/// One failing rule on one page.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

/// Every serious or critical violation on the current page, each line
/// naming the page, the rule, its impact and the elements (CSS targets).
pub async fn check(client: &Client, axe: &str, page: &str) -> Result<Vec<String>, BoxError> {
    let present = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await?;
    if present != serde_json::Value::Bool(true) {
        client
            .execute(&format!("{axe}\n;return typeof window.axe;"), vec![])
            .await?;
    }
    let script = r#"
        const done = arguments[arguments.length - 1];
        const tags = arguments[0];
        window.axe
          .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
          .then((r) => done(JSON.stringify({
            version: r.testEngine.version,
            violations: r.violations.map((v) => ({
              id: v.id,
              impact: v.impact || '',
              help: v.help,
              targets: v.nodes.map((n) => n.target.join(' ')),
            })),
          })))
          .catch((e) => done('axe failed: ' + e));
    "#;
    let answer = client
        .execute_async(script, vec![serde_json::json!(TAGS)])
        .await?;
    let text = answer.as_str().ok_or("axe returned no text")?;
    let report: Report = serde_json::from_str(text).map_err(|e| format!("{text}: {e}"))?;
    // Proof that axe itself ran, not an empty answer.
    assert!(
        report.version.starts_with("4."),
        "axe-core {} answered; 4.x is pinned",
        report.version
    );
    Ok(report
        .violations
        .into_iter()
        .filter(|v| FAILING.contains(&v.impact.as_str()))
        .map(|v| {
            format!(
                "{page}: {} ({}) — {}: {}",
                v.id,
                v.impact,
                v.help,
                v.targets.join(", ")
            )
        })
        .collect())
}
