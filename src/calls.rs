//! Requests without a body, without turbofish: [`Client::get`], [`Client::get_raw`],
//! [`Client::delete`], [`Client::call`] and [`Client::options`], which reads an
//! endpoint's `OPTIONS` metadata into [`EndpointOptions`].

use std::collections::BTreeMap;

use reqwest::Method;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Client, Result};

/// What an endpoint says about itself when asked with `OPTIONS` (Django REST
/// framework's metadata): its name and description, the media types it reads and
/// writes, and the fields each writing method accepts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EndpointOptions {
    /// The view's name, e.g. `"Class List"`.
    #[serde(default)]
    pub name: String,
    /// The view's description.
    #[serde(default)]
    pub description: String,
    /// The media types it answers with.
    #[serde(default)]
    pub renders: Vec<String>,
    /// The media types it reads.
    #[serde(default)]
    pub parses: Vec<String>,
    /// For each writing method (`"POST"`, `"PUT"`), the fields it accepts by name.
    #[serde(default)]
    pub actions: BTreeMap<String, BTreeMap<String, FieldOptions>>,
    /// Keys this type does not know.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One field of an [`EndpointOptions`] action.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FieldOptions {
    /// The field type as the API names it (`"string"`, `"integer"`, `"choice"` …).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Whether a create must send it.
    #[serde(default)]
    pub required: bool,
    /// Whether it is only ever read.
    #[serde(default)]
    pub read_only: bool,
    /// Its human-readable label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The longest accepted text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Keys this type does not know (`choices`, `children`, limits …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Client {
    /// `GET path` (relative to the API root), the JSON answer decoded as `T`.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
    /// let instance: syncano::Instance = client.get("/v1.1/instances/library/").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request_with_query(Method::GET, path, &[], None::<&()>)
            .await
    }

    /// `GET path` with query parameters added to those already in `path`.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn get_with_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        self.request_with_query(Method::GET, path, query, None::<&()>)
            .await
    }

    /// `GET path`, the answer as raw JSON.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
    /// let account = client.get_raw("/v1.1/account/").await?;
    /// println!("{}", account["email"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn get_raw(&self, path: &str) -> Result<Value> {
        self.get(path).await
    }

    /// `DELETE path`; whatever a success answer carries is ignored.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.call::<IgnoredAny>(Method::DELETE, path).await.map(|_| ())
    }

    /// `method path` without a body (an action such as `POST …/reset_key/`), the
    /// answer decoded as `T`.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn call<T: DeserializeOwned>(&self, method: Method, path: &str) -> Result<T> {
        self.request_with_query(method, path, &[], None::<&()>).await
    }

    /// `OPTIONS path`: what the endpoint accepts.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
    /// let options = client.options("/v1.1/instances/library/classes/").await?;
    /// for (name, field) in options.actions.get("POST").into_iter().flatten() {
    ///     println!("{name}: {} (required: {})", field.kind, field.required);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn options(&self, path: &str) -> Result<EndpointOptions> {
        self.call(Method::OPTIONS, path).await
    }
}
