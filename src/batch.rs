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
//! When a call itself fails (not one of its requests), [`BatchRequest::send`] returns
//! that error — the requests of earlier calls have run by then.

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
    pub async fn send(self) -> Result<Vec<BatchResult>> {
        if let Some(message) = self.deferred_error {
            return Err(Error::Config(message));
        }
        let path = format!("{}batch/", self.instance_path());
        let mut results = Vec::with_capacity(self.items.len());
        for chunk in self.items.chunks(MAX_BATCH_SIZE) {
            let requests: Vec<WireItem<'_>> = chunk
                .iter()
                .map(|item| WireItem {
                    method: item.method.as_str(),
                    path: &item.path,
                    body: item.body.as_ref(),
                })
                .collect();
            let body = serde_json::json!({ "requests": requests });
            let answers: Vec<WireResult> = self
                .client
                .request(Method::POST, &path, Some(&body))
                .await?;
            if answers.len() != chunk.len() {
                let message = format!(
                    "the batch answered {} results for {} requests",
                    answers.len(),
                    chunk.len()
                );
                let source = serde::de::Error::custom(message);
                return Err(Error::decode(Method::POST, &path, 200, b"", source));
            }
            results.extend(chunk.iter().zip(answers).map(|(item, answer)| BatchResult {
                method: item.method.clone(),
                path: item.path.clone(),
                status: answer.code,
                body: answer.content,
            }));
        }
        Ok(results)
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
