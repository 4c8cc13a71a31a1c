//! The `query` list parameter: `{"field": {"_op": value, ...}, ...}`, every condition ANDed.
//!
//! Fields: the system fields `id`, `created_at`, `updated_at`, `revision`, `owner`,
//! `group`, `channel` (by name) and `channel_room`, and class fields with
//! `filter_index`. Lookups per field type:
//!
//! | field | lookups |
//! |---|---|
//! | system fields, `integer`, `float`, `boolean`, `datetime` | `_gt _gte _lt _lte _eq _neq _in _nin _exists` |
//! | `string` | the above plus `_contains _icontains _startswith _istartswith _endswith _iendswith _like _ilike _ieq` |
//! | `reference` | the comparisons plus `_is` (a nested query on the target class) |
//! | `array` | `_contains` (a list of values, all present) |
//! | `relation` | `_contains` (a list of ids, all present), `_is`, `_exists` |
//! | `geopoint` | `_near` (`latitude`, `longitude`, `distance_in_kilometers` or `distance_in_miles`; default 100 miles), `_exists` |
//!
//! Lists (`_in`, `_nin`, `_contains`) hold at most 128 values. A query has at most 16
//! fields; `_is` may not nest twice. Errors carry the platform's message; the HTTP body
//! is `{"query": "<message>"}` ([`QueryError::body`]).
//!
//! Nested `_is` queries are evaluated by the engine: parse with [`parse_query_with`]
//! (which knows the instance's classes), then fill each [`NestedQuery`] with the ids
//! that match it ([`Query::resolve_nested`]) before calling [`Query::matches`].

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::datetime::{LenientError, parse_lenient_datetime};
use super::schema::{ClassField, FieldKind};

/// Maximum number of fields in one query object.
pub const MAX_QUERY_KEYS: usize = 16;
/// Maximum length of a field name in a query.
pub const MAX_QUERY_KEY_LEN: usize = 64;
/// Maximum length of the (Python `repr` of the) lookups of one field.
pub const MAX_QUERY_VALUE_LEN: usize = 8192;
/// Maximum number of values in `_in`, `_nin` and `_contains` lists.
pub const MAX_LIST_VALUES: usize = 128;
/// Maximum length of a string value in an `array` `_contains`.
pub const MAX_STRING_VALUE_LEN: usize = 128;
/// How many ids of a nested `_is` query are used, lowest ids first (platform setting
/// `DATA_OBJECT_NESTED_QUERY_LIMIT`).
pub const NESTED_QUERY_LIMIT: usize = 1000;
/// Default `_near` distance, in miles.
pub const DEFAULT_NEAR_MILES: f64 = 100.0;
/// Kilometres in a mile.
pub const KM_PER_MILE: f64 = 1.609_344;
/// Mean Earth radius used for `_near`, in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The system fields every data object can be filtered on.
pub const SYSTEM_QUERY_FIELDS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "revision",
    "owner",
    "group",
    "channel",
    "channel_room",
];

/// Model fields that exist but cannot be filtered on ("not indexed").
const UNFILTERABLE_MODEL_FIELDS: &[&str] = &[
    "owner_id",
    "group_id",
    "channel_id",
    "owner_permissions",
    "group_permissions",
    "other_permissions",
    "acl",
];

/// A rejected `query`; `message` is the platform's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The message, as the API puts it under `"query"`.
    pub message: String,
}

impl QueryError {
    fn new(message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
        }
    }

    /// The 400 response body: `{"query": "<message>"}`.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("query".into(), Value::String(self.message.clone()));
        Value::Object(map)
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

/// Gives the schema of other classes, for nested `_is` queries.
pub trait ClassLookup {
    /// The fields of the class `name` (lowercased), or `None` when there is no such
    /// class. Asked for `"user_profile"` when a field targets `"user"`.
    fn class_fields(&self, name: &str) -> Option<Vec<ClassField>>;
}

/// A [`ClassLookup`] that knows no class.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClasses;

impl ClassLookup for NoClasses {
    fn class_fields(&self, _name: &str) -> Option<Vec<ClassField>> {
        None
    }
}

/// A value a comparison lookup compares with, already converted to the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// An integer (ids, `revision`, `integer` and `reference` fields).
    Int(i64),
    /// A number (`float` fields).
    Float(f64),
    /// A string (`string` fields, `channel`, `channel_room`, `username`).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A point in time.
    Datetime(DateTime<Utc>),
}

/// The string lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    /// `_contains`: substring.
    Contains,
    /// `_icontains`: substring, ignoring case.
    IContains,
    /// `_startswith`.
    StartsWith,
    /// `_istartswith`.
    IStartsWith,
    /// `_endswith`.
    EndsWith,
    /// `_iendswith`.
    IEndsWith,
    /// `_like`: SQL `LIKE` (`%`, `_`, `\` escapes).
    Like,
    /// `_ilike`: `LIKE` ignoring case.
    ILike,
    /// `_ieq`: equal ignoring case.
    IEq,
}

impl StrOp {
    fn from_name(name: &str) -> Option<StrOp> {
        Some(match name {
            "contains" => StrOp::Contains,
            "icontains" => StrOp::IContains,
            "startswith" => StrOp::StartsWith,
            "istartswith" => StrOp::IStartsWith,
            "endswith" => StrOp::EndsWith,
            "iendswith" => StrOp::IEndsWith,
            "like" => StrOp::Like,
            "ilike" => StrOp::ILike,
            "ieq" => StrOp::IEq,
            _ => return None,
        })
    }

    fn test(self, value: &str, pattern: &str) -> bool {
        let lower = |s: &str| s.to_lowercase();
        match self {
            StrOp::Contains => value.contains(pattern),
            StrOp::IContains => lower(value).contains(&lower(pattern)),
            StrOp::StartsWith => value.starts_with(pattern),
            StrOp::IStartsWith => lower(value).starts_with(&lower(pattern)),
            StrOp::EndsWith => value.ends_with(pattern),
            StrOp::IEndsWith => lower(value).ends_with(&lower(pattern)),
            StrOp::Like => like(value, pattern),
            StrOp::ILike => like(&lower(value), &lower(pattern)),
            StrOp::IEq => lower(value) == lower(pattern),
        }
    }
}

/// Where a nested `_is` query looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NestedTarget {
    /// The class being queried (`target: "self"`).
    SelfClass,
    /// The instance's users (`target: "user"`): the nested query runs over user
    /// profiles where `id` is the user's id and `username` the user's name.
    User,
    /// Another class, by (lowercased) name.
    Class(String),
}

/// A nested `_is` query, to be resolved by the engine into the ids it matches.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedQuery {
    /// The class (or users) the query runs over.
    pub target: NestedTarget,
    /// The query, parsed against the target's fields.
    pub query: Query,
    /// The ids matching `query` (at most [`NESTED_QUERY_LIMIT`], lowest first); `None`
    /// until resolved, and an unresolved nested query matches nothing.
    pub ids: Option<BTreeSet<i64>>,
}

