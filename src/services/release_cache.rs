//! Released publications as their public pages show them. A release never
//! changes (nor does the release before it), so once read and parsed it is
//! kept for the life of the process: the public pages cost no query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::publication_table::Table;
use super::publications;
use crate::db::DbConn;
use crate::db::models::Publication;
use crate::error::AppResult;

/// Releases kept at once (a regulator releases one a month or so).
const RELEASES: usize = 512;

/// A release with its parsed table, and the release before it, if any.
pub struct Released {
    pub publication: Publication,
    pub table: Table,
    pub previous: Option<(Publication, Table)>,
}

#[derive(Default)]
pub struct ReleaseCache(Mutex<HashMap<i64, Arc<Released>>>);

impl ReleaseCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Arc<Released>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The release if it has been read before.
    pub fn get(&self, id: i64) -> Option<Arc<Released>> {
        self.lock().get(&id).cloned()
    }

    /// Reads release `id` (not found for drafts and unknown ids) and keeps it.
    pub fn load(&self, conn: &mut DbConn, id: i64) -> AppResult<Arc<Released>> {
        let publication = publications::find_released(conn, id)?;
        let table = publications::released_table(&publication)?;
        let previous = match publications::previous_release(conn, &publication)? {
            Some(prev) => {
                let table = publications::released_table(&prev)?;
                Some((prev, table))
            }
            None => None,
        };
        let released = Arc::new(Released {
            publication,
            table,
            previous,
        });
        let mut kept = self.lock();
        if kept.len() >= RELEASES {
            kept.clear();
        }
        kept.insert(id, released.clone());
        Ok(released)
    }
}
