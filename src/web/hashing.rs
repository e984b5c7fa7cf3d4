//! Password hashing on threads of its own. Each hash (argon2id, ~19 MiB,
//! ~17 ms of CPU) runs on one of a fixed few threads under the kernel's
//! idle scheduling policy (`SCHED_IDLE`): they run whenever the threads
//! serving pages and database calls leave the CPU free, and give it back
//! the moment one of those wakes. Only these threads ever hold a hash's
//! memory (not every thread of the blocking pool in turn).
//!
//! One more thread, under the normal policy, takes only the known lane's
//! jobs (sign-ins vouched for by a device cookie, a few places at most):
//! when the pages keep the CPU busy, an idle-policy thread would get
//! almost none of it (a hash then takes seconds), while the people who use
//! the portal must still sign in. It shares the CPU fairly with the pages'
//! threads, and strangers never reach it.
//!
//! The queue is bounded: a job needs a [`Ticket`], and only `depth`
//! tickets exist at once (queued or running), and only `per_address` for
//! one client address. When none is left the caller is told at once
//! ([`Busy`]) and answers 503 with `Retry-After`, instead of queueing work
//! that would take minutes to drain. A job whose caller has gone (a closed
//! connection) is dropped when it is dequeued, before any hashing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{AppError, AppResult};

type Job = Box<dyn FnOnce() + Send>;

/// Seconds a refused caller is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 2;

/// Why a hash cannot be queued now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    /// The queue is full.
    Full,
    /// This client address has its share in flight already.
    Address,
}

/// Which places a caller may take. A few places are kept for sign-ins
/// that carry a device cookie from an earlier successful sign-in (see
/// `web::auth::device`), so a flood of strangers that keeps the open places
/// full does not lock out the people who use the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Anyone: every place but the kept ones.
    Open,
    /// Vouched for by a device cookie: every place.
    Known,
}

/// Tickets handed out: in all, and per client address.
#[derive(Default)]
struct Counts {
    all: AtomicUsize,
    by_address: Mutex<HashMap<String, usize>>,
}

/// A place in the queue, held until the job has run or was dropped.
pub struct Ticket {
    counts: Arc<Counts>,
    address: Option<String>,
    lane: Lane,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.counts.all.fetch_sub(1, Ordering::AcqRel);
        if let Some(address) = self.address.take() {
            let mut by_address = self
                .counts
                .by_address
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(n) = by_address.get_mut(&address) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    by_address.remove(&address);
                }
            }
        }
    }
}

pub struct HashingPool {
    jobs: Sender<Job>,
    /// Jobs of the known lane, taken before any waiting job of the open one.
    known: Sender<Job>,
    /// Wakes the known lane's own thread for each job sent there.
    known_sent: Sender<()>,
    depth: usize,
    per_address: usize,
    counts: Arc<Counts>,
}

