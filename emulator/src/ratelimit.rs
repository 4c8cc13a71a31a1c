//! Optional rate limiting (off by default): a fixed one-second window per key
//! (or for anonymous callers), answering 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limiter.
pub struct Limiter {
    per_key: u32,
    anonymous: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// `per_key` requests per second for a key, `anonymous` without one.
    pub fn new(per_key: u32, anonymous: u32) -> Limiter {
        Limiter {
            per_key,
            anonymous,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `None` when allowed, else the seconds to wait.
    pub fn check(&self, key: Option<&str>) -> Option<u64> {
        let (id, limit) = match key {
            Some(k) => (k.to_owned(), self.per_key),
            None => (String::new(), self.anonymous),
        };
        let mut w = match self.windows.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let now = Instant::now();
        let e = w.entry(id).or_insert((now, 0));
        if now.duration_since(e.0) >= Duration::from_secs(1) {
            *e = (now, 0);
        }
        if e.1 >= limit {
            return Some(1);
        }
        e.1 += 1;
        None
    }
}
