//! The in-memory state of the emulator: collections of JSON records keyed by
//! their concrete list path, named counters, and blobs (the bytes of uploaded
//! files, named by [`blob_name`] after the record and field they belong to). Every
//! mutation is mirrored to the optional SQLite store (write-through) before the
//! request is answered.
//!
//! Beside the records the store keeps the indexes lists are paged from, so a page
//! starts at its cursor: collections keyed by name in creation order (kept by every
//! write), and collections by a field's order (built on first use, then kept by
//! every write). Collections keyed by integer ids are their own index.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::dataobjects::ordering::{IndexOrder, SortKey};
use crate::persist::Persist;

/// The key of one record inside a collection: an integer id or a name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// Auto-numbered ids (objects, users, api keys ...).
    Int(i64),
    /// Names given by the client (instances, classes, channels ...).
    Str(String),
}

impl Key {
    /// Parses a path segment: digits become an integer key.
    pub fn from_segment(seg: &str, int: bool) -> Option<Key> {
        if int {
            seg.parse::<i64>().ok().map(Key::Int)
        } else {
            Some(Key::Str(seg.to_owned()))
        }
    }

    /// The key as stored on disk and as a path segment.
    pub fn encode(&self) -> String {
        match self {
            Key::Int(i) => format!("i:{i}"),
            Key::Str(s) => format!("s:{s}"),
        }
    }

    /// Inverse of [`Key::encode`].
    pub fn decode(s: &str) -> Option<Key> {
        if let Some(rest) = s.strip_prefix("i:") {
            rest.parse().ok().map(Key::Int)
        } else {
            s.strip_prefix("s:").map(|r| Key::Str(r.to_owned()))
        }
    }

    /// The key as a JSON value.
    pub fn to_json(&self) -> Value {
        match self {
            Key::Int(i) => Value::from(*i),
            Key::Str(s) => Value::from(s.clone()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "{i}"),
            Key::Str(s) => f.write_str(s),
        }
    }
}

/// What the emulator keeps about a record besides the fields the API shows: never
/// rendered, kept beside the fields (not among them) and persisted with them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// The creation number of a record keyed by name (instances, classes,
    /// channels, endpoints ...): the platform's integer primary key, which orders their
    /// lists and is their paging cursor. Given on the first [`Store::put`], kept after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pk: Option<i64>,
    /// The account that owns an instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<i64>,
    /// The id of a user's profile object (in the `user_profile` class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<i64>,
    /// What the client said about each stored file, by field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileMeta>,
}

/// The name and content type a file was uploaded with.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileMeta {
    /// The file name the client gave.
    pub name: String,
    /// The content type the client gave.
    pub content_type: String,
}

impl Meta {
    /// Takes the bookkeeping an earlier version of the emulator kept among the fields
    /// under hidden `__` keys (`__pk`, `__owner_account`, `__profile_id`,
    /// `__<field>_name`, `__<field>_type`) out of `fields`.
    fn take_legacy(fields: &mut Map<String, Value>) -> Meta {
        let mut meta = Meta::default();
        let hidden: Vec<String> = fields
            .keys()
            .filter(|k| k.starts_with(LEGACY_PREFIX))
            .cloned()
            .collect();
        for k in hidden {
            let Some(v) = fields.remove(&k) else { continue };
            let name = &k[LEGACY_PREFIX.len()..];
            match name {
                "pk" => meta.pk = v.as_i64(),
                "owner_account" => meta.owner_account = v.as_i64(),
                "profile_id" => meta.profile_id = v.as_i64(),
                _ => {
                    let text = v.as_str().unwrap_or_default().to_owned();
                    if let Some(field) = name.strip_suffix("_name") {
                        meta.files.entry(field.to_owned()).or_default().name = text;
                    } else if let Some(field) = name.strip_suffix("_type") {
                        meta.files.entry(field.to_owned()).or_default().content_type = text;
                    }
                }
            }
        }
        meta
    }
}

/// The prefix of the hidden keys older versions kept bookkeeping under.
const LEGACY_PREFIX: &str = "__";

/// A stored record: the JSON object of its fields (write-only ones included), which
/// it dereferences to, and its [`Meta`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// The fields.
    pub fields: Map<String, Value>,
    /// The bookkeeping.
    pub meta: Meta,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// A record of these fields; bookkeeping found among them under the hidden keys
    /// of older versions moves to its [`Meta`].
    pub fn from_fields(mut fields: Map<String, Value>) -> Record {
        let meta = Meta::take_legacy(&mut fields);
        Record { fields, meta }
    }

    /// The fields as a JSON object.
    pub fn to_value(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

impl From<Map<String, Value>> for Record {
    fn from(fields: Map<String, Value>) -> Record {
        Record {
            fields,
            meta: Meta::default(),
        }
    }
}

impl std::ops::Deref for Record {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        &self.fields
    }
}

