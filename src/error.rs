//! Errors: [`Error`], the API's error bodies ([`ApiError`]) and the crate's [`Result`].
//!
//! Every failure of a call is an [`Error`]. An answer with a non-success status becomes
//! [`Error::Api`], whose [`ApiError`] holds the status, the `detail` message and the
//! per-field messages, whatever shape of body the API used:
//!
//! * `{"detail": "Not found."}` → [`ApiError::detail`];
//! * `{"name": ["This field is required."]}` and `{"query": "Invalid query."}` →
//!   [`ApiError::field_errors`] (nested objects give dotted names such as `schema.0.type`);
//! * `{"non_field_errors": ["..."]}` or a bare JSON list → [`ApiError::non_field_errors`];
//! * anything else (HTML from a proxy, an empty body) → [`ApiError::excerpt`], summarized
//!   in messages as `text/html, 190 bytes: "503 Service Temporarily Unavailable"`.
//!
//! # Unknown outcomes
//!
//! A request that changes something (POST, PATCH, PUT, DELETE) and failed after it was
//! sent — the connection reset or closed early, the body cut short, no answer in time,
//! a 5xx answer — may or may not have been applied by the server:
//! [`Error::may_have_been_applied`] is true and the message says so. For POST and
//! PATCH, sending the request again could apply it twice, so the client does not retry
//! them and [`Error::is_retryable`] is false. What to do instead:
//!
//! * read the resource back to learn whether the write happened (by name for named
//!   resources, by a field of your own for data objects), then write again only if it
//!   did not;
//! * or give the write a field that makes a repeat harmless (a unique value checked
//!   before creating);
//! * or report the unknown outcome to whoever asked for the write.
//!
//! Errors that prove nothing was done (a 429 answer, a connection that could not be
//! opened, a request never written) are retryable for every method.
//!
//! ```
//! # async fn demo(client: syncano::Client) {
//! use syncano::Method;
//! match client.request_raw::<()>(Method::GET, "/v1.1/instances/missing/", None).await {
//!     Err(e) if e.is_not_found() => println!("no such instance"),
//!     Err(e) if e.is_retryable() => println!("try again later: {e}"),
//!     Err(e) if e.may_have_been_applied() => println!("check before writing again: {e}"),
//!     Err(e) => println!("failed: {e}"),
//!     Ok(instance) => println!("{instance}"),
//! }
//! # }
//! ```
//!
//! Messages name what happened and never repeat the [`source`](std::error::Error::source)
//! of the error, so reporters that print the chain (`anyhow`, `eyre`) print each cause
//! once.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Method;
use crate::retry::{changes_state, is_idempotent};

/// The result type of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a transport layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The `detail` of the 403 answer to an unknown (or reset) key.
pub const NO_SUCH_API_KEY: &str = "No such API Key.";

/// How many bytes of a response body an error keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// How many characters of a non-JSON body an error message shows.
pub const SUMMARY_LIMIT: usize = 100;

