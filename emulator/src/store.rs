//! The in-memory state of the emulator: collections of JSON records keyed by
//! their concrete list path, named counters, and blobs (the bytes of uploaded
//! files, named by [`blob_name`] after the record and field they belong to). Every
//! mutation is mirrored to the optional SQLite store (write-through) before the
//! request is answered.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

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

/// The whole state.
#[derive(Default)]
pub struct Store {
    collections: BTreeMap<String, Collection>,
    counters: BTreeMap<String, i64>,
    blobs: BTreeMap<String, Blob>,
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
        Ok(Store {
            collections,
            counters,
            blobs,
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
        self.collections
            .entry(coll.to_owned())
            .or_default()
            .insert(key, rec);
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
        if self.collections.get(coll).is_some_and(|c| c.is_empty()) {
            self.collections.remove(coll);
        }
        Ok(out)
    }

    /// Removes every collection whose path starts with `prefix`, and the counters too.
    pub fn remove_prefix(&mut self, prefix: &str) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.remove_prefix(prefix)?;
        }
        self.collections.retain(|k, _| !k.starts_with(prefix));
        self.counters.retain(|k, _| !k.starts_with(prefix));
        self.blobs.retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }

    /// Moves every collection and counter under `from` to `to` (instance rename).
    pub fn move_prefix(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        if let Some(p) = self.ensure_tx()? {
            p.move_prefix(from, to)?;
        }
        let keys: Vec<String> = self
            .collections
            .keys()
            .filter(|k| k.starts_with(from))
            .cloned()
            .collect();
        for k in keys {
            if let Some(c) = self.collections.remove(&k) {
                let nk = format!("{to}{}", &k[from.len()..]);
                self.collections.insert(nk, c);
            }
        }
        let keys: Vec<String> = self
            .counters
            .keys()
            .filter(|k| k.starts_with(from))
            .cloned()
            .collect();
        for k in keys {
            if let Some(c) = self.counters.remove(&k) {
                let nk = format!("{to}{}", &k[from.len()..]);
                self.counters.insert(nk, c);
            }
        }
        let keys: Vec<String> = self
            .blobs
            .keys()
            .filter(|k| k.starts_with(from))
            .cloned()
            .collect();
        for k in keys {
            if let Some(b) = self.blobs.remove(&k) {
                let nk = format!("{to}{}", &k[from.len()..]);
                self.blobs.insert(nk, b);
            }
        }
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