impl HashingPool {
    /// Starts `threads` hashing threads (at least one) behind a queue of
    /// `depth` jobs, at most `per_address` of them from one address.
    pub fn start(threads: usize, depth: usize, per_address: usize) -> std::io::Result<HashingPool> {
        let (jobs, queue) = channel::<Job>();
        let (known, known_queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(Queues {
            known: known_queue,
            open: queue,
        }));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hashing-{n}"))
                .spawn(move || work(&queue))?;
        }
        let (known_sent, wakes) = channel::<()>();
        std::thread::Builder::new()
            .name("hashing-known".to_owned())
            .spawn(move || work_known(&queue, &wakes))?;
        Ok(HashingPool {
            jobs,
            known,
            known_sent,
            depth: depth.max(1),
            per_address: per_address.max(1),
            counts: Arc::default(),
        })
    }

    /// A place in the queue, for a caller at `address` (when given), or
    /// why there is none.
    pub fn admit(&self, address: Option<&str>) -> Result<Ticket, Busy> {
        self.admit_in(address, Lane::Open)
    }

    /// Places kept for the known lane: an eighth of the queue, at least
    /// one (none when the queue has a single place).
    fn kept(&self) -> usize {
        if self.depth > 1 {
            (self.depth / 8).max(1)
        } else {
            0
        }
    }

    /// A place in the queue in `lane`, for a caller at `address` (when
    /// given), or why there is none.
    pub fn admit_in(&self, address: Option<&str>, lane: Lane) -> Result<Ticket, Busy> {
        if let Some(address) = address {
            let mut by_address = self
                .counts
                .by_address
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let n = by_address.entry(address.to_owned()).or_insert(0);
            if *n >= self.per_address {
                return Err(Busy::Address);
            }
            *n += 1;
        }
        // From here the ticket gives back what it took when dropped.
        let ticket = Ticket {
            counts: self.counts.clone(),
            address: address.map(str::to_owned),
            lane,
        };
        let before = self.counts.all.fetch_add(1, Ordering::AcqRel);
        let limit = match lane {
            Lane::Open => self.depth - self.kept(),
            Lane::Known => self.depth,
        };
        if before >= limit {
            return Err(Busy::Full);
        }
        Ok(ticket)
    }

    /// Runs `work` on a hashing thread with a place already taken.
    pub async fn run_admitted<T, F>(&self, ticket: Ticket, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let lane = ticket.lane;
        let queue = match lane {
            Lane::Open => &self.jobs,
            Lane::Known => &self.known,
        };
        queue
            .send(Box::new(move || {
                // The caller has gone (a closed connection): no hash.
                if answer.is_closed() {
                    drop(ticket);
                    return;
                }
                let result = work();
                // The place is free before the caller hears back.
                drop(ticket);
                let _ = answer.send(result);
            }))
            .map_err(|_| AppError::Internal("the hashing threads have stopped".into()))?;
        if lane == Lane::Known {
            // Whichever thread is free first takes it; the known lane's
            // own thread is woken to try.
            let _ = self.known_sent.send(());
        }
        answered
            .await
            .map_err(|_| AppError::Internal("hashing was cancelled".into()))
    }

    /// Runs `work` on a hashing thread, in turn with the others; 503 when
    /// the queue is full.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let ticket = self.admit(None).map_err(|_| {
            AppError::Unavailable(crate::error::Outage::Overloaded(
                "the hashing queue is full",
            ))
        })?;
        self.run_admitted(ticket, work).await
    }
}

/// The two lanes' waiting jobs.
struct Queues {
    known: Receiver<Job>,
    open: Receiver<Job>,
}

/// How long an idle thread waits on the open lane before it looks at the
/// known lane again (so a known job waits at most this long for an idle
/// thread, and never behind the open lane's backlog).
const LOOK_AGAIN: Duration = Duration::from_millis(20);

