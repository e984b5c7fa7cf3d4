//! The signed-in dashboard's whole page, kept per session and asked range.
//!
//! An analyst's dashboard is the same bytes on every view until something
//! it was drawn from changes: the figures (`AppState::dashboards`), the
//! incidents' section (`dashboard_incidents::Kept`), or the viewer (name,
//! role, export right, the session's CSRF token, the language). A kept
//! page is used only while its figures and incidents are the very copies
//! now current (`Arc::ptr_eq`) and the viewer reads the same, so it is
//! never older than what the page would render afresh; a view "as of" a
//! past moment is never kept.
//!
//! At most `CAPACITY` pages are kept (about 40 kB each, with the
//! compressed copy, `web::gzip`); when full, all are dropped and the next
//! views render again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::web::dashboard::Figures;
use crate::web::dashboard_incidents::Kept;
use crate::web::gzip;

/// Pages kept at once.
pub const CAPACITY: usize = 256;

struct Entry<F, K> {
    figures: Arc<F>,
    incidents: Arc<K>,
    viewer: String,
    body: gzip::Kept,
}

/// What a kept page was drawn from, to compare with what is current.
pub struct DrawnFrom<'a, F = Figures, K = Kept> {
    pub figures: &'a Arc<F>,
    pub incidents: &'a Arc<K>,
    /// Everything about the viewer the page shows or uses.
    pub viewer: &'a str,
}

/// The kept pages (the figures' and incidents' types are parameters only
/// so the tests can use stand-ins).
pub struct DashboardPages<F = Figures, K = Kept> {
    entries: Mutex<HashMap<String, Entry<F, K>>>,
}

impl<F, K> Default for DashboardPages<F, K> {
    fn default() -> Self {
        DashboardPages {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<F, K> DashboardPages<F, K> {
    /// The page kept under `key`, if it was drawn from what is current.
    pub fn get(&self, key: &str, now: &DrawnFrom<'_, F, K>) -> Option<gzip::Kept> {
        let entries = lock(&self.entries);
        let entry = entries.get(key)?;
        (Arc::ptr_eq(&entry.figures, now.figures)
            && Arc::ptr_eq(&entry.incidents, now.incidents)
            && entry.viewer == now.viewer)
            .then(|| entry.body.clone())
    }

    /// Keeps `body`, drawn from `from`, under `key`.
    pub fn put(&self, key: String, from: &DrawnFrom<'_, F, K>, body: gzip::Kept) {
        let mut entries = lock(&self.entries);
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                figures: from.figures.clone(),
                incidents: from.incidents.clone(),
                viewer: from.viewer.to_owned(),
                body,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::web::Bytes;

    fn page(text: &'static str) -> gzip::Kept {
        gzip::Kept::compressed(Bytes::from_static(text.as_bytes()))
    }

    fn body(kept: Option<gzip::Kept>) -> Option<Bytes> {
        kept.map(|k| k.identity().clone())
    }

    type Pages = DashboardPages<String, String>;

    fn drawn<'a>(
        figures: &'a Arc<String>,
        incidents: &'a Arc<String>,
        viewer: &'a str,
    ) -> DrawnFrom<'a, String, String> {
        DrawnFrom {
            figures,
            incidents,
            viewer,
        }
    }

    #[test]
    fn a_page_is_used_only_while_drawn_from_what_is_current() {
        let pages = Pages::default();
        let (figures, incidents) = (
            Arc::new("figures".to_owned()),
            Arc::new("incidents".to_owned()),
        );
        pages.put(
            "a".into(),
            &drawn(&figures, &incidents, "viewer"),
            page("page"),
        );
        assert_eq!(
            body(pages.get("a", &drawn(&figures, &incidents, "viewer"))),
            Some(Bytes::from_static(b"page"))
        );
        assert!(
            pages
                .get("b", &drawn(&figures, &incidents, "viewer"))
                .is_none()
        );
        // Equal contents read again are other copies: drawn afresh.
        let (again, also) = (
            Arc::new("figures".to_owned()),
            Arc::new("incidents".to_owned()),
        );
        assert!(
            pages
                .get("a", &drawn(&again, &incidents, "viewer"))
                .is_none()
        );
        assert!(pages.get("a", &drawn(&figures, &also, "viewer")).is_none());
        // Another language, token, name or right reads as another viewer.
        assert!(
            pages
                .get("a", &drawn(&figures, &incidents, "other"))
                .is_none()
        );
    }

    #[test]
    fn the_pages_kept_are_bounded() {
        let pages = Pages::default();
        let (figures, incidents) = (Arc::new("f".to_owned()), Arc::new("i".to_owned()));
        for n in 0..=CAPACITY {
            pages.put(n.to_string(), &drawn(&figures, &incidents, "v"), page("p"));
        }
        let kept = lock(&pages.entries).len();
        assert!(kept <= CAPACITY, "{kept} kept");
        assert!(
            pages
                .get(&CAPACITY.to_string(), &drawn(&figures, &incidents, "v"))
                .is_some(),
            "the newest is kept"
        );
    }
}
