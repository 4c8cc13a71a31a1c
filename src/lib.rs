//! A typed async client for the [Syncano](https://github.com/Syncano) REST API v1.1.
//!
//! Every resource's model, payloads and manager are generated at compile time from the
//! API's schema ([`generated`], re-exported here); a small hand-written runtime speaks
//! the protocol beneath them.
//!
//! # Connect
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! use syncano::Client;
//!
//! // SYNCANO_API_ROOT, SYNCANO_API_KEY (or SYNCANO_EMAIL + SYNCANO_PASSWORD), SYNCANO_INSTANCE
//! let client = Client::from_env().await?;
//! // or: Client::new(key)?, Client::builder().api_key(key).instance("library").build()?,
//! //     client.login(email, password).await?
//! # Ok(())
//! # }
//! ```
//!
//! # One instance, its classes and objects
//!
//! [`Client::instance`] (or [`Client::default_instance`], from `SYNCANO_INSTANCE`) is
//! the scope every instance-scoped manager is reached from. Payloads are built with
//! `new(required…)` and a setter per optional field; data objects carry your own type.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use serde::{Deserialize, Serialize};
//! use syncano::{ClassCreate, DataObjectCreate, InstanceCreate};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! struct Book { title: String, pages: i64 }
//!
//! client.instances().get_or_create(&InstanceCreate::new("library").description("Books")).await?;
//! let library = client.instance("library");
//! let schema = serde_json::json!([{"name": "title", "type": "string"},
//!                                 {"name": "pages", "type": "integer", "filter_index": true}]);
//! library.classes().get_or_create(&ClassCreate::new("book", schema)).await?;
//!
//! let books = library.objects_as::<Book>("book");
//! let dune = books.create(&DataObjectCreate::new(Book { title: "Dune".into(), pages: 412 })).await?;
//! let patch = syncano::object::ObjectPatch::new().increment("pages", 1);
//! let dune = books.update_fields(dune.id, &patch).await?;
//! println!("{} has {} pages", dune.data.title, dune.data.pages);
//! # Ok(())
//! # }
//! ```
//!
//! # Paging
//!
//! A `list()` is a lazy [`ListRequest`]: filter, order and select fields, then take one
//! [`Page`], `collect` or `stream` (pages are fetched as the stream is read, by
//! `last_pk` + `direction` + `page_size`).
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use futures::TryStreamExt;
//!
//! let books = client.instance("library").objects("book");
//! let mut long = books.list().query(&serde_json::json!({"pages": {"_gt": 300}})).order_by("-pages").stream();
//! while let Some(book) = long.try_next().await? {
//!     println!("{}: {:?}", book.id, book.data.get("title"));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Models, links and other connections
//!
//! Models read like the API's answers; `save`, `reload` and `delete` act on their
//! `self` link, and child accessors follow their links. Any manager runs through
//! another client with `using`.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client, admin: syncano::Client) -> syncano::Result<()> {
//! let mut library = client.instances().get("library").await?;
//! library.description = Some("all the books".into());
//! let library = library.save(&client).await?;
//! let keys = library.api_keys(&client)?.using(&admin).list().collect().await?;
//! println!("{} keys", keys.len());
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! One [`Error`] type, with the API's body parsed ([`ApiError`]) and predicates
//! (`is_not_found`, `is_validation`, `is_permission_denied`, `is_revision_mismatch` …).
//! A malformed or unexpected answer is an `Err`, never a panic; unknown fields and
//! choice values are tolerated.
//!
//! # Retries
//!
//! Reads, and writes the server provably did not apply, are retried by default
//! (3 attempts, exponential backoff with full jitter, `Retry-After` honoured, a retry
//! budget per client); a write whose outcome is unknown is reported
//! ([`Error::may_have_been_applied`]), never silently repeated. See [`retry`].
//!
//! # The embedded server
//!
//! `syncano-emulator` (a dev-dependency for your tests) serves the same API on
//! loopback, in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = syncano_emulator::Emulator::start(Default::default()).await?;
//! let client = syncano::Client::builder().api_root(server.base_url()).api_key(server.account_key()).build()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Without the generated types
//!
//! [`Client::get`], [`Client::get_raw`], [`Client::delete`], [`Client::options`],
//! [`Client::request`] and [`ListRequest::new`] take any path and any serde type.
//!
//! Runtime modules: [`client`], [`retry`], [`auth`] (key modes, logins, re-login when a session
//! expires), [`error`], [`pagination`], [`links`], [`object`] (write operators),
//! [`batch`], [`jobs`] (polling traces), `permissions` (object ACLs), [`upload`]
//! ([`Upload`], [`StoredFile`]), [`scope`], [`calls`], [`path`] and [`Decimal`].
//!
//! Names: the generated model of the API keys resource is `syncano::ApiKey`; the
//! credential a client sends is [`auth::ApiKey`]. Requests are logged with `tracing` at
//! DEBUG level under the target `syncano` (method, path, status, duration); keys and
//! bodies never are.

pub mod auth;
pub mod batch;
pub mod calls;
pub mod client;
mod create;
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
pub mod scope;
#[cfg(feature = "test-util")]
pub mod test_util;
pub mod transport;
pub mod upload;

pub mod generated;

// `auth::ApiKey` (the credential) stays in its module: at the crate root, `ApiKey` is
// the generated model of the API keys resource.
pub use auth::{AuthMode, UserKey};
pub use calls::{EndpointOptions, FieldOptions};
pub use client::{API_VERSION, Client, ClientBuilder};
pub use decimal::Decimal;
pub use error::{ApiError, Error, Result};
#[doc(inline)]
pub use generated::*;
#[cfg(not(syncano_custom_schema))]
pub use object::Object;
pub use pagination::{Direction, ListCursor, ListRequest, Ordering, Page, StreamError};
pub use reqwest::{Method, StatusCode};
pub use retry::RetryPolicy;
pub use scope::InstanceScope;
pub use upload::{StoredFile, Upload};

/// The README's Rust examples, compiled as doc tests so they cannot drift from the API.
#[cfg(all(doctest, not(syncano_custom_schema)))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
