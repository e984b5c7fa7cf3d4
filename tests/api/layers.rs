//! The layers, read from the source tree: `web` handles HTTP and renders,
//! `services` own every query and transaction, `domain` is plain rules, and
//! the error type becomes HTTP in `web` only. An import that runs against
//! them fails here, naming the file and line.

use std::path::{Path, PathBuf};

/// Files allowed to break a rule, each with its reason.
/// `domain/text_enum.rs` is the one macro that gives the stored enums their
/// text mapping (diesel's `FromSql`/`ToSql` for `Text`); it runs no query.
/// Moving that mapping into `db` (a second macro invoked per enum there) is
/// the cleaner shape and is left to do.
const KNOWN_EXCEPTIONS: &[&str] = &["src/domain/text_enum.rs"];

/// What each top-level module may not use: a `crate::` module, or a path
/// fragment such as `diesel::`.
fn rules(file: &str) -> Vec<(&'static str, &'static str)> {
    let top = file
        .strip_prefix("src/")
        .and_then(|rest| rest.split(['/', '.']).next())
        .unwrap_or_default();
    match top {
        "services" | "db" | "mail" => vec![
            ("crate::web", "knows nothing of URLs or HTTP"),
            (
                "crate::server",
                "is started by the server, not the other way",
            ),
        ],
        "domain" => vec![
            ("crate::web", "is plain rules"),
            ("crate::db", "is plain rules, not storage"),
            ("crate::services", "is plain rules, below the services"),
            ("crate::mail", "is plain rules"),
            ("diesel::", "is plain rules, not storage"),
        ],
        "web" => vec![
            ("diesel::", "calls services, which own the queries"),
            ("crate::db::schema", "calls services, which own the queries"),
            (
                "crate::db::write_tx",
                "calls services, which own transactions",
            ),
            (
                "crate::db::write_tx_unseen",
                "calls services, which own transactions",
            ),
        ],
        "error" => vec![
            ("crate::web", "is a plain enum; web maps it to HTTP"),
            ("actix_web::", "is a plain enum; web maps it to HTTP"),
        ],
        _ => vec![],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its comments (a `//` not part of `://`), lines kept.
fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let cut = line
            .match_indices("//")
            .find(|(at, _)| !line[..*at].ends_with(':'))
            .map_or(line.len(), |(at, _)| at);
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path the code names, with the line it is on, grouped imports
/// spelled out: `use crate::{db, web::paths};` names `crate::db` and
/// `crate::web::paths`; `diesel::insert_into(..)` names `diesel::`.
fn named_paths(source: &str) -> Vec<(usize, String)> {
    let code = without_comments(source);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut paths = Vec::new();
    for (start, _) in code.match_indices("crate::") {
        if code[..start].ends_with(is_ident) {
            continue;
        }
        let rest: String = code[start + "crate::".len()..]
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(400)
            .collect();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths.push((line_of(start), format!("crate::{item}")));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            if !item.is_empty() {
                paths.push((line_of(start), format!("crate::{item}")));
            }
        } else {
            let end = rest
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(rest.len());
            paths.push((line_of(start), format!("crate::{}", &rest[..end])));
        }
    }
    for external in ["diesel::", "actix_web::"] {
        for (start, _) in code.match_indices(external) {
            if !code[..start].ends_with(is_ident) {
                paths.push((line_of(start), external.to_owned()));
            }
        }
    }
    paths
}

/// Whether `path` is `forbidden` or under it (`crate::web` covers
/// `crate::web::paths::LOGIN`, not `crate::webhooks`).
fn breaks(path: &str, forbidden: &str) -> bool {
    path == forbidden
        || forbidden.ends_with("::") && path.starts_with(forbidden)
        || path.starts_with(&format!("{forbidden}::"))
}

/// The code before a file's unit tests (a `#[cfg(test)]` module, by
/// custom at the end): tests may build what they test with any tool.
fn before_tests(source: &str) -> &str {
    let mut at = 0;
    for line in source.split_inclusive('\n') {
        if line.trim() == "#[cfg(test)]"
            && source[at + line.len()..].trim_start().starts_with("mod ")
        {
            return &source[..at];
        }
        at += line.len();
    }
    source
}

fn violations(file: &str, source: &str) -> Vec<String> {
    let rules = rules(file);
    let mut found = Vec::new();
    for (line, path) in named_paths(before_tests(source)) {
        for (forbidden, why) in &rules {
            if breaks(&path, forbidden) {
                found.push(format!("{file}:{line}: uses {path} ({} {why})", top(file)));
            }
        }
    }
    found
}

fn top(file: &str) -> &str {
    file.strip_prefix("src/")
        .and_then(|rest| rest.split(['/', '.']).next())
        .unwrap_or(file)
}

#[test]
fn no_import_runs_against_the_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "the source tree was found");
    let mut found = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if KNOWN_EXCEPTIONS.iter().any(|e| file.starts_with(e)) {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        found.extend(violations(&file, &source));
    }
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reader_sees_every_spelling_of_an_import() {
    let service = "src/services/x.rs";
    for source in [
        "use crate::web::paths;",
        "use crate::{db::DbConn, web::paths};",
        "use crate::{\n    db::DbConn,\n    web::{paths, AppState},\n};",
        "let link = crate::web::paths::invitation(&token);",
        "let link = format!(\"{}\", crate::web::paths::LOGIN);",
    ] {
        assert_eq!(violations(service, source).len(), 1, "{source}");
    }
    for source in [
        "use crate::db::DbConn;",
        "// use crate::web::paths;",
        "use crate::webhooks;",
    ] {
        assert!(violations(service, source).is_empty(), "{source}");
    }
    let handler = "src/web/x.rs";
    for source in [
        "use diesel::prelude::*;",
        "use diesel::{QueryDsl, RunQueryDsl};",
        "let n = diesel::delete(t::table).execute(conn)?;",
        "use crate::db::schema::users;",
        "crate::db::write_tx(conn, |conn| Ok(()))",
    ] {
        assert_eq!(violations(handler, source).len(), 1, "{source}");
    }
    assert!(violations(handler, "use crate::db::models::User;").is_empty());
    let tested = "use crate::db::models::User;\n#[cfg(test)]\nmod tests {\n    use diesel::result::Error;\n}\n";
    assert!(
        violations(handler, tested).is_empty(),
        "unit tests may use diesel"
    );
    assert_eq!(
        violations("src/domain/x.rs", "use crate::services::Actor;").len(),
        1
    );
    assert_eq!(
        violations("src/error.rs", "use actix_web::ResponseError;").len(),
        1
    );
}
