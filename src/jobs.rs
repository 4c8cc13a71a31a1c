//! Jobs: resources that finish later, polled until they do.
//!
//! Running a script (`POST …/scripts/{id}/run/`), a script endpoint, a schedule or a
//! trigger creates a *trace* whose `status` starts as `pending`, moves to `processing`
//! and ends as `success`, `failure`, `timeout`, `queue_timeout` or `blocked`.
//! [`Client::poll_until_done`] fetches such a resource by path until its status is no
//! longer a pending one ([`PollOptions::pending`], by default `pending` and
//! `processing`), and [`Client::wait_for`] does the same for a fetched model, following
//! its `links.self`. Any resource with a string `status` field and a `self` link works.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use std::time::Duration;
//! use syncano::jobs::PollOptions;
//! use syncano::{ScriptRunRequest, ScriptTraceStatus};
//!
//! let scripts = client.instances().scripts("library");
//! let trace = scripts.run(4, &ScriptRunRequest::default()).await?;
//! let options = PollOptions::new().interval(Duration::from_millis(500)).timeout(Duration::from_secs(30));
//! let done = client.wait_for(&trace, &options).await?;
//! if done.status == Some(ScriptTraceStatus::Success) {
//!     println!("result: {:?}", done.result);
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use crate::error::{Error, Result, decode_value};
use crate::{Client, Method};

/// How often and how long to poll, and which statuses mean "not done yet".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    interval: Duration,
    timeout: Duration,
    pending: Vec<String>,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
            pending: vec!["pending".into(), "processing".into()],
        }
    }
}

impl PollOptions {
    /// Every second, for at most a minute, while the status is `pending` or
    /// `processing`.
    pub fn new() -> Self {
        PollOptions::default()
    }

    /// The pause between two fetches.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How long to keep polling before giving up with [`Error::PollTimeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The statuses that mean "not done yet"; every other status ends the polling.
    pub fn pending<I, S>(mut self, statuses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.pending = statuses.into_iter().map(Into::into).collect();
        self
    }

    /// Whether `status` means "not done yet".
    pub fn is_pending(&self, status: &str) -> bool {
        self.pending.iter().any(|p| p == status)
    }
}

/// The `status` of a raw resource, or a decode error naming `path`.
fn status_of<'a>(value: &'a Value, path: &str) -> Result<&'a str> {
    value.get("status").and_then(Value::as_str).ok_or_else(|| {
        let source = serde::de::Error::custom("the resource has no string `status` field");
        Error::decode(Method::GET, path, 200, value.to_string().as_bytes(), source)
    })
}

impl Client {
    /// Fetches the resource at `path` (such as a trace's `links.self`) every
    /// [`interval`](PollOptions::interval) until its `status` is not a pending one, and
    /// returns it decoded as `T`. Fails with [`Error::PollTimeout`] when it is still
    /// pending after the [`timeout`](PollOptions::timeout) (no fetch starts after it),
    /// and with the fetch's error when one fails.
    pub async fn poll_until_done<T: DeserializeOwned>(
        &self,
        path: &str,
        options: &PollOptions,
    ) -> Result<T> {
        let started = Instant::now();
        loop {
            let value: Value = self.request(Method::GET, path, None::<&()>).await?;
            let status = status_of(&value, path)?;
            if !options.is_pending(status) {
                return decode_value(&value, &Method::GET, path, 200);
            }
            if started.elapsed() + options.interval > options.timeout {
                return Err(Error::PollTimeout {
                    path: path.to_string(),
                    status: status.to_string(),
                    waited: started.elapsed(),
                });
            }
            tracing::debug!(target: "syncano", path, status, "job not done yet");
            tokio::time::sleep(options.interval).await;
        }
    }

    /// Waits for a fetched job (such as the trace a script run answered): returns it at
    /// once when its `status` is already final, and otherwise polls its `links.self`
    /// with [`poll_until_done`](Client::poll_until_done). Fails with
    /// [`Error::MissingLink`] when a pending job has no `self` link.
    pub async fn wait_for<J>(&self, job: &J, options: &PollOptions) -> Result<J>
    where
        J: Serialize + DeserializeOwned,
    {
        let value = serde_json::to_value(job).map_err(|source| Error::Encode {
            method: Method::GET,
            path: String::new(),
            source,
        })?;
        let path = crate::links::link(&value, "self").map(str::to_string);
        let shown = path.as_deref().unwrap_or_default();
        if !options.is_pending(status_of(&value, shown)?) {
            return decode_value(&value, &Method::GET, shown, 200);
        }
        match path {
            Some(path) => self.poll_until_done(&path, options).await,
            None => Err(Error::missing_link("job", "self")),
        }
    }
}
