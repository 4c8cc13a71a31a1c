//! SQLite persistence (write-through). One table of records keyed by
//! (collection path, key) — the fields as JSON and, beside them, the record's
//! bookkeeping ([`crate::store::Meta`]) as JSON — one table of counters and one of
//! blobs (the bytes of uploaded files, by name).
//!
//! The file's format version is SQLite's `user_version`: 0 or 1 for files written
//! before the bookkeeping had its own column (it was kept among the fields under
//! hidden `__` keys), [`FORMAT`] now. Opening an older file migrates it in place, in
//! one transaction; a newer one is refused with a message telling how to start over.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, params};
use serde_json::Value;

use crate::store::{Blob, Collection, Key, Record, StoreError};

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// The format version this emulator writes (`PRAGMA user_version`).
pub const FORMAT: i64 = 2;

/// The on-disk store.
pub struct Persist {
    conn: Connection,
}

type Loaded = (
    BTreeMap<String, Collection>,
    BTreeMap<String, i64>,
    BTreeMap<String, Blob>,
);

impl Persist {
    /// Opens (or creates) `emulator.sqlite3` inside `dir`. The file holds keys and
    /// passwords: on unix a directory created here is 0700, and the database file and
    /// its `-wal`/`-shm` companions are made 0600 (an existing directory keeps its
    /// mode).
    pub fn open(dir: &Path) -> Result<Persist, StoreError> {
        create_private_dir(dir).map_err(err)?;
        let path = dir.join("emulator.sqlite3");
        create_private_file(&path).map_err(err)?;
        let conn = Connection::open(&path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS records (
                 coll TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                 meta TEXT NOT NULL DEFAULT '{}',
                 PRIMARY KEY (coll, key));
             CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, value BLOB NOT NULL);",
        )
        .map_err(err)?;
        for companion in ["emulator.sqlite3-wal", "emulator.sqlite3-shm"] {
            restrict_file(&dir.join(companion)).map_err(err)?;
        }
        migrate(&conn, &path)?;
        Ok(Persist { conn })
    }

    /// Reads everything.
    pub fn load(&self) -> Result<Loaded, StoreError> {
        let mut collections: BTreeMap<String, Collection> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT coll, key, value, meta FROM records")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(err)?;
        for row in rows {
            let (coll, key, value, meta) = row.map_err(err)?;
            let key = Key::decode(&key).ok_or_else(|| err(format!("bad key {key:?}")))?;
            let fields = match serde_json::from_str::<Value>(&value).map_err(err)? {
                Value::Object(m) => m,
                _ => return Err(err("stored record is not an object")),
            };
            let rec = Record {
                fields,
                meta: serde_json::from_str(&meta).map_err(err)?,
            };
            collections.entry(coll).or_default().insert(key, rec);
        }
        let mut counters = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT name, value FROM counters")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(err)?;
        for row in rows {
            let (k, v) = row.map_err(err)?;
            counters.insert(k, v);
        }
        let mut blobs = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT name, value FROM blobs")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(err)?;
        for row in rows {
            let (k, v) = row.map_err(err)?;
            blobs.insert(k, Blob::from(v));
        }
        Ok((collections, counters, blobs))
    }

    /// BEGIN.
    pub fn begin(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)
    }

    /// COMMIT.
    pub fn commit(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(err)
    }

    /// ROLLBACK (errors ignored: nothing more can be done).
    pub fn rollback(&self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    /// Upsert one record.
    pub fn put(&self, coll: &str, key: &Key, rec: &Record) -> Result<(), StoreError> {
        let value = serde_json::to_string(&rec.fields).map_err(err)?;
        let meta = serde_json::to_string(&rec.meta).map_err(err)?;
        self.conn
            .execute(
                "INSERT INTO records (coll, key, value, meta) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (coll, key) DO UPDATE SET value = excluded.value, meta = excluded.meta",
                params![coll, key.encode(), value, meta],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Delete one record.
    pub fn remove(&self, coll: &str, key: &Key) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM records WHERE coll = ?1 AND key = ?2",
                params![coll, key.encode()],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Upsert one blob.
    pub fn put_blob(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO blobs (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, bytes],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Delete one blob.
    pub fn remove_blob(&self, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM blobs WHERE name = ?1", params![name])
            .map(|_| ())
            .map_err(err)
    }

    /// Delete every collection, counter and blob under a prefix.
    pub fn remove_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let n = prefix.chars().count() as i64;
        self.conn
            .execute(
                "DELETE FROM records WHERE substr(coll, 1, ?2) = ?1",
                params![prefix, n],
            )
            .map_err(err)?;
        self.conn
            .execute(
                "DELETE FROM blobs WHERE substr(name, 1, ?2) = ?1",
                params![prefix, n],
            )
            .map_err(err)?;
        self.conn
            .execute(
                "DELETE FROM counters WHERE substr(name, 1, ?2) = ?1",
                params![prefix, n],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Rename a prefix on every collection, counter and blob.
    pub fn move_prefix(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let n = from.chars().count() as i64;
        self.conn
            .execute(
                "UPDATE blobs SET name = ?3 || substr(name, ?2 + 1) WHERE substr(name, 1, ?2) = ?1",
                params![from, n, to],
            )
            .map_err(err)?;
        self.conn
            .execute(
                "UPDATE records SET coll = ?3 || substr(coll, ?2 + 1) WHERE substr(coll, 1, ?2) = ?1",
                params![from, n, to],
            )
            .map_err(err)?;
        self.conn
            .execute(
                "UPDATE counters SET name = ?3 || substr(name, ?2 + 1) WHERE substr(name, 1, ?2) = ?1",
                params![from, n, to],
            )
            .map(|_| ())
            .map_err(err)
    }

    /// Store a counter value.
    pub fn set_counter(&self, name: &str, value: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(|_| ())
            .map_err(err)
    }
}

/// Creates `dir` (and its missing parents) readable by its owner only (unix).
/// Brings the file at `path` to [`FORMAT`]: a file of format 0 or 1 gets the `meta`
/// column and every record's hidden `__` keys move there, in one transaction; a
/// file of a newer format is refused.
fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if version > FORMAT {
        return Err(err(format!(
            "{} was written by a newer emulator (format {version}; this one reads up to \
             {FORMAT}): start that emulator, or move the data directory away to start empty",
            path.display()
        )));
    }
    if version == FORMAT {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
    let result = migrate_records(conn);
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(err),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The migration to [`FORMAT`] (inside the caller's transaction).
fn migrate_records(conn: &Connection) -> Result<(), StoreError> {
    let has_meta = conn
        .prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'meta'")
        .and_then(|mut s| s.exists([]))
        .map_err(err)?;
    if !has_meta {
        conn.execute_batch("ALTER TABLE records ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
            .map_err(err)?;
    }
    let rows: Vec<(String, String, String)> = {
        let mut stmt = conn
            .prepare("SELECT coll, key, value FROM records")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)?
    };
    for (coll, key, value) in rows {
        let Value::Object(fields) = serde_json::from_str::<Value>(&value).map_err(err)? else {
            return Err(err(format!("stored record {coll}{key} is not an object")));
        };
        let rec = Record::from_fields(fields);
        conn.execute(
            "UPDATE records SET value = ?3, meta = ?4 WHERE coll = ?1 AND key = ?2",
            params![
                coll,
                key,
                serde_json::to_string(&rec.fields).map_err(err)?,
                serde_json::to_string(&rec.meta).map_err(err)?
            ],
        )
        .map_err(err)?;
    }
    conn.execute_batch(&format!("PRAGMA user_version = {FORMAT}"))
        .map_err(err)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` empty, if missing, readable and writable by its owner only (unix),
/// so that SQLite never creates it with the process's default mode; an existing
/// file is made so too.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path)?);
    restrict_file(path)
}

/// Makes an existing `path` readable and writable by its owner only (unix); a
/// missing one is left missing.
fn restrict_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn prefixes_move_and_vanish_with_non_ascii_names() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(err)?;
        {
            let mut s = Store::with_persist(Persist::open(dir.path())?)?;
            let mut r = Record::new();
            r.insert("v".into(), Value::from(1));
            s.put(
                "/v1.1/instances/żółw/classes/",
                Key::Str("a".into()),
                r.clone(),
            )?;
            s.put(
                "/v1.1/instances/żółw2/classes/",
                Key::Str("b".into()),
                r.clone(),
            )?;
            s.put("/v1.1/instances/other/classes/", Key::Int(7), r)?;
            s.put_blob(
                "/v1.1/instances/żółw/hosting/1/files/2/#file",
                Blob::from("abc"),
            )?;
            s.put_blob(
                "/v1.1/instances/other/hosting/1/files/2/#file",
                Blob::from("x"),
            )?;
            s.next_id("/v1.1/instances/żółw/#objects")?;
            s.commit()?;
            s.move_prefix("/v1.1/instances/żółw/", "/v1.1/instances/turtle/")?;
            s.remove_prefix("/v1.1/instances/other/")?;
            s.commit()?;
        }
        let mut s = Store::with_persist(Persist::open(dir.path())?)?;
        assert!(
            s.get("/v1.1/instances/turtle/classes/", &Key::Str("a".into()))
                .is_some()
        );
        assert!(
            s.get("/v1.1/instances/żółw2/classes/", &Key::Str("b".into()))
                .is_some()
        );
        assert!(s.collection("/v1.1/instances/żółw/classes/").is_none());
        assert!(
            s.get("/v1.1/instances/other/classes/", &Key::Int(7))
                .is_none()
        );
        assert_eq!(s.next_id("/v1.1/instances/turtle/#objects")?, 2);
        assert_eq!(
            s.blob("/v1.1/instances/turtle/hosting/1/files/2/#file")
                .map(|b| b.to_vec()),
            Some(b"abc".to_vec())
        );
        assert!(
            s.blob("/v1.1/instances/other/hosting/1/files/2/#file")
                .is_none()
        );
        Ok(())
    }

    /// A data directory as emulators before format 2 wrote it: no `meta` column,
    /// bookkeeping among the fields under `__` keys.
    fn write_format_1(dir: &Path) -> Result<(), StoreError> {
        let conn = Connection::open(dir.join("emulator.sqlite3")).map_err(err)?;
        conn.execute_batch(
            "CREATE TABLE records (coll TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                 PRIMARY KEY (coll, key));
             CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE blobs (name TEXT PRIMARY KEY, value BLOB NOT NULL);",
        )
        .map_err(err)?;
        for (coll, key, value) in [
            (
                "/v1.1/instances/",
                "s:old",
                r#"{"name": "old", "__pk": 3, "__owner_account": 1}"#,
            ),
            (
                "/v1.1/instances/old/users/",
                "i:1",
                r#"{"username": "ann", "__profile_id": 5}"#,
            ),
            (
                "/v1.1/instances/old/classes/book/objects/",
                "i:2",
                r#"{"cover": "x.png", "__cover_name": "me.png", "__cover_type": "image/png"}"#,
            ),
        ] {
            conn.execute(
                "INSERT INTO records (coll, key, value) VALUES (?1, ?2, ?3)",
                params![coll, key, value],
            )
            .map_err(err)?;
        }
        Ok(())
    }

    #[test]
    fn a_format_1_data_dir_is_migrated_with_its_bookkeeping_beside_the_fields()
    -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(err)?;
        write_format_1(dir.path())?;
        for _ in 0..2 {
            // the second open reads the migrated file as it is
            let s = Store::with_persist(Persist::open(dir.path())?)?;
            let inst = s
                .get("/v1.1/instances/", &Key::Str("old".into()))
                .ok_or_else(|| err("instance lost"))?;
            assert_eq!(inst.meta.pk, Some(3));
            assert_eq!(inst.meta.owner_account, Some(1));
            assert_eq!(inst.to_value(), serde_json::json!({"name": "old"}));
            let user = s
                .get("/v1.1/instances/old/users/", &Key::Int(1))
                .ok_or_else(|| err("user lost"))?;
            assert_eq!(user.meta.profile_id, Some(5));
            assert!(!user.contains_key("__profile_id"));
            let object = s
                .get("/v1.1/instances/old/classes/book/objects/", &Key::Int(2))
                .ok_or_else(|| err("object lost"))?;
            let cover = object.meta.files.get("cover").cloned().unwrap_or_default();
            assert_eq!(cover.name, "me.png");
            assert_eq!(cover.content_type, "image/png");
            assert_eq!(object.to_value(), serde_json::json!({"cover": "x.png"}));
        }
        let conn = Connection::open(dir.path().join("emulator.sqlite3")).map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        assert_eq!(version, FORMAT);
        Ok(())
    }

    #[test]
    fn a_data_dir_of_a_newer_format_is_refused_with_a_way_out() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(err)?;
        drop(Persist::open(dir.path())?);
        let conn = Connection::open(dir.path().join("emulator.sqlite3")).map_err(err)?;
        conn.execute_batch(&format!("PRAGMA user_version = {}", FORMAT + 1))
            .map_err(err)?;
        drop(conn);
        let Err(e) = Persist::open(dir.path()) else {
            return Err(err("a newer format was opened"));
        };
        assert!(e.0.contains("newer emulator"), "{e}");
        assert!(e.0.contains("move the data directory away"), "{e}");
        Ok(())
    }
}
