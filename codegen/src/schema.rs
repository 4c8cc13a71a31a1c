//! The schema model: a Syncano schema document (the format the API's `/v1/schema/`
//! endpoint served, and our v1.1 snapshot's format) parsed into typed values.
//!
//! [`parse`] and [`load`] accept both shapes of the real documents — fields once per
//! resource under `properties` (shape A) or per endpoint under
//! `endpoints.<name>.fields` (shape B, merged) — ignore keys they do not know, and
//! [validate](crate::validate) the result, so every model handed out is consistent:
//! path parameters match their paths, names can become Rust identifiers, `returns`
//! names an existing resource and so on.
//!
//! Resources and endpoints are sorted by name and methods are sorted, so the model
//! depends on the document's key order only where that order means something: fields
//! keep the order the document lists them in (a create's required arguments follow
//! it).

pub(crate) mod reader;

use std::path::Path;

pub use crate::validate::SchemaError;

/// A whole schema document: the resources it describes, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The resources, sorted by [`Resource::name`]; names are unique.
    pub resources: Vec<Resource>,
}

/// One resource (a kind of object the API serves, e.g. `Class`).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The resource name, CamelCase (e.g. `Class`, `CodeBoxTrace`); unique in a schema.
    pub name: String,
    /// Optional prose describing the resource (ext key `description`).
    pub description: Option<String>,
    /// Whether objects of this resource carry user-defined fields (ext key
    /// `extensible`, e.g. data objects).
    pub extensible: bool,
    /// The fields of the resource, in the order the document lists them. Shape A (`properties`) and shape B
    /// (`endpoints.<name>.fields`) are merged: `properties` first, then the `detail`
    /// endpoint's fields, then `list`'s; a custom endpoint's fields (its request body)
    /// only count when neither `properties`, `detail` nor `list` declare any.
    pub fields: Vec<Field>,
    /// The endpoints, sorted by name.
    pub endpoints: Vec<Endpoint>,
    /// The document does not know this resource's fields (ext key
    /// `fields_unknown`, written by `syncano-schema discover` for a resource it
    /// found neither metadata nor records for): its `fields` and `extensible` say
    /// nothing.
    pub fields_unknown: bool,
}

/// One endpoint of a resource: a path template and the HTTP methods it accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The endpoint name: `list`, `detail`, or a custom one (`run`, `rename`, ...).
    pub name: String,
    /// The path template, e.g. `/v1.1/instances/{instance}/classes/{name}/`.
    pub path: String,
    /// The accepted methods, sorted and deduplicated; never empty.
    pub methods: Vec<HttpMethod>,
    /// The path parameters (the document's endpoint `properties`), in path order.
    pub path_params: Vec<String>,
    /// The fields declared on this endpoint (shape B), in document order; `None` when the
    /// endpoint declares none. For a custom endpoint these describe the request body.
    pub fields: Option<Vec<Field>>,
    /// The resource the response decodes as (ext key `returns`).
    pub returns: Option<String>,
    /// `Some(false)` on a `list` endpoint that answers a plain object instead of a page.
    pub paginated: Option<bool>,
    /// The success status code (ext key `status`).
    pub status: Option<u16>,
    /// Optional prose describing the endpoint.
    pub description: Option<String>,
    /// Fields usable in a `query` filter (sorted, deduplicated).
    pub query_fields: Vec<String>,
    /// Fields usable in `order_by` (sorted, deduplicated).
    pub order_fields: Vec<String>,
    /// The method list may lack methods the server accepts (ext key
    /// `methods_incomplete`, written by `syncano-schema discover`).
    pub methods_incomplete: bool,
}

/// An HTTP method an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    /// All methods, in their sort order.
    pub const ALL: [HttpMethod; 5] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// The method as the schema document spells it (`"get"`, `"post"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Patch => "patch",
            HttpMethod::Delete => "delete",
        }
    }

    /// The method as HTTP spells it (`"GET"`, `"POST"`, ...).
    pub fn as_http(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Parses a method name, case-insensitively; `None` for anything else.
    pub fn from_name(name: &str) -> Option<HttpMethod> {
        HttpMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_http())
    }
}

/// One field of a resource, an endpoint or a nested object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field name as the API spells it (e.g. `type`, `created_at`).
    pub name: String,
    /// The field's type.
    pub ty: FieldType,
    /// The human-readable label.
    pub label: Option<String>,
    /// The server sets it; clients cannot write it.
    pub read_only: bool,
    /// Accepted on write, never returned (ext key `write_only`; passwords,
    /// `expected_revision`).
    pub write_only: bool,
    /// Required on create.
    pub required: bool,
    /// The field identifies the object (in its detail path).
    pub primary_key: bool,
    /// Maximum length of a string value.
    pub max_length: Option<u64>,
    /// Minimum length of a string value.
    pub min_length: Option<u64>,
    /// Minimum numeric value (ext).
    pub min_value: Option<f64>,
    /// Maximum numeric value (ext).
    pub max_value: Option<f64>,
    /// The server's default (ext).
    pub default: Option<serde_json::Value>,
    /// The allowed values of a `choice` field, in document order.
    pub choices: Vec<Choice>,
    /// The declared links of a `links` field, in document order.
    pub links: Vec<LinkSpec>,
    /// The attributes were guessed from sample values (ext key `inferred`, written
    /// by `syncano-schema discover`): only the field's presence is known.
    pub inferred: bool,
}

