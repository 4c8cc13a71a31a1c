//! A typed async client for the [Syncano](https://www.syncano.io) REST API v1.1.
//!
//! The models and managers of every resource are generated at compile time from the
//! API's schema (re-exported at the crate root); this hand-written runtime beneath them
//! speaks the protocol: [`Client`] (connection, credentials, timeouts, proxies, retries),
//! [`auth`] (key modes and logins), [`error`] (every error body the API sends),
//! [`pagination`] (pages and lazy streams), [`links`], [`object`] (write operators),
//! [`path`] and [`Decimal`].
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! use futures::TryStreamExt;
//! use serde::Deserialize;
//! use syncano::{Client, ListRequest};
//!
//! // SYNCANO_API_KEY (or SYNCANO_EMAIL + SYNCANO_PASSWORD), SYNCANO_API_ROOT, ...
//! let client = Client::from_env().await?;
//!
//! #[derive(Debug, Deserialize)]
//! struct Instance { name: String, description: Option<String> }
//!
//! let mut instances = ListRequest::<Instance>::new(client.clone(), "/v1.1/instances/".into()).stream();
//! while let Some(instance) = instances.try_next().await? {
//!     println!("{}: {:?}", instance.name, instance.description);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Names: the generated model of the API keys resource is `syncano::ApiKey`; the
//! credential a client sends is [`auth::ApiKey`].
//!
//! Requests are logged with `tracing` at DEBUG level under the target `syncano`
//! (method, path, status, duration); keys and bodies never are.

pub mod auth;
pub mod client;
pub mod decimal;
pub mod error;
pub mod links;
pub mod object;
pub mod pagination;
pub mod path;
pub mod transport;

mod generated;

// `auth::ApiKey` (the credential) stays in its module: at the crate root, `ApiKey` is
// the generated model of the API keys resource.
pub use auth::{AuthMode, UserKey};
pub use client::{API_VERSION, Client, ClientBuilder};
pub use decimal::Decimal;
pub use error::{ApiError, Error, Result};
pub use generated::*;
#[cfg(not(syncano_custom_schema))]
pub use object::Object;
pub use pagination::{Direction, ListRequest, Ordering, Page};
pub use reqwest::Method;
pub use transport::RetryPolicy;
