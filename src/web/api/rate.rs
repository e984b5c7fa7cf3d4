//! Requests per API client: at most `Limits::api_requests_per_minute` in
//! each minute (a fixed window from the client's first request in it);
//! beyond, 429 with `Retry-After` until the window ends. Counted in this
//! process, in memory kept to one entry per client seen in the last
//! minute: the refusal costs a map lookup, never a database call. (Behind
//! several instances, a client's budget is per instance; the token
//! endpoint's throttle, which guards the expensive part, is shared in the
//! database.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many entries, windows that have ended are swept out.
const SWEEP_AT: usize = 4096;

pub struct ClientRates {
    per_minute: u32,
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
}

impl ClientRates {
    pub fn new(per_minute: u32) -> Self {
        ClientRates {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `client` at `now`; `Err(seconds)` to wait when
    /// the client's minute is used up (the request is not counted).
    pub fn admit(&self, client: i64, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(client).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_minute_and_then_waits_for_the_next() {
        let rates = ClientRates::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rates.admit(1, t0), Ok(()));
        }
        assert_eq!(rates.admit(1, t0 + Duration::from_secs(15)), Err(45));
        assert_eq!(rates.admit(2, t0), Ok(()), "another client has its own");
        assert_eq!(rates.admit(1, t0 + WINDOW), Ok(()), "a new minute");
    }

    #[test]
    fn ended_windows_are_swept_when_the_map_is_full() {
        let rates = ClientRates::new(1);
        let t0 = Instant::now();
        for client in 0..SWEEP_AT as i64 {
            rates.admit(client, t0).unwrap();
        }
        rates.admit(-1, t0 + WINDOW).unwrap();
        assert_eq!(rates.windows.lock().unwrap().len(), 1);
    }
}
