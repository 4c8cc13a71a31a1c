//! Timestamps in the API's format: `2026-11-22T17:37:25.474230Z`.

use chrono::{DateTime, Utc};

/// Formats a UTC instant with microseconds and `Z`.
pub fn format(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The current time in the API's format.
pub fn now() -> String {
    format(Utc::now())
}
