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

/// A stored record: the JSON object of its fields (write-only ones included).
pub type Record = Map<String, Value>;

/// The hidden creation number of a record keyed by name (instances, classes,
/// channels, endpoints ...): the platform's integer primary key, which orders their
/// lists and is their paging cursor. Given on the first [`Store::put`], kept after.
pub const PK: &str = "__pk";

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
        if matches!(key, Key::Str(_)) && !rec.contains_key(PK) {
            let pk = match self.get(coll, &key).and_then(|r| r.get(PK)) {
                Some(pk) => pk.clone(),
                None => Value::from(self.next_id(&format!("{coll}#pk"))?),
            };
            rec.insert(PK.to_owned(), pk);
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
