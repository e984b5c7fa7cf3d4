//! The published rule catalogue: `/rules` for people in both languages,
//! `/rules.json` for programs, and the return's pages naming the rule
//! behind each message.

use incident_portal::domain::rules::CATALOGUE;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn get(app: &TestApp, path: &str, lang: &str) -> (StatusCode, String, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

async fn the_rules_page_lists_every_rule_in_both_languages(app: TestApp) {
    for (lang, title, warning) in [
        (
            "en",
            "Rules a return must meet",
            "Warning (needs an explanation)",
        ),
        ("ja", "報告が満たすべきルール", "警告（説明が必要）"),
    ] {
        let (status, _, body) = get(&app, "/rules", lang).await;
        assert_eq!(status, StatusCode::OK);
        let page = scraper::Html::parse_document(&body);
        let h1: String = page
            .select(&scraper::Selector::parse("h1").unwrap())
            .flat_map(|e| e.text())
            .collect();
        assert_eq!(h1, title);
        for rule in CATALOGUE {
            let item = page
                .select(&scraper::Selector::parse(&format!("li[id=\"{}\"]", rule.id)).unwrap())
                .next()
                .unwrap_or_else(|| panic!("{} missing from /rules ({lang})", rule.id));
            let text: String = item.text().collect();
            assert!(text.contains(rule.effective), "{}", rule.id);
        }
        assert!(body.contains(warning), "{lang}");
    }
    let (_, _, ja) = get(&app, "/rules", "ja").await;
    assert!(
        ja.contains("市場別の買付金額"),
        "descriptions are translated"
    );
    assert!(ja.contains("不正取引件数"), "field labels are translated");
}

async fn the_catalogue_as_json_names_every_rule_with_its_type_uri(app: TestApp) {
    let (status, kind, body) = get(&app, "/rules.json", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), CATALOGUE.len());
    for (rule, listed) in CATALOGUE.iter().zip(rules) {
        assert_eq!(listed["id"], rule.id);
        let uri = listed["type"].as_str().unwrap();
        assert!(uri.ends_with(&format!("/rules#{}", rule.id)), "{uri}");
        assert!(uri.starts_with("http"), "an absolute URI: {uri}");
        assert!(!listed["description"]["en"].as_str().unwrap().is_empty());
        assert!(!listed["description"]["ja"].as_str().unwrap().is_empty());
        assert_ne!(listed["message"]["en"], listed["message"]["ja"]);
        assert!(matches!(
            listed["severity"].as_str().unwrap(),
            "error" | "warning"
        ));
        assert_eq!(listed["effective"], rule.effective);
    }
    let markets = rules.iter().find(|r| r["id"] == "RET-E018").unwrap();
    assert_eq!(markets["fields"][4], "purchase_amount");
}

on_both_backends!(
    the_rules_page_lists_every_rule_in_both_languages,
    the_catalogue_as_json_names_every_rule_with_its_type_uri,
);
