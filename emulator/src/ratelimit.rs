//! Optional rate limiting (off by default): a fixed one-second window per key
//! (or for anonymous callers), answering 429 with `Retry-After`.
//!
//! The windows are kept by a hash of the key (a key may be any length), and the map
//! is bounded: windows older than a second are pruned once a second (every 100 ms
//! while the map is full), and when [`MAX_KEYS`] keys have a live window, a request
//! with yet another key is refused as throttled until old windows end — the windows of the keys already
//! counted are never evicted, so a flood of made-up keys cannot reset them.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most keys with a live window at once.
pub const MAX_KEYS: usize = 10_000;

const WINDOW: Duration = Duration::from_secs(1);

/// While the map is full, how often it is searched for ended windows.
const FULL_PRUNE_EVERY: Duration = Duration::from_millis(100);

/// One key's window: when it started and how many requests it counted.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

/// The windows, by key hash.
#[derive(Debug)]
struct Windows {
    by_key: HashMap<u64, Window>,
    anonymous: Option<Window>,
    last_prune: Instant,
}

/// The limiter.
pub struct Limiter {
    per_key: u32,
    anonymous: u32,
    capacity: usize,
    hasher: RandomState,
    windows: Mutex<Windows>,
}

impl Limiter {
    /// `per_key` requests per second for a key, `anonymous` without one.
    pub fn new(per_key: u32, anonymous: u32) -> Limiter {
        Limiter::with_capacity(per_key, anonymous, MAX_KEYS)
    }

    fn with_capacity(per_key: u32, anonymous: u32, capacity: usize) -> Limiter {
        Limiter {
            per_key,
            anonymous,
            capacity,
            hasher: RandomState::new(),
            windows: Mutex::new(Windows {
                by_key: HashMap::new(),
                anonymous: None,
                last_prune: Instant::now(),
            }),
        }
    }

    /// `None` when allowed, else the seconds to wait.
    pub fn check(&self, key: Option<&str>) -> Option<u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: Option<&str>, now: Instant) -> Option<u64> {
        let mut w = match self.windows.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let Some(key) = key else {
            let window = w.anonymous.get_or_insert(Window {
                start: now,
                count: 0,
            });
            return count(window, self.anonymous, now);
        };
        let hash = self.hasher.hash_one(key);
        let full = !w.by_key.contains_key(&hash) && w.by_key.len() >= self.capacity;
        let since_prune = now.saturating_duration_since(w.last_prune);
        if since_prune >= WINDOW || (full && since_prune >= FULL_PRUNE_EVERY) {
            prune(&mut w, now);
        }
        if !w.by_key.contains_key(&hash) && w.by_key.len() >= self.capacity {
            return Some(1);
        }
        let window = w.by_key.entry(hash).or_insert(Window {
            start: now,
            count: 0,
        });
        count(window, self.per_key, now)
    }

    /// How many keys have a window (live or not yet pruned).
    #[cfg(test)]
    fn tracked_keys(&self) -> usize {
        match self.windows.lock() {
            Ok(g) => g.by_key.len(),
            Err(p) => p.into_inner().by_key.len(),
        }
    }
}

/// Counts one request in `window` (restarted when a second has passed).
fn count(window: &mut Window, limit: u32, now: Instant) -> Option<u64> {
    if now.saturating_duration_since(window.start) >= WINDOW {
        *window = Window {
            start: now,
            count: 0,
        };
    }
    if window.count >= limit {
        return Some(1);
    }
    window.count += 1;
    None
}

/// Drops the windows that ended.
fn prune(w: &mut Windows, now: Instant) {
    w.by_key
        .retain(|_, window| now.saturating_duration_since(window.start) < WINDOW);
    w.last_prune = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keys_keep_the_map_bounded() {
        let limiter = Limiter::new(60, 10);
        let now = Instant::now();
        let mut refused = 0;
        for i in 0..100_000 {
            let key = format!("made-up-key-{i}");
            if limiter.check_at(Some(&key), now).is_some() {
                refused += 1;
            }
        }
        assert_eq!(limiter.tracked_keys(), MAX_KEYS);
        assert_eq!(refused, 100_000 - MAX_KEYS);
    }

    #[test]
    fn ended_windows_are_pruned_and_new_keys_let_in_again() {
        let limiter = Limiter::with_capacity(2, 1, 3);
        let start = Instant::now();
        for key in ["a", "b", "c"] {
            assert_eq!(limiter.check_at(Some(key), start), None);
        }
        // full: a fourth key waits, the counted keys keep their windows
        assert_eq!(limiter.check_at(Some("d"), start), Some(1));
        assert_eq!(limiter.check_at(Some("a"), start), None);
        assert_eq!(limiter.check_at(Some("a"), start), Some(1));
        // a second later the old windows are gone
        let later = start + WINDOW;
        assert_eq!(limiter.check_at(Some("d"), later), None);
        assert_eq!(limiter.tracked_keys(), 1);
        // the anonymous window is counted apart from the keys
        assert_eq!(limiter.check_at(None, later), None);
        assert_eq!(limiter.check_at(None, later), Some(1));
    }

    #[test]
    fn the_limit_per_key_still_holds() {
        let limiter = Limiter::new(3, 1);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(Some("k"), now), None);
        }
        assert_eq!(limiter.check_at(Some("k"), now), Some(1));
        assert_eq!(limiter.check_at(Some("other"), now), None);
        assert_eq!(
            limiter.check_at(Some("k"), now + Duration::from_millis(1_000)),
            None
        );
    }
}
