//! Public pages as anonymous visitors get them, rendered once per language
//! and address. Only pages whose content is fixed by their key go in: a
//! released publication (never changes) and the list of releases (keyed by
//! the releases it shows). Anonymous pages carry nothing per visitor (the
//! language switch is a plain GET before sign-in), so one copy serves all.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;

use super::view::page;

/// Pages kept at once; past this the cache starts afresh.
const PAGES: usize = 1024;

#[derive(Default)]
pub struct PageCache(Mutex<HashMap<String, Bytes>>);

impl PageCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Bytes>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<HttpResponse> {
        self.lock().get(key).cloned().map(answer)
    }

    /// Keeps `html` under `key` and answers with it.
    pub fn keep(&self, key: String, html: String) -> HttpResponse {
        let body = Bytes::from(html);
        let mut pages = self.lock();
        if pages.len() >= PAGES {
            pages.clear();
        }
        pages.insert(key, body.clone());
        answer(body)
    }
}

fn answer(body: Bytes) -> HttpResponse {
    page(StatusCode::OK, body)
}