impl std::ops::DerefMut for Record {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.fields
    }
}

impl<'a> IntoIterator for &'a Record {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

impl IntoIterator for Record {
    type Item = (String, Value);
    type IntoIter = serde_json::map::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.into_iter()
    }
}

/// One collection: the records under one concrete list path.
pub type Collection = BTreeMap<Key, Record>;

/// Where a record stands in its list, which is also its `last_pk`: its integer key,
/// or for a record keyed by name its creation number ([`Meta::pk`], the platform's
/// primary key), so such lists come in creation order as on the platform.
pub fn list_position(key: &Key, rec: &Record) -> Key {
    match key {
        Key::Str(_) => rec.meta.pk.map_or_else(|| key.clone(), Key::Int),
        Key::Int(_) => key.clone(),
    }
}

/// The records of a collection keyed by name in list order: [`list_position`] →
/// key.
pub type CreationOrder = BTreeMap<Key, Key>;

/// A collection in the ascending order of one field ([`IndexOrder`]): sort key →
/// key.
pub type FieldIndex = BTreeMap<SortKey, Key>;

/// Error raised when the disk store fails; answered as a 500.
#[derive(Debug, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(pub String);

/// The bytes of one uploaded file.
pub type Blob = axum::body::Bytes;

/// The name of the blob of field `field` of the record `key` in `coll`: under the
/// record's detail path, so deleting or moving the record's subtree (or its instance)
/// takes its files along.
pub fn blob_name(coll: &str, key: &Key, field: &str) -> String {
    match key {
        Key::Str(s) if s.is_empty() => format!("{coll}#{field}"),
        _ => format!(
            "{coll}{}/#{field}",
            crate::spec::encode_segment(&key.to_string())
        ),
    }
}

/// The orders lists are paged in, besides the collections' own key order.
#[derive(Default)]
struct Indexes {
    /// Collections keyed by name, in creation order.
    creation_orders: BTreeMap<String, CreationOrder>,
    /// Collections in the order of a field, by collection.
    by_field: BTreeMap<String, Vec<(IndexOrder, FieldIndex)>>,
}

impl Indexes {
    /// Keeps the indexes of `coll` in step with a write of the record `key`: `old`
    /// is the record it replaced or removed, `new` the one stored (None on remove).
    fn reindex(&mut self, coll: &str, key: &Key, old: Option<&Record>, new: Option<&Record>) {
        if matches!(key, Key::Str(_)) {
            let order = self.creation_orders.entry(coll.to_owned()).or_default();
            if let Some(old) = old {
                remove_entry(order, &list_position(key, old), key);
            }
            if let Some(new) = new {
                order.insert(list_position(key, new), key.clone());
            }
            if order.is_empty() {
                self.creation_orders.remove(coll);
            }
        }
        for (by, index) in self.by_field.get_mut(coll).into_iter().flatten() {
            if let Some(old) = old {
                remove_entry(index, &by.key_of(old), key);
            }
            if let Some(new) = new {
                index.insert(by.key_of(new), key.clone());
            }
        }
    }

    /// Forgets the indexes of a collection that no longer exists.
    fn drop_collection(&mut self, coll: &str) {
        self.creation_orders.remove(coll);
        self.by_field.remove(coll);
    }
}

/// The whole state.
#[derive(Default)]
pub struct Store {
    collections: BTreeMap<String, Collection>,
    counters: BTreeMap<String, i64>,
    blobs: BTreeMap<String, Blob>,
    indexes: Indexes,
    persist: Option<Persist>,
    in_tx: bool,
}

impl Store {
    /// An empty in-memory store.
    pub fn memory() -> Store {
        Store::default()
    }

    /// A store backed by SQLite; loads what the file holds.
    pub fn with_persist(persist: Persist) -> Result<Store, StoreError> {
        let (collections, counters, blobs) = persist.load()?;
        let creation_orders = collections
            .iter()
            .filter_map(|(name, c)| {
                let order: CreationOrder = c
                    .iter()
                    .filter(|(k, _)| matches!(k, Key::Str(_)))
                    .map(|(k, r)| (list_position(k, r), k.clone()))
                    .collect();
                (!order.is_empty()).then(|| (name.clone(), order))
            })
            .collect();
        Ok(Store {
            collections,
            counters,
            blobs,
            indexes: Indexes {
                creation_orders,
                by_field: BTreeMap::new(),
            },
            persist: Some(persist),
            in_tx: false,
        })
    }

