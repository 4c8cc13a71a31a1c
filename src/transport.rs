//! The HTTP layer beneath [`Client`](crate::Client): the object-safe [`Transport`] trait,
//! its `reqwest` implementation, and the logging and retry layers.
//!
//! A [`Client`](crate::Client) sends every attempt of a call through one
//! `Arc<dyn Transport>`: a [`LoggingTransport`] around the base transport
//! ([`ReqwestTransport`] unless the builder was given another one with
//! [`ClientBuilder::transport`](crate::ClientBuilder::transport)). A transport returns
//! every answer it receives, whatever its status; turning statuses into errors, decoding
//! and retrying (see [`retry`](crate::retry)) are the client's job, so a retry covers
//! the decoding of the body too.
//!
//! A transport's errors say whether the request was sent: [`Error::Connect`] (never
//! sent), [`Error::Timeout`] (may have been sent) and [`Error::Transport`] with its
//! `sent` flag ([`Error::transport`] builds one); the client retries a POST only when
//! it was not sent.
//!
//! ```
//! use std::sync::Arc;
//! use syncano::transport::{HttpRequest, HttpResponse, Transport};
//!
//! /// A test double answering every request with an empty page.
//! #[derive(Debug)]
//! struct EmptyPages;
//!
//! #[async_trait::async_trait]
//! impl Transport for EmptyPages {
//!     async fn send(&self, _request: HttpRequest) -> syncano::Result<HttpResponse> {
//!         Ok(HttpResponse::new(200, r#"{"objects": [], "next": null, "prev": null}"#))
//!     }
//! }
//!
//! let client = syncano::Client::builder().transport(Arc::new(EmptyPages)).build()?;
//! # Ok::<(), syncano::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use url::Url;

use crate::Method;
use crate::error::{
    Cause, Error, Result, TransportFailure, find_cause, parse_retry_after, redact_query,
    status_code,
};
use crate::upload::Multipart;

/// The body of an [`HttpRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestBody {
    /// Bytes sent as they are, under the request's `Content-Type` header (the client
    /// sends JSON this way).
    Bytes(Bytes),
    /// A `multipart/form-data` form, kept as its parts: the transport encodes it and
    /// sets the `Content-Type` header with the boundary (the request carries none).
    Multipart(Multipart),
}

impl RequestBody {
    /// The size of the content: the bytes, or a form's values without its framing.
    pub fn len(&self) -> usize {
        match self {
            RequestBody::Bytes(bytes) => bytes.len(),
            RequestBody::Multipart(form) => form.payload_len(),
        }
    }

    /// Whether there is no content.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of a [`RequestBody::Bytes`] body.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            RequestBody::Bytes(bytes) => Some(bytes),
            RequestBody::Multipart(_) => None,
        }
    }

    /// The form of a [`RequestBody::Multipart`] body.
    pub fn as_multipart(&self) -> Option<&Multipart> {
        match self {
            RequestBody::Multipart(form) => Some(form),
            RequestBody::Bytes(_) => None,
        }
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        RequestBody::Bytes(bytes)
    }
}

impl From<Multipart> for RequestBody {
    fn from(form: Multipart) -> Self {
        RequestBody::Multipart(form)
    }
}

/// One HTTP request, fully built: URL with query, headers (auth included), body.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: Url,
    /// The headers; secret values are marked sensitive.
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<RequestBody>,
    /// The time the whole request (connect, send, receive) may take.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    /// A request without headers, body or timeout.
    pub fn new(method: Method, url: Url) -> Self {
        HttpRequest {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
        }
    }

    /// The path and query of the URL, with `api_key`/`user_key` values redacted: the
    /// form used in logs and errors.
    pub fn display_path(&self) -> String {
        display_path(&self.url)
    }
}