/// One lookup on one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `_gt`.
    Gt(Scalar),
    /// `_gte`.
    Gte(Scalar),
    /// `_lt`.
    Lt(Scalar),
    /// `_lte`.
    Lte(Scalar),
    /// `_eq`.
    Eq(Scalar),
    /// `_neq` (objects without a value match).
    Neq(Scalar),
    /// `_in`.
    In(Vec<Scalar>),
    /// `_nin` (objects without a value match).
    Nin(Vec<Scalar>),
    /// `_exists`: the field has a value (`true`) or not (`false`).
    Exists(bool),
    /// A string lookup.
    Str(StrOp, String),
    /// `_contains` on an `array`: every value is in the array.
    ArrayContains(Vec<Value>),
    /// `_contains` on a `relation`: every id is in the relation.
    RelationContains(Vec<i64>),
    /// `_is` on a `reference` (the id is among the nested ids) or a `relation`
    /// (some id is among them).
    Is(Box<NestedQuery>),
    /// `_near` on a `geopoint`: within `kilometers` of the point.
    Near {
        /// Latitude of the centre.
        latitude: f64,
        /// Longitude of the centre.
        longitude: f64,
        /// Radius in kilometres.
        kilometers: f64,
    },
}

/// A condition: a lookup on the stored value under `field`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The key of the stored object the lookup reads (the field name; `"id"` and
    /// `"username"` in a user query).
    pub field: String,
    /// The field's type, as far as matching is concerned.
    pub kind: FieldType,
    /// The lookup.
    pub op: Op,
}

/// The type of a queried field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `id`, `owner`, `group` (positive integers).
    Pk,
    /// `revision`.
    Integer,
    /// `created_at`, `updated_at`.
    Datetime,
    /// `channel`, `channel_room`, `username`.
    Text,
    /// A class field.
    Class(FieldKind),
}

/// A parsed `query`: every condition must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// The conditions, in the order of the query text.
    pub conditions: Vec<Condition>,
}

impl Query {
    /// Whether the query has no condition (matches everything).
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// Both queries at once (for several `query` parameters).
    pub fn and(mut self, other: Query) -> Query {
        self.conditions.extend(other.conditions);
        self
    }

    /// The nested `_is` queries, for the engine to resolve.
    pub fn nested_mut(&mut self) -> impl Iterator<Item = &mut NestedQuery> {
        self.conditions.iter_mut().filter_map(|c| match &mut c.op {
            Op::Is(nested) => Some(nested.as_mut()),
            _ => None,
        })
    }

    /// Resolves every nested query with `ids_matching(target, query)`, which returns
    /// the ids of the target's objects (or users) matching `query`; only the lowest
    /// [`NESTED_QUERY_LIMIT`] are kept.
    pub fn resolve_nested(
        &mut self,
        mut ids_matching: impl FnMut(&NestedTarget, &Query) -> BTreeSet<i64>,
    ) {
        for nested in self.nested_mut() {
            let ids = ids_matching(&nested.target, &nested.query);
            nested.ids = Some(ids.into_iter().take(NESTED_QUERY_LIMIT).collect());
        }
    }

    /// Whether a stored object (see the [module docs](super)) satisfies every condition.
    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        self.conditions.iter().all(|c| c.matches(object))
    }
}

impl Condition {
    /// Whether the stored object satisfies this condition.
    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        let value = object.get(&self.field).filter(|v| !v.is_null());
        match &self.op {
            Op::Exists(want) => value.is_some() == *want,
            Op::Neq(s) => value.is_none_or(|v| !equals(v, s)),
            Op::Nin(list) => value.is_none_or(|v| !list.iter().any(|s| equals(v, s))),
            op => value.is_some_and(|v| test_present(op, v)),
        }
    }
}

fn test_present(op: &Op, value: &Value) -> bool {
    let ord = |s: &Scalar| compare(value, s);
    match op {
        Op::Gt(s) => ord(s) == Some(Ordering::Greater),
        Op::Gte(s) => matches!(ord(s), Some(Ordering::Greater | Ordering::Equal)),
        Op::Lt(s) => ord(s) == Some(Ordering::Less),
        Op::Lte(s) => matches!(ord(s), Some(Ordering::Less | Ordering::Equal)),
        Op::Eq(s) => equals(value, s),
        Op::In(list) => list.iter().any(|s| equals(value, s)),
        Op::Str(op, pattern) => value.as_str().is_some_and(|v| op.test(v, pattern)),
        Op::ArrayContains(wanted) => match value {
            Value::Array(items) => wanted
                .iter()
                .all(|w| items.iter().any(|i| json_equal(i, w))),
            _ => false,
        },
        Op::RelationContains(wanted) => match value {
            Value::Array(items) => wanted
                .iter()
                .all(|w| items.iter().any(|i| i.as_i64() == Some(*w))),
            _ => false,
        },
        Op::Is(nested) => {
            let Some(ids) = &nested.ids else {
                return false;
            };
            match value {
                Value::Array(items) => items
                    .iter()
                    .any(|i| i.as_i64().is_some_and(|id| ids.contains(&id))),
                other => other.as_i64().is_some_and(|id| ids.contains(&id)),
            }
        }
        Op::Near {
            latitude,
            longitude,
            kilometers,
        } => {
            let lat = value.get("latitude").and_then(Value::as_f64);
            let lon = value.get("longitude").and_then(Value::as_f64);
            match (lat, lon) {
                (Some(lat), Some(lon)) => {
                    distance_km(*latitude, *longitude, lat, lon) <= *kilometers
                }
                _ => false,
            }
        }
        Op::Neq(_) | Op::Nin(_) | Op::Exists(_) => false,
    }
}

/// Orders a stored value against a query scalar; `None` when they are not comparable.
pub fn compare(value: &Value, scalar: &Scalar) -> Option<Ordering> {
    match (value, scalar) {
        (Value::Number(n), Scalar::Int(i)) => match n.as_i64() {
            Some(v) => Some(v.cmp(i)),
            None => n.as_f64()?.partial_cmp(&(*i as f64)),
        },
        (Value::Number(n), Scalar::Float(f)) => n.as_f64()?.partial_cmp(f),
        (Value::String(s), Scalar::Str(q)) => Some(s.as_str().cmp(q.as_str())),
        (Value::Bool(b), Scalar::Bool(q)) => Some(b.cmp(q)),
        (Value::String(s), Scalar::Datetime(q)) => Some(parse_lenient_datetime(s).ok()?.cmp(q)),
        _ => None,
    }
}

fn equals(value: &Value, scalar: &Scalar) -> bool {
    compare(value, scalar) == Some(Ordering::Equal)
}