    /// Starts the disk transaction of this request on its first write.
    fn ensure_tx(&mut self) -> Result<Option<&Persist>, StoreError> {
        match &self.persist {
            Some(p) => {
                if !self.in_tx {
                    p.begin()?;
                    self.in_tx = true;
                }
                Ok(Some(p))
            }
            None => Ok(None),
        }
    }

    /// Commits the disk transaction of this request, if it wrote anything.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if !self.in_tx {
            return Ok(());
        }
        self.in_tx = false;
        match &self.persist {
            Some(p) => p.commit(),
            None => Ok(()),
        }
    }

    /// Rolls back the disk transaction (used on disk errors only).
    pub fn rollback(&mut self) {
        self.in_tx = false;
        if let Some(p) = &self.persist {
            p.rollback();
        }
    }

    /// A record.
    pub fn get(&self, coll: &str, key: &Key) -> Option<&Record> {
        self.collections.get(coll).and_then(|c| c.get(key))
    }

    /// A collection (None when empty/never written).
    pub fn collection(&self, coll: &str) -> Option<&Collection> {
        self.collections.get(coll)
    }

    /// The records of a collection keyed by name, in list order (None when it has
    /// none).
    pub fn creation_order(&self, coll: &str) -> Option<&CreationOrder> {
        self.indexes.creation_orders.get(coll)
    }

    /// Builds the index of `coll` in `order` unless it exists: O(n log n) once, then
    /// every write keeps it up to date. Read it with [`Store::field_index`].
    pub fn ensure_field_index(&mut self, coll: &str, order: &IndexOrder) {
        let Some(c) = self.collections.get(coll) else {
            return;
        };
        let indexes = self.indexes.by_field.entry(coll.to_owned()).or_default();
        if !indexes.iter().any(|(o, _)| o == order) {
            let index = c
                .iter()
                .map(|(k, r)| (order.key_of(r), k.clone()))
                .collect();
            indexes.push((order.clone(), index));
        }
    }

    /// The index of `coll` in `order`, once [`Store::ensure_field_index`] built it.
    pub fn field_index(&self, coll: &str, order: &IndexOrder) -> Option<&FieldIndex> {
        self.indexes
            .by_field
            .get(coll)?
            .iter()
            .find_map(|(o, index)| (o == order).then_some(index))
    }

    /// Inserts or replaces a record.
    pub fn put(&mut self, coll: &str, key: Key, mut rec: Record) -> Result<(), StoreError> {
        if matches!(key, Key::Str(_)) && rec.meta.pk.is_none() {
            let pk = match self.get(coll, &key).and_then(|r| r.meta.pk) {
                Some(pk) => pk,
                None => self.next_id(&format!("{coll}#pk"))?,
            };
            rec.meta.pk = Some(pk);
        }
        if let Some(p) = self.ensure_tx()? {
            p.put(coll, &key, &rec)?;
        }
        let c = self.collections.entry(coll.to_owned()).or_default();
        let old = c.insert(key.clone(), rec);
        self.indexes.reindex(coll, &key, old.as_ref(), c.get(&key));
        Ok(())
    }

    /// The bytes of a stored file.
    pub fn blob(&self, name: &str) -> Option<&Blob> {
        self.blobs.get(name)
    }

    /// Stores (or replaces) the bytes of a file.
    pub fn put_blob(&mut self, name: &str, bytes: Blob) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.put_blob(name, &bytes)?;
        }
        self.blobs.insert(name.to_owned(), bytes);
        Ok(())
    }

    /// Deletes the bytes of a file.
    pub fn remove_blob(&mut self, name: &str) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.remove_blob(name)?;
        }
        self.blobs.remove(name);
        Ok(())
    }

    /// Removes a record (and its files); returns it.
    pub fn remove(&mut self, coll: &str, key: &Key) -> Result<Option<Record>, StoreError> {
        let own = blob_name(coll, key, "");
        let files: Vec<String> = self
            .blobs
            .keys()
            .filter(|k| k.starts_with(&own))
            .cloned()
            .collect();
        for name in files {
            self.remove_blob(&name)?;
        }
        if let Some(p) = self.ensure_tx()? {
            p.remove(coll, key)?;
        }
        let out = self.collections.get_mut(coll).and_then(|c| c.remove(key));
        self.indexes.reindex(coll, key, out.as_ref(), None);
        if self.collections.get(coll).is_some_and(|c| c.is_empty()) {
            self.collections.remove(coll);
            self.indexes.drop_collection(coll);
        }
        Ok(out)
    }

    /// Removes every collection whose path starts with `prefix`, and the counters too.
    pub fn remove_prefix(&mut self, prefix: &str) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.remove_prefix(prefix)?;
        }
        self.collections.retain(|k, _| !k.starts_with(prefix));
        self.indexes
            .creation_orders
            .retain(|k, _| !k.starts_with(prefix));
        self.indexes.by_field.retain(|k, _| !k.starts_with(prefix));
        self.counters.retain(|k, _| !k.starts_with(prefix));
        self.blobs.retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }

    /// Moves every collection and counter under `from` to `to` (instance rename).
    pub fn move_prefix(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.move_prefix(from, to)?;
        }
        move_entries(&mut self.collections, from, to);
        move_entries(&mut self.counters, from, to);
        move_entries(&mut self.blobs, from, to);
        move_entries(&mut self.indexes.creation_orders, from, to);
        move_entries(&mut self.indexes.by_field, from, to);
        Ok(())
    }

    /// Increments a named counter and returns the new value (first value 1).
    pub fn next_id(&mut self, counter: &str) -> Result<i64, StoreError> {
        let v = self
            .counters
            .get(counter)
            .copied()
            .unwrap_or(0)
            .saturating_add(1);
        if let Some(p) = self.ensure_tx()? {
            p.set_counter(counter, v)?;
        }
        self.counters.insert(counter.to_owned(), v);
        Ok(v)
    }
}