/// One hashing thread: lower its priority, then take jobs (the known
/// lane's first) until the pool is dropped.
fn work(queue: &Mutex<Queues>) {
    if let Err(e) = idle_priority() {
        tracing::warn!(error = ?e, "hashing thread keeps the normal scheduling policy");
    }
    loop {
        let job = {
            let queues = queue.lock().unwrap_or_else(|p| p.into_inner());
            match queues.known.try_recv() {
                Ok(job) => Some(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    match queues.open.recv_timeout(LOOK_AGAIN) {
                        Ok(job) => Some(job),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            }
        };
        if let Some(job) = job {
            job();
        }
    }
}

/// The known lane's own thread (normal policy, nice 9): woken for each
/// known job, it takes one if an idle-policy thread has not already, until
/// the pool is dropped. Nice 9 gives it about an eighth of a core the pages
/// keep busy: a hash then takes a fraction of a second. Its 17 ms of CPU
/// still come out of the pages' time, in pieces that run to the next
/// scheduler tick (2–4 ms at 250 Hz; the pages' threads, always runnable
/// under load, wake for nothing that would cut one short), so one sign-in
/// a second shows in the pages' p99 on a core they keep busy
/// (`dashboard_bench`'s context row beside the flood's).
fn work_known(queue: &Mutex<Queues>, wakes: &Receiver<()>) {
    if let Err(e) = yielding_priority() {
        tracing::warn!(error = ?e, "the known lane's hashing thread keeps its priority");
    }
    while wakes.recv().is_ok() {
        let job = {
            let queues = queue.lock().unwrap_or_else(|p| p.into_inner());
            queues.known.try_recv().ok()
        };
        if let Some(job) = job {
            job();
        }
    }
}

/// This thread to the normal policy at nice 9 (a priority value of 25 of
/// 99; lowering one's own priority needs no privilege).
fn yielding_priority() -> Result<(), thread_priority::Error> {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    let value = thread_priority::ThreadPriorityValue::try_from(25_u8)
        .map_err(|_| thread_priority::Error::Priority("25 is a priority value"))?;
    set_thread_priority_and_policy(
        thread_native_id(),
        thread_priority::ThreadPriority::Crossplatform(value),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
    )
}

/// This thread to the idle policy (no privilege needed to lower one's own).
fn idle_priority() -> Result<(), thread_priority::Error> {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    set_thread_priority_and_policy(
        thread_native_id(),
        thread_priority::ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[actix_web::test]
    async fn work_runs_on_an_idle_policy_hashing_thread() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let pool = HashingPool::start(2, 8, 8).expect("threads start");
        let (name, policy) = pool
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                (name, thread_schedule_policy().ok())
            })
            .await
            .expect("the job runs");
        assert!(name.is_some_and(|n| n.starts_with("hashing-")));
        assert_eq!(
            policy,
            Some(idle),
            "the hashing thread runs under SCHED_IDLE"
        );
        assert_ne!(
            thread_schedule_policy().ok(),
            Some(idle),
            "the caller keeps its policy"
        );
    }

    #[test]
    fn the_queue_is_bounded_overall_and_per_address() {
        let pool = HashingPool::start(1, 3, 2).expect("threads start");
        let a1 = pool.admit_in(Some("10.0.0.1"), Lane::Known).expect("first");
        let _a2 = pool
            .admit_in(Some("10.0.0.1"), Lane::Known)
            .expect("second");
        assert_eq!(
            pool.admit_in(Some("10.0.0.1"), Lane::Known).err(),
            Some(Busy::Address)
        );
        let _b1 = pool
            .admit_in(Some("10.0.0.2"), Lane::Known)
            .expect("another address");
        assert_eq!(
            pool.admit_in(Some("10.0.0.3"), Lane::Known).err(),
            Some(Busy::Full)
        );
        assert_eq!(pool.admit(None).err(), Some(Busy::Full));
        drop(a1);
        assert!(
            pool.admit_in(Some("10.0.0.1"), Lane::Known).is_ok(),
            "a place came back"
        );
        assert_eq!(pool.counts.all.load(Ordering::Acquire), 2);
    }

    /// Keeps the pool's one idle-policy thread busy until `release` is
    /// sent; the handle ends when that job has run.
    async fn hold_the_idle_thread(
        pool: &Arc<HashingPool>,
    ) -> (
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<AppResult<()>>,
    ) {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let blocker = pool.admit(None).expect("a place");
        let blocked = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run_admitted(blocker, move || {
                    let _ = hold.recv();
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        (release, blocked)
    }

    #[actix_web::test]
    async fn a_known_job_runs_before_the_open_backlog() {
        let pool = Arc::new(HashingPool::start(1, 16, 16).expect("threads start"));
        let order = Arc::new(Mutex::new(Vec::new()));
        let (release, blocked) = hold_the_idle_thread(&pool).await;
        let mut waiting = Vec::new();
        for (i, lane) in [Lane::Open, Lane::Open, Lane::Open, Lane::Known]
            .into_iter()
            .enumerate()
        {
            let ticket = pool
                .admit_in(Some(&format!("10.0.3.{i}")), lane)
                .expect("a place");
            let (pool, order) = (pool.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                pool.run_admitted(ticket, move || {
                    order.lock().expect("order").push(lane);
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        release.send(()).expect("the blocker waits");
        blocked.await.expect("joined").expect("ran");
        for job in waiting {
            job.await.expect("joined").expect("ran");
        }
        let order = order.lock().expect("order").clone();
        assert_eq!(order.first(), Some(&Lane::Known), "{order:?}");
        assert_eq!(order.len(), 4);
    }

    #[actix_web::test]
    async fn a_known_job_runs_while_every_idle_thread_is_busy() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        let pool = Arc::new(HashingPool::start(1, 16, 16).expect("threads start"));
        let (release, blocked) = hold_the_idle_thread(&pool).await;
        let ticket = pool
            .admit_in(Some("10.0.4.1"), Lane::Known)
            .expect("a kept place");
        let ran = tokio::time::timeout(
            Duration::from_secs(5),
            pool.run_admitted(ticket, || {
                let name = std::thread::current().name().map(str::to_owned);
                // This thread's nice value: field 19 of its stat line,
                // the 17th after the command name's closing parenthesis.
                let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
                let nice: i32 = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(16))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(i32::MIN);
                (name, thread_schedule_policy().ok(), nice)
            }),
        )
        .await
        .expect("the known job does not wait for the idle thread")
        .expect("it runs");
        assert_eq!(ran.0.as_deref(), Some("hashing-known"));
        assert_eq!(ran.2, 9, "the known lane's thread runs at nice 9");
        assert_eq!(
            ran.1,
            Some(ThreadSchedulePolicy::Normal(
                NormalThreadSchedulePolicy::Other
            )),
            "the known lane's thread keeps the normal policy"
        );
        release.send(()).expect("the blocker waits");
        blocked.await.expect("joined").expect("ran");
    }

    #[test]
    fn strangers_leave_the_kept_places_to_known_devices() {
        let pool = HashingPool::start(1, 16, 16).expect("threads start");
        let strangers: Vec<Ticket> = (0..14)
            .map(|i| {
                pool.admit(Some(&format!("10.0.1.{i}")))
                    .expect("open place")
            })
            .collect();
        assert_eq!(
            pool.admit(Some("10.0.2.1")).err(),
            Some(Busy::Full),
            "16 places, 2 kept: the open lane is full at 14"
        );
        let known = pool
            .admit_in(Some("10.0.2.1"), Lane::Known)
            .expect("a known device gets a kept place");
        let _second = pool
            .admit_in(Some("10.0.2.2"), Lane::Known)
            .expect("and the other");
        assert_eq!(
            pool.admit_in(Some("10.0.2.3"), Lane::Known).err(),
            Some(Busy::Full),
            "the whole queue is full"
        );
        drop(known);
        assert_eq!(
            pool.admit(Some("10.0.2.4")).err(),
            Some(Busy::Full),
            "a kept place that comes back stays kept"
        );
        drop(strangers);
        assert!(pool.admit(Some("10.0.2.4")).is_ok());
    }

    #[actix_web::test]
    async fn a_job_whose_caller_has_gone_is_not_run() {
        let pool = Arc::new(HashingPool::start(1, 8, 8).expect("threads start"));
        // Keep the one thread busy until told.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let started = Arc::new(AtomicBool::new(false));
        let busy = {
            let (pool, started) = (pool.clone(), started.clone());
            actix_web::rt::spawn(async move {
                pool.run(move || {
                    started.store(true, Ordering::SeqCst);
                    let _ = hold.recv_timeout(Duration::from_secs(10));
                })
                .await
            })
        };
        while !started.load(Ordering::SeqCst) {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let ticket = pool.admit(None).expect("a place");
        let queued = pool.run_admitted(ticket, move || flag.store(true, Ordering::SeqCst));
        // Queue the job, then give up on it (the connection closed).
        let gave_up = tokio::time::timeout(Duration::from_millis(50), queued).await;
        assert!(gave_up.is_err(), "still queued behind the busy thread");
        let _ = release.send(());
        busy.await.expect("joined").expect("ran");
        pool.run(|| ()).await.expect("the queue moves on");
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job never ran");
        assert_eq!(pool.counts.all.load(Ordering::Acquire), 0, "places back");
    }
}
