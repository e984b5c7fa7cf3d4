//! What the database said a moment ago, kept in memory for the reads that
//! every page repeats (the session behind a cookie, the dashboard's
//! figures). An entry is used only while both hold:
//!
//! - this process has committed no write since the read began
//!   (`db::committed_writes`), so a change made here — a submission, a
//!   review, a sign-out, a deactivated account — shows on the very next
//!   request;
//! - it is younger than `RECHECK`, so a change made by another instance on
//!   the same database shows within that time.
//!
//! The count is read before the database is, so a read that overlaps a
//! commit is kept under the count from before the commit and is never used.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::db::committed_writes;

/// The longest an entry is used without asking the database again.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Entries kept at once by default.
const ENTRIES: usize = 4096;

/// When a read began: the commit count and the moment.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    writes: u64,
    at: Instant,
}

impl Stamp {
    /// Take it before reading the database.
    pub fn before_read() -> Stamp {
        Stamp {
            writes: committed_writes(),
            at: Instant::now(),
        }
    }

    fn usable(&self) -> bool {
        self.writes == committed_writes() && self.at.elapsed() < RECHECK
    }
}

pub struct Fresh<V> {
    entries: Mutex<HashMap<String, (Stamp, V)>>,
    /// Entries kept at once; past this, stale ones are dropped (and if
    /// none is stale, all).
    capacity: usize,
}

impl<V> Default for Fresh<V> {
    fn default() -> Self {
        Fresh::with_capacity(ENTRIES)
    }
}

impl<V> Fresh<V> {
    /// A cache of at most `capacity` entries (for large values).
    pub fn with_capacity(capacity: usize) -> Self {
        Fresh {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }
}

impl<V: Clone> Fresh<V> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Stamp, V)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value kept under `key`, while it is still fresh.
    pub fn get(&self, key: &str) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|(stamp, _)| stamp.usable())
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value`, read after `stamp` was taken.
    pub fn keep(&self, key: String, stamp: Stamp, value: V) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (kept, _)| kept.usable());
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (stamp, value));
    }

    /// Drops what is kept under `key`.
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[test]
    fn a_commit_in_this_process_makes_entries_stale() {
        let cache: Fresh<u32> = Fresh::default();
        let stamp = Stamp::before_read();
        cache.keep("k".into(), stamp, 7);
        // Other tests in this process may commit at any time: only the
        // direction is certain — after our own commit it is gone.
        let mut conn = testing::memory_db();
        crate::db::write_tx(&mut conn, |_| Ok::<_, diesel::result::Error>(()))
            .expect("empty transaction commits");
        assert_eq!(cache.get("k"), None, "stale after a commit");
        let stamp = Stamp::before_read();
        cache.keep("k".into(), stamp, 8);
        let seen = cache.get("k");
        assert!(seen == Some(8) || seen.is_none());
        cache.forget("k");
        assert_eq!(cache.get("k"), None);
    }

    #[test]
    fn entries_expire_after_the_recheck_time() {
        let cache: Fresh<u32> = Fresh::default();
        let old = Stamp {
            writes: committed_writes(),
            at: Instant::now()
                .checked_sub(RECHECK + Duration::from_millis(1))
                .expect("the clock is past one second"),
        };
        cache.keep("k".into(), old, 1);
        assert_eq!(cache.get("k"), None);
    }
}
