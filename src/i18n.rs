//! Message catalogues (English and Japanese) and the per-request translator.
//! Every string a user reads comes from `locales/{en,ja}.txt`.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::time::{format_tokyo, to_tokyo};

/// The cookie that remembers the language picked before sign-in.
pub const LANG_COOKIE: &str = "__Host-lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The language of a page before sign-in: the one picked with the
    /// switch (a cookie), else the highest-weighted of ours in
    /// `Accept-Language`, else English.
    pub fn from_request(req: &HttpRequest) -> Lang {
        req.cookie(LANG_COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .unwrap_or_else(|| Lang::from_accept_language(req))
    }

    /// The highest-weighted of ours in `Accept-Language`, English otherwise.
    pub fn from_accept_language(req: &HttpRequest) -> Lang {
        let Some(value) = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let weight = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Lang::parse(primary)
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }
}

fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

pub static EN: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse_catalogue(include_str!("../locales/en.txt")));
pub static JA: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse_catalogue(include_str!("../locales/ja.txt")));

/// Translates message keys for one language.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    fn catalogue(&self) -> &'static HashMap<&'static str, &'static str> {
        match self.lang {
            Lang::En => &EN,
            Lang::Ja => &JA,
        }
    }

    /// The message for `key`; the key itself if no catalogue has it (a test
    /// makes sure that never ships).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.catalogue()
            .get(key)
            .or_else(|| EN.get(key))
            .copied()
            .unwrap_or(key)
    }

    /// A stored UTC time in Asia/Tokyo, in the language's usual form:
    /// `2025-04-16 18:05 JST` / `2025年4月16日 18:05`.
    pub fn when(&self, naive_utc: NaiveDateTime) -> String {
        match self.lang {
            Lang::En => format_tokyo(naive_utc),
            Lang::Ja => to_tokyo(naive_utc)
                .format("%Y年%-m月%-d日 %H:%M")
                .to_string(),
        }
    }

    /// A calendar date: `2025-04-16` / `2025年4月16日`.
    pub fn date(&self, date: NaiveDate) -> String {
        match self.lang {
            Lang::En => date.format("%Y-%m-%d").to_string(),
            Lang::Ja => date.format("%Y年%-m月%-d日").to_string(),
        }
    }

    /// The message for `key` with `{name}` placeholders filled in.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn keys(map: &HashMap<&'static str, &'static str>) -> BTreeSet<&'static str> {
        map.keys().copied().collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let en = keys(&EN);
        let ja = keys(&JA);
        let only_en: Vec<_> = en.difference(&ja).collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in ja.txt: {only_en:?}");
        assert!(only_ja.is_empty(), "missing in en.txt: {only_ja:?}");
        assert!(en.len() > 100);
    }

    /// Every literal key a template or the code asks for exists.
    #[test]
    fn every_key_used_exists() {
        let mut used = BTreeSet::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("templates"), root.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // Audit action names are not messages.
                if path.ends_with("services/audit.rs") || path.ends_with("domain/audit_action.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split('"').skip(1).step_by(2) {
                    let prefix = piece.split('.').next().unwrap_or_default();
                    let looks_like_key = piece.contains('.')
                        && !piece.contains(' ')
                        && piece
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                        && [
                            "app",
                            "nav",
                            "role",
                            "form",
                            "error",
                            "login",
                            "setup",
                            "password",
                            "field",
                            "hint",
                            "err",
                            "returns",
                            "col",
                            "state",
                            "status",
                            "return",
                            "version",
                            "review",
                            "dashboard",
                            "table",
                            "firms",
                            "users",
                            "footer",
                            "email",
                            "verify",
                            "enrol",
                            "recovery",
                            "account",
                            "sessions",
                            "reauth",
                            "invite",
                            "forgot",
                            "reset",
                            "policy",
                            "firm",
                            "check",
                            "warn",
                            "audit",
                            "passkey",
                            "trades",
                            "board",
                            "calendar",
                            "compare",
                            "statistics",
                            "publication",
                        ]
                        .contains(&prefix);
                    if looks_like_key && !piece.ends_with(".html") && !piece.ends_with(".rs") {
                        used.insert(piece.to_owned());
                    }
                }
            }
        }
        let missing: Vec<_> = used
            .iter()
            .filter(|k| !EN.contains_key(k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but in no catalogue: {missing:?}"
        );
        assert!(used.len() > 100, "the scan found the keys ({})", used.len());
    }

    #[test]
    fn placeholders_are_filled() {
        let tr = Tr::new(Lang::En);
        let text = tr.tf(
            "return.draft_saved_by",
            &[("who", "Hanako"), ("when", "today")],
        );
        assert_eq!(text, "Draft last saved by Hanako at today.");
    }
}