/// Everything that can go wrong when talking to the API.
///
/// See the [module docs](self) for what to do when [`Error::may_have_been_applied`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a non-success status.
    #[error("{}{}", .0, applied_note_for_api(.0))]
    Api(Box<ApiError>),
    /// An attempt did not complete within the request timeout; the request may have
    /// been sent.
    #[error(
        "{method} {path}: no complete answer within the request timeout{}",
        applied_note(method, true)
    )]
    Timeout {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
    },
    /// No connection could be made to the API root: the request was not sent.
    #[error("{method} {path}: could not connect ({}; the request was not sent)", find_cause(source.as_ref()).map_or("connection failed", Cause::words))]
    Connect {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The HTTP exchange failed on an open connection: a reset, an early close, a body
    /// cut short, a protocol error.
    #[error("{method} {path}: {failure}{}", applied_note(method, *sent))]
    Transport {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// What went wrong.
        failure: TransportFailure,
        /// Whether the request was (or may have been) written to the connection.
        sent: bool,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A success response whose body does not decode as the expected type.
    #[error(
        "{method} {path}: the {status} answer is not the expected JSON ({}){}",
        summarize_text(None, excerpt, *body_len),
        applied_note(method, true)
    )]
    Decode {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// The HTTP status of the response.
        status: StatusCode,
        /// The start of the body, at most [`EXCERPT_LIMIT`] bytes, lossily decoded, secret
        /// members redacted.
        excerpt: String,
        /// The body's size in bytes.
        body_len: usize,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The request body could not be encoded as JSON (nothing was sent).
    #[error("{method} {path}: could not encode the request body as JSON")]
    Encode {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request.
        path: String,
        /// The encoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A local file could not be read
    /// ([`Upload::from_path`](crate::Upload::from_path)).
    #[error("cannot read {path}")]
    Io {
        /// The file's path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A polled job was still pending when the polling timed out
    /// ([`Client::poll_until_done`](crate::Client::poll_until_done)).
    #[error("{path}: still {status} after {waited:?}")]
    PollTimeout {
        /// The path polled.
        path: String,
        /// The last status seen.
        status: String,
        /// How long the polling went on.
        waited: Duration,
    },
    /// A call given up on after more than one attempt, by its
    /// [operation timeout](crate::ClientBuilder::operation_timeout), or by the retry
    /// budget: how many attempts, how long, why, and the last attempt's error.
    #[error(transparent)]
    GaveUp(Box<GaveUp>),
    /// A call's arguments cannot make a request (a path outside the API root, a URL
    /// that is not http(s)); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client is configured in a way that cannot work (a bad API root, a missing
    /// variable, a malformed header value or proxy URL).
    #[error("configuration error: {0}")]
    Config(String),
    /// A model lacks a link the call needs (e.g. a model built locally, without `links`).
    #[error("{resource} has no `{link}` link")]
    MissingLink {
        /// The resource whose model lacks the link.
        resource: &'static str,
        /// The link's name.
        link: &'static str,
    },
    /// A link path does not have the shape its resource's path template has.
    #[error("link {path:?} does not match the path template {template}")]
    LinkMismatch {
        /// The link path as found.
        path: String,
        /// The template it was expected to match.
        template: &'static str,
    },
}

/// What went wrong on an open connection ([`Error::Transport`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The connection was reset.
    Reset,
    /// The connection was closed before the answer was complete.
    Closed,
    /// The answer's body ended before its announced length (or broke off).
    TruncatedBody,
    /// The answer was not valid HTTP.
    Protocol,
    /// Anything else the HTTP layer reported.
    Other,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::Reset => "the connection was reset",
            TransportFailure::Closed => "the connection was closed before the answer was complete",
            TransportFailure::TruncatedBody => "the answer's body was cut short",
            TransportFailure::Protocol => "the answer was not valid HTTP",
            TransportFailure::Other => "the HTTP exchange failed",
        })
    }
}

/// Why a call was given up on ([`GaveUp::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The last attempt failed in a way that is not retried.
    Final,
    /// Every attempt the [`RetryPolicy`](crate::RetryPolicy) allows failed.
    AttemptsExhausted,
    /// The call's operation timeout (the duration) passed.
    OperationTimeout(Duration),
    /// The client's retry budget had no tokens left for a retry.
    BudgetSpent,
    /// The server asked (with `Retry-After`) for a longer wait than the policy allows.
    RetryAfterTooLong {
        /// The wait asked for.
        asked: Duration,
        /// The longest wait the policy allows.
        allowed: Duration,
    },
}

