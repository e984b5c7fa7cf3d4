//! What the database said a moment ago, kept in memory for the reads that
//! every page repeats (the session behind a cookie, the dashboard's
//! figures). An entry is used only while both hold:
//!
//! - this process has committed no write since the read began
//!   (`db::committed_writes`; for the sessions, also none of sessions only,
//!   `db::session_writes`), so a change made here — a submission, a
//!   review, a sign-out, a deactivated account — shows on the very next
//!   request;
//! - it is younger than `RECHECK`, so a change made by another instance on
//!   the same database shows within that time. For the figures and the
//!   releases (`Watch::Data`), an entry that grew old with no write since
//!   is read again by one request while the others go on using it (for at
//!   most `REFRESH_GRACE` more), so the read once a second does not hold
//!   up every request that arrives during it.
//!
//! The count is read before the database is, so a read that overlaps a
//! commit is kept under the count from before the commit and is never used.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::db::{committed_writes, session_writes};
use crate::error::{AppError, AppResult};

/// The longest an entry is used without asking the database again.
pub const RECHECK: Duration = Duration::from_secs(1);

/// How long past `RECHECK` a figure may still be used while one request
/// reads it again (so that a read every second does not hold up every
/// request that arrives during it).
const REFRESH_GRACE: Duration = Duration::from_secs(2);

/// Entries kept at once by default.
pub const ENTRIES: usize = 4096;

/// Which writes make an entry stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// Every write but the session-only ones (figures, releases).
    Data,
    /// Every write (the sessions kept behind cookies).
    DataAndSessions,
}

/// When a read began: the commit counts and the moment.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    writes: u64,
    /// The session-only commits, when they matter to the entry.
    sessions: Option<u64>,
    at: Instant,
}

impl Stamp {
    /// Take it before reading the database.
    pub fn before_read(watch: Watch) -> Stamp {
        Stamp {
            writes: committed_writes(),
            sessions: (watch == Watch::DataAndSessions).then(session_writes),
            at: Instant::now(),
        }
    }

    fn usable(&self) -> bool {
        self.usable_after(committed_writes(), session_writes())
    }

    /// Old, but no write since: usable while a newer read is on its way,
    /// for at most `REFRESH_GRACE` past its time.
    fn usable_while_refreshing(&self) -> bool {
        self.unchanged(committed_writes(), session_writes())
            && self.at.elapsed() < RECHECK + REFRESH_GRACE
    }

    /// Whether the entry may be used when the counts stand at `writes` and
    /// `sessions`.
    fn usable_after(&self, writes: u64, sessions: u64) -> bool {
        self.unchanged(writes, sessions) && self.at.elapsed() < RECHECK
    }

    /// No write it watches since the read began, the counts standing at
    /// `writes` and `sessions`.
    fn unchanged(&self, writes: u64, sessions: u64) -> bool {
        self.writes == writes && self.sessions.is_none_or(|n| n == sessions)
    }
}

/// One key's state: a value read after `Stamp`, or a read in progress
/// (begun at `Stamp`) that others wait for instead of repeating it, or
/// (figures and releases only) a read begun because the value kept grew
/// old, with no write since, while others go on using that value.
enum Slot<V> {
    Ready(Stamp, V),
    Loading(Stamp, Arc<Notify>),
    Refreshing(Stamp, V, Arc<Notify>),
}

pub struct Fresh<V> {
    entries: Mutex<HashMap<String, Slot<V>>>,
    /// Entries kept at once; past this, stale ones are dropped (and if
    /// none is stale, all).
    capacity: usize,
    watch: Watch,
}

impl<V> Default for Fresh<V> {
    fn default() -> Self {
        Fresh::new(ENTRIES, Watch::DataAndSessions)
    }
}

impl<V> Fresh<V> {
    /// A cache of at most `capacity` entries, stale after the writes that
    /// `watch` names.
    pub fn new(capacity: usize, watch: Watch) -> Self {
        Fresh {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            watch,
        }
    }
}

