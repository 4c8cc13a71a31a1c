//! Data-object helpers: the write operators of the objects API and [`ObjectPatch`].
//!
//! A data object's field can be set to a value, or changed in place by the server:
//! `{"_increment": n}` adds to a number, `{"_add": [...]}` appends to an array or
//! relation, `{"_addunique": [...]}` appends what is not there yet, and
//! `{"_remove": [...]}` removes. [`Increment`], [`Add`], [`AddUnique`] and [`Remove`]
//! serialize to exactly those objects, so they can be fields of your own update structs;
//! [`ObjectPatch`] builds an update body field by field, with `expected_revision` for
//! optimistic concurrency (a mismatch fails with
//! [`Error::is_revision_mismatch`](crate::Error::is_revision_mismatch)).
//!
//! ```
//! use syncano::object::{Increment, ObjectPatch};
//!
//! let patch = ObjectPatch::new()
//!     .set("title", "Dune")
//!     .increment("views", 1)
//!     .add("tags", ["classic"])
//!     .remove("tags", ["new"])
//!     .expected_revision(3);
//! assert_eq!(
//!     serde_json::to_value(&patch)?,
//!     serde_json::json!({
//!         "title": "Dune",
//!         "views": {"_increment": 1},
//!         "tags": {"_remove": ["new"]},
//!         "expected_revision": 3
//!     }),
//! );
//!
//! #[derive(serde::Serialize)]
//! struct Bump { views: Increment<i64> }
//! assert_eq!(serde_json::to_string(&Bump { views: Increment(-2) })?, r#"{"views":{"_increment":-2}}"#);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! (Later operations on the same field replace earlier ones, as in the example.)

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// A data object of a class: the system fields (`id`, `revision`, `owner`,
/// `created_at`, permissions, `channel` ...) beside the class's own fields as `T` —
/// your `#[derive(Serialize, Deserialize)]` struct, or the default JSON map. The
/// generated [`DataObject`](crate::DataObject) under its short name. (Only with the
/// v1.1 snapshot: documents given through `SYNCANO_SCHEMA` may name things otherwise.)
#[cfg(not(syncano_custom_schema))]
pub type Object<T = Map<String, Value>> = crate::DataObject<T>;

/// `{"_increment": n}`: adds `n` (negative to subtract) to a number field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Increment<N>(pub N);

/// `{"_add": [...]}`: appends to an array field, or adds ids to a relation field.
#[derive(Debug, Clone, PartialEq)]
pub struct Add<E>(pub Vec<E>);

/// `{"_addunique": [...]}`: appends the values an array field does not hold yet.
#[derive(Debug, Clone, PartialEq)]
pub struct AddUnique<E>(pub Vec<E>);

/// `{"_remove": [...]}`: removes values from an array field, or ids from a relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Remove<E>(pub Vec<E>);

/// Serializes `{operator: value}`.
fn operator<S: Serializer, V: Serialize + ?Sized>(
    serializer: S,
    name: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, value)?;
    map.end()
}

impl<N: Serialize> Serialize for Increment<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        operator(serializer, "_increment", &self.0)
    }
}

impl<E: Serialize> Serialize for Add<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        operator(serializer, "_add", &self.0)
    }
}

impl<E: Serialize> Serialize for AddUnique<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        operator(serializer, "_addunique", &self.0)
    }
}

impl<E: Serialize> Serialize for Remove<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        operator(serializer, "_remove", &self.0)
    }
}

/// A data-object update body built field by field. Serializes as a JSON object; use it
/// as the body of a `PATCH` on an object, or convert it into a `serde_json::Map` for
/// the `data` of a generated update struct.
///
/// It also deserializes (from any JSON object), so a
/// `DataObjectManager<ObjectPatch>` can send a patch and read the answer as a map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectPatch(Map<String, Value>);

impl ObjectPatch {
    /// An empty update.
    pub fn new() -> Self {
        ObjectPatch::default()
    }

    fn with(mut self, field: &str, value: Value) -> Self {
        self.0.insert(field.to_string(), value);
        self
    }

    /// Sets `field` to `value` (values that do not serialize to JSON become `null`).
    pub fn set(self, field: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.with(field, value)
    }

    /// Adds `by` to the number `field` (`_increment`).
    pub fn increment(self, field: &str, by: impl Into<serde_json::Number>) -> Self {
        let by = Value::Number(by.into());
        self.with(field, serde_json::json!({ "_increment": by }))
    }

    /// Appends `values` to the array or relation `field` (`_add`).
    pub fn add<E: Serialize>(self, field: &str, values: impl IntoIterator<Item = E>) -> Self {
        self.operator(field, "_add", values)
    }