/// A call given up on ([`Error::GaveUp`]).
///
/// Its message is the last attempt's message followed by why the call stopped and how
/// many attempts were made in how long; its [`source`](std::error::Error::source) is
/// that of the last attempt's error.
#[derive(Debug)]
#[non_exhaustive]
pub struct GaveUp {
    /// The HTTP method of the request.
    pub method: Method,
    /// The path of the request (an `api_key` query value is redacted).
    pub path: String,
    /// How many attempts were started.
    pub attempts: u32,
    /// How long the call took, waits included.
    pub elapsed: Duration,
    /// Why the call stopped.
    pub reason: GiveUpReason,
    /// Whether any attempt may have been applied by the server.
    pub may_have_been_applied: bool,
    /// The error of the last attempt that finished (`None` when the operation timeout
    /// cut the first attempt short).
    pub last: Option<Error>,
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = match self.attempts {
            1 => "1 attempt".to_string(),
            n => format!("{n} attempts"),
        };
        let elapsed = self.elapsed;
        match &self.last {
            Some(last) => write!(f, "{last}")?,
            None => write!(f, "{} {}: no answer", self.method, self.path)?,
        }
        match self.reason {
            GiveUpReason::Final | GiveUpReason::AttemptsExhausted => {
                write!(f, " (gave up after {attempts} in {elapsed:.1?})")?
            }
            GiveUpReason::OperationTimeout(limit) => write!(
                f,
                " (the operation timeout of {limit:?} passed: {attempts} in {elapsed:.1?})"
            )?,
            GiveUpReason::BudgetSpent => write!(
                f,
                " (not retried: the client's retry budget is spent; {attempts} in {elapsed:.1?})"
            )?,
            GiveUpReason::RetryAfterTooLong { asked, allowed } => write!(
                f,
                " (not retried: the server asked to wait {asked:?}, longer than the {allowed:?} \
                 the retry policy allows; {attempts} in {elapsed:.1?})"
            )?,
        }
        let last_says_so = self.last.as_ref().is_some_and(Error::may_have_been_applied);
        if self.may_have_been_applied && !last_says_so {
            write!(f, "; the request may have been applied")?;
        }
        Ok(())
    }
}

impl std::error::Error for GaveUp {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // the last error's message is part of this one's, so its cause comes next
        self.last.as_ref().and_then(std::error::Error::source)
    }
}

/// The note a message ends with when `method` was `sent` and may have changed something.
fn applied_note(method: &Method, sent: bool) -> &'static str {
    match (sent, changes_state(method)) {
        (false, _) => " (the request was not sent)",
        (true, true) => " (the request was sent and may have been applied)",
        (true, false) => "",
    }
}

/// The note an API error's message ends with when its write may have been applied.
fn applied_note_for_api(error: &ApiError) -> &'static str {
    if api_may_have_been_applied(error) {
        " (the request may have been applied)"
    } else {
        ""
    }
}

/// Whether an error answer leaves the outcome of a write unknown: a 5xx from somewhere
/// between the client and the view (500, 502, 503, 504 and the like).
fn api_may_have_been_applied(error: &ApiError) -> bool {
    changes_state(&error.method)
        && error.status.is_server_error()
        && error.status != StatusCode::NOT_IMPLEMENTED
        && error.status != StatusCode::HTTP_VERSION_NOT_SUPPORTED
}

/// The root cause of a transport failure, as far as the error chain tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    Refused,
    Reset,
    Broken,
    Eof,
    ClosedEarly,
    NeverSent,
    TimedOut,
    Dns,
    Tls,
    Parse,
    Io,
}

impl Cause {
    /// The cause in a few words.
    pub(crate) fn words(self) -> &'static str {
        match self {
            Cause::Refused => "connection refused",
            Cause::Reset => "connection reset",
            Cause::Broken => "connection broken",
            Cause::Eof => "connection closed",
            Cause::ClosedEarly => "connection closed early",
            Cause::NeverSent => "connection closed before the request was sent",
            Cause::TimedOut => "timed out",
            Cause::Dns => "DNS lookup failed",
            Cause::Tls => "TLS handshake failed",
            Cause::Parse => "invalid HTTP",
            Cause::Io => "I/O error",
        }
    }
}

/// The root cause of a transport failure, from the error chain (`None` when nothing in
/// the chain is recognized).
pub(crate) fn find_cause(error: &(dyn std::error::Error + 'static)) -> Option<Cause> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            return Some(match io.kind() {
                ErrorKind::ConnectionRefused => Cause::Refused,
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Cause::Reset,
                ErrorKind::BrokenPipe | ErrorKind::NotConnected => Cause::Broken,
                ErrorKind::UnexpectedEof => Cause::Eof,
                ErrorKind::TimedOut => Cause::TimedOut,
                _ => Cause::Io,
            });
        }
        if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() {
                return Some(Cause::ClosedEarly);
            }
            if hyper.is_canceled() {
                return Some(Cause::NeverSent);
            }
            if hyper.is_timeout() {
                return Some(Cause::TimedOut);
            }
            if hyper.is_parse() || hyper.is_parse_status() {
                return Some(Cause::Parse);
            }
        }
        let text = error.to_string();
        if text.contains("dns error") {
            return Some(Cause::Dns);
        }
        if text.contains("certificate") || text.to_ascii_lowercase().contains("tls") {
            return Some(Cause::Tls);
        }
        next = error.source();
    }
    None
}