/// JSON equality where numbers compare by value (as `jsonb` containment does).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// SQL `LIKE`: `%` any run, `_` one character, `\` escapes the next character.
pub fn like(value: &str, pattern: &str) -> bool {
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = value.chars().collect();
    // reach[j]: the first j characters of `text` can be matched so far.
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for tok in &toks {
        let mut next = vec![false; text.len() + 1];
        match tok {
            Tok::Any => {
                let mut on = false;
                for j in 0..=text.len() {
                    on = on || reach[j];
                    next[j] = on;
                }
            }
            Tok::One => {
                next[1..].copy_from_slice(&reach[..text.len()]);
            }
            Tok::Lit(c) => {
                for j in 0..text.len() {
                    next[j + 1] = reach[j] && text[j] == *c;
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// Great-circle distance between two points, in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

// ---------------------------------------------------------------------------------
// Parsing

/// Parses a `query` parameter for a class with `fields`. Nested `_is` queries may only
/// target the class itself; use [`parse_query_with`] to allow other classes.
pub fn parse_query(query: &str, fields: &[ClassField]) -> Result<Query, QueryError> {
    parse_query_with(query, fields, &NoClasses)
}

/// Parses a `query` parameter for a class with `fields`, looking up the targets of
/// nested `_is` queries through `classes`.
pub fn parse_query_with(
    query: &str,
    fields: &[ClassField],
    classes: &dyn ClassLookup,
) -> Result<Query, QueryError> {
    let value: Value =
        serde_json::from_str(query).map_err(|_| QueryError::new("Not a valid JSON string."))?;
    parse_query_value(&value, fields, classes)
}

/// Parses an already decoded query (for example a data endpoint's stored `query`).
pub fn parse_query_value(
    value: &Value,
    fields: &[ClassField],
    classes: &dyn ClassLookup,
) -> Result<Query, QueryError> {
    check_shape(value, 1)?;
    build(
        value,
        &Scope {
            fields,
            user: false,
        },
        classes,
    )
}

/// The platform's size checks on a query object (done before anything else).
fn check_shape(value: &Value, level: u8) -> Result<(), QueryError> {
    let Value::Object(map) = value else {
        return Err(QueryError::new("Query passed in invalid format."));
    };
    if map.len() > MAX_QUERY_KEYS {
        return Err(QueryError::new(format!(
            "Too many keys defined (exceeds {MAX_QUERY_KEYS})."
        )));
    }
    for (key, lookups) in map {
        if key.chars().count() > MAX_QUERY_KEY_LEN {
            return Err(QueryError::new(format!(
                "Too long key defined (exceeds {MAX_QUERY_KEY_LEN})."
            )));
        }
        if let Some(nested) = lookups.as_object().and_then(|m| m.get("_is")) {
            if level == 1 {
                check_shape(nested, level + 1)?;
            } else {
                return Err(QueryError::new("Double nested queries are not allowed."));
            }
        }
        if py_repr(lookups).chars().count() > MAX_QUERY_VALUE_LEN {
            return Err(QueryError::new(format!(
                "Too long value defined for key {key} (exceeds {MAX_QUERY_VALUE_LEN})."
            )));
        }
    }
    Ok(())
}

struct Scope<'a> {
    fields: &'a [ClassField],
    /// A nested query on users: `id` is the user id and `username` is filterable.
    user: bool,
}

/// What the lookups need to know about a queried field.
struct Spec {
    /// Key in the stored object.
    key: String,
    /// Name used in most messages (the query key).
    alias: String,
    /// Name used by the list and `_near` messages (the platform's model field name).
    model_name: String,
    kind: FieldType,
    /// Whether string lookups are allowed (class `string` fields and `username`).
    string_lookups: bool,
    /// Maximum length of a string value.
    max_len: Option<usize>,
    /// Whether values must be slugs (`channel`).
    slug: bool,
    target: Option<String>,
}

impl Spec {
    fn system(key: &str, kind: FieldType) -> Spec {
        Spec {
            key: key.into(),
            alias: key.into(),
            model_name: key.into(),
            kind,
            string_lookups: false,
            max_len: None,
            slug: false,
            target: None,
        }
    }
}

fn resolve_field(name: &str, scope: &Scope<'_>) -> Result<Spec, QueryError> {
    if let Some(field) = scope.fields.iter().find(|f| f.name == name) {
        if !field.filter_index {
            return Err(not_indexed(name));
        }
        return Ok(Spec {
            key: field.name.clone(),
            alias: field.name.clone(),
            model_name: field.name.clone(),
            kind: FieldType::Class(field.ty),
            string_lookups: field.ty == FieldKind::String,
            max_len: (field.ty == FieldKind::String).then_some(super::validate::STRING_MAX_LENGTH),
            slug: false,
            target: field.target.clone(),
        });
    }
    let spec = match name {
        "id" if scope.user => Spec {
            model_name: "owner".into(),
            ..Spec::system("id", FieldType::Pk)
        },
        "username" if scope.user => Spec {
            string_lookups: true,
            max_len: Some(64),
            ..Spec::system("username", FieldType::Text)
        },
        "id" => Spec::system("id", FieldType::Pk),
        "owner" | "group" if !scope.user => Spec::system(name, FieldType::Pk),
        "created_at" | "updated_at" => Spec::system(name, FieldType::Datetime),
        "revision" => Spec::system(name, FieldType::Integer),
        "channel" => Spec {
            model_name: "name".into(),
            max_len: Some(64),
            slug: true,
            ..Spec::system("channel", FieldType::Text)
        },
        "channel_room" => Spec {
            max_len: Some(64),
            ..Spec::system("channel_room", FieldType::Text)
        },
        "owner" | "group" => return Err(not_indexed(name)),
        _ if UNFILTERABLE_MODEL_FIELDS.contains(&name) => return Err(not_indexed(name)),
        _ => {
            return Err(QueryError::new(format!(
                "Invalid field name defined: \"{name}\"."
            )));
        }
    };
    Ok(spec)
}

fn not_indexed(name: &str) -> QueryError {
    QueryError::new(format!(
        "Field \"{name}\" cannot be used in a query as it is not indexed."
    ))
}

fn build(value: &Value, scope: &Scope<'_>, classes: &dyn ClassLookup) -> Result<Query, QueryError> {
    let Value::Object(map) = value else {
        return Err(QueryError::new("Query passed in invalid format."));
    };
    let mut conditions = Vec::new();
    for (name, lookups) in map {
        let spec = resolve_field(name, scope)?;
        let Value::Object(lookups) = lookups else {
            return Err(QueryError::new(format!(
                "Invalid field \"{name}\" lookup type. Expected JSON object."
            )));
        };
        for (lookup, arg) in lookups {
            let op = build_op(&spec, lookup, arg, scope, classes)?;
            conditions.push(Condition {
                field: spec.key.clone(),
                kind: spec.kind,
                op,
            });
        }
    }
    Ok(Query { conditions })
}

/// Which lookup family a lookup name means for a field type, if it applies.
#[derive(Clone, Copy)]
enum Family {
    Compare(&'static str),
    Exists,
    In { negate: bool },
    Str(StrOp),
    ArrayContains,
    RelationContains,
    Is,
    Near,
}

fn family(kind: FieldType, lookup: &str) -> Option<Family> {
    let name = lookup.strip_prefix('_')?;
    let class = match kind {
        FieldType::Class(k) => Some(k),
        _ => None,
    };
    let plain = !matches!(
        class,
        Some(FieldKind::Array | FieldKind::Geopoint | FieldKind::Relation)
    );
    Some(match name {
        "gt" | "gte" | "lt" | "lte" | "eq" | "neq" if plain => Family::Compare(match name {
            "gt" => "gt",
            "gte" => "gte",
            "lt" => "lt",
            "lte" => "lte",
            "eq" => "eq",
            _ => "neq",
        }),
        "in" if plain => Family::In { negate: false },
        "nin" if plain => Family::In { negate: true },
        "exists" if class != Some(FieldKind::Array) => Family::Exists,
        "contains" if class == Some(FieldKind::Array) => Family::ArrayContains,
        "contains" if class == Some(FieldKind::Relation) => Family::RelationContains,
        "is" if matches!(class, Some(FieldKind::Reference | FieldKind::Relation)) => Family::Is,
        "near" if class == Some(FieldKind::Geopoint) => Family::Near,
        other => match StrOp::from_name(other) {
            Some(op) if matches!(kind, FieldType::Text | FieldType::Class(FieldKind::String)) => {
                Family::Str(op)
            }
            _ => return None,
        },
    })
}

fn default_error(lookup: &str, field: &str) -> QueryError {
    QueryError::new(format!(
        "Invalid value type provided for \"{lookup}\" lookup of field \"{field}\"."
    ))
}

fn validation_error(lookup: &str, field: &str, message: &str) -> QueryError {
    QueryError::new(format!(
        "Validation of value provided for \"{lookup}\" lookup of field \"{field}\" failed: {message}"
    ))
}

fn build_op(
    spec: &Spec,
    lookup: &str,
    arg: &Value,
    scope: &Scope<'_>,
    classes: &dyn ClassLookup,
) -> Result<Op, QueryError> {
    let Some(fam) = family(spec.kind, lookup) else {
        return Err(QueryError::new(format!(
            "Invalid lookup \"{lookup}\" defined for field \"{}\".",
            spec.alias
        )));
    };
    let name = &lookup[1..];
    Ok(match fam {
        Family::Compare(op) => {
            let s = to_scalar(spec, name, arg)?;
            match op {
                "gt" => Op::Gt(s),
                "gte" => Op::Gte(s),
                "lt" => Op::Lt(s),
                "lte" => Op::Lte(s),
                "eq" => Op::Eq(s),
                _ => Op::Neq(s),
            }
        }
        Family::In { negate } => {
            let items = list_arg(spec, name, arg)?;
            let values = items
                .iter()
                .map(|v| to_scalar(spec, name, v))
                .collect::<Result<Vec<_>, _>>()?;
            if negate {
                Op::Nin(values)
            } else {
                Op::In(values)
            }
        }
        Family::Exists => match arg {
            Value::Bool(b) => Op::Exists(*b),
            _ => return Err(default_error(name, &spec.alias)),
        },
        Family::Str(op) => {
            if !spec.string_lookups {
                return Err(QueryError::new(format!(
                    "{name} is not supported on this field type."
                )));
            }
            match to_scalar(spec, name, arg)? {
                Scalar::Str(s) => Op::Str(op, s),
                _ => return Err(default_error(name, &spec.alias)),
            }
        }
        Family::ArrayContains => {
            let items = list_arg(spec, name, arg)?;
            for item in items {
                let ok = match item {
                    Value::String(s) => s.chars().count() <= MAX_STRING_VALUE_LEN,
                    Value::Bool(_) | Value::Number(_) => true,
                    _ => false,
                };
                if !ok {
                    return Err(default_error(name, &spec.alias));
                }
            }
            Op::ArrayContains(items.clone())
        }
        Family::RelationContains => {
            let items = list_arg(spec, name, arg)?;
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Number(n) if n.is_i64() || n.is_u64() => {
                        ids.push(n.as_i64().ok_or_else(|| default_error(name, &spec.alias))?)
                    }
                    _ => return Err(default_error(name, &spec.alias)),
                }
            }
            Op::RelationContains(ids)
        }
        Family::Is => {
            let target = spec.target.clone().unwrap_or_else(|| "self".into());
            let (target, nested) = match target.as_str() {
                "self" => (
                    NestedTarget::SelfClass,
                    build(
                        arg,
                        &Scope {
                            fields: scope.fields,
                            user: false,
                        },
                        classes,
                    )?,
                ),
                "user" => {
                    let profile = classes.class_fields("user_profile").unwrap_or_default();
                    (
                        NestedTarget::User,
                        build(
                            arg,
                            &Scope {
                                fields: &profile,
                                user: true,
                            },
                            classes,
                        )?,
                    )
                }
                other => {
                    let Some(fields) = classes.class_fields(other) else {
                        return Err(QueryError::new(format!(
                            "Referenced class \"{other}\" does not exist."
                        )));
                    };
                    (
                        NestedTarget::Class(other.to_owned()),
                        build(
                            arg,
                            &Scope {
                                fields: &fields,
                                user: false,
                            },
                            classes,
                        )?,
                    )
                }
            };
            Op::Is(Box::new(NestedQuery {
                target,
                query: nested,
                ids: None,
            }))
        }
        Family::Near => near(spec, name, arg)?,
    })
}

fn list_arg<'a>(spec: &Spec, name: &str, arg: &'a Value) -> Result<&'a Vec<Value>, QueryError> {
    let Value::Array(items) = arg else {
        return Err(default_error(name, &spec.model_name));
    };
    if items.len() > MAX_LIST_VALUES {
        return Err(QueryError::new(format!(
            "Too many values provided for \"{name}\" lookup of field \"{}\". Max {MAX_LIST_VALUES}.",
            spec.model_name
        )));
    }
    Ok(items)
}

fn near(spec: &Spec, name: &str, arg: &Value) -> Result<Op, QueryError> {
    let Value::Object(map) = arg else {
        return Err(default_error(name, &spec.alias));
    };
    let (Some(lon), Some(lat)) = (map.get("longitude"), map.get("latitude")) else {
        return Err(default_error(name, &spec.model_name));
    };
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    let inside = |v: Option<f64>, limit: f64| v.filter(|f| -limit < *f && *f < limit);
    let (Some(longitude), Some(latitude)) = (inside(number(lon), 180.0), inside(number(lat), 90.0))
    else {
        return Err(QueryError::new("Invalid longitude/latitude values."));
    };
    let (distance, max, per_km) = if let Some(d) = map.get("distance_in_miles") {
        (Some(d), 24_901.0, KM_PER_MILE)
    } else if let Some(d) = map.get("distance_in_kilometers") {
        (Some(d), 40_075.0, 1.0)
    } else {
        (None, f64::INFINITY, KM_PER_MILE)
    };
    let kilometers = match distance {
        None => DEFAULT_NEAR_MILES * KM_PER_MILE,
        Some(d) => match number(d) {
            Some(f) if (0.0..=max).contains(&f) => f * per_km,
            _ => return Err(QueryError::new("Invalid distance value.")),
        },
    };
    Ok(Op::Near {
        latitude,
        longitude,
        kilometers,
    })
}

/// Converts a lookup value to the field's type, the way the platform's model fields do.
fn to_scalar(spec: &Spec, lookup: &str, value: &Value) -> Result<Scalar, QueryError> {
    let field = spec.alias.as_str();
    if value.is_null() {
        return Err(default_error(lookup, field));
    }
    let failed = |message: String| validation_error(lookup, field, &message);
    let integer = |value: &Value| -> Result<i64, QueryError> {
        match py_int(value) {
            Some(IntParse::Value(i)) => Ok(i),
            Some(IntParse::Huge(positive)) => Ok(if positive { i64::MAX } else { i64::MIN }),
            None => Err(failed(format!(
                "'{}' value must be an integer.",
                py_str(value)
            ))),
        }
    };
    let range = |i: i64, min: i64| -> Result<i64, QueryError> {
        if i > super::validate::INTEGER_MAX {
            Err(failed(format!(
                "Ensure this value is less than or equal to {}.",
                super::validate::INTEGER_MAX
            )))
        } else if i < min {
            Err(failed(format!(
                "Ensure this value is greater than or equal to {min}."
            )))
        } else {
            Ok(i)
        }
    };
    match spec.kind {
        FieldType::Pk => Ok(Scalar::Int(range(integer(value)?, 0)?)),
        FieldType::Integer | FieldType::Class(FieldKind::Integer) => Ok(Scalar::Int(range(
            integer(value)?,
            super::validate::INTEGER_MIN,
        )?)),
        FieldType::Class(FieldKind::Reference) => {
            let empty = match value {
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            };
            if empty {
                return Err(default_error(lookup, field));
            }
            Ok(Scalar::Int(range(
                integer(value)?,
                super::validate::INTEGER_MIN,
            )?))
        }
        FieldType::Class(FieldKind::Float) => {
            let f = match value {
                Value::Number(n) => n.as_f64(),
                Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            f.map(Scalar::Float)
                .ok_or_else(|| failed(format!("'{}' value must be a float.", py_str(value))))
        }
        FieldType::Class(FieldKind::Boolean) => {
            let b = match value {
                Value::Bool(b) => Some(*b),
                Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
                Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
                Value::String(s) if s == "t" || s == "True" || s == "1" => Some(true),
                Value::String(s) if s == "f" || s == "False" || s == "0" => Some(false),
                _ => None,
            };
            b.map(Scalar::Bool).ok_or_else(|| {
                failed(format!(
                    "'{}' value must be either None, True or False.",
                    py_str(value)
                ))
            })
        }
        FieldType::Datetime | FieldType::Class(FieldKind::Datetime) => match value {
            Value::String(s) => parse_lenient_datetime(s)
                .map(Scalar::Datetime)
                .map_err(|e: LenientError| failed(e.message(s))),
            _ => Err(default_error(lookup, field)),
        },
        FieldType::Text | FieldType::Class(_) => {
            let s = py_str(value);
            if spec.slug
                && (s.is_empty()
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            {
                return Err(failed(
                    "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.".into(),
                ));
            }
            if let Some(max) = spec.max_len {
                let len = s.chars().count();
                if len > max {
                    return Err(failed(format!(
                        "Ensure this value has at most {max} characters (it has {len})."
                    )));
                }
            }
            Ok(Scalar::Str(s))
        }
    }
}

enum IntParse {
    Value(i64),
    /// Larger than any i64; `true` when positive.
    Huge(bool),
}

/// Python's `int(value)` for a decoded JSON value.
fn py_int(value: &Value) -> Option<IntParse> {
    match value {
        Value::Bool(b) => Some(IntParse::Value(i64::from(*b))),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(IntParse::Value(i))
            } else if n.as_u64().is_some() {
                Some(IntParse::Huge(true))
            } else {
                let f = n.as_f64()?.trunc();
                if !f.is_finite() {
                    None
                } else if f >= 9.2e18 || f <= -9.2e18 {
                    Some(IntParse::Huge(f > 0.0))
                } else {
                    Some(IntParse::Value(f as i64))
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let (neg, digits) = match t.as_bytes().first() {
                Some(b'-') => (true, &t[1..]),
                Some(b'+') => (false, &t[1..]),
                _ => (false, t),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match digits.parse::<i64>() {
                Ok(v) => Some(IntParse::Value(if neg { -v } else { v })),
                Err(_) => Some(IntParse::Huge(!neg)),
            }
        }
        _ => None,
    }
}

/// Python's `str()` of a decoded JSON value.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// An approximation of Python's `repr()` of a decoded JSON value.
pub(crate) fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    format!("{f:?}")
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn indexed(name: &str, ty: FieldKind) -> ClassField {
        let mut f = ClassField::new(name, ty);
        f.filter_index = true;
        f
    }

    fn fields() -> Vec<ClassField> {
        let mut author = indexed("author", FieldKind::Reference);
        author.target = Some("author".into());
        let mut parent = indexed("parent", FieldKind::Reference);
        parent.target = Some("self".into());
        let mut books = indexed("books", FieldKind::Relation);
        books.target = Some("book".into());
        let mut writer = indexed("writer", FieldKind::Reference);
        writer.target = Some("user".into());
        vec![
            indexed("s", FieldKind::String),
            indexed("i", FieldKind::Integer),
            indexed("f", FieldKind::Float),
            indexed("b", FieldKind::Boolean),
            indexed("d", FieldKind::Datetime),
            author,
            parent,
            indexed("a", FieldKind::Array),
            indexed("g", FieldKind::Geopoint),
            books,
            writer,
            ClassField::new("plain", FieldKind::String),
            ClassField::new("t", FieldKind::Text),
        ]
    }

    struct Classes;
    impl ClassLookup for Classes {
        fn class_fields(&self, name: &str) -> Option<Vec<ClassField>> {
            match name {
                "author" => Some(vec![indexed("name", FieldKind::String)]),
                "book" => Some(vec![
                    indexed("title", FieldKind::String),
                    indexed("pages", FieldKind::Integer),
                ]),
                "user_profile" => Some(vec![indexed("nick", FieldKind::String)]),
                _ => None,
            }
        }
    }

    fn q(query: Value) -> Query {
        parse_query_with(&query.to_string(), &fields(), &Classes)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn err(query: Value) -> String {
        match parse_query_with(&query.to_string(), &fields(), &Classes) {
            Ok(parsed) => panic!("{query} parsed as {parsed:?}"),
            Err(e) => e.message,
        }
    }

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    /// The objects the tests filter: ids 1..=5 plus an empty one (id 6).
    fn objects() -> Vec<Map<String, Value>> {
        let mut list: Vec<Map<String, Value>> = (1..=5)
            .map(|i: i64| {
                obj(json!({
                    "id": i, "revision": i, "owner": i % 2, "created_at": format!("2000-01-0{i}T00:00:00.000000Z"),
                    "channel": if i == 1 { json!("default") } else { Value::Null },
                    "s": format!("test{}", ['a', 'b', 'C', 'd', 'e'][(i - 1) as usize]),
                    "i": i, "f": i as f64 * 1.5, "b": i % 2 == 0,
                    "d": format!("2000-01-0{i}T12:00:00.000000Z"),
                    "author": 10 + i, "parent": i - 1, "a": [i, format!("x{i}"), i % 2 == 0],
                    "g": {"latitude": 52.0 + i as f64, "longitude": 21.0},
                    "books": [100 + i, 200],
                }))
            })
            .collect();
        list.push(obj(
            json!({"id": 6, "revision": 1, "created_at": "2000-02-01T00:00:00.000000Z"}),
        ));
        list
    }

    fn ids(query: Value) -> Vec<i64> {
        let parsed = q(query);
        objects()
            .iter()
            .filter(|o| parsed.matches(o))
            .filter_map(|o| o["id"].as_i64())
            .collect()
    }

    #[test]
    fn comparison_operators() {
        assert_eq!(ids(json!({"i": {"_gt": 3}})), vec![4, 5]);
        assert_eq!(ids(json!({"i": {"_gte": 3}})), vec![3, 4, 5]);
        assert_eq!(ids(json!({"i": {"_lt": 3}})), vec![1, 2]);
        assert_eq!(ids(json!({"i": {"_lte": 3}})), vec![1, 2, 3]);
        assert_eq!(ids(json!({"i": {"_eq": 3}})), vec![3]);
        assert_eq!(
            ids(json!({"i": {"_neq": 3}})),
            vec![1, 2, 4, 5, 6],
            "missing values match _neq"
        );
        assert_eq!(
            ids(json!({"i": {"_gt": 2, "_lt": 5}})),
            vec![3, 4],
            "lookups are ANDed"
        );
        assert_eq!(
            ids(json!({"i": {"_gt": "2"}})),
            vec![3, 4, 5],
            "numeric strings are read"
        );
        assert_eq!(ids(json!({"i": {"_gt": 99}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"f": {"_gte": 4.5}})), vec![3, 4, 5]);
        assert_eq!(ids(json!({"f": {"_lt": 2}})), vec![1]);
        assert_eq!(ids(json!({"b": {"_eq": true}})), vec![2, 4]);
        assert_eq!(ids(json!({"b": {"_gt": false}})), vec![2, 4]);
        assert_eq!(ids(json!({"b": {"_eq": "f"}})), vec![1, 3, 5]);
        assert_eq!(
            ids(json!({"d": {"_gte": "2000-01-04T12:00:00.000000Z"}})),
            vec![4, 5]
        );
        assert_eq!(ids(json!({"d": {"_lt": "2000-01-02"}})), vec![1]);
        assert_eq!(
            ids(json!({"d": {"_gt": "2000-01-03T13:00:00+02:00"}})),
            vec![3, 4, 5]
        );
        assert_eq!(
            ids(json!({"s": {"_gt": "testb"}})),
            vec![4, 5],
            "byte order: 'testC' < 'testb'"
        );
        assert_eq!(ids(json!({"s": {"_eq": "testC"}})), vec![3]);
        assert_eq!(ids(json!({"author": {"_lte": 12}})), vec![1, 2]);
    }

    #[test]
    fn in_and_exists_operators() {
        assert_eq!(ids(json!({"i": {"_in": [1, 3, 9]}})), vec![1, 3]);
        assert_eq!(ids(json!({"i": {"_in": []}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"i": {"_nin": [1, 3]}})), vec![2, 4, 5, 6]);
        assert_eq!(ids(json!({"i": {"_nin": []}})), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(ids(json!({"s": {"_in": ["testa", "teste"]}})), vec![1, 5]);
        assert_eq!(ids(json!({"i": {"_exists": true}})), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids(json!({"i": {"_exists": false}})), vec![6]);
        assert_eq!(ids(json!({"g": {"_exists": false}})), vec![6]);
        assert_eq!(
            ids(json!({"books": {"_exists": true}})),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn string_operators() {
        assert_eq!(ids(json!({"s": {"_contains": "est"}})), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids(json!({"s": {"_contains": "C"}})), vec![3]);
        assert_eq!(ids(json!({"s": {"_contains": "c"}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"s": {"_icontains": "c"}})), vec![3]);
        assert_eq!(ids(json!({"s": {"_startswith": "testa"}})), vec![1]);
        assert_eq!(
            ids(json!({"s": {"_startswith": "TEST"}})),
            Vec::<i64>::new()
        );
        assert_eq!(
            ids(json!({"s": {"_istartswith": "TEST"}})),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(ids(json!({"s": {"_endswith": "d"}})), vec![4]);
        assert_eq!(ids(json!({"s": {"_endswith": "D"}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"s": {"_iendswith": "D"}})), vec![4]);
        assert_eq!(ids(json!({"s": {"_ieq": "TESTc"}})), vec![3]);
        assert_eq!(ids(json!({"s": {"_ieq": "test"}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"s": {"_like": "test_"}})), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids(json!({"s": {"_like": "%C"}})), vec![3]);
        assert_eq!(ids(json!({"s": {"_like": "%c"}})), Vec::<i64>::new());
        assert_eq!(ids(json!({"s": {"_ilike": "%c"}})), vec![3]);
        assert_eq!(ids(json!({"s": {"_like": "test"}})), Vec::<i64>::new());
    }

    #[test]
    fn like_patterns() {
        assert!(like("Star", "Star"));
        assert!(like("Star", "S%"));
        assert!(like("aStar", "%S%"));
        assert!(like("abc", "ab_"));
        assert!(!like("abcd", "ab_"));
        assert!(like("data%_a", "data\\%\\_a"));
        assert!(!like("dataX_a", "data\\%\\_a"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("a%b", "a%%b"));
    }

    #[test]
    fn array_relation_and_geo_operators() {
        assert_eq!(ids(json!({"a": {"_contains": [1]}})), vec![1]);
        assert_eq!(ids(json!({"a": {"_contains": [true]}})), vec![2, 4]);
        assert_eq!(ids(json!({"a": {"_contains": ["x3", 3]}})), vec![3]);
        assert_eq!(
            ids(json!({"a": {"_contains": ["3"]}})),
            Vec::<i64>::new(),
            "\"3\" is not 3"
        );
        assert_eq!(ids(json!({"a": {"_contains": []}})), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            ids(json!({"books": {"_contains": [200]}})),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(ids(json!({"books": {"_contains": [102, 200]}})), vec![2]);
        assert_eq!(
            ids(json!({"books": {"_contains": [102, 103]}})),
            Vec::<i64>::new()
        );
        // Points at latitudes 53..57, longitude 21; one degree of latitude is ~111 km.
        let near = |km: f64| {
            ids(
                json!({"g": {"_near": {"latitude": 53.0, "longitude": 21.0, "distance_in_kilometers": km}}}),
            )
        };
        assert_eq!(near(0.0), vec![1]);
        assert_eq!(near(112.0), vec![1, 2]);
        assert_eq!(near(230.0), vec![1, 2, 3]);
        let miles = ids(
            json!({"g": {"_near": {"latitude": 53.0, "longitude": 21.0, "distance_in_miles": 70}}}),
        );
        assert_eq!(miles, vec![1, 2]);
        // Default radius: 100 miles (~161 km).
        assert_eq!(
            ids(json!({"g": {"_near": {"latitude": 53.0, "longitude": 21.0}}})),
            vec![1, 2]
        );
    }

    #[test]
    fn system_fields() {
        assert_eq!(ids(json!({"id": {"_in": [2, 4]}})), vec![2, 4]);
        assert_eq!(ids(json!({"revision": {"_eq": 1}})), vec![1, 6]);
        assert_eq!(ids(json!({"owner": {"_eq": 0}})), vec![2, 4]);
        assert_eq!(ids(json!({"owner": {"_exists": false}})), vec![6]);
        assert_eq!(
            ids(json!({"created_at": {"_gte": "2000-01-05T00:00:00.000000Z"}})),
            vec![5, 6]
        );
        assert_eq!(ids(json!({"channel": {"_eq": "default"}})), vec![1]);
        assert_eq!(
            ids(json!({"channel_room": {"_exists": true}})),
            Vec::<i64>::new()
        );
        assert_eq!(ids(json!({"group": {"_exists": true}})), Vec::<i64>::new());
    }

    #[test]
    fn nested_is_queries() {
        let mut parsed =
            q(json!({"author": {"_is": {"name": {"_startswith": "S"}}}, "i": {"_gt": 1}}));
        let nested: Vec<(NestedTarget, usize)> = parsed
            .nested_mut()
            .map(|n| (n.target.clone(), n.query.conditions.len()))
            .collect();
        assert_eq!(nested, vec![(NestedTarget::Class("author".into()), 1)]);
        // Unresolved nested queries match nothing.
        assert!(objects().iter().all(|o| !parsed.matches(o)));
        let authors = [
            obj(json!({"id": 12, "name": "Sienkiewicz"})),
            obj(json!({"id": 13, "name": "Prus"})),
            obj(json!({"id": 11, "name": "Slowacki"})),
        ];
        parsed.resolve_nested(|target, query| {
            assert_eq!(target, &NestedTarget::Class("author".into()));
            authors
                .iter()
                .filter(|a| query.matches(a))
                .filter_map(|a| a["id"].as_i64())
                .collect()
        });
        let matched: Vec<i64> = objects()
            .iter()
            .filter(|o| parsed.matches(o))
            .filter_map(|o| o["id"].as_i64())
            .collect();
        assert_eq!(matched, vec![2], "author 11 is excluded by i > 1");

        // Relations match when any id is among the nested ones.
        let mut rel = q(json!({"books": {"_is": {"pages": {"_gt": 100}}}}));
        rel.resolve_nested(|_, _| [103, 999].into_iter().collect());
        let matched: Vec<i64> = objects()
            .iter()
            .filter(|o| rel.matches(o))
            .filter_map(|o| o["id"].as_i64())
            .collect();
        assert_eq!(matched, vec![3]);

        // The limit keeps the lowest ids.
        let mut many = q(json!({"parent": {"_is": {"id": {"_gt": 0}}}}));
        many.resolve_nested(|target, _| {
            assert_eq!(target, &NestedTarget::SelfClass);
            (1..5000).collect()
        });
        let kept = many
            .nested_mut()
            .next()
            .and_then(|n| n.ids.clone())
            .unwrap_or_default();
        assert_eq!(kept.len(), NESTED_QUERY_LIMIT);
        assert_eq!(kept.last(), Some(&1000));

        // Users: id, username and the user_profile fields.
        let mut users = q(
            json!({"writer": {"_is": {"username": {"_icontains": "don"}, "nick": {"_eq": "d"}, "id": {"_gt": 1}}}}),
        );
        let n = users
            .nested_mut()
            .next()
            .map(|n| (n.target.clone(), n.query.conditions.len()));
        assert_eq!(n, Some((NestedTarget::User, 3)));
        users.resolve_nested(|_, query| {
            let user = obj(json!({"id": 2, "username": "Donald", "nick": "d"}));
            assert!(query.matches(&user));
            [2].into_iter().collect()
        });
        assert!(users.matches(&obj(json!({"writer": 2}))));
        assert!(!users.matches(&obj(json!({"writer": 3}))));
    }

    #[test]
    fn and_combines_queries() {
        let both = q(json!({"i": {"_gt": 1}})).and(q(json!({"i": {"_lt": 4}})));
        let matched: Vec<i64> = objects()
            .iter()
            .filter(|o| both.matches(o))
            .filter_map(|o| o["id"].as_i64())
            .collect();
        assert_eq!(matched, vec![2, 3]);
        assert!(q(json!({})).is_empty());
        assert!(objects().iter().all(|o| q(json!({})).matches(o)));
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            parse_query("{", &fields()).unwrap_err().message,
            "Not a valid JSON string."
        );
        assert_eq!(
            parse_query("", &fields()).unwrap_err().message,
            "Not a valid JSON string."
        );
        assert_eq!(err(json!([1])), "Query passed in invalid format.");
        assert_eq!(err(json!(null)), "Query passed in invalid format.");
        let many: Map<String, Value> = (0..17)
            .map(|i| (format!("k{i}"), json!({"_eq": 1})))
            .collect();
        assert_eq!(
            err(Value::Object(many)),
            "Too many keys defined (exceeds 16)."
        );
        assert_eq!(
            err(json!({"a".repeat(65): {"_eq": 1}})),
            "Too long key defined (exceeds 64)."
        );
        assert_eq!(
            err(json!({"s": {"_in": vec!["x".repeat(100); 90]}})),
            "Too long value defined for key s (exceeds 8192)."
        );
        assert_eq!(
            err(json!({"author": {"_is": {"x": {"_is": {"y": {"_eq": 1}}}}}})),
            "Double nested queries are not allowed."
        );
        assert_eq!(
            err(json!({"author": {"_is": [1]}})),
            "Query passed in invalid format."
        );
        let e = parse_query("[]", &fields()).unwrap_err();
        assert_eq!(
            e.body(),
            json!({"query": "Query passed in invalid format."})
        );
        assert_eq!(e.to_string(), "Query passed in invalid format.");
    }

    #[test]
    fn field_errors() {
        assert_eq!(
            err(json!({"nope": {"_eq": 1}})),
            "Invalid field name defined: \"nope\"."
        );
        assert_eq!(
            err(json!({"plain": {"_eq": "x"}})),
            "Field \"plain\" cannot be used in a query as it is not indexed."
        );
        assert_eq!(
            err(json!({"t": {"_eq": "x"}})),
            "Field \"t\" cannot be used in a query as it is not indexed."
        );
        assert_eq!(
            err(json!({"owner_permissions": {"_eq": "x"}})),
            "Field \"owner_permissions\" cannot be used in a query as it is not indexed."
        );
        assert_eq!(
            err(json!({"i": 5})),
            "Invalid field \"i\" lookup type. Expected JSON object."
        );
        assert_eq!(
            err(json!({"i": [5]})),
            "Invalid field \"i\" lookup type. Expected JSON object."
        );
    }

    #[test]
    fn lookup_errors() {
        for (query, message) in [
            (
                json!({"i": {"_foo": 1}}),
                "Invalid lookup \"_foo\" defined for field \"i\".",
            ),
            (
                json!({"i": {"eq": 1}}),
                "Invalid lookup \"eq\" defined for field \"i\".",
            ),
            (
                json!({"i": {"_contains": "1"}}),
                "Invalid lookup \"_contains\" defined for field \"i\".",
            ),
            (
                json!({"a": {"_eq": ["10"]}}),
                "Invalid lookup \"_eq\" defined for field \"a\".",
            ),
            (
                json!({"a": {"_gt": 10}}),
                "Invalid lookup \"_gt\" defined for field \"a\".",
            ),
            (
                json!({"a": {"_exists": true}}),
                "Invalid lookup \"_exists\" defined for field \"a\".",
            ),
            (
                json!({"g": {"_eq": 1}}),
                "Invalid lookup \"_eq\" defined for field \"g\".",
            ),
            (
                json!({"g": {"_contains": 1}}),
                "Invalid lookup \"_contains\" defined for field \"g\".",
            ),
            (
                json!({"books": {"_in": [1]}}),
                "Invalid lookup \"_in\" defined for field \"books\".",
            ),
            (
                json!({"i": {"_is": {}}}),
                "Invalid lookup \"_is\" defined for field \"i\".",
            ),
            (
                json!({"i": {"_near": {}}}),
                "Invalid lookup \"_near\" defined for field \"i\".",
            ),
            (
                json!({"i": {"_like": "x"}}),
                "Invalid lookup \"_like\" defined for field \"i\".",
            ),
            (
                json!({"channel_room": {"_contains": "x"}}),
                "contains is not supported on this field type.",
            ),
            (
                json!({"channel": {"_ieq": "x"}}),
                "ieq is not supported on this field type.",
            ),
        ] {
            assert_eq!(err(query.clone()), message, "{query}");
        }
    }

    #[test]
    fn value_errors() {
        for (query, message) in [
            (
                json!({"i": {"_eq": null}}),
                "Invalid value type provided for \"eq\" lookup of field \"i\".",
            ),
            (
                json!({"i": {"_exists": 1}}),
                "Invalid value type provided for \"exists\" lookup of field \"i\".",
            ),
            (
                json!({"i": {"_in": 1}}),
                "Invalid value type provided for \"in\" lookup of field \"i\".",
            ),
            (
                json!({"i": {"_nin": [null]}}),
                "Invalid value type provided for \"nin\" lookup of field \"i\".",
            ),
            (
                json!({"channel": {"_in": "x"}}),
                "Invalid value type provided for \"in\" lookup of field \"name\".",
            ),
            (
                json!({"i": {"_gt": "abc"}}),
                "Validation of value provided for \"gt\" lookup of field \"i\" failed: 'abc' value must be an integer.",
            ),
            (
                json!({"i": {"_gt": [1]}}),
                "Validation of value provided for \"gt\" lookup of field \"i\" failed: '[1]' value must be an integer.",
            ),
            (
                json!({"i": {"_lt": 2147483648u64}}),
                "Validation of value provided for \"lt\" lookup of field \"i\" failed: Ensure this value is less than \
                 or equal to 2147483647.",
            ),
            (
                json!({"id": {"_gt": -1}}),
                "Validation of value provided for \"gt\" lookup of field \"id\" failed: Ensure this value is greater \
                 than or equal to 0.",
            ),
            (
                json!({"f": {"_gt": "x"}}),
                "Validation of value provided for \"gt\" lookup of field \"f\" failed: 'x' value must be a float.",
            ),
            (
                json!({"b": {"_eq": "yes"}}),
                "Validation of value provided for \"eq\" lookup of field \"b\" failed: 'yes' value must be either \
                 None, True or False.",
            ),
            (
                json!({"d": {"_gt": "soon"}}),
                "Validation of value provided for \"gt\" lookup of field \"d\" failed: 'soon' value has an invalid \
                 format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.",
            ),
            (
                json!({"created_at": {"_gt": "2000-02-30"}}),
                "Validation of value provided for \"gt\" lookup of field \"created_at\" failed: '2000-02-30' value \
                 has the correct format (YYYY-MM-DD) but it is an invalid date.",
            ),
            (
                json!({"d": {"_gt": 5}}),
                "Invalid value type provided for \"gt\" lookup of field \"d\".",
            ),
            (
                json!({"s": {"_eq": "x".repeat(129)}}),
                "Validation of value provided for \"eq\" lookup of field \"s\" failed: Ensure this value has at most \
                 128 characters (it has 129).",
            ),
            (
                json!({"channel": {"_eq": "a b"}}),
                "Validation of value provided for \"eq\" lookup of field \"channel\" failed: Enter a valid \"slug\" \
                 consisting of letters, numbers, underscores or hyphens.",
            ),
            (
                json!({"author": {"_eq": ""}}),
                "Invalid value type provided for \"eq\" lookup of field \"author\".",
            ),
            (
                json!({"i": {"_in": (0..129).collect::<Vec<i32>>()}}),
                "Too many values provided for \"in\" lookup of field \"i\". Max 128.",
            ),
            (
                json!({"a": {"_contains": 1}}),
                "Invalid value type provided for \"contains\" lookup of field \"a\".",
            ),
            (
                json!({"a": {"_contains": [[1]]}}),
                "Invalid value type provided for \"contains\" lookup of field \"a\".",
            ),
            (
                json!({"a": {"_contains": ["x".repeat(129)]}}),
                "Invalid value type provided for \"contains\" lookup of field \"a\".",
            ),
            (
                json!({"books": {"_contains": ["abc"]}}),
                "Invalid value type provided for \"contains\" lookup of field \"books\".",
            ),
            (
                json!({"author": {"_is": {"nope": {"_eq": 1}}}}),
                "Invalid field name defined: \"nope\".",
            ),
        ] {
            assert_eq!(err(query.clone()), message, "{query}");
        }
        // Plain values are converted for strings.
        assert_eq!(
            q(json!({"s": {"_eq": 5}})).conditions[0].op,
            Op::Eq(Scalar::Str("5".into()))
        );
    }

    #[test]
    fn near_errors() {
        for (near, message) in [
            (
                json!({"distance_in_kilometers": 1}),
                "Invalid value type provided for \"near\" lookup of field \"g\".",
            ),
            (
                json!(5),
                "Invalid value type provided for \"near\" lookup of field \"g\".",
            ),
            (
                json!({"longitude": 179, "latitude": 90}),
                "Invalid longitude/latitude values.",
            ),
            (
                json!({"longitude": 180, "latitude": 89}),
                "Invalid longitude/latitude values.",
            ),
            (
                json!({"longitude": "1", "latitude": 1}),
                "Invalid longitude/latitude values.",
            ),
            (
                json!({"longitude": 179, "latitude": 89, "distance_in_kilometers": 40075.1}),
                "Invalid distance value.",
            ),
            (
                json!({"longitude": 179, "latitude": 89, "distance_in_kilometers": -1}),
                "Invalid distance value.",
            ),
            (
                json!({"longitude": 179, "latitude": 89, "distance_in_miles": 24901.1}),
                "Invalid distance value.",
            ),
            (
                json!({"longitude": 179, "latitude": 89, "distance_in_miles": -1}),
                "Invalid distance value.",
            ),
        ] {
            assert_eq!(err(json!({"g": {"_near": near}})), message, "{near}");
        }
    }

    #[test]
    fn referenced_class_must_exist() {
        let e = parse_query(
            &json!({"author": {"_is": {"name": {"_eq": "x"}}}}).to_string(),
            &fields(),
        )
        .unwrap_err();
        assert_eq!(e.message, "Referenced class \"author\" does not exist.");
        assert!(
            parse_query(
                &json!({"parent": {"_is": {"i": {"_eq": 1}}}}).to_string(),
                &fields()
            )
            .is_ok()
        );
    }
}
