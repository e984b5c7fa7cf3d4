//! The one place that reads the system clock. Everything that depends on
//! "now" takes a `Clock`, so tests can move time.

use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDateTime};

#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<NaiveDateTime>>>,
}

impl Clock {
    /// The real clock (UTC).
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock that stands still at `at` until moved.
    pub fn fixed(at: NaiveDateTime) -> Self {
        Clock {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// Now, in UTC, truncated to microseconds (what both databases keep).
    pub fn now(&self) -> NaiveDateTime {
        let now = match &self.fixed {
            Some(at) => match at.lock() {
                Ok(at) => *at,
                Err(poisoned) => *poisoned.into_inner(),
            },
            None => system_now(),
        };
        let micros = now.and_utc().timestamp_micros();
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| t.naive_utc())
            .unwrap_or(now)
    }

    /// Moves a fixed clock forward; no effect on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(at) = &self.fixed {
            let mut guard = match at.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            *guard += by;
        }
    }
}

#[allow(clippy::disallowed_methods)]
fn system_now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
