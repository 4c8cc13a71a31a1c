//! Data-object fields of type `file`, as the platform keeps them (`apps/data/fields.py`).
//!
//! - **Writing**: a file part named after a `file` class field of a
//!   `multipart/form-data` create or update stores the bytes; a string value must be the
//!   URL of a file of the same instance, which is copied (`File URL is invalid.` for
//!   any other string, `Existing file does not exist.` when it is gone); `null`
//!   clears the field and deletes the file. A file replaced or cleared is deleted.
//! - **Storing**: the record holds the stored file's name (`<40 hex digits><.ext>`, the
//!   platform's `generate_key()` plus the lowercased extension of the uploaded name) and,
//!   under internal keys, the uploaded name and content type; the bytes are the blob
//!   [`blob_name`]`(objects, id, field)`, under the object's path, so they go with the
//!   object, its class and its instance, and persist with `--data-dir`.
//! - **Serving**: objects render the field as `{"type": "file", "value": "<url>"}` with
//!   the absolute URL `http://<host>/media/<instance>/<class>/<stored name>` (absolute
//!   as the platform's storage URLs are; `<host>` from the request's `Host` header, a
//!   path alone for a request made inside the process); `GET` on it answers the bytes with the
//!   uploaded content type, without asking for a key (storage URLs are public on the
//!   platform: the random name is the secret).

use rand::RngCore;
use serde_json::{Map, Value, json};

use crate::api::{FilePart, HResult, Resp};
use crate::classes::{class_fields, objects_coll};
use crate::context::Ctx;
use crate::dataobjects::schema::{ClassField, FieldKind};
use crate::dataobjects::validate::{FILE_EXTENSION_MAX, file_part_error};
use crate::spec::encode_segment;
use crate::store::{Blob, FileMeta, Key, Record, Store, blob_name};

/// The path prefix of stored files (the platform's `MEDIA_URL`).
pub const MEDIA_PREFIX: &str = "/media/";

/// The instance name of an instance path (`/v1.1/instances/<name>/`).
pub fn instance_name(base: &str) -> String {
    let seg = crate::spec::split(base).get(2).copied().unwrap_or_default();
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// The URL prefix of the stored files of one instance.
fn instance_prefix(instance: &str) -> String {
    format!("{MEDIA_PREFIX}{}/", encode_segment(instance))
}

/// The URL of a stored file.
pub fn media_url(instance: &str, class: &str, stored: &str) -> String {
    format!(
        "{}{}/{}",
        instance_prefix(instance),
        encode_segment(class),
        encode_segment(stored)
    )
}

/// Whether a stored `file` value is the name of a file the emulator holds (rather than
/// a URL stored by an older emulator, shown as it is).
fn is_stored_name(value: &str) -> bool {
    !value.is_empty() && !value.contains('/')
}

/// A new stored name for a file uploaded as `file_name`.
fn stored_name(file_name: &str) -> String {
    let mut key = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut key);
    let mut name: String = key.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(ext) = std::path::Path::new(file_name).extension() {
        let ext: String = ext
            .to_string_lossy()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(FILE_EXTENSION_MAX - 1)
            .collect();
        if !ext.is_empty() {
            name.push('.');
            name.push_str(&ext);
        }
    }
    name
}

/// Shows the stored `file` fields of a rendered object as absolute URLs (`origin`
/// followed by the [`media_url`]), which a client downloads as they are, as it does
/// the platform's storage URLs.
pub fn show_urls(
    origin: &str,
    instance: &str,
    class: &str,
    fields: &[ClassField],
    out: &mut Map<String, Value>,
) {
    for f in fields.iter().filter(|f| f.ty == FieldKind::File) {
        if let Some(Value::String(v)) = out.get_mut(&f.name).and_then(|o| o.get_mut("value")) {
            if is_stored_name(v) {
                *v = format!("{origin}{}", media_url(instance, class, v));
            }
        }
    }
}

/// The path of a file URL: an absolute URL (`http://host/media/...`, as objects
/// show them) loses its scheme and authority; a path stays as it is.
fn url_path(url: &str) -> &str {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return url;
    };
    rest.find('/').map_or("", |i| &rest[i..])
}

/// A stored file: its bytes and the name and content type it was uploaded with.
#[derive(Clone)]
pub struct StoredBytes {
    /// The bytes.
    pub bytes: Blob,
    /// The uploaded file's name.
    pub file_name: String,
    /// The uploaded content type.
    pub content_type: String,
}

/// The stored file at `url` (a path, still percent-encoded): the object field holding
/// it, looked up in the class's objects.
pub fn find(store: &Store, url: &str) -> Option<StoredBytes> {
    let rest = url_path(url).strip_prefix(MEDIA_PREFIX)?;
    let segs: Vec<String> = rest
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let [instance, class, name] = segs.as_slice() else {
        return None;
    };
    if !is_stored_name(name) {
        return None;
    }
    let base = crate::spec::join(&["v1.1".into(), "instances".into(), instance.clone()]);
    let class_rec = store.get(&format!("{base}classes/"), &Key::Str(class.clone()))?;
    let fields = class_fields(class_rec);
    let coll = objects_coll(&base, class);
    store.collection(&coll)?.iter().find_map(|(key, rec)| {
        let field = fields
            .iter()
            .filter(|f| f.ty == FieldKind::File)
            .find(|f| rec.get(&f.name).and_then(Value::as_str) == Some(name.as_str()))?;
        let bytes = store.blob(&blob_name(&coll, key, &field.name))?.clone();
        let given = rec.meta.files.get(&field.name);
        Some(StoredBytes {
            bytes,
            file_name: given.map_or_else(|| name.clone(), |f| f.name.clone()),
            content_type: given.map_or_else(
                || "application/octet-stream".to_owned(),
                |f| f.content_type.clone(),
            ),
        })
    })
}

