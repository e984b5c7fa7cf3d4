//! Public pages as anonymous visitors get them, rendered once per language
//! and address, and kept compressed as well (`web::gzip`: they hold
//! nothing secret). Only pages whose content is fixed by their key go in:
//! a released publication (never changes) and the list of releases (keyed
//! by the releases it shows). Anonymous pages carry nothing per visitor
//! (the language switch is a plain GET before sign-in), so one copy serves
//! all.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use super::gzip::Kept;

/// Pages kept at once; past this the cache starts afresh.
const PAGES: usize = 1024;

#[derive(Default)]
pub struct PageCache(Mutex<HashMap<String, Kept>>);

impl PageCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Kept>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The page kept under `key`, as `req` accepts it.
    pub fn get(&self, key: &str, req: &HttpRequest) -> Option<HttpResponse> {
        let kept = self.lock().get(key).cloned()?;
        Some(kept.html(req, StatusCode::OK))
    }

    /// Keeps `html` under `key` and answers `req` with it.
    pub fn keep(&self, key: String, html: String, req: &HttpRequest) -> HttpResponse {
        let kept = Kept::compressed(Bytes::from(html));
        let answer = kept.html(req, StatusCode::OK);
        let mut pages = self.lock();
        if pages.len() >= PAGES {
            pages.clear();
        }
        pages.insert(key, kept);
        answer
    }
}
