//! The open-data files of the public statistics, beside each release's
//! CSV files: the release as JSON, the CSV on the Web metadata of each CSV
//! file, and the DCAT catalogue of every release. Drafts are never public
//! (404). Each file answers conditional GETs (`conditional`): its
//! `Last-Modified` is the release time (the catalogue's: the newest
//! release's).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};

use super::statistics::{released, released_list};
use super::{AppState, conditional, paths};
use crate::error::AppResult;
use crate::services::open_data::{self, CATALOG_MEDIA_TYPE, File, Links};
use crate::services::release_cache::Released;

/// The path of a release's file, from the route table.
pub fn path(file: File, id: i64) -> String {
    let pattern = match file {
        File::Page => paths::STATISTICS_RELEASE,
        File::CsvEn => paths::STATISTICS_CSV,
        File::CsvJa => paths::STATISTICS_CSV_JA,
        File::Json => paths::STATISTICS_JSON,
        File::CsvwEn => paths::STATISTICS_CSVW,
        File::CsvwJa => paths::STATISTICS_CSVW_JA,
    };
    pattern.replace("{id}", &id.to_string())
}

impl AppState {
    /// The open-data files' addresses under the portal's public address.
    pub fn open_data_links(&self) -> Links {
        Links::new(&self.config.public_url, path, paths::STATISTICS_CATALOG)
    }
}

/// A 200 of `media_type`, in UTF-8.
fn ok_as(media_type: &str) -> actix_web::HttpResponseBuilder {
    let mut ok = HttpResponse::Ok();
    ok.content_type(format!("{media_type}; charset=utf-8"));
    ok
}

/// `GET /statistics/{id}.json`
pub async fn release_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let released = released(&state, id.into_inner()).await?;
    let p = &released.publication;
    let body = open_data::release_json(p, &released.table, &state.open_data_links())?;
    Ok(conditional::respond(
        &req,
        ok_as(File::Json.media_type()),
        body,
        p.released_at,
    ))
}

async fn csvw(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    japanese: bool,
) -> AppResult<HttpResponse> {
    let released = released(state, id).await?;
    let p = &released.publication;
    let body = open_data::csvw(p, japanese, &state.open_data_links())?;
    let file = if japanese { File::CsvwJa } else { File::CsvwEn };
    Ok(conditional::respond(
        req,
        ok_as(file.media_type()),
        body,
        p.released_at,
    ))
}

/// `GET /statistics/{id}/csv-metadata.json`: describes the English CSV.
pub async fn csvw_en(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    csvw(&req, &state, id.into_inner(), false).await
}

/// `GET /statistics/{id}/csv/ja-metadata.json`: describes the Japanese CSV.
pub async fn csvw_ja(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    csvw(&req, &state, id.into_inner(), true).await
}

/// `GET /statistics/catalog.json`: every release, from the kept list and
/// the kept releases (read once each).
pub async fn catalog(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let listed = released_list(&state).await?;
    let mut releases: Vec<Arc<Released>> = Vec::with_capacity(listed.len());
    for release in listed.iter() {
        releases.push(released(&state, release.id).await?);
    }
    let publications: Vec<_> = releases.iter().map(|r| &r.publication).collect();
    let body = open_data::catalog(&publications, &state.open_data_links())?;
    let newest = publications.iter().filter_map(|p| p.released_at).max();
    Ok(conditional::respond(
        &req,
        ok_as(CATALOG_MEDIA_TYPE),
        body,
        newest,
    ))
}