/// The path and query of a URL with key values redacted.
pub(crate) fn display_path(url: &Url) -> String {
    match url.query() {
        Some(q) => redact_query(&format!("{}?{q}", url.path())),
        None => url.path().to_string(),
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.display_path())
            .field("headers", &self.headers)
            .field(
                "body",
                &self.body.as_ref().map(|b| match b {
                    RequestBody::Bytes(bytes) => format!("{} bytes", bytes.len()),
                    RequestBody::Multipart(form) => {
                        format!("multipart, {} parts, {} bytes", form.parts().len(), b.len())
                    }
                }),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One HTTP answer, body fully read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// An answer with the given status and body and no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The status as a [`StatusCode`] (a number outside 100–999 reads as 500).
    pub fn status_code(&self) -> StatusCode {
        status_code(self.status)
    }

    /// The `Content-Type` header, if present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// The `Retry-After` delay, if the header is present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after)
    }
}

/// Sends one HTTP request and returns the answer, whatever its status.
///
/// Object safe, so layers can wrap an `Arc<dyn Transport>`; implement it (with
/// `#[async_trait::async_trait]`) for middleware or test doubles.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request`. Errors are for failures to get an answer at all (timeouts,
    /// connection and protocol failures), never for an HTTP status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse>;
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        (**self).send(request).await
    }
}

/// The [`Transport`] over a `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Wraps a configured `reqwest::Client`.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

/// Where in the exchange a `reqwest` failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting, writing the request, waiting for the answer's head.
    Send,
    /// Reading the answer's body (the request was sent).
    Body,
}

/// Turns a `reqwest` failure into an [`Error`], without the URL (it may hold a key),
/// telling whether the request was sent: not when no connection could be made or hyper
/// gave the request back unsent (`canceled`), else it may have been.
fn map_reqwest_error(method: &Method, path: &str, phase: Phase, error: reqwest::Error) -> Error {
    let method = method.clone();
    let path = path.to_string();
    if error.is_connect() {
        return Error::Connect {
            method,
            path,
            source: Box::new(error.without_url()),
        };
    }
    if error.is_timeout() {
        return Error::Timeout { method, path };
    }
    let cause = find_cause(&error);
    let never_sent = phase == Phase::Send && cause == Some(Cause::NeverSent);
    let failure = match cause {
        Some(Cause::Reset | Cause::Broken) => TransportFailure::Reset,
        _ if phase == Phase::Body => TransportFailure::TruncatedBody,
        Some(Cause::Parse) => TransportFailure::Protocol,
        Some(Cause::Eof | Cause::ClosedEarly | Cause::NeverSent) => TransportFailure::Closed,
        _ if error.is_decode() || error.is_body() => TransportFailure::TruncatedBody,
        _ => TransportFailure::Other,
    };
    Error::transport(method, &path, failure, !never_sent, error.without_url())
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let path = request.display_path();
        let method = request.method.clone();
        let mut builder = self
            .client
            .request(request.method, request.url)
            .headers(request.headers);
        match request.body {
            Some(RequestBody::Bytes(body)) => builder = builder.body(body),
            // built anew from the parts on every send
            Some(RequestBody::Multipart(form)) => builder = builder.multipart(form.to_reqwest()?),
            None => {}
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| map_reqwest_error(&method, &path, Phase::Send, e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| map_reqwest_error(&method, &path, Phase::Body, e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// A layer logging every request with `tracing` at DEBUG level (target `syncano`):
/// method, path (with `api_key` values redacted), status and duration. Headers and
/// bodies are never logged, so keys and passwords never reach the logs.
#[derive(Debug)]
pub struct LoggingTransport<T: ?Sized> {
    inner: Arc<T>,
}

impl<T: Transport + ?Sized> LoggingTransport<T> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<T>) -> Self {
        LoggingTransport { inner }
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for LoggingTransport<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let method = request.method.clone();
        let path = request.display_path();
        let started = Instant::now();
        let result = self.inner.send(request).await;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(response) => tracing::debug!(
                target: "syncano",
                method = %method,
                path = %path,
                status = response.status,
                duration_ms,
                "request finished"
            ),
            Err(error) => tracing::debug!(
                target: "syncano",
                method = %method,
                path = %path,
                duration_ms,
                error = %error,
                "request failed"
            ),
        }
        result
    }
}