impl Field {
    /// Whether a client may send this field (= not read-only).
    pub fn is_writable(&self) -> bool {
        !self.read_only
    }
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// `string`
    String,
    /// `text`
    Text,
    /// `email`
    Email,
    /// `slug`
    Slug,
    /// `url`
    Url,
    /// `integer`
    Integer,
    /// `float`
    Float,
    /// `decimal`
    Decimal,
    /// `boolean`
    Boolean,
    /// `datetime`
    Datetime,
    /// `date`
    Date,
    /// `choice` (see [`Field::choices`])
    Choice,
    /// `field`: any JSON value
    Json,
    /// `file`: an uploaded file. Written as a part of a `multipart/form-data` body
    /// (never as JSON); what a response says about it depends on the resource (a URL, or
    /// whether a file is set).
    File,
    /// `links` (see [`Field::links`])
    Links,
    /// A nested object (`object` with `fields`, or a field without `type`), with its
    /// sub-fields sorted by name.
    Object(Vec<Field>),
}

impl FieldType {
    /// The type's name in a schema document (`"object"` for nested objects).
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Email => "email",
            FieldType::Slug => "slug",
            FieldType::Url => "url",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Datetime => "datetime",
            FieldType::Date => "date",
            FieldType::Choice => "choice",
            FieldType::Json => "field",
            FieldType::File => "file",
            FieldType::Links => "links",
            FieldType::Object(_) => "object",
        }
    }
}

/// One allowed value of a `choice` field.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The value sent over the wire.
    pub value: ChoiceValue,
    /// The human-readable name (integers in the document are turned into text).
    pub display_name: String,
}

/// The wire value of a choice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChoiceValue {
    /// An integer value.
    Int(i64),
    /// A string value.
    Str(String),
}

impl std::fmt::Display for ChoiceValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChoiceValue::Int(i) => write!(f, "{i}"),
            ChoiceValue::Str(s) => f.write_str(s),
        }
    }
}

/// One declared link of a `links` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    /// The link's name (`self`, `objects`, ...).
    pub name: String,
    /// The link's kind as the document says (`detail`, `list`, ...).
    pub kind: String,
}

impl Schema {
    /// The resource named `name`, if any.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

impl Resource {
    /// The endpoint named `name`, if any.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// The standard `list` endpoint, if declared.
    pub fn list(&self) -> Option<&Endpoint> {
        self.endpoint("list")
    }

    /// The standard `detail` endpoint, if declared.
    pub fn detail(&self) -> Option<&Endpoint> {
        self.endpoint("detail")
    }

    /// The field named `name`, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The custom endpoints (neither `list` nor `detail`), sorted by name.
    pub fn custom_endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter(|e| !e.is_standard())
    }
}

impl Endpoint {
    /// Whether the endpoint accepts `method`.
    pub fn allows(&self, method: HttpMethod) -> bool {
        self.methods.contains(&method)
    }

    /// Whether this is one of the standard endpoints `list` and `detail`.
    pub fn is_standard(&self) -> bool {
        self.name == "list" || self.name == "detail"
    }

    /// Whether a `list` endpoint answers pages (`paginated` is not `false`).
    pub fn is_paginated(&self) -> bool {
        self.paginated != Some(false)
    }
}

/// Parses and validates a schema document. `source` names the document in error
/// messages (usually its file name).
///
/// # Errors
/// A [`SchemaError`] whose `Display` is a one-line message naming `source` and the
/// resource, endpoint or field at fault: invalid JSON (with line and column), a
/// malformed entry, or any of the [validation](crate::validate) failures.
pub fn parse(json: &str, source: &str) -> Result<Schema, SchemaError> {
    let schema = reader::parse_document(json, source)?;
    crate::validate::validate(&schema, source)?;
    Ok(schema)
}

/// Like [`parse`], for a document already read as JSON.
///
/// # Errors
/// As [`parse`] (except for invalid JSON, which cannot occur here).
pub fn parse_value(doc: &serde_json::Value, source: &str) -> Result<Schema, SchemaError> {
    let schema = reader::parse_value(doc, source)?;
    crate::validate::validate(&schema, source)?;
    Ok(schema)
}

/// Reads, parses and validates the schema document at `path`.
///
/// # Errors
/// [`SchemaError::Io`] when the file cannot be read; otherwise as [`parse`].
pub fn load(path: &Path) -> Result<Schema, SchemaError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SchemaError::Io {
        file: source.clone(),
        message: e.to_string(),
    })?;
    parse(&text, &source)
}

#[cfg(test)]
mod tests;