    /// Appends the `values` the array `field` does not hold yet (`_addunique`).
    pub fn add_unique<E: Serialize>(
        self,
        field: &str,
        values: impl IntoIterator<Item = E>,
    ) -> Self {
        self.operator(field, "_addunique", values)
    }

    /// Removes `values` from the array or relation `field` (`_remove`).
    pub fn remove<E: Serialize>(self, field: &str, values: impl IntoIterator<Item = E>) -> Self {
        self.operator(field, "_remove", values)
    }

    /// Only applies the update if the object's revision is still `revision` (any
    /// integer: a model's `i64` or your own `u64`).
    pub fn expected_revision(self, revision: impl Into<serde_json::Number>) -> Self {
        self.with("expected_revision", Value::Number(revision.into()))
    }

    fn operator<E: Serialize>(
        self,
        field: &str,
        name: &str,
        values: impl IntoIterator<Item = E>,
    ) -> Self {
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
            .collect();
        let mut op = Map::new();
        op.insert(name.to_string(), Value::Array(values));
        self.with(field, Value::Object(op))
    }

    /// The body as a JSON map.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The body as a JSON map, borrowed.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl From<ObjectPatch> for Map<String, Value> {
    fn from(patch: ObjectPatch) -> Self {
        patch.0
    }
}

impl From<ObjectPatch> for Value {
    fn from(patch: ObjectPatch) -> Self {
        Value::Object(patch.0)
    }
}

/// Writes with files, for the `file` fields of a class.
///
/// A class field of type `file` is written as a file part of a `multipart/form-data`
/// body named after the field; these methods send the object's other fields as text
/// parts beside the files (strings as they are, other values as their JSON text, which
/// the API parses back; `null`s are left out, as a form cannot say `null`). A value of
/// the object for a name that also comes as a file is left out too: the file wins.
///
/// Read a file field back as a [`StoredFile`](crate::StoredFile) (the API renders it
/// as `{"type": "file", "value": "<url>"}`) and fetch the bytes with
/// [`Client::download`](crate::Client::download). To clear a file field, send `null`
/// through [`update`](crate::DataObjectManager::update) (JSON), e.g. with
/// [`ObjectPatch::set`]`("cover", ())`; to copy a stored file into another object,
/// send its URL as the field's value.
///
/// ```no_run
/// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
/// use serde::{Deserialize, Serialize};
/// use syncano::{DataObjectCreate, DataObjectUpdate, StoredFile, Upload};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// struct Book {
///     title: String,
///     #[serde(default, skip_serializing)] // written as a file, read as a stored file
///     cover: Option<StoredFile>,
/// }
///
/// let books = client.instance("library").objects_as::<Book>("books");
/// let cover = Upload::from_path("covers/dune.png").await?;
/// let book = books
///     .create_with_files(
///         &DataObjectCreate::new(Book { title: "Dune".into(), cover: None }),
///         &[("cover", cover)],
///     )
///     .await?;
/// let url = book.data.cover.as_ref().and_then(StoredFile::url).unwrap_or_default();
/// let bytes = client.download(url).await?;
///
/// // a new cover replaces the old one
/// let changes = DataObjectUpdate::new(serde_json::Map::new());
/// let raw = client.instance("library").objects("books");
/// raw.update_with_files(book.id, &changes, &[("cover", Upload::from_bytes("v2.png", bytes))])
///     .await?;
/// # Ok(())
/// # }
/// ```
#[cfg(not(syncano_custom_schema))]
impl<T: Serialize + serde::de::DeserializeOwned> crate::DataObjectManager<T> {
    /// Creates an object (`POST` on the class's objects) from `object` and the `files`,
    /// each `(field name, file)`, sent as one `multipart/form-data` body.
    ///
    /// # Errors
    /// As [`create`](crate::DataObjectManager::create); the API answers
    /// `{"<field>": ["…"]}` (an [`Error::Api`](crate::Error::Api)) for a file sent for a
    /// field that is not of type `file`.
    pub async fn create_with_files(
        &self,
        object: &crate::DataObjectCreate<T>,
        files: &[(&str, crate::Upload)],
    ) -> crate::Result<crate::DataObject<T>> {
        let path = self.list().path().to_owned();
        send_with_files(self.client(), crate::Method::POST, &path, object, files).await
    }