impl Error {
    /// The error for a model that lacks the link `link` needed to reach a resource.
    pub fn missing_link(resource: &'static str, link: &'static str) -> Self {
        Error::MissingLink { resource, link }
    }

    /// The error for a link `path` that does not match the path `template`.
    pub fn link_mismatch(path: &str, template: &'static str) -> Self {
        Error::LinkMismatch {
            path: path.to_string(),
            template,
        }
    }

    /// A transport failure, for [`Transport`](crate::transport::Transport)
    /// implementations: `sent` tells whether the request was (or may have been) written
    /// to the connection — only `false` lets a POST be retried.
    pub fn transport(
        method: Method,
        path: &str,
        failure: TransportFailure,
        sent: bool,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Transport {
            method,
            path: redact_query(path),
            failure,
            sent,
            source: source.into(),
        }
    }

    /// The error for a success answer (`body`, with `status`) to `method path` that does
    /// not decode.
    pub(crate) fn decode(
        method: Method,
        path: &str,
        status: u16,
        body: &[u8],
        source: serde_json::Error,
    ) -> Self {
        Error::Decode {
            method,
            path: redact_query(path),
            status: status_code(status),
            excerpt: excerpt(body),
            body_len: body.len(),
            source,
        }
    }

    /// The error of the last attempt behind this one: the last attempt's error for
    /// [`Error::GaveUp`] (when there is one), else this error.
    pub fn last_attempt(&self) -> &Error {
        match self {
            Error::GaveUp(g) => g.last.as_ref().map_or(self, Error::last_attempt),
            other => other,
        }
    }

    /// How many attempts the call made (1 unless it is an [`Error::GaveUp`]).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::GaveUp(g) => g.attempts,
            _ => 1,
        }
    }

    /// The API error, when the (last attempt's) answer had a non-success status.
    pub fn api(&self) -> Option<&ApiError> {
        match self.last_attempt() {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the (last attempt's) response, for API and decode errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self.last_attempt() {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the API rejected the request's content with 400 Bad Request
    /// (field errors, a bad query, a revision mismatch, bad page parameters).
    pub fn is_validation(&self) -> bool {
        self.api_status() == Some(StatusCode::BAD_REQUEST)
    }

    /// Whether the API answered 403 Forbidden (no key, an unknown key, or a key
    /// without the permission).
    pub fn is_permission_denied(&self) -> bool {
        self.api_status() == Some(StatusCode::FORBIDDEN)
    }

    /// Whether the API answered 401 Unauthorized (bad credentials at login).
    pub fn is_unauthorized(&self) -> bool {
        self.api_status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// Whether the API no longer accepts the key sent: 401 Unauthorized, or 403 with
    /// `{"detail": "No such API Key."}` (an unknown or reset key). A logged-in client
    /// logs in again on these (see [Session expiry](crate::auth#session-expiry)).
    pub fn is_session_expired(&self) -> bool {
        self.api().is_some_and(|e| {
            e.status == StatusCode::UNAUTHORIZED
                || (e.status == StatusCode::FORBIDDEN
                    && e.detail.as_deref() == Some(NO_SUCH_API_KEY))
        })
    }

    /// Whether the API answered 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.api_status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether an attempt timed out, or the call's operation timeout passed.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::GaveUp(g) if matches!(g.reason, GiveUpReason::OperationTimeout(_)) => true,
            _ => matches!(self.last_attempt(), Error::Timeout { .. }),
        }
    }

    /// Whether a response body could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self.last_attempt(), Error::Decode { .. })
    }

    /// Whether the server may have applied the request although the call failed: a
    /// request that changes something (not GET, HEAD or OPTIONS) was sent and no answer
    /// proved it was not applied (a reset or early close after sending, a body cut
    /// short, a timeout, a 5xx answer, a success answer that did not decode). See the
    /// [module docs](self#unknown-outcomes) for what to do.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Api(e) => api_may_have_been_applied(e),
            Error::Timeout { method, .. } | Error::Decode { method, .. } => changes_state(method),
            Error::Transport { method, sent, .. } => *sent && changes_state(method),
            Error::GaveUp(g) => g.may_have_been_applied,
            _ => false,
        }
    }

    /// Whether sending the same request again may succeed and is safe:
    ///
    /// * for any method, when nothing was done: a 429 answer, a connection that could
    ///   not be opened, a request that was never written;
    /// * for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) also 408, 500, 502,
    ///   503 and 504 answers, resets, early closes, truncated or undecodable bodies and
    ///   timeouts.
    ///
    /// False for a POST or PATCH that [may have been
    /// applied](Error::may_have_been_applied): sending it again could apply it twice.
    /// The client already retried what its [`RetryPolicy`](crate::RetryPolicy) allows.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => {
                e.status == StatusCode::TOO_MANY_REQUESTS
                    || (is_idempotent(&e.method)
                        && [408, 500, 502, 503, 504].contains(&e.status.as_u16()))
            }
            Error::Connect { .. } => true,
            Error::Transport { method, sent, .. } => !*sent || is_idempotent(method),
            Error::Timeout { method, .. } | Error::Decode { method, .. } => is_idempotent(method),
            Error::GaveUp(g) => {
                let safe = !g.may_have_been_applied || is_idempotent(&g.method);
                safe && g.last.as_ref().is_none_or(Error::is_retryable)
            }
            _ => false,
        }
    }

    /// Whether the API refused a write because its `expected_revision` did not match
    /// the object's current revision.
    pub fn is_revision_mismatch(&self) -> bool {
        match self.api() {
            Some(e) => {
                e.status == StatusCode::BAD_REQUEST
                    && (e.field_errors.contains_key("expected_revision")
                        || e.detail
                            .as_deref()
                            .is_some_and(|d| d.contains("Revision mismatch")))
            }
            None => false,
        }
    }

    /// The delay the API asked for in a `Retry-After` header, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }

    fn api_status(&self) -> Option<StatusCode> {
        self.api().map(|e| e.status)
    }
}

