//! Batches: many requests in few calls of `POST /v1.1/instances/{instance}/batch/`.
//!
//! The batch endpoint takes `{"requests": [{"method", "path", "body"}]}` — at most
//! [`MAX_BATCH_SIZE`] requests, all within the instance — runs them in turn and answers
//! one `{"code", "content"}` per request. [`Client::batch`] collects requests of any
//! kind, splits them into calls of at most 50, and returns one [`BatchResult`] per
//! request, in order: its status and body, decoded on demand with
//! [`BatchResult::into_result`] (a failed item becomes the same [`Error::Api`] a single
//! call would have given).
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//! use syncano::DataObjectOtherPermissions;
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Book { title: String, pages: i64 }
//!
//! let results = client
//!     .batch("library")
//!     .create_object("book", &Book { title: "Dune".into(), pages: 412 })
//!     .create_object("book", &json!({"title": "Emma", "pages": 474, "other_permissions": "read"}))
//!     .update_object("book", 12, &json!({"other_permissions": DataObjectOtherPermissions::Read}))
//!     .delete_object("book", 13)
//!     .delete("api_keys/4/") // any path, relative to the instance or from `/v1.1/`
//!     .send()
//!     .await?;
//! for result in results {
//!     if result.is_success() {
//!         println!("{} {}: {}", result.method(), result.path(), result.status());
//!     } else {
//!         println!("failed: {}", result.into_result::<serde_json::Value>().unwrap_err());
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A call carries the caller's keys; each request runs with the caller's permissions.
//!
//! When a call itself fails (not one of its requests), [`BatchRequest::send`] stops
//! there and returns a [`BatchError`] that loses nothing: the answers of the calls
//! that went through (their requests have run), the requests of the failed call (run
//! or not, as [`BatchError::may_have_been_applied`] says), the requests never sent,
//! and the error. [`BatchError::fates`] gives each request's [`BatchFate`], in order:
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) {
//! use syncano::batch::BatchFate;
//!
//! let mut batch = client.batch("library");
//! for n in 0..120 {
//!     batch = batch.create_object("book", &serde_json::json!({"title": format!("Book {n}")}));
//! }
//! match batch.send().await {
//!     Ok(results) => println!("{} answered", results.len()),
//!     Err(stopped) => {
//!         for (n, fate) in stopped.fates().enumerate() {
//!             match fate {
//!                 BatchFate::Answered(result) => println!("{n}: {}", result.status()),
//!                 BatchFate::Unknown(item) => println!("{n}: {} may have run: check", item.path),
//!                 BatchFate::NotApplied(item) | BatchFate::NotSent(item) => {
//!                     println!("{n}: {} did not run: send again", item.path)
//!                 }
//!             }
//!         }
//!     }
//! }
//! # }
//! ```
//!
//! A [`BatchError`] converts into the [`Error`] it carries, so `?` works in functions
//! returning [`syncano::Result`](crate::Result).

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, Error, Result, decode_value};
use crate::path::segment;
use crate::{API_VERSION, Client, Method};

/// The most requests the API takes in one batch call.
pub const MAX_BATCH_SIZE: usize = 50;

/// One request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// The HTTP method.
    pub method: Method,
    /// The path, from `/v1.1/`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

/// The wire form of one request.
#[derive(Serialize)]
struct WireItem<'a> {
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
}

/// The wire form of one answer.
#[derive(Deserialize)]
struct WireResult {
    code: u16,
    #[serde(default)]
    content: Value,
}

/// A batch being collected; see the [module documentation](self). Nothing is sent until
/// [`send`](BatchRequest::send).
#[must_use]
pub struct BatchRequest {
    client: Client,
    instance: String,
    items: Vec<BatchItem>,
    deferred_error: Option<String>,
}

impl fmt::Debug for BatchRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRequest")
            .field("instance", &self.instance)
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A batch of requests within `instance`; see [`batch`](crate::batch).
    pub fn batch(&self, instance: impl fmt::Display) -> BatchRequest {
        BatchRequest {
            client: self.clone(),
            instance: instance.to_string(),
            items: Vec::new(),
            deferred_error: None,
        }
    }
}

impl BatchRequest {
    /// The path of the instance, `/v1.1/instances/{instance}/`.
    fn instance_path(&self) -> String {
        format!("/{API_VERSION}/instances/{}/", segment(&self.instance))
    }