    /// Creates an object that is created once only, however the connection fails: the
    /// object's value of `field` — a `filter_index` field of the class that the
    /// caller fills with a token of its choosing, unique per intended object — is
    /// looked up when a send's outcome is unknown
    /// ([`Error::may_have_been_applied`](crate::Error::may_have_been_applied)); an
    /// object found with it is returned as the create's answer, and the create is sent
    /// again only when none is. See [`idempotent`](crate::idempotent) for the limits.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
    /// use serde::{Deserialize, Serialize};
    /// use syncano::DataObjectCreate;
    ///
    /// // the class `order` has {"name": "token", "type": "string", "filter_index": true}
    /// #[derive(Debug, Serialize, Deserialize)]
    /// struct Order { token: String, total: i64 }
    ///
    /// let orders = client.instance("shop").objects_as::<Order>("order");
    /// let order = Order { token: "order-2026-0001".into(), total: 30 };
    /// let created = orders.create_idempotent(&DataObjectCreate::new(order), "token").await?;
    /// # let _ = created;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`create`](crate::DataObjectManager::create); an
    /// [`Error::Encode`](crate::Error::Encode) when `object` has no string or number
    /// under `field`; after [`MAX_SENDS`](crate::idempotent::MAX_SENDS) unknown
    /// outcomes, the last one.
    pub async fn create_idempotent(
        &self,
        object: &crate::DataObjectCreate<T>,
        field: &str,
    ) -> crate::Result<crate::DataObject<T>> {
        let path = self.list().path().to_owned();
        let encode = |source| crate::Error::Encode {
            method: crate::Method::POST,
            path: path.clone(),
            source,
        };
        let token = match serde_json::to_value(object).map_err(encode)?.get(field) {
            Some(token @ (Value::String(_) | Value::Number(_))) => token.clone(),
            _ => {
                let message = format!(
                    "the object has no string or number in its idempotency field `{field}`"
                );
                return Err(encode(serde::ser::Error::custom(message)));
            }
        };
        let query = serde_json::json!({ field: { "_eq": token } });
        let look = || async {
            let page = self.list().raw().query(&query).page_size(1).page().await?;
            match page.objects.first() {
                Some(found) => {
                    crate::error::decode_value(found, &crate::Method::GET, &path, 200).map(Some)
                }
                None => Ok(None),
            }
        };
        crate::idempotent::send_once(|| self.create(object), look).await
    }

    /// Updates the object `id` (`PATCH`) with `changes` and the `files`, each
    /// `(field name, file)`, sent as one `multipart/form-data` body; a file replaces
    /// the field's stored file. Fields in neither keep their values.
    ///
    /// # Errors
    /// As [`update`](crate::DataObjectManager::update) and
    /// [`create_with_files`](Self::create_with_files).
    pub async fn update_with_files(
        &self,
        id: impl std::fmt::Display,
        changes: &crate::DataObjectUpdate<T>,
        files: &[(&str, crate::Upload)],
    ) -> crate::Result<crate::DataObject<T>> {
        let path = format!("{}{}/", self.list().path(), crate::path::segment(&id));
        send_with_files(self.client(), crate::Method::PATCH, &path, changes, files).await
    }
}

/// Sends `fields` (without the names `files` has) and `files` as a multipart body.
#[cfg(not(syncano_custom_schema))]
async fn send_with_files<B: Serialize + ?Sized, R: serde::de::DeserializeOwned>(
    client: &crate::Client,
    method: crate::Method,
    path: &str,
    fields: &B,
    files: &[(&str, crate::Upload)],
) -> crate::Result<R> {
    let encode = |source| crate::Error::Encode {
        method: method.clone(),
        path: path.to_owned(),
        source,
    };
    let mut map = match serde_json::to_value(fields).map_err(encode)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (name, _) in files {
        map.remove(*name);
    }
    let parts: Vec<(&str, Option<&crate::Upload>)> =
        files.iter().map(|(n, u)| (*n, Some(u))).collect();
    client
        .request_multipart(method.clone(), path, &map, &parts)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operators_serialize_as_the_api_expects() {
        assert_eq!(
            serde_json::to_value(Increment(2.5)).unwrap(),
            json!({"_increment": 2.5})
        );
        assert_eq!(
            serde_json::to_value(Add(vec![1, 2])).unwrap(),
            json!({"_add": [1, 2]})
        );
        assert_eq!(
            serde_json::to_value(AddUnique(vec!["a"])).unwrap(),
            json!({"_addunique": ["a"]})
        );
        assert_eq!(
            serde_json::to_value(Remove(vec![7])).unwrap(),
            json!({"_remove": [7]})
        );
    }

    #[test]
    fn patch_builds_fields() {
        let p = ObjectPatch::new()
            .increment("n", -1)
            .add_unique("tags", ["x", "y"])
            .set("done", true);
        assert_eq!(
            Value::from(p),
            json!({"n": {"_increment": -1}, "tags": {"_addunique": ["x", "y"]}, "done": true})
        );
    }
}
