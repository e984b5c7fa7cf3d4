//! The public statistics: released publications only, no sign-in. Each
//! release shows its table with footnotes, what changed since the previous
//! release, and its CSV files (served from the bytes frozen at release,
//! with their SHA-256, answering conditional GETs) with their open-data
//! companions (`open_data`).

use crate::i18n::Key;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::Publication;
use crate::domain::yen::group_digits;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::services::open_data::File;
use crate::services::publication_table::{self, Table};
use crate::services::publications;
use crate::services::release_cache::Released;
use crate::web::AppState;
use crate::web::extract::session_token;
use crate::web::view::{Chrome, html, ok};
use crate::web::{conditional, open_data, paths};

/// The key the list of releases is kept under (`AppState::released`).
const RELEASED: &str = "released";

#[derive(Template)]
#[template(path = "statistics/list.html")]
struct ListPage {
    c: Chrome,
    releases: Vec<(i64, String, String, String)>,
    catalog_href: &'static str,
}

#[derive(Template)]
#[template(path = "statistics/release.html")]
struct ReleasePage {
    c: Chrome,
    title: String,
    released_at: String,
    cutoff_at: String,
    months: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    footnotes: Vec<String>,
    changes: Vec<(String, String, String, String, String)>,
    previous: Option<(i64, String)>,
    sha256_en: String,
    sha256_ja: String,
    files: FileLinks,
}

/// Where the release page links to its files.
struct FileLinks {
    csv_en: String,
    csv_ja: String,
    csvw_en: String,
    csvw_ja: String,
    json: String,
    catalog: &'static str,
}

impl FileLinks {
    fn of(id: i64) -> Self {
        FileLinks {
            csv_en: open_data::path(File::CsvEn, id),
            csv_ja: open_data::path(File::CsvJa, id),
            csvw_en: open_data::path(File::CsvwEn, id),
            csvw_ja: open_data::path(File::CsvwJa, id),
            json: open_data::path(File::Json, id),
            catalog: paths::STATISTICS_CATALOG,
        }
    }
}

/// The label key of a figure's row.
pub fn figure_key(figure: &str) -> Key {
    match figure {
        "firms_with_fraudulent_trades" => msg!("statistics.row_firms"),
        "unauthorized_accesses" => msg!("statistics.row_accesses"),
        "fraudulent_trades" => msg!("statistics.row_trades"),
        "sale_amount_jpy" => msg!("statistics.row_sale"),
        _ => msg!("statistics.row_purchase"),
    }
}

/// The reader's language version of a text kept in both.
pub fn in_reader_language<'a>(t: &Tr, en: &'a str, ja: &'a str) -> &'a str {
    match t.lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// A publication's title in the reader's language.
pub fn title_of<'a>(t: &Tr, p: &'a Publication) -> &'a str {
    in_reader_language(t, &p.title, &p.title_ja)
}

