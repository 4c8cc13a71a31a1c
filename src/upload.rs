//! Files: [`Upload`] (a file to send), [`Multipart`] (a `multipart/form-data` body) and
//! [`StoredFile`] (what a response says about a file field).
//!
//! Fields of type `file` in the schema (a hosting file's `file`, the APNs certificates)
//! are [`Upload`]s in the generated payloads, and the managers send those payloads as
//! `multipart/form-data`: every file as a file part, every other field as a text part.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use syncano::{HostingFileCreate, Upload};
//!
//! let page = Upload::from_bytes("index.html", "<h1>Hello</h1>");
//! let files = client.instances().hosting("library").files(1);
//! let stored = files.create(&HostingFileCreate::new("index.html", page)).await?;
//! println!("{} bytes, MD5 {:?}", stored.size.unwrap_or(0), stored.checksum);
//!
//! // from disk; the content type is guessed from the extension (`.p12`: application/x-pkcs12)
//! let css = Upload::from_path("site/style.css").await?;
//! files.create(&HostingFileCreate::new("css/style.css", css)).await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::path::Path;

use bytes::Bytes;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// The content type of an upload whose name says nothing more specific.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// A file to upload: its name, its content type and its bytes.
///
/// Cheap to clone (the bytes are shared). `Debug` shows the name, the content type and
/// the length, never the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    file_name: String,
    content_type: String,
    bytes: Bytes,
}

impl Upload {
    /// A file named `file_name` holding `bytes`, its content type guessed from the
    /// name's extension ([`DEFAULT_CONTENT_TYPE`] when unknown).
    pub fn from_bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Upload {
        let file_name = file_name.into();
        let content_type = guess_content_type(&file_name).to_string();
        Upload {
            file_name,
            content_type,
            bytes: bytes.into(),
        }
    }

    /// Reads the file at `path` (with `tokio::fs`); the upload takes the file's name and
    /// a content type guessed from its extension.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Upload> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path).await.map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_string());
        Ok(Upload::from_bytes(name, bytes))
    }

    /// Sets the content type (e.g. `application/x-pkcs12` for an APNs certificate).
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Upload {
        self.content_type = content_type.into();
        self
    }

    /// Sets the file name sent with the bytes (the content type is kept).
    #[must_use]
    pub fn file_name(mut self, file_name: impl Into<String>) -> Upload {
        self.file_name = file_name.into();
        self
    }

    /// The file name sent with the bytes.
    pub fn name(&self) -> &str {
        &self.file_name
    }

    /// The content type sent with the bytes.
    pub fn mime_type(&self) -> &str {
        &self.content_type
    }

    /// The bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The content type for a file name, from its extension (case-insensitive), as
/// [`mime_guess`] knows it: the first type registered for the extension, or
/// [`DEFAULT_CONTENT_TYPE`] for a name without an extension or with an unknown one.
pub fn guess_content_type(file_name: &str) -> &'static str {
    mime_guess::from_path(file_name)
        .first_raw()
        .unwrap_or(DEFAULT_CONTENT_TYPE)
}

/// One part of a [`Multipart`] body.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// A text field: `name` = `value`.
    Text {
        /// The field name.
        name: String,
        /// The value.
        value: String,
    },
    /// A file field.
    File {
        /// The field name.
        name: String,
        /// The file.
        upload: Upload,
    },
}

impl Part {
    /// The field name of the part.
    pub fn name(&self) -> &str {
        match self {
            Part::Text { name, .. } | Part::File { name, .. } => name,
        }
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Text { name, value } => f
                .debug_struct("Text")
                .field("name", name)
                .field("len", &value.len())
                .finish(),
            Part::File { name, upload } => f
                .debug_struct("File")
                .field("name", name)
                .field("upload", upload)
                .finish(),
        }
    }
}

/// A `multipart/form-data` body, kept as its parts so it can be sent again (a retry, a
/// re-login) and inspected by a [`Transport`](crate::transport::Transport). `Debug`
/// shows the part names and sizes, never the values (they may hold secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    parts: Vec<Part>,
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Multipart {
        Multipart::default()
    }

    /// A form with one text part per top-level field of `fields` (which must serialize
    /// as a JSON object): strings as they are, other values as JSON text; `null`s are
    /// left out, as a form cannot say `null`.
    ///
    /// # Errors
    /// When `fields` cannot be serialized, or is not an object.
    pub fn from_fields<B: Serialize + ?Sized>(fields: &B) -> serde_json::Result<Multipart> {
        let value = serde_json::to_value(fields)?;
        let Value::Object(map) = value else {
            return Err(de::Error::custom(
                "a multipart form is built from a JSON object",
            ));
        };
        let mut form = Multipart::new();
        for (name, value) in map {
            match value {
                Value::Null => {}
                Value::String(s) => form = form.text(name, s),
                other => form = form.text(name, other.to_string()),
            }
        }
        Ok(form)
    }

    /// Adds a text part.
    #[must_use]
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Multipart {
        self.parts.push(Part::Text {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a file part.
    #[must_use]
    pub fn file(mut self, name: impl Into<String>, upload: Upload) -> Multipart {
        self.parts.push(Part::File {
            name: name.into(),
            upload,
        });
        self
    }

    /// The parts, in the order they are sent.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The total size of the values (text and file bytes), without the framing.
    pub fn payload_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text { value, .. } => value.len(),
                Part::File { upload, .. } => upload.len(),
            })
            .sum()
    }

    /// The form as a `reqwest` form (built anew for every send).
    pub(crate) fn to_reqwest(&self) -> Result<reqwest::multipart::Form> {
        let mut form = reqwest::multipart::Form::new();
        for part in &self.parts {
            form = match part {
                Part::Text { name, value } => form.text(name.clone(), value.clone()),
                Part::File { name, upload } => {
                    let file = reqwest::multipart::Part::stream_with_length(
                        reqwest::Body::from(upload.bytes.clone()),
                        upload.bytes.len() as u64,
                    )
                    .file_name(upload.file_name.clone())
                    .mime_str(&upload.content_type)
                    .map_err(|_| {
                        Error::InvalidRequest(format!(
                            "the content type {:?} of the upload {:?} is not a valid MIME type",
                            upload.content_type, upload.file_name
                        ))
                    })?;
                    form.part(name.clone(), file)
                }
            };
        }
        Ok(form)
    }
}