/// A status code from a number; a number outside 100–999 (which no HTTP server sends,
/// but a batch answer could hold) reads as 500.
pub(crate) fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Decodes an answer already parsed as JSON (to `method path`, with `status`) as `T`.
pub(crate) fn decode_value<T: DeserializeOwned>(
    value: &Value,
    method: &Method,
    path: &str,
    status: u16,
) -> Result<T> {
    T::deserialize(value).map_err(|source| {
        Error::decode(
            method.clone(),
            path,
            status,
            value.to_string().as_bytes(),
            source,
        )
    })
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// A body in a few words for a message: its content type (when known), size and
/// start — the `<title>` of an HTML page — at most [`SUMMARY_LIMIT`] characters, with
/// control characters escaped so a body cannot add lines to a log.
pub fn summarize_body(content_type: Option<&str>, body: &[u8]) -> String {
    summarize_text(content_type, &excerpt(body), body.len())
}

/// [`summarize_body`] of a body of `len` bytes whose start is `text` (an [`excerpt`]).
fn summarize_text(content_type: Option<&str>, text: &str, len: usize) -> String {
    if len == 0 {
        return match content_type {
            Some(ct) => format!("{ct}, empty body"),
            None => "empty body".to_string(),
        };
    }
    let start = html_title(text).unwrap_or(text.trim());
    let start: String = start.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown: String = start.chars().take(SUMMARY_LIMIT).collect();
    if shown.len() < start.len() {
        shown.push('…');
    }
    let shown = escape_controls(&shown);
    let size = match len {
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    };
    match content_type {
        Some(ct) => format!("{ct}, {size}: \"{shown}\""),
        None => format!("{size}: \"{shown}\""),
    }
}

/// The text of an HTML page's `<title>`, if it has one.
fn html_title(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    Some(text[start..end].trim()).filter(|t| !t.is_empty())
}

/// A non-success answer of the API, parsed from whatever body it carried.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The HTTP method of the request.
    pub method: Method,
    /// The path of the request (an `api_key` query value is redacted).
    pub path: String,
    /// The `detail` message (`{"detail": "..."}` or a bare JSON string).
    pub detail: Option<String>,
    /// Per-field messages (`{"field": ["..."]}`, `{"query": "..."}`); nested objects
    /// and lists give dotted names (`schema.0.type`).
    pub field_errors: BTreeMap<String, Vec<String>>,
    /// Messages not tied to a field (`{"non_field_errors": [...]}` or a bare JSON list).
    pub non_field_errors: Vec<String>,
    /// The delay asked for in a `Retry-After` header.
    pub retry_after: Option<Duration>,
    /// The body as JSON, when it was JSON.
    pub body: Option<Value>,
    /// The start of the body, at most [`EXCERPT_LIMIT`] bytes, lossily decoded.
    pub excerpt: String,
    /// The answer's `Content-Type`, when known.
    pub content_type: Option<String>,
    /// The body's size in bytes.
    pub body_len: usize,
    /// The body in a few words ([`summarize_body`]), used in messages when the body
    /// holds no message.
    pub summary: String,
}