/// What a caller of `get_or_load` is to do.
enum Turn<V> {
    Use(V),
    Wait(Arc<Notify>),
    Load(Stamp, Arc<Notify>),
}

/// Ends a read in progress if its caller goes away (a closed connection
/// drops the request's future): waiters are woken and one of them reads.
struct Loading<'a, V> {
    cache: &'a Fresh<V>,
    key: &'a str,
    notify: Arc<Notify>,
}

impl<V> Slot<V> {
    /// Whether a read in progress holds the slot, the one `notify` names.
    fn is_read_by(&self, notify: &Arc<Notify>) -> bool {
        match self {
            Slot::Loading(_, n) | Slot::Refreshing(_, _, n) => Arc::ptr_eq(n, notify),
            Slot::Ready(..) => false,
        }
    }
}

impl<V> Drop for Loading<'_, V> {
    fn drop(&mut self) {
        {
            let mut entries = lock(&self.cache.entries);
            if entries
                .get(self.key)
                .is_some_and(|slot| slot.is_read_by(&self.notify))
            {
                entries.remove(self.key);
            }
        }
        self.notify.notify_waiters();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<V: Clone> Fresh<V> {
    /// The value under `key` while fresh; else `load`'s, read once for all
    /// who ask meanwhile (a burst of requests after a commit makes one
    /// database read, not one each). A failed read is not kept: the error
    /// goes to its caller, and each waiter tries again.
    pub async fn get_or_load<F, Fut>(&self, key: &str, load: F) -> AppResult<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        let mut load = Some(load);
        loop {
            match self.turn(key) {
                Turn::Use(value) => return Ok(value),
                Turn::Wait(notify) => {
                    // `notified` counts from its creation, and the reader
                    // wakes all only after it has stored or removed the
                    // slot: a slot still loading here has woken no one yet.
                    let woken = notify.notified();
                    if self.still_loading(key, &notify) {
                        woken.await;
                    }
                }
                Turn::Load(stamp, notify) => {
                    let guard = Loading {
                        cache: self,
                        key,
                        notify,
                    };
                    let Some(load) = load.take() else {
                        return Err(AppError::Internal("cache loader used twice".into()));
                    };
                    let value = load().await?;
                    self.store(key, stamp, value.clone(), &guard.notify);
                    return Ok(value);
                }
            }
        }
    }

    fn turn(&self, key: &str) -> Turn<V> {
        let mut entries = lock(&self.entries);
        match entries.get(key) {
            Some(Slot::Ready(stamp, value)) if stamp.usable() => return Turn::Use(value.clone()),
            // A read begun after this process's latest commit: its answer
            // will be fresh for us too.
            Some(Slot::Loading(stamp, notify)) if stamp.usable() => {
                return Turn::Wait(notify.clone());
            }
            Some(Slot::Refreshing(old, value, _)) if old.usable_while_refreshing() => {
                return Turn::Use(value.clone());
            }
            // Old, with no write since: this request reads it again while
            // the others use what is kept.
            Some(Slot::Ready(old, value))
                if self.watch == Watch::Data && old.usable_while_refreshing() =>
            {
                let (old, value) = (*old, value.clone());
                let (stamp, notify) = (Stamp::before_read(self.watch), Arc::new(Notify::new()));
                entries.insert(key.to_owned(), Slot::Refreshing(old, value, notify.clone()));
                return Turn::Load(stamp, notify);
            }
            _ => {}
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, slot| match slot {
                Slot::Ready(kept, _) => kept.usable(),
                Slot::Loading(..) | Slot::Refreshing(..) => true,
            });
            if entries.len() >= self.capacity {
                entries.retain(|_, slot| !matches!(slot, Slot::Ready(..)));
            }
        }
        let (stamp, notify) = (Stamp::before_read(self.watch), Arc::new(Notify::new()));
        entries.insert(key.to_owned(), Slot::Loading(stamp, notify.clone()));
        Turn::Load(stamp, notify)
    }

    fn still_loading(&self, key: &str, notify: &Arc<Notify>) -> bool {
        matches!(lock(&self.entries).get(key), Some(Slot::Loading(_, n)) if Arc::ptr_eq(n, notify))
    }

    /// Keeps `value` if the slot is still this read's (a newer read, begun
    /// after a commit, replaces it).
    fn store(&self, key: &str, stamp: Stamp, value: V, notify: &Arc<Notify>) {
        let mut entries = lock(&self.entries);
        if entries.get(key).is_some_and(|slot| slot.is_read_by(notify)) {
            entries.insert(key.to_owned(), Slot::Ready(stamp, value));
        }
    }

    /// Drops what is kept under `key` (a read in progress goes on, and its
    /// answer is not kept).
    pub fn forget(&self, key: &str) {
        let mut entries = lock(&self.entries);
        if matches!(
            entries.get(key),
            Some(Slot::Ready(..) | Slot::Refreshing(..))
        ) {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::db::testing;

    /// Reads `value` through the cache, counting the reads.
    async fn read(cache: &Fresh<u32>, reads: &Cell<u32>, value: u32) -> u32 {
        cache
            .get_or_load("k", || async {
                reads.set(reads.get() + 1);
                Ok(value)
            })
            .await
            .expect("the read succeeds")
    }

    #[actix_web::test]
    async fn a_commit_in_this_process_makes_entries_stale() {
        let (cache, reads) = (Fresh::default(), Cell::new(0));
        assert_eq!(read(&cache, &reads, 7).await, 7);
        // Other tests in this process may commit at any time, so a second
        // read may or may not be served from memory; after our own commit
        // it never is.
        let mut conn = testing::memory_db();
        testing::commit_nothing(&mut conn);
        let before = reads.get();
        assert_eq!(
            read(&cache, &reads, 8).await,
            8,
            "read again after a commit"
        );
        assert_eq!(reads.get(), before + 1);
    }

    #[test]
    fn a_session_only_commit_leaves_figures_kept_and_sessions_stale() {
        let (writes, sessions) = (committed_writes(), session_writes());
        let figures = Stamp::before_read(Watch::Data);
        let session = Stamp::before_read(Watch::DataAndSessions);
        // Counts read once: other tests may commit meanwhile.
        let figures = Stamp { writes, ..figures };
        let session = Stamp {
            writes,
            sessions: Some(sessions),
            ..session
        };
        assert!(figures.usable_after(writes, sessions + 1));
        assert!(!session.usable_after(writes, sessions + 1));
        assert!(!figures.usable_after(writes + 1, sessions));
        assert!(!session.usable_after(writes + 1, sessions));
        assert!(session.usable_after(writes, sessions));
    }

    #[actix_web::test]
    async fn entries_expire_after_the_recheck_time() {
        let cache: Fresh<u32> = Fresh::default();
        let old = Stamp {
            writes: committed_writes(),
            sessions: None,
            at: Instant::now()
                .checked_sub(RECHECK + Duration::from_millis(1))
                .expect("the clock is past one second"),
        };
        let notify = Arc::new(Notify::new());
        lock(&cache.entries).insert("k".into(), Slot::Loading(old, notify.clone()));
        cache.store("k", old, 1, &notify);
        let reads = Cell::new(0);
        assert_eq!(
            read(&cache, &reads, 2).await,
            2,
            "the old value is not used"
        );
        assert_eq!(reads.get(), 1);
    }

    /// An entry of a `Watch::Data` cache read `age` ago, with the counts
    /// as they stand.
    fn aged(cache: &Fresh<u32>, value: u32, age: Duration) {
        let old = Stamp {
            writes: committed_writes(),
            sessions: None,
            at: Instant::now()
                .checked_sub(age)
                .expect("the clock is past it"),
        };
        lock(&cache.entries).insert("k".into(), Slot::Ready(old, value));
    }

    #[actix_web::test]
    async fn an_old_figure_is_used_while_one_request_reads_it_again() {
        let cache: Fresh<u32> = Fresh::new(8, Watch::Data);
        aged(&cache, 1, RECHECK + Duration::from_millis(1));
        let reads = Cell::new(0);
        let gate = Arc::new(Notify::new());
        let refresher = cache.get_or_load("k", || {
            let gate = gate.clone();
            let reads = &reads;
            async move {
                reads.set(reads.get() + 1);
                gate.notified().await;
                Ok(2)
            }
        });
        let others = async {
            actix_web::rt::task::yield_now().await;
            let during = read(&cache, &reads, 3).await;
            gate.notify_waiters();
            during
        };
        let (refreshed, during) = futures_util::future::join(refresher, others).await;
        assert_eq!(refreshed.expect("the refresh"), 2);
        // Another test's commit may make the old value unusable meanwhile.
        assert!(
            during == 1 && reads.get() == 1 || during == 3 && reads.get() == 2,
            "{during} after {} reads",
            reads.get()
        );
    }

    #[actix_web::test]
    async fn a_figure_past_its_grace_is_read_again_by_everyone() {
        let cache: Fresh<u32> = Fresh::new(8, Watch::Data);
        aged(&cache, 1, RECHECK + REFRESH_GRACE);
        let reads = Cell::new(0);
        assert_eq!(read(&cache, &reads, 2).await, 2);
        assert_eq!(reads.get(), 1);
    }

    #[actix_web::test]
    async fn readers_arriving_during_a_read_share_it() {
        let cache: Fresh<u32> = Fresh::default();
        let reads = Cell::new(0);
        let gate = Arc::new(Notify::new());
        let first = cache.get_or_load("k", || {
            let gate = gate.clone();
            let reads = &reads;
            async move {
                reads.set(reads.get() + 1);
                gate.notified().await;
                Ok(5)
            }
        });
        let second = async {
            // Let the first read begin, then ask, then let it finish.
            actix_web::rt::task::yield_now().await;
            let waiting = cache.get_or_load("k", || async {
                reads.set(reads.get() + 1);
                Ok(6)
            });
            let open = async {
                actix_web::rt::task::yield_now().await;
                gate.notify_waiters();
            };
            let (value, ()) = futures_util::future::join(waiting, open).await;
            value
        };
        let (a, b) = futures_util::future::join(first, second).await;
        let (a, b) = (a.expect("first"), b.expect("second"));
        // Another test's commit may make the shared answer stale for the
        // second reader; without one, it waited for the first read.
        assert_eq!(a, 5);
        assert!(b == 5 && reads.get() == 1 || b == 6 && reads.get() == 2);
    }

    #[actix_web::test]
    async fn a_read_abandoned_half_way_lets_the_next_reader_read() {
        let cache: Fresh<u32> = Fresh::default();
        {
            let never = cache.get_or_load("k", std::future::pending::<AppResult<u32>>);
            // Polled once (the slot is marked as loading), then dropped.
            let mut never = Box::pin(never);
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(never.as_mut().poll(&mut context).is_pending());
        }
        let reads = Cell::new(0);
        assert_eq!(read(&cache, &reads, 3).await, 3);
    }

    #[actix_web::test]
    async fn a_failed_read_is_not_kept() {
        let cache: Fresh<u32> = Fresh::default();
        let failed = cache
            .get_or_load("k", || async { Err(AppError::Unauthenticated) })
            .await;
        assert!(matches!(failed, Err(AppError::Unauthenticated)));
        let reads = Cell::new(0);
        assert_eq!(read(&cache, &reads, 4).await, 4);
        assert_eq!(reads.get(), 1);
    }
}
