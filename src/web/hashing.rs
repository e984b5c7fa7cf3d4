//! Password hashing on threads of its own. Each hash (argon2id, ~19 MiB,
//! ~17 ms of CPU) runs on one of a fixed few threads that ask the kernel
//! for a lower CPU priority (nice 10) than the threads serving pages: a
//! sign-in flood then queues here and takes the CPU that pages leave
//! over, instead of half of it, and only these threads ever hold a hash's
//! memory (not every thread of the blocking pool in turn).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use crate::error::{AppError, AppResult};

/// The nice value of the hashing threads (0 is normal; 19 the lowest).
const NICE: i32 = 10;

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
    // On Linux the nice value is per thread; "no process" means this one.
    if let Err(e) = rustix::process::setpriority_process(None, NICE) {
        tracing::warn!(error = %e, "hashing thread keeps normal priority");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn work_runs_on_a_lowered_hashing_thread() {
        let pool = HashingPool::start(2).expect("threads start");
        let (name, nice) = pool
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                (name, rustix::process::getpriority_process(None).ok())
            })
            .await
            .expect("the job runs");
        assert!(name.is_some_and(|n| n.starts_with("hashing-")));
        assert_eq!(nice, Some(NICE), "the thread runs at nice {NICE}");
        assert_eq!(
            rustix::process::getpriority_process(None).ok(),
            Some(0),
            "the caller keeps its priority"
        );
    }
}