impl ApiError {
    /// Parses an error answer. Never panics, whatever the bytes. A `status` outside
    /// 100–999 reads as 500.
    pub fn from_response(
        status: u16,
        method: Method,
        path: &str,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let mut error = ApiError {
            status: status_code(status),
            method,
            path: redact_query(path),
            detail: None,
            field_errors: BTreeMap::new(),
            non_field_errors: Vec::new(),
            retry_after,
            body: None,
            excerpt: excerpt(body),
            content_type: None,
            body_len: body.len(),
            summary: summarize_body(None, body),
        };
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            match &value {
                Value::Object(map) => {
                    for (key, v) in map {
                        match key.as_str() {
                            "detail" => error.detail = Some(message_text(v)),
                            "non_field_errors" => collect_messages(v, &mut error.non_field_errors),
                            _ => collect_field(key, v, &mut error.field_errors),
                        }
                    }
                }
                Value::Array(_) => collect_messages(&value, &mut error.non_field_errors),
                Value::String(s) => error.detail = Some(s.clone()),
                _ => {}
            }
            error.body = Some(value);
        }
        error
    }

    /// Records the answer's `Content-Type` (shown in the summary of a non-JSON body).
    pub fn with_content_type(mut self, content_type: Option<&str>) -> Self {
        let content_type = content_type.map(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence
                .chars()
                .flat_map(char::escape_debug)
                .collect::<String>()
        });
        if let Some(ct) = content_type.as_deref().filter(|ct| !ct.is_empty()) {
            self.summary = format!("{ct}, {}", self.summary);
        }
        self.content_type = content_type;
        self
    }

    /// The messages for one field.
    pub fn field(&self, name: &str) -> Option<&[String]> {
        self.field_errors.get(name).map(Vec::as_slice)
    }

    /// A one-line summary: the detail, or the field and non-field messages, or the
    /// body's [summary](ApiError::summary); control characters are escaped.
    pub fn message(&self) -> String {
        escape_controls(&self.raw_message())
    }

    fn raw_message(&self) -> String {
        if let Some(detail) = &self.detail {
            return detail.clone();
        }
        let mut parts: Vec<String> = self.non_field_errors.clone();
        for (field, messages) in &self.field_errors {
            parts.push(format!("{field}: {}", messages.join(" ")));
        }
        if parts.is_empty() {
            self.summary.clone()
        } else {
            parts.join("; ")
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: HTTP {}: {}",
            self.method,
            self.path,
            self.status.as_u16(),
            self.message()
        )
    }
}

impl std::error::Error for ApiError {}

/// `text` with control characters (CR, LF, ESC …) escaped as `\\r`, `\\n`, `\\u{1b}`.
pub(crate) fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The text of one message value: strings as they are, anything else as JSON.
fn message_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Appends the messages of a string or a list (recursively flattened) to `out`.
fn collect_messages(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for item in items {
                collect_messages(item, out);
            }
        }
        Value::Null => {}
        other => out.push(message_text(other)),
    }
}

