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
//! * anything else (HTML from a proxy, an empty body) → [`ApiError::excerpt`].
//!
//! ```
//! # async fn demo(client: syncano::Client) {
//! use syncano::Method;
//! match client.request_raw::<()>(Method::GET, "/v1.1/instances/missing/", None).await {
//!     Err(e) if e.is_not_found() => println!("no such instance"),
//!     Err(e) if e.is_retryable() => println!("try again later: {e}"),
//!     Err(e) => println!("failed: {e}"),
//!     Ok(instance) => println!("{instance}"),
//! }
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Method;

/// The result type of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a transport layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The `detail` of the 403 answer to an unknown (or reset) key.
pub const NO_SUCH_API_KEY: &str = "No such API Key.";

/// How many bytes of a response body an error keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// Everything that can go wrong when talking to the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a non-success status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request did not complete within the configured timeout.
    #[error("{method} {path}: the request timed out")]
    Timeout {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
    },
    /// No connection could be made to the API root.
    #[error("{method} {path}: could not connect: {source}")]
    Connect {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// Any other failure of the HTTP layer (TLS, a broken connection, a bad header).
    #[error("{method} {path}: transport error: {source}")]
    Transport {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A success response whose body does not decode as the expected type.
    #[error(
        "{method} {path}: could not decode the response (status {status}): {source}; body: {excerpt}"
    )]
    Decode {
        /// The HTTP method of the request.
        method: Method,
        /// The path of the request (an `api_key` query value is redacted).
        path: String,
        /// The HTTP status of the response.
        status: u16,
        /// The start of the body, at most [`EXCERPT_LIMIT`] bytes, lossily decoded.
        excerpt: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The request body could not be encoded as JSON.
    #[error("{method} {path}: could not encode the request body: {source}")]
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
    #[error("cannot read {path}: {source}")]
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
            status,
            excerpt: excerpt(body),
            source,
        }
    }

    /// The API error, when the API answered with a non-success status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the response, for API and decode errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(404)
    }

    /// Whether the API rejected the request's content with 400 Bad Request
    /// (field errors, a bad query, a revision mismatch, bad page parameters).
    pub fn is_validation(&self) -> bool {
        self.api_status() == Some(400)
    }

    /// Whether the API answered 403 Forbidden (no key, an unknown key, or a key
    /// without the permission).
    pub fn is_permission_denied(&self) -> bool {
        self.api_status() == Some(403)
    }

    /// Whether the API answered 401 Unauthorized (bad credentials at login).
    pub fn is_unauthorized(&self) -> bool {
        self.api_status() == Some(401)
    }

    /// Whether the API no longer accepts the key sent: 401 Unauthorized, or 403 with
    /// `{"detail": "No such API Key."}` (an unknown or reset key). A logged-in client
    /// logs in again on these (see [Session expiry](crate::auth#session-expiry)).
    pub fn is_session_expired(&self) -> bool {
        self.api().is_some_and(|e| {
            e.status == 401 || (e.status == 403 && e.detail.as_deref() == Some(NO_SUCH_API_KEY))
        })
    }

    /// Whether the API answered 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.api_status() == Some(429)
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether a response body could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Error::Decode { .. })
    }

    /// Whether trying the same request again later may succeed: 408, 429 and 5xx
    /// answers (except 501 and 505), timeouts and connection failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => is_retryable_status(e.status),
            Error::Timeout { .. } | Error::Connect { .. } => true,
            _ => false,
        }
    }

    /// Whether the API refused a write because its `expected_revision` did not match
    /// the object's current revision.
    pub fn is_revision_mismatch(&self) -> bool {
        match self {
            Error::Api(e) => {
                e.status == 400
                    && (e.field_errors.contains_key("expected_revision")
                        || e.detail
                            .as_deref()
                            .is_some_and(|d| d.contains("Revision mismatch")))
            }
            _ => false,
        }
    }

    /// The delay the API asked for in a `Retry-After` header, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }

    fn api_status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }
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

/// Whether a response status is worth retrying.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..=599).contains(&status) && status != 501 && status != 505)
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// A non-success answer of the API, parsed from whatever body it carried.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
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
}

impl ApiError {
    /// Parses an error answer. Never panics, whatever the bytes.
    pub fn from_response(
        status: u16,
        method: Method,
        path: &str,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let mut error = ApiError {
            status,
            method,
            path: redact_query(path),
            detail: None,
            field_errors: BTreeMap::new(),
            non_field_errors: Vec::new(),
            retry_after,
            body: None,
            excerpt: excerpt(body),
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

    /// The messages for one field.
    pub fn field(&self, name: &str) -> Option<&[String]> {
        self.field_errors.get(name).map(Vec::as_slice)
    }

    /// A one-line summary: the detail, or the field and non-field messages, or the
    /// body excerpt.
    pub fn message(&self) -> String {
        if let Some(detail) = &self.detail {
            return detail.clone();
        }
        let mut parts: Vec<String> = self.non_field_errors.clone();
        for (field, messages) in &self.field_errors {
            parts.push(format!("{field}: {}", messages.join(" ")));
        }
        if parts.is_empty() {
            if self.excerpt.is_empty() {
                "(empty body)".to_string()
            } else {
                self.excerpt.clone()
            }
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
            self.status,
            self.message()
        )
    }
}

impl std::error::Error for ApiError {}

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

/// Parses a `Retry-After` value: delay seconds, or an HTTP date in any of the three
/// forms RFC 9110 accepts (IMF-fixdate, RFC 850, asctime), read by [`httpdate`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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
        // The two obsolete date forms HTTP still accepts.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994"),
            Some(Duration::ZERO)
        );
        let in_two_minutes = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let delay = parse_retry_after(&in_two_minutes).expect("a future HTTP date");
        assert!(
            delay > Duration::from_secs(110) && delay <= Duration::from_secs(120),
            "{in_two_minutes} gave {delay:?}"
        );
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37"), None);
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
