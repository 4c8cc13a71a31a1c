//! Following links: every resource carries `links`, an object of name → relative path.
//!
//! The generated models turn their declared links into typed managers and models;
//! any link, declared or not, can also be followed by path with [`Client::follow`],
//! [`Client::follow_raw`] or [`Client::follow_list`]. [`Links`] reads a `links` object in
//! hand-written structs.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use serde::Deserialize;
//! use syncano::links::Links;
//!
//! #[derive(Deserialize)]
//! struct Script { id: u64, links: Links }
//!
//! let script: Script = client.follow("/v1.1/instances/lib/snippets/scripts/4/").await?;
//! if let Some(traces) = script.links.get("traces") {
//!     let traces = client.follow_list::<serde_json::Value>(traces).collect().await?;
//!     println!("script {} ran {} times", script.id, traces.len());
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::{Client, ListRequest, Method};

impl Client {
    /// Fetches the resource at a link path (`GET`) and decodes it as `T`.
    pub async fn follow<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(Method::GET, path, None::<&()>).await
    }

    /// Fetches the resource at a link path as raw JSON.
    pub async fn follow_raw(&self, path: &str) -> Result<Value> {
        self.request(Method::GET, path, None::<&()>).await
    }

    /// A list request for the paged list at a link path.
    pub fn follow_list<T>(&self, path: &str) -> ListRequest<T> {
        ListRequest::new(self.clone(), path.to_string())
    }
}

/// A `links` object: link name → relative path. Values that are not strings are kept
/// but not returned by [`Links::get`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Links(pub BTreeMap<String, Value>);

impl Links {
    /// The path of the link `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The path of the `self` link.
    pub fn self_path(&self) -> Option<&str> {
        self.get("self")
    }

    /// Every link whose value is a path, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .filter_map(|(name, v)| v.as_str().map(|path| (name.as_str(), path)))
    }
}

/// The path of link `name` in a raw resource (`value["links"][name]`).
pub fn link<'a>(resource: &'a Value, name: &str) -> Option<&'a str> {
    resource.get("links")?.get(name)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_links() {
        let value = serde_json::json!({"links": {"self": "/v1.1/instances/a/", "admins": "/v1.1/instances/a/admins/", "n": 3}});
        let links: Links = serde_json::from_value(value["links"].clone()).unwrap();
        assert_eq!(links.self_path(), Some("/v1.1/instances/a/"));
        assert_eq!(links.get("n"), None);
        assert_eq!(links.iter().count(), 2);
        assert_eq!(link(&value, "admins"), Some("/v1.1/instances/a/admins/"));
        assert_eq!(link(&value, "nope"), None);
    }
}