/// What a response says about a `file` field: a URL to fetch the file from, or only
/// whether one is set.
///
/// The API renders file fields in more than one way: APNs certificates as `true` /
/// `false` (the certificate itself is never sent back), data-object files as
/// `{"type": "file", "value": "<url>"}`, other files as a URL string. Decoding accepts
/// all of them; `null`, `false` and `""` read as [`StoredFile::Set(false)`](StoredFile::Set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredFile {
    /// Whether a file is set (the API does not say where).
    Set(bool),
    /// A file is set and can be fetched from this URL.
    Url(String),
}

impl StoredFile {
    /// Whether a file is set.
    pub fn is_set(&self) -> bool {
        match self {
            StoredFile::Set(set) => *set,
            StoredFile::Url(_) => true,
        }
    }

    /// The URL of the file, when the API gave one.
    pub fn url(&self) -> Option<&str> {
        match self {
            StoredFile::Url(url) => Some(url),
            StoredFile::Set(_) => None,
        }
    }

    fn from_value(value: Value) -> StoredFile {
        match value {
            Value::Null => StoredFile::Set(false),
            Value::Bool(set) => StoredFile::Set(set),
            Value::String(s) if s.is_empty() => StoredFile::Set(false),
            Value::String(url) => StoredFile::Url(url),
            Value::Object(mut map) => match map.remove("value").or_else(|| map.remove("url")) {
                Some(inner) => StoredFile::from_value(inner),
                None => StoredFile::Set(!map.is_empty()),
            },
            // an unknown shape: something is there
            Value::Number(_) | Value::Array(_) => StoredFile::Set(true),
        }
    }
}

impl Serialize for StoredFile {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            StoredFile::Set(set) => serializer.serialize_bool(*set),
            StoredFile::Url(url) => serializer.serialize_str(url),
        }
    }
}

impl<'de> Deserialize<'de> for StoredFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Value::deserialize(deserializer).map(StoredFile::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_shows_the_length_not_the_bytes() {
        let upload = Upload::from_bytes("cert.p12", b"very secret bytes".to_vec());
        let shown = format!("{upload:?}");
        assert!(shown.contains("cert.p12") && shown.contains("application/x-pkcs12"));
        assert!(shown.contains("len: 17"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
        let form = Multipart::new()
            .text("password", "hunter2")
            .file("f", upload);
        assert!(!format!("{form:?}").contains("hunter2"));
    }

    #[test]
    fn content_types_come_from_the_extension_unless_set() {
        assert_eq!(Upload::from_bytes("a.HTML", "").mime_type(), "text/html");
        assert_eq!(
            Upload::from_bytes("noext", "").mime_type(),
            DEFAULT_CONTENT_TYPE
        );
        assert_eq!(
            Upload::from_bytes("photo.JPG", "").mime_type(),
            "image/jpeg"
        );
        assert_eq!(
            Upload::from_bytes("cert.p12", "").mime_type(),
            "application/x-pkcs12"
        );
        assert_eq!(
            Upload::from_bytes("a.no-such-extension", "").mime_type(),
            DEFAULT_CONTENT_TYPE
        );
        let set = Upload::from_bytes("a.bin", "").content_type("application/x-pkcs12");
        assert_eq!(set.mime_type(), "application/x-pkcs12");
    }

    #[test]
    fn fields_become_text_parts() -> serde_json::Result<()> {
        let form = Multipart::from_fields(&json!({
            "path": "a/b.txt", "n": 3, "flag": true, "list": ["x"], "gone": null
        }))?;
        let texts: Vec<(&str, &str)> = form
            .parts()
            .iter()
            .filter_map(|p| match p {
                Part::Text { name, value } => Some((name.as_str(), value.as_str())),
                Part::File { .. } => None,
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("path", "a/b.txt"),
                ("n", "3"),
                ("flag", "true"),
                ("list", "[\"x\"]")
            ]
        );
        assert!(Multipart::from_fields(&json!([1])).is_err());
        Ok(())
    }

    #[test]
    fn stored_files_decode_whatever_the_server_sends() -> serde_json::Result<()> {
        let read = |v: Value| serde_json::from_value::<StoredFile>(v);
        assert_eq!(read(json!(true))?, StoredFile::Set(true));
        assert_eq!(read(json!(false))?, StoredFile::Set(false));
        assert_eq!(read(json!(null))?, StoredFile::Set(false));
        assert_eq!(read(json!(""))?, StoredFile::Set(false));
        assert_eq!(
            read(json!({"type": "file", "value": "http://h/f.txt"}))?.url(),
            Some("http://h/f.txt")
        );
        assert!(read(json!("http://h/x"))?.is_set());
        assert!(!read(json!(false))?.is_set());
        assert_eq!(serde_json::to_value(StoredFile::Set(true))?, json!(true));
        Ok(())
    }
}
