//! A typed async client for the [Syncano](https://www.syncano.io) REST API v1.1.
//!
//! The models and managers of every resource are generated at compile time from the
//! API's schema (re-exported at the crate root); this hand-written runtime beneath them
//! speaks the protocol: [`Client`] (connection, credentials, timeouts, proxies), [`retry`]
//! (what is retried, deadlines, the retry budget),
//! [`auth`] (key modes, logins, re-login when a session expires), [`error`] (every error
//! body the API sends), [`pagination`] (pages and lazy streams), [`links`], [`object`]
//! (write operators), [`batch`] (many requests per call), [`jobs`] (polling traces until
//! they finish), `permissions` (object ACLs), [`upload`] (files sent as
//! `multipart/form-data`: [`Upload`], [`StoredFile`]), [`path`] and [`Decimal`].
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! use futures::TryStreamExt;
//! use syncano::{Client, InstanceCreate, InstanceUpdate};
//!
//! // SYNCANO_API_KEY (or SYNCANO_EMAIL + SYNCANO_PASSWORD), SYNCANO_API_ROOT, ...
//! let client = Client::from_env().await?;
//!
//! // Every instance, fetched a page at a time as the stream is read.
//! let mut instances = client.instances().list().stream();
//! while let Some(instance) = instances.try_next().await? {
//!     println!("{}: {:?}", instance.name, instance.description);
//! }
//!
//! // Create, change and save, then follow a link to a child resource.
//! let mut library = client.instances().create(&InstanceCreate::new("library")).await?;
//! library.description = Some("books".into());
//! let library = library.save(&client).await?;
//! let keys = library.api_keys(&client)?.list().collect().await?;
//! println!("{} keys", keys.len());
//!
//! // Or by name, without fetching first.
//! let update = InstanceUpdate { description: Some("more books".into()), ..Default::default() };
//! client.instances().update("library", &update).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Hand-written types work as well, through [`Client::request`] and [`ListRequest`]:
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! #[derive(Debug, serde::Deserialize)]
//! struct Book { id: u64, title: String }
//!
//! let books = syncano::ListRequest::<Book>::new(client.clone(), "/v1.1/instances/library/classes/book/objects/".into())
//!     .limit(10)
//!     .collect()
//!     .await?;
//! println!("{books:?}");
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
pub mod batch;
pub mod client;
pub mod decimal;
pub mod error;
pub mod idempotent;
pub mod jobs;
pub mod links;
pub mod object;
pub mod pagination;
pub mod path;
#[cfg(not(syncano_custom_schema))]
pub mod permissions;
pub mod retry;
pub mod transport;
pub mod upload;

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
pub use pagination::{Direction, ListCursor, ListRequest, Ordering, Page, StreamError};
pub use reqwest::{Method, StatusCode};
pub use retry::RetryPolicy;
pub use upload::{StoredFile, Upload};
