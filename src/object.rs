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

    /// Only applies the update if the object's revision is still `revision`.
    pub fn expected_revision(self, revision: u64) -> Self {
        self.with("expected_revision", Value::from(revision))
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