    /// Adds a request. `path` starting with `/` is used as it is (`/v1.1/instances/…`);
    /// any other path is relative to the instance (`classes/book/objects/`). A body that
    /// does not encode as JSON is reported by [`send`](BatchRequest::send).
    pub fn request<B: Serialize + ?Sized>(
        mut self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Self {
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}{path}", self.instance_path())
        };
        let body = match body.map(serde_json::to_value).transpose() {
            Ok(body) => body,
            Err(e) => {
                self.deferred_error.get_or_insert_with(|| {
                    format!("the body of batch request {method} {path} cannot be encoded: {e}")
                });
                None
            }
        };
        self.items.push(BatchItem { method, path, body });
        self
    }

    /// Adds a `GET` of `path`.
    pub fn get(self, path: &str) -> Self {
        self.request(Method::GET, path, None::<&()>)
    }

    /// Adds a `POST` of `body` to the list at `path` (a create).
    pub fn create<B: Serialize + ?Sized>(self, path: &str, body: &B) -> Self {
        self.request(Method::POST, path, Some(body))
    }

    /// Adds a `PATCH` of `body` to `path` (a partial update).
    pub fn update<B: Serialize + ?Sized>(self, path: &str, body: &B) -> Self {
        self.request(Method::PATCH, path, Some(body))
    }

    /// Adds a `PUT` of `body` to `path` (a full update; data objects take `POST`).
    pub fn replace<B: Serialize + ?Sized>(self, path: &str, body: &B) -> Self {
        self.request(Method::PUT, path, Some(body))
    }

    /// Adds a `DELETE` of `path`.
    pub fn delete(self, path: &str) -> Self {
        self.request(Method::DELETE, path, None::<&()>)
    }

    /// Adds the creation of a data object of `class` (`POST classes/{class}/objects/`).
    pub fn create_object<B: Serialize + ?Sized>(self, class: impl fmt::Display, body: &B) -> Self {
        let path = format!("classes/{}/objects/", segment(&class));
        self.create(&path, body)
    }

    /// Adds a partial update of data object `id` of `class`
    /// (`PATCH classes/{class}/objects/{id}/`).
    pub fn update_object<B: Serialize + ?Sized>(
        self,
        class: impl fmt::Display,
        id: i64,
        body: &B,
    ) -> Self {
        let path = format!("classes/{}/objects/{id}/", segment(&class));
        self.update(&path, body)
    }

    /// Adds the deletion of data object `id` of `class`
    /// (`DELETE classes/{class}/objects/{id}/`).
    pub fn delete_object(self, class: impl fmt::Display, id: i64) -> Self {
        let path = format!("classes/{}/objects/{id}/", segment(&class));
        self.delete(&path)
    }

    /// The requests collected so far.
    pub fn items(&self) -> &[BatchItem] {
        &self.items
    }

    /// The number of requests collected.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no request was collected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sends the requests in calls of at most [`MAX_BATCH_SIZE`], in order, and returns
    /// one result per request. An empty batch sends nothing.
    ///
    /// # Errors
    /// A [`BatchError`] when a call fails (or a body could not be encoded, before
    /// anything is sent): it holds the answers of the earlier calls, the requests of
    /// the failed call and those never sent, beside the error.
    pub async fn send(self) -> std::result::Result<Vec<BatchResult>, BatchError> {
        if let Some(message) = self.deferred_error {
            return Err(BatchError::new(
                Vec::new(),
                Vec::new(),
                self.items,
                Error::InvalidRequest(message),
            ));
        }
        let path = format!("{}batch/", self.instance_path());
        let mut results = Vec::with_capacity(self.items.len());
        let mut items = self.items.into_iter();
        loop {
            let chunk: Vec<BatchItem> = items.by_ref().take(MAX_BATCH_SIZE).collect();
            if chunk.is_empty() {
                return Ok(results);
            }
            match send_chunk(&self.client, &path, &chunk).await {
                Ok(answers) => results.extend(answers),
                Err(error) => {
                    return Err(BatchError::new(results, chunk, items.collect(), error));
                }
            }
        }
    }
}

/// Sends one call of at most [`MAX_BATCH_SIZE`] requests; one result per request.
async fn send_chunk(client: &Client, path: &str, chunk: &[BatchItem]) -> Result<Vec<BatchResult>> {
    let requests: Vec<WireItem<'_>> = chunk
        .iter()
        .map(|item| WireItem {
            method: item.method.as_str(),
            path: &item.path,
            body: item.body.as_ref(),
        })
        .collect();
    let body = serde_json::json!({ "requests": requests });
    let answers: Vec<WireResult> = client.request(Method::POST, path, Some(&body)).await?;
    if answers.len() != chunk.len() {
        let message = format!(
            "the batch answered {} results for {} requests",
            answers.len(),
            chunk.len()
        );
        let source = serde::de::Error::custom(message);
        return Err(Error::decode(Method::POST, path, 200, b"", source));
    }
    Ok(chunk
        .iter()
        .zip(answers)
        .map(|(item, answer)| BatchResult {
            method: item.method.clone(),
            path: item.path.clone(),
            status: answer.code,
            body: answer.content,
        })
        .collect())
}

