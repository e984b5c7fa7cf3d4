//! Password hashing on threads of its own. Each hash (argon2id, ~19 MiB,
//! ~17 ms of CPU) runs on one of a fixed few threads under the kernel's
//! idle scheduling policy (`SCHED_IDLE`): they run whenever the threads
//! serving pages and database calls leave the CPU free, and give it back
//! the moment one of those wakes. A sign-in flood then queues here and
//! takes the CPU that pages leave over, instead of half of it; and only
//! these threads ever hold a hash's memory (not every thread of the
//! blocking pool in turn). On a CPU kept fully busy by pages, sign-ins
//! wait for it.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use crate::error::{AppError, AppResult};

type Job = Box<dyn FnOnce() + Send>;

pub struct HashingPool {
    jobs: Sender<Job>,
}

impl HashingPool {
    /// Starts `threads` hashing threads (at least one).
    pub fn start(threads: usize) -> std::io::Result<HashingPool> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hashing-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(HashingPool { jobs })
    }

    /// Runs `work` on a hashing thread, in turn with the others.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // The caller may have gone (a closed connection).
                let _ = answer.send(work());
            }))
            .map_err(|_| AppError::Internal("the hashing threads have stopped".into()))?;
        answered
            .await
            .map_err(|_| AppError::Internal("hashing was cancelled".into()))
    }
}

/// One hashing thread: lower its priority, then take jobs until the pool
/// is dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    if let Err(e) = idle_priority() {
        tracing::warn!(error = ?e, "hashing thread keeps the normal scheduling policy");
    }
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.recv()
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
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

    #[actix_web::test]
    async fn work_runs_on_an_idle_policy_hashing_thread() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let pool = HashingPool::start(2).expect("threads start");
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
}
