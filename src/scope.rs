//! [`InstanceScope`]: one instance (tenant) of the API, from which every
//! instance-scoped manager is reached without repeating the instance's name.

use std::fmt;

use crate::batch::BatchRequest;
use crate::{Client, Error, Result};

/// One instance, reached with [`Client::instance`] or [`Client::default_instance`].
///
/// Every manager of a resource that lives directly in an instance has an accessor here
/// (generated from the schema): `classes()`, `users()`, `groups()`, `scripts()`,
/// `channels()`, `api_keys()` …; the data objects of a class are [`objects`](Self::objects)
/// (or [`objects_as`](Self::objects_as) with your own type), and [`batch`](Self::batch)
/// sends many requests in one call.
///
/// ```no_run
/// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
/// let library = client.instance("library");
/// let classes = library.classes().list().collect().await?;
/// let books = library.objects("book").list().limit(10).collect().await?;
/// println!("{} classes, {} books", classes.len(), books.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct InstanceScope {
    client: Client,
    name: String,
}

impl fmt::Debug for InstanceScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstanceScope")
            .field("name", &self.name)
            .finish()
    }
}

impl Client {
    /// The instance `name`: the scope its managers are reached from.
    pub fn instance(&self, name: impl fmt::Display) -> InstanceScope {
        InstanceScope {
            client: self.clone(),
            name: name.to_string(),
        }
    }

    /// The instance this client was given ([`ClientBuilder::instance`](crate::ClientBuilder::instance)
    /// or `SYNCANO_INSTANCE`).
    ///
    /// # Errors
    /// [`Error::Config`] when the client has no instance.
    pub fn default_instance(&self) -> Result<InstanceScope> {
        self.instance_name()
            .map(|name| self.instance(name))
            .ok_or_else(|| {
                Error::Config(
                    "no default instance: set ClientBuilder::instance or SYNCANO_INSTANCE".into(),
                )
            })
    }
}

impl InstanceScope {
    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client this scope calls through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same instance, calling through another client (other credentials or settings).
    pub fn using(&self, client: &Client) -> Self {
        InstanceScope {
            client: client.clone(),
            name: self.name.clone(),
        }
    }

    /// A batch of requests within this instance; see [`batch`](crate::batch).
    pub fn batch(&self) -> BatchRequest {
        self.client.batch(&self.name)
    }

    /// The data objects of the class `class`, their own fields as a JSON map.
    #[cfg(not(syncano_custom_schema))]
    pub fn objects(&self, class: impl fmt::Display) -> crate::DataObjectManager {
        crate::DataObjectManager::new(&self.client, &self.name, class)
    }

    /// The data objects of the class `class`, their own fields read into (and written
    /// from) your type `T`.
    #[cfg(not(syncano_custom_schema))]
    pub fn objects_as<T>(&self, class: impl fmt::Display) -> crate::DataObjectManager<T> {
        crate::DataObjectManager::new(&self.client, &self.name, class)
    }
}