/// What happened to one request of a batch whose sending stopped
/// ([`BatchError::fates`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BatchFate<'a> {
    /// Its call went through: the request ran, with this answer (success or not).
    Answered(&'a BatchResult),
    /// It was in the call that failed after being sent: it may have run or not.
    /// Check before sending it again, unless running it twice is harmless.
    Unknown(&'a BatchItem),
    /// It was in the call that failed in a way that proves the server did nothing
    /// (refused, throttled, never sent): it did not run.
    NotApplied(&'a BatchItem),
    /// It was after the failed call and never sent.
    NotSent(&'a BatchItem),
}

/// A batch whose sending stopped at a failed call; see the [module
/// documentation](self#).
///
/// Displays as the error it carries (whose [`source`](std::error::Error::source) is
/// its own), with how far the batch got.
#[derive(Debug)]
pub struct BatchError(Box<BatchStop>);

/// The parts of a [`BatchError`].
#[derive(Debug)]
struct BatchStop {
    answered: Vec<BatchResult>,
    failed: Vec<BatchItem>,
    unsent: Vec<BatchItem>,
    error: Error,
}

impl BatchError {
    fn new(
        answered: Vec<BatchResult>,
        failed: Vec<BatchItem>,
        unsent: Vec<BatchItem>,
        error: Error,
    ) -> Self {
        BatchError(Box::new(BatchStop {
            answered,
            failed,
            unsent,
            error,
        }))
    }

    /// The error that stopped the batch.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The error that stopped the batch, the rest dropped.
    pub fn into_error(self) -> Error {
        self.0.error
    }

    /// The answers of the calls that went through, one per request, in order: these
    /// requests ran.
    pub fn answered(&self) -> &[BatchResult] {
        &self.0.answered
    }

    /// The requests of the call that failed (empty when the batch stopped before
    /// sending anything).
    pub fn failed(&self) -> &[BatchItem] {
        &self.0.failed
    }

    /// Whether the requests of the failed call may have run
    /// ([`Error::may_have_been_applied`] of the error).
    pub fn may_have_been_applied(&self) -> bool {
        !self.0.failed.is_empty() && self.0.error.may_have_been_applied()
    }

    /// The requests after the failed call, never sent.
    pub fn unsent(&self) -> &[BatchItem] {
        &self.0.unsent
    }

    /// Each request's fate, in the order the requests were added.
    pub fn fates(&self) -> impl Iterator<Item = BatchFate<'_>> {
        let unknown = self.may_have_been_applied();
        let failed = self.0.failed.iter().map(move |item| {
            if unknown {
                BatchFate::Unknown(item)
            } else {
                BatchFate::NotApplied(item)
            }
        });
        self.0
            .answered
            .iter()
            .map(BatchFate::Answered)
            .chain(failed)
            .chain(self.0.unsent.iter().map(BatchFate::NotSent))
    }

    /// The answers, the failed call's requests, the unsent requests and the error.
    pub fn into_parts(self) -> (Vec<BatchResult>, Vec<BatchItem>, Vec<BatchItem>, Error) {
        let stop = *self.0;
        (stop.answered, stop.failed, stop.unsent, stop.error)
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stop = &self.0;
        let failed = if stop.failed.is_empty() {
            String::new()
        } else if self.may_have_been_applied() {
            format!(", {} in the failed call may have run", stop.failed.len())
        } else {
            format!(", {} in the failed call did not run", stop.failed.len())
        };
        write!(
            f,
            "batch stopped ({} requests answered{failed}, {} not sent): {}",
            stop.answered.len(),
            stop.unsent.len(),
            stop.error
        )
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0.error)
    }
}

impl From<BatchError> for Error {
    fn from(error: BatchError) -> Self {
        error.into_error()
    }
}

/// The answer to one request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResult {
    method: Method,
    path: String,
    status: u16,
    body: Value,
}

impl BatchResult {
    /// The HTTP method of the request.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path of the request.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The status the request got (`code`).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body the request got (`content`; `null` when empty).
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error the request got, parsed as a single call's would be; `None` on success.
    pub fn error(&self) -> Option<ApiError> {
        (!self.is_success()).then(|| {
            let body = serde_json::to_vec(&self.body).unwrap_or_default();
            ApiError::from_response(self.status, self.method.clone(), &self.path, &body, None)
        })
    }

    /// The body decoded as `T` on success (an empty body decodes as `null`, so `T = ()`
    /// works for deletes), or the request's [`Error::Api`].
    pub fn into_result<T: DeserializeOwned>(self) -> Result<T> {
        if let Some(error) = self.error() {
            return Err(error.into());
        }
        decode_value(&self.body, &self.method, &self.path, self.status)
    }
}