/// Records the messages of field `name`; nested objects and lists of objects
/// (serializers within serializers) give dotted names.
fn collect_field(name: &str, v: &Value, out: &mut BTreeMap<String, Vec<String>>) {
    match v {
        Value::Object(map) => {
            for (key, inner) in map {
                collect_field(&format!("{name}.{key}"), inner, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (index, inner) in items.iter().enumerate() {
                match inner {
                    Value::Object(_) | Value::Array(_) => {
                        collect_field(&format!("{name}.{index}"), inner, out)
                    }
                    Value::Null => {}
                    other => out
                        .entry(name.to_string())
                        .or_default()
                        .push(message_text(other)),
                }
            }
        }
        Value::Null => {}
        other => {
            let entry = out.entry(name.to_string()).or_default();
            collect_messages(other, entry);
        }
    }
}

/// JSON member names whose string values are secrets, never kept in excerpts.
const SECRET_MEMBERS: &[&str] = &[
    "account_key",
    "api_key",
    "user_key",
    "password",
    "key",
    "access_token",
];

/// The start of a body for an error message: at most [`EXCERPT_LIMIT`] bytes, cut on
/// a character boundary, lossily decoded, with `…` appended when cut. The string
/// values of secret members (`"account_key"`, `"api_key"`, `"user_key"`, `"password"`,
/// `"key"`, `"access_token"`) read `REDACTED`.
pub fn excerpt(body: &[u8]) -> String {
    let text = redact_secrets(&String::from_utf8_lossy(body));
    if text.len() <= EXCERPT_LIMIT {
        return text;
    }
    let mut end = EXCERPT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Replaces the string value of each secret member (`"api_key": "..."`) with `REDACTED`.
/// Works on any text, JSON or not; the positions it cuts at are ASCII quotes, so they
/// are always character boundaries.
fn redact_secrets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let Some(name) = SECRET_MEMBERS.iter().find(|name| {
            let end = i + 1 + name.len();
            end < bytes.len() && &bytes[i + 1..end] == name.as_bytes() && bytes[end] == b'"'
        }) else {
            i += 1;
            continue;
        };
        let mut j = i + name.len() + 2;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] != b':' {
            i += 1;
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] != b'"' {
            i += 1;
            continue;
        }
        let start = j + 1;
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(bytes.len());
        out.push_str(&text[copied..start]);
        out.push_str("REDACTED");
        copied = end;
        i = end + 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Replaces the value of every `api_key` query parameter of `path` with `REDACTED`.
pub(crate) fn redact_query(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            if name == "api_key" || name == "user_key" {
                format!("{name}=REDACTED")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{base}?{}", redacted.join("&"))
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(
            status,
            Method::POST,
            "/v1.1/instances/",
            body.as_bytes(),
            None,
        )
    }

    #[test]
    fn nested_field_errors_get_dotted_names() {
        let e = parse(
            400,
            r#"{"schema": [{"type": ["Bad type."]}, {}], "metadata": {"color": "Too long."}}"#,
        );
        assert_eq!(
            e.field("schema.0.type"),
            Some(&["Bad type.".to_string()][..])
        );
        assert_eq!(
            e.field("metadata.color"),
            Some(&["Too long.".to_string()][..])
        );
    }

    #[test]
    fn redacts_keys_in_paths() {
        assert_eq!(
            redact_query("/v1.1/?a=1&api_key=abc&b"),
            "/v1.1/?a=1&api_key=REDACTED&b"
        );
        assert_eq!(redact_query("/v1.1/"), "/v1.1/");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn excerpts_hide_secret_members() {
        let body = br#"{"id": 1, "account_key" : "abc\"def", "api_key":"k2", "key": "k3", "email": "a@b.c", "password":"#;
        let text = excerpt(body);
        assert_eq!(
            text,
            r#"{"id": 1, "account_key" : "REDACTED", "api_key":"REDACTED", "key": "REDACTED", "email": "a@b.c", "password":"#
        );
        assert_eq!(
            excerpt(r#"{"user_key": "ż\u0000ż"}"#.as_bytes()),
            r#"{"user_key": "REDACTED"}"#
        );
        assert_eq!(
            excerpt(br#"{"user_key": "unterminated"#),
            r#"{"user_key": "REDACTED"#
        );
        assert_eq!(
            excerpt(br#"{"key": 5, "monkey": "x"}"#),
            r#"{"key": 5, "monkey": "x"}"#
        );
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let body = "ż".repeat(400);
        let e = excerpt(body.as_bytes());
        assert!(e.ends_with('…'));
        assert!(e.len() <= EXCERPT_LIMIT + '…'.len_utf8());
    }
}
