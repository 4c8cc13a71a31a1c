//! The data-object layer of the emulator: pure logic, no HTTP and no storage.
//!
//! A Syncano class declares a `schema` (a list of typed fields); its data objects
//! carry values for those fields next to the system fields every object has.
//! This module holds everything the HTTP layer needs to emulate that behaviour:
//!
//! - [`schema`]: parsing and validating a class `schema` ([`schema::parse_class_schema`]).
//! - [`validate`]: checking and coercing an object's field values on create and update,
//!   including the write operators `_increment`, `_add`, `_addunique` and `_remove`
//!   ([`validate::validate_object`]), and rendering stored values the way the API shows
//!   them ([`validate::represent_object`]).
//! - [`query`]: the `query` list parameter (`{"field": {"_op": value}}`), parsed into a
//!   [`query::Query`] that can be evaluated against stored objects.
//! - [`ordering`]: the `order_by` list parameter and the keyset cursor (`last_pk`,
//!   `last_value`) used for paging ([`ordering::OrderBy`]).
//! - [`datetime`]: the API's datetime format and the lenient form filters accept.
//! - [`errors`]: the `{"field": ["message"]}` error map.
//!
//! # Wiring (what the engine does)
//! - Class create/update: [`schema::parse_class_schema_with`] on the `schema` body value
//!   (400 with the returned map), keep the `Vec<ClassField>`, show it with
//!   [`schema::schema_to_json`].
//! - Object create / update: [`validate::validate_object_with`] with the class fields,
//!   the body, the stored object (`None` on create) and a [`validate::RefResolver`];
//!   replace the object's class fields with the result, check `unique` fields
//!   ([`validate::UNIQUE_MESSAGE`]), then set the system fields.
//! - Object list: for each `query` parameter [`query::parse_query_with`] (400
//!   `QueryError::body()`), [`query::Query::resolve_nested`] for `_is`, filter with
//!   [`query::Query::matches`]; [`ordering::parse_order_by`] (or
//!   [`ordering::OrderBy::by_id`]); the page is read from an index in
//!   [`ordering::OrderBy::index_order`] from [`ordering::OrderBy::cursor_key`] (the
//!   cursor from `last_pk` / `last_value` / `direction`), and is the page
//!   [`ordering::OrderBy::select_page`] selects from the whole class; links carry
//!   [`ordering::OrderBy::cursor_value`] as `last_value`.
//! - Responses: [`validate::represent_object`] for the class fields.
//!
//! # Stored form of an object
//! Every function here works on the *stored form* of an object: a JSON map holding the
//! system fields and the class fields, with these conventions:
//!
//! | field | stored as |
//! |---|---|
//! | `id`, `revision`, `owner`, `group` | JSON integers (`owner` / `group` absent or `null` when unset) |
//! | `created_at`, `updated_at` | strings in the API format, `2026-11-22T17:37:25.474230Z` |
//! | `channel` | the channel name (string), `channel_room` a string |
//! | `string`, `text` fields | strings |
//! | `file` fields | the stored file's name (`<40 hex digits>.<ext>`; its bytes are a blob of the store, its URL is built when rendering) |
//! | `integer` / `float` fields | JSON numbers |
//! | `boolean` fields | JSON booleans |
//! | `datetime` fields | strings in the API format (UTC, microseconds, `Z`) |
//! | `reference` fields | the referenced object's id (integer) |
//! | `relation` fields | a sorted list of ids, never empty |
//! | `object` / `array` fields | the JSON value itself |
//! | `geopoint` fields | `{"latitude": f64, "longitude": f64}` |
//!
//! A class field without a value is simply absent from the map (a `null` is treated the
//! same way). [`validate::represent_object`] turns the stored class fields into the
//! response shapes of the API (`{"type": "datetime", "value": …}` and so on).

pub mod datetime;
pub mod errors;
pub mod ordering;
#[cfg(test)]
mod proptests;
pub mod query;
pub mod schema;
pub mod validate;

pub use errors::{FieldErrors, NON_FIELD_ERRORS};
pub use ordering::{Direction, OrderBy, OrderByError, parse_order_by};
pub use query::{Query, QueryError, parse_query, parse_query_with};
pub use schema::{ClassField, FieldKind, parse_class_schema};
pub use validate::{represent_object, validate_object};