/// Checks a `file` value given as a string, for the data-object validator: the URL
/// of a stored file of `instance`.
pub fn check_url(store: &Store, instance: &str, url: &str) -> Result<(), &'static str> {
    use crate::dataobjects::validate::{INVALID_FILE_URL, MISSING_FILE};
    if !url_path(url).starts_with(&instance_prefix(instance)) {
        return Err(INVALID_FILE_URL);
    }
    find(store, url).map(|_| ()).ok_or(MISSING_FILE)
}

/// The file parts of an object write that concern class fields, checked: parts for
/// `file` fields are returned (and their names taken out of `input`: a file part wins
/// over a text part of the same name, as in Django's `request.data`); a part for a
/// field of another kind, or with a too long extension, adds an error. Parts for
/// names that are not class fields are ignored, as unknown keys are.
pub fn take_parts(
    fields: &[ClassField],
    files: &[FilePart],
    input: &mut Map<String, Value>,
    errors: &mut Map<String, Value>,
) -> Vec<FilePart> {
    let mut taken = Vec::new();
    for part in files {
        let Some(field) = fields.iter().find(|f| f.name == part.name) else {
            continue;
        };
        input.remove(&part.name);
        match file_part_error(field.ty, &part.file_name) {
            Some(message) => {
                errors.insert(part.name.clone(), json!([message]));
            }
            None => taken.push(part.clone()),
        }
    }
    taken
}

/// The object whose `file` fields a write sets, once its class-field data is validated
/// (see [`FileWrite::apply`]).
pub struct FileWrite<'a> {
    /// The objects collection.
    pub coll: &'a str,
    /// The object's id.
    pub id: i64,
    /// The class fields.
    pub fields: &'a [ClassField],
}

impl FileWrite<'_> {
    /// Writes the `file` fields: `data` is the object's class-field data after the write
    /// (string values of `file` fields given in `input` are checked URLs to copy from),
    /// `parts` the checked file parts, `rec` the record being written (holding the
    /// state before the write on update). Stores new bytes under the object, deletes
    /// cleared files, puts stored names into `data` and the uploaded names and content
    /// types on `rec`.
    pub fn apply(
        &self,
        ctx: &mut Ctx<'_>,
        input: &Map<String, Value>,
        parts: &[FilePart],
        data: &mut Map<String, Value>,
        rec: &mut Record,
    ) -> HResult<()> {
        let key = Key::Int(self.id);
        for field in self.fields.iter().filter(|f| f.ty == FieldKind::File) {
            let name = &field.name;
            let blob = blob_name(self.coll, &key, name);
            let new = if let Some(part) = parts.iter().find(|p| &p.name == name) {
                Some(StoredBytes {
                    bytes: part.bytes.clone(),
                    file_name: part.file_name.clone(),
                    content_type: part.content_type.clone(),
                })
            } else if input.get(name).is_some_and(|v| !v.is_null()) {
                // a URL checked by the validator: copy the file it names
                let url = data.get(name).and_then(Value::as_str).unwrap_or_default();
                let source = find(ctx.store, url).ok_or_else(|| {
                    Resp::field_error(name, crate::dataobjects::validate::MISSING_FILE)
                })?;
                Some(source)
            } else {
                None
            };
            match new {
                Some(file) => {
                    let stored = stored_name(&file.file_name);
                    ctx.store.put_blob(&blob, file.bytes)?;
                    data.insert(name.clone(), Value::String(stored));
                    rec.meta.files.insert(
                        name.clone(),
                        FileMeta {
                            name: file.file_name,
                            content_type: file.content_type,
                        },
                    );
                }
                None if !data.contains_key(name) => {
                    // cleared (or never set): the bytes go
                    let had = rec.meta.files.remove(name).is_some();
                    if had || input.contains_key(name) {
                        ctx.store.remove_blob(&blob)?;
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_keep_a_short_lowercase_extension() {
        let name = stored_name("Cover.JPG");
        assert_eq!(name.len(), 40 + 4, "{name}");
        assert!(name.ends_with(".jpg"));
        assert_eq!(stored_name("noext").len(), 40);
        assert_ne!(stored_name("a"), stored_name("a"), "random");
        assert!(is_stored_name(&name) && !is_stored_name("https://x/y.txt"));
    }

    #[test]
    fn urls_are_encoded_per_segment() {
        assert_eq!(
            media_url("my inst", "books", "ab.txt"),
            "/media/my%20inst/books/ab.txt"
        );
    }
}
