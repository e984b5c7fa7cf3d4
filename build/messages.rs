//! Reads the message catalogues (`locales/en.txt`, `locales/ja.txt`) and
//! generates the typed keys: a `msg!("key")` macro with one arm per
//! message, so a key that no catalogue has fails the build, and the texts
//! as arrays indexed by key. The build also fails when the two catalogues
//! disagree: a message in one only, a key given twice, placeholders that
//! differ between the languages, or a plural message without the forms its
//! language needs (English: `key[one]` and `key[other]`; Japanese:
//! `key[other]`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The plural forms a message may have, written `key[form] = …`.
const FORMS: [&str; 2] = ["one", "other"];

/// One catalogue: messages by key, plural messages by base key and form.
#[derive(Default)]
struct Catalogue {
    plain: BTreeMap<String, String>,
    plural: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn generate() {
    println!("cargo::rerun-if-changed=locales/en.txt");
    println!("cargo::rerun-if-changed=locales/ja.txt");
    println!("cargo::rerun-if-changed=build/messages.rs");
    let en = read("locales/en.txt");
    let ja = read("locales/ja.txt");
    let mut problems = Vec::new();
    compare(&en, &ja, &mut problems);
    check_plurals("en.txt", &en, &["one", "other"], &mut problems);
    check_plurals("ja.txt", &ja, &["other"], &mut problems);
    if !problems.is_empty() {
        for p in &problems {
            println!("cargo::warning={p}");
        }
        panic!("the message catalogues disagree:\n{}", problems.join("\n"));
    }
    let out = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    let (texts, keys) = write_code(&en, &ja);
    let out = Path::new(&out);
    for (name, code) in [("messages.rs", texts), ("message_keys.rs", keys)] {
        std::fs::write(out.join(name), code).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn read(path: &str) -> Catalogue {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut catalogue = Catalogue::default();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else {
            panic!("{path}:{}: not `key = message`: {line}", n + 1);
        };
        let (key, value) = (key.trim(), value.trim());
        assert!(
            seen.insert(key.to_owned()),
            "{path}:{}: {key} given twice",
            n + 1
        );
        let plural = key.strip_suffix(']').and_then(|k| k.split_once('['));
        let name = plural.map_or(key, |(base, _)| base);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
            "{path}:{}: a key is lower-case ASCII, digits, dots and underscores: {key}",
            n + 1
        );
        match plural {
            Some((base, form)) => {
                assert!(
                    FORMS.contains(&form),
                    "{path}:{}: {key}: the plural forms are {FORMS:?}",
                    n + 1
                );
                catalogue
                    .plural
                    .entry(base.to_owned())
                    .or_default()
                    .insert(form.to_owned(), value.to_owned());
            }
            _ => {
                catalogue.plain.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    for base in catalogue.plural.keys() {
        assert!(
            !catalogue.plain.contains_key(base),
            "{path}: {base} is both a message and a plural message"
        );
    }
    catalogue
}

/// The `{name}` placeholders of a message.
fn placeholders(text: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                names.insert(name);
                rest = &rest[close + 1..];
            }
        }
    }
    names
}

fn compare(en: &Catalogue, ja: &Catalogue, problems: &mut Vec<String>) {
    let en_keys: BTreeSet<_> = en.plain.keys().collect();
    let ja_keys: BTreeSet<_> = ja.plain.keys().collect();
    for k in en_keys.difference(&ja_keys) {
        problems.push(format!("{k}: in en.txt, not in ja.txt"));
    }
    for k in ja_keys.difference(&en_keys) {
        problems.push(format!("{k}: in ja.txt, not in en.txt"));
    }
    for (key, text) in &en.plain {
        if let Some(other) = ja.plain.get(key)
            && placeholders(text) != placeholders(other)
        {
            problems.push(format!(
                "{key}: placeholders differ between en.txt and ja.txt"
            ));
        }
    }
    let en_plural: BTreeSet<_> = en.plural.keys().collect();
    let ja_plural: BTreeSet<_> = ja.plural.keys().collect();
    for k in en_plural.symmetric_difference(&ja_plural) {
        problems.push(format!("{k}: a plural message in one catalogue only"));
    }
    for (key, forms) in &en.plural {
        let Some(other) = ja.plural.get(key) else {
            continue;
        };
        let names = |forms: &BTreeMap<String, String>| -> BTreeSet<String> {
            forms
                .values()
                .flat_map(|t| placeholders(t).into_iter().map(str::to_owned))
                .collect()
        };
        if names(forms) != names(other) {
            problems.push(format!(
                "{key}: placeholders differ between en.txt and ja.txt"
            ));
        }
    }
}

fn check_plurals(file: &str, catalogue: &Catalogue, needed: &[&str], problems: &mut Vec<String>) {
    for (key, forms) in &catalogue.plural {
        for form in needed {
            if !forms.contains_key(*form) {
                problems.push(format!("{file}: {key} lacks its `[{form}]` form"));
            }
        }
    }
}

fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// The texts (included by `src/i18n.rs`) and the `msg!` macro (included
/// at the top of `src/lib.rs`, so every module sees it).
fn write_code(en: &Catalogue, ja: &Catalogue) -> (String, String) {
    let mut code =
        String::from("// Generated by build.rs from locales/{en,ja}.txt; do not edit.\n\n");
    let plain: Vec<&String> = en.plain.keys().collect();
    let plural: Vec<&String> = en.plural.keys().collect();
    let _ = writeln!(
        code,
        "/// Every message's key, sorted (the index is the key's number)."
    );
    let _ = writeln!(code, "pub(crate) static KEYS: [&str; {}] = [", plain.len());
    for k in &plain {
        let _ = writeln!(code, "    {},", literal(k));
    }
    code.push_str("];\n");
    for (name, catalogue) in [("EN", en), ("JA", ja)] {
        let _ = writeln!(
            code,
            "pub(crate) static {name}_TEXT: [&str; {}] = [",
            plain.len()
        );
        for k in &plain {
            let _ = writeln!(code, "    {},", literal(&catalogue.plain[*k]));
        }
        code.push_str("];\n");
        let _ = writeln!(
            code,
            "pub(crate) static {name}_PLURAL: [(Option<&str>, &str); {}] = [",
            plural.len()
        );
        for k in &plural {
            let forms = &catalogue.plural[*k];
            let one = forms
                .get("one")
                .map_or_else(|| "None".to_owned(), |t| format!("Some({})", literal(t)));
            let _ = writeln!(code, "    ({one}, {}),", literal(&forms["other"]));
        }
        code.push_str("];\n");
    }
    let _ = writeln!(
        code,
        "pub(crate) static PLURAL_KEYS: [&str; {}] = [",
        plural.len()
    );
    for k in &plural {
        let _ = writeln!(code, "    {},", literal(k));
    }
    code.push_str("];\n");
    let texts = code;
    let mut code =
        String::from("// Generated by build.rs from locales/{en,ja}.txt; do not edit.\n\n");
    code.push_str(
        "/// A message's typed key: `msg!(\"nav.returns\")`. A key that no catalogue\n\
         /// has does not compile.\n\
         #[macro_export]\nmacro_rules! msg {\n",
    );
    for (i, k) in plain.iter().enumerate() {
        let _ = writeln!(
            code,
            "    ({}) => {{ $crate::i18n::Key::generated({i}) }};",
            literal(k)
        );
    }
    for (i, k) in plural.iter().enumerate() {
        let _ = writeln!(
            code,
            "    ({}) => {{ $crate::i18n::PluralKey::generated({i}) }};",
            literal(k)
        );
    }
    code.push_str("}\n");
    (texts, code)
}