/// Renames the entries of `map` whose name starts with `from` to start with `to`.
fn move_entries<V>(map: &mut BTreeMap<String, V>, from: &str, to: &str) {
    let names: Vec<String> = map
        .keys()
        .filter(|k| k.starts_with(from))
        .cloned()
        .collect();
    for name in names {
        if let Some(v) = map.remove(&name) {
            map.insert(format!("{to}{}", &name[from.len()..]), v);
        }
    }
}

/// Removes `at` from an index unless another record took its place there.
fn remove_entry<K: Ord>(index: &mut BTreeMap<K, Key>, at: &K, key: &Key) {
    if index.get(at) == Some(key) {
        index.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataobjects::ordering::OrderKind;
    use crate::dataobjects::schema::FieldKind;
    use serde_json::json;

    const COLL: &str = "/v1.1/instances/a/classes/";

    fn record(value: Value) -> Record {
        match value {
            Value::Object(m) => m.into(),
            other => panic!("not an object: {other}"),
        }
    }

    fn name(s: &str) -> Key {
        Key::Str(s.to_owned())
    }

    /// The names of `coll` in creation order, as the store's index holds them.
    fn creation_names(s: &Store, coll: &str) -> Vec<String> {
        s.creation_order(coll)
            .map(|o| o.values().map(Key::to_string).collect())
            .unwrap_or_default()
    }

    /// The index agrees with the collection it indexes, entry for entry.
    fn assert_creation_order_matches(s: &Store, coll: &str) {
        let mut want: Vec<(Key, Key)> = s
            .collection(coll)
            .map(|c| {
                c.iter()
                    .map(|(k, r)| (list_position(k, r), k.clone()))
                    .collect()
            })
            .unwrap_or_default();
        want.sort();
        let got: Vec<(Key, Key)> = s
            .creation_order(coll)
            .map(|o| o.iter().map(|(p, k)| (p.clone(), k.clone())).collect())
            .unwrap_or_default();
        assert_eq!(got, want);
    }

    #[test]
    fn named_records_stay_in_creation_order_through_every_write() -> Result<(), StoreError> {
        let mut s = Store::memory();
        for n in ["zeta", "alpha", "mid"] {
            s.put(COLL, name(n), record(json!({"name": n})))?;
        }
        assert_eq!(creation_names(&s, COLL), ["zeta", "alpha", "mid"]);
        // a replaced record keeps its creation number, so its place
        s.put(COLL, name("zeta"), record(json!({"name": "zeta", "v": 2})))?;
        assert_eq!(creation_names(&s, COLL), ["zeta", "alpha", "mid"]);
        s.remove(COLL, &name("alpha"))?;
        assert_eq!(creation_names(&s, COLL), ["zeta", "mid"]);
        s.put(COLL, name("new"), record(json!({"name": "new"})))?;
        assert_eq!(creation_names(&s, COLL), ["zeta", "mid", "new"]);
        assert_creation_order_matches(&s, COLL);
        // a rename: the record leaves its name and comes back under another
        let moved = s.remove(COLL, &name("zeta"))?.expect("stored");
        s.put(COLL, name("omega"), moved)?;
        assert_eq!(creation_names(&s, COLL), ["omega", "mid", "new"]);
        assert_creation_order_matches(&s, COLL);
        // integer keys are their own order: no index for them
        s.put("/v1.1/instances/a/groups/", Key::Int(1), Record::new())?;
        assert!(s.creation_order("/v1.1/instances/a/groups/").is_none());
        // an instance rename moves the index, an instance delete drops it
        s.move_prefix("/v1.1/instances/a/", "/v1.1/instances/b/")?;
        assert!(s.creation_order(COLL).is_none());
        let moved_coll = "/v1.1/instances/b/classes/";
        assert_eq!(creation_names(&s, moved_coll), ["omega", "mid", "new"]);
        assert_creation_order_matches(&s, moved_coll);
        s.remove_prefix("/v1.1/instances/b/")?;
        assert!(s.creation_order(moved_coll).is_none());
        // the last record removed takes its collection's index along
        s.put(COLL, name("one"), Record::new())?;
        s.remove(COLL, &name("one"))?;
        assert!(s.creation_order(COLL).is_none());
        Ok(())
    }

    #[test]
    fn the_creation_order_is_rebuilt_when_the_store_loads() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError(e.to_string()))?;
        {
            let mut s = Store::with_persist(Persist::open(dir.path())?)?;
            for n in ["zeta", "alpha", "mid"] {
                s.put(COLL, name(n), record(json!({"name": n})))?;
            }
            s.remove(COLL, &name("alpha"))?;
            s.commit()?;
        }
        let s = Store::with_persist(Persist::open(dir.path())?)?;
        assert_eq!(creation_names(&s, COLL), ["zeta", "mid"]);
        assert_creation_order_matches(&s, COLL);
        Ok(())
    }

    #[test]
    fn a_field_index_is_built_on_first_use_and_kept_by_every_write() -> Result<(), StoreError> {
        let objects = "/v1.1/instances/a/classes/row/objects/";
        let by_n = IndexOrder {
            field: "n".into(),
            kind: OrderKind::Class(FieldKind::Integer),
        };
        let object = |id: i64, n: Option<i64>| record(json!({"id": id, "n": n}));
        let mut s = Store::memory();
        for (id, n) in [(1, Some(5)), (2, Some(3)), (3, None), (4, Some(3))] {
            s.put(objects, Key::Int(id), object(id, n))?;
        }
        assert!(
            s.field_index(objects, &by_n).is_none(),
            "built on first use"
        );
        s.ensure_field_index(objects, &by_n);
        let ids = |s: &Store| -> Vec<String> {
            s.field_index(objects, &by_n)
                .map(|i| i.values().map(Key::to_string).collect())
                .unwrap_or_default()
        };
        assert_eq!(ids(&s), ["2", "4", "1", "3"], "by n, then id, unset last");
        s.put(objects, Key::Int(1), object(1, Some(0)))?;
        s.put(objects, Key::Int(5), object(5, Some(4)))?;
        s.remove(objects, &Key::Int(2))?;
        assert_eq!(ids(&s), ["1", "4", "5", "3"]);
        // the index is the one a fresh build gives
        let mut fresh = Store::memory();
        for (k, r) in s.collection(objects).into_iter().flatten() {
            fresh.put(objects, k.clone(), r.clone())?;
        }
        fresh.ensure_field_index(objects, &by_n);
        assert_eq!(ids(&fresh), ids(&s));
        // an index by another field is another index
        let by_created = IndexOrder {
            field: "created_at".into(),
            kind: OrderKind::Datetime,
        };
        assert!(s.field_index(objects, &by_created).is_none());
        // emptied, the class loses its indexes; they are built again when asked for
        for id in [1, 3, 4, 5] {
            s.remove(objects, &Key::Int(id))?;
        }
        assert!(s.field_index(objects, &by_n).is_none());
        s.put(objects, Key::Int(6), object(6, Some(1)))?;
        s.ensure_field_index(objects, &by_n);
        assert_eq!(ids(&s), ["6"]);
        Ok(())
    }
}