/// A publication's footnotes in the reader's language, one a line.
pub fn footnotes_of(t: &Tr, p: &Publication) -> Vec<String> {
    in_reader_language(t, &p.footnotes, &p.footnotes_ja)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A published value as shown: `x` when suppressed, yen with `¥`.
pub fn show(figure: &str, value: Option<i64>) -> String {
    match value {
        None => "x".to_owned(),
        Some(v) if figure.ends_with("_jpy") => format!("¥{}", group_digits(v)),
        Some(v) => group_digits(v),
    }
}

/// The table's rows as the template draws them.
pub fn display_rows(t: &Tr, table: &Table) -> Vec<(String, Vec<String>)> {
    table
        .rows
        .iter()
        .map(|r| {
            let cells = r.cells.iter().map(|c| show(&r.figure, c.value)).collect();
            (t.t(figure_key(&r.figure)).to_owned(), cells)
        })
        .collect()
}

/// The cache key of a public page for an anonymous visitor: none when
/// signed in (their pages show who they are) or when the address has a
/// query (so the cache holds at most two copies of each page).
fn anonymous_key(req: &HttpRequest, content: &str) -> Option<String> {
    (session_token(req).is_none() && req.query_string().is_empty()).then(|| {
        let lang = Lang::from_request(req).code();
        format!("{lang}|{content}|{}", req.path())
    })
}

/// Renders `page`, kept under `key` when there is one.
fn answer(
    req: &HttpRequest,
    state: &AppState,
    key: Option<String>,
    page: &impl Template,
) -> AppResult<HttpResponse> {
    match key {
        Some(key) => Ok(state.public_pages.keep(key, html(page)?, req)),
        None => ok(page),
    }
}

/// Every release, newest first, as the list shows them (kept while fresh).
pub async fn released_list(state: &AppState) -> AppResult<Arc<Vec<publications::Listed>>> {
    state
        .released
        .get_or_load(RELEASED, || async {
            let all = crate::db::run(&state.pool, |conn| Ok(publications::released(conn)?)).await?;
            Ok(Arc::new(all))
        })
        .await
}

/// Release `id` with its table (kept: a release never changes); not found
/// for a draft or an unknown id.
pub async fn released(state: &AppState, id: i64) -> AppResult<Arc<Released>> {
    match state.releases.get(id) {
        Some(released) => Ok(released),
        None => {
            let cache = state.releases.clone();
            crate::db::run(&state.pool, move |conn| cache.load(conn, id)).await
        }
    }
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let all = released_list(&state).await?;
    let shown: Vec<String> = all.iter().map(|r| r.id.to_string()).collect();
    let key = anonymous_key(&req, &format!("list:{}", shown.join(",")));
    if let Some(page) = key.as_deref().and_then(|k| state.public_pages.get(k, &req)) {
        return Ok(page);
    }
    let c = Chrome::public(&req).await;
    let releases = all
        .iter()
        .map(|r| {
            let released = r.released_at.map(|at| c.when(&at)).unwrap_or_default();
            let title = in_reader_language(&c.t, &r.title, &r.title_ja);
            (r.id, title.to_owned(), released, c.when(&r.cutoff_at))
        })
        .collect();
    let page = ListPage {
        c,
        releases,
        catalog_href: paths::STATISTICS_CATALOG,
    };
    answer(&req, &state, key, &page)
}

pub async fn release(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let key = anonymous_key(&req, &format!("release:{id}"));
    if let Some(page) = key.as_deref().and_then(|k| state.public_pages.get(k, &req)) {
        return Ok(page);
    }
    let released = released(&state, id).await?;
    let (p, table) = (&released.publication, &released.table);
    let c = Chrome::public(&req).await;
    let changes = match &released.previous {
        Some((_, before)) => publication_table::changes(before, table)
            .into_iter()
            .map(|ch| {
                let delta = ch.delta().map_or_else(String::new, |d| {
                    let sign = if d > 0 { "+" } else { "" };
                    format!("{sign}{}", show(&ch.figure, Some(d)))
                });
                (
                    c.t.t(figure_key(&ch.figure)).to_owned(),
                    column_label(&c.t, &ch.column),
                    show(&ch.figure, ch.before),
                    show(&ch.figure, ch.after),
                    delta,
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let page = ReleasePage {
        title: title_of(&c.t, p).to_owned(),
        released_at: p.released_at.map(|at| c.when(&at)).unwrap_or_default(),
        cutoff_at: c.when(&p.cutoff_at),
        rows: display_rows(&c.t, table),
        months: table.months.clone(),
        footnotes: footnotes_of(&c.t, p),
        changes,
        previous: released
            .previous
            .as_ref()
            .map(|(prev, _)| (prev.id, title_of(&c.t, prev).to_owned())),
        sha256_en: p.sha256_en.clone().unwrap_or_default(),
        sha256_ja: p.sha256_ja.clone().unwrap_or_default(),
        files: FileLinks::of(p.id),
        c,
    };
    answer(&req, &state, key, &page)
}

/// A cell key (`figure:column`) as a reader names the cell: the row's label
/// and the month (or total).
pub fn cell_label(t: &Tr, cell: &str) -> String {
    match cell.split_once(':') {
        Some((figure, column)) => {
            format!("{} — {}", t.t(figure_key(figure)), column_label(t, column))
        }
        None => cell.to_owned(),
    }
}

fn column_label(t: &Tr, column: &str) -> String {
    if column == publication_table::TOTAL {
        t.t(msg!("statistics.total")).to_owned()
    } else {
        column.to_owned()
    }
}

async fn csv(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    japanese: bool,
) -> AppResult<HttpResponse> {
    let released = released(state, id).await?;
    let p = &released.publication;
    let body = if japanese { &p.csv_ja } else { &p.csv_en };
    let body = body.clone().ok_or(AppError::NotFound)?;
    let name = format!("statistics-{id}{}.csv", if japanese { "-ja" } else { "" });
    let metadata = if japanese { File::CsvwJa } else { File::CsvwEn };
    let mut ok = HttpResponse::Ok();
    ok.content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((
            header::LINK,
            format!(
                "<{}>; rel=\"describedby\"; type=\"{}\"",
                open_data::path(metadata, id),
                metadata.media_type()
            ),
        ));
    Ok(conditional::respond(req, ok, body, p.released_at))
}

pub async fn csv_en(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    csv(&req, &state, id.into_inner(), false).await
}

pub async fn csv_ja(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    csv(&req, &state, id.into_inner(), true).await
}
