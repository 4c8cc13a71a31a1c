//! A recording [`Transport`] for tests: [`RecordingTransport`] keeps every
//! [`HttpRequest`] a [`Client`](crate::Client) sends, and either passes it on to
//! another transport or answers it with a canned response.
//!
//! Enabled by the `test-util` feature. Put the transport into a client with
//! [`ClientBuilder::transport`](crate::ClientBuilder::transport), keep an `Arc` of it,
//! and look at [`RecordingTransport::requests`] after the calls:
//!
//! ```
//! use std::sync::Arc;
//! use syncano::Method;
//! use syncano::test_util::RecordingTransport;
//! use syncano::transport::HttpResponse;
//!
//! # tokio_test_block_on(async {
//! let recorder = Arc::new(RecordingTransport::answering(HttpResponse::new(
//!     200,
//!     r#"{"name": "library"}"#,
//! )));
//! let client = syncano::Client::builder()
//!     .api_key("0123456789abcdef0123456789abcdef01234567")
//!     .transport(recorder.clone())
//!     .build()?;
//! let instance = client
//!     .request_raw::<()>(Method::GET, "/v1.1/instances/library/", None)
//!     .await?;
//! assert_eq!(instance["name"], "library");
//!
//! let sent = recorder.requests();
//! assert_eq!(sent.len(), 1);
//! assert_eq!(sent[0].request.url.path(), "/v1.1/instances/library/");
//! assert_eq!(sent[0].header("x-api-key"), Some("0123456789abcdef0123456789abcdef01234567"));
//! assert_eq!(sent[0].status, Some(200));
//! # Ok::<(), syncano::Error>(())
//! # })?;
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! # Ok::<(), syncano::Error>(())
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::error::Result;
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// One request a [`RecordingTransport`] was asked to send, with the status of the
/// answer it got.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CapturedRequest {
    /// The request as the client built it: URL with query, headers (keys included,
    /// marked sensitive), body.
    pub request: HttpRequest,
    /// The status of the answer, or `None` when the transport returned an error.
    pub status: Option<u16>,
}

impl CapturedRequest {
    /// The value of the header `name`, when it is present and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }
}

/// Where a [`RecordingTransport`] gets its answers.
enum Backend {
    /// Another transport, which sends the request on.
    Inner(Arc<dyn Transport>),
    /// The same response to every request.
    Canned(HttpResponse),
}

/// A [`Transport`] that records every request it is asked to send, for tests.
///
/// [`wrapping`](RecordingTransport::wrapping) passes each request on to another
/// transport (a [`ReqwestTransport`](crate::transport::ReqwestTransport) to a local
/// server, say); [`answering`](RecordingTransport::answering) answers each one with a
/// copy of a canned response and sends nothing. Either way the request and the status
/// of its answer are kept, in order, for [`requests`](RecordingTransport::requests).
pub struct RecordingTransport {
    backend: Backend,
    captured: Mutex<Vec<CapturedRequest>>,
}

impl RecordingTransport {
    /// A recorder passing every request on to `inner`.
    pub fn wrapping(inner: impl Transport + 'static) -> Self {
        RecordingTransport {
            backend: Backend::Inner(Arc::new(inner)),
            captured: Mutex::new(Vec::new()),
        }
    }

    /// A recorder answering every request with a copy of `response`.
    pub fn answering(response: HttpResponse) -> Self {
        RecordingTransport {
            backend: Backend::Canned(response),
            captured: Mutex::new(Vec::new()),
        }
    }

    /// The requests recorded so far, oldest first.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.lock().clone()
    }

    /// The most recent request, if any.
    pub fn last(&self) -> Option<CapturedRequest> {
        self.lock().last().cloned()
    }

    /// Forgets the requests recorded so far (call it when no request is in flight: the
    /// status of one would otherwise be written to the wrong entry).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The log; a panic elsewhere while it was held leaves it usable.
    fn lock(&self) -> MutexGuard<'_, Vec<CapturedRequest>> {
        self.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RecordingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.backend {
            Backend::Inner(inner) => format!("{inner:?}"),
            Backend::Canned(response) => format!("answering {}", response.status),
        };
        f.debug_struct("RecordingTransport")
            .field("backend", &backend)
            .field("recorded", &self.lock().len())
            .finish()
    }
}

#[async_trait]
impl Transport for RecordingTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        // recorded before it is sent, so concurrent requests keep the order they were
        // sent in; the status is filled in when the answer is there
        let index = {
            let mut captured = self.lock();
            captured.push(CapturedRequest {
                request: request.clone(),
                status: None,
            });
            captured.len() - 1
        };
        let answer = match &self.backend {
            Backend::Inner(inner) => inner.send(request).await,
            Backend::Canned(response) => Ok(response.clone()),
        };
        if let (Ok(response), Some(entry)) = (&answer, self.lock().get_mut(index)) {
            entry.status = Some(response.status);
        }
        answer
    }
}
