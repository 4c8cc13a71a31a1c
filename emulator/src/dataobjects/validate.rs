//! Checking and coercing the class-field values of a data object on create and update.
//!
//! The rules follow the platform's serializers:
//! - every class field is optional and nullable; a `null` clears the field;
//! - keys that are not class fields are ignored (system fields such as `owner`,
//!   `channel` or `expected_revision` are the engine's business);
//! - `string` ≤ 128 characters, `text` ≤ 32,000; numbers are accepted for them and
//!   turned into strings;
//! - `integer` is a 32-bit signed integer (integral floats and numeric strings accepted),
//!   `float` any finite number (numeric strings accepted);
//! - `boolean` takes `true`/`false` and the usual spellings (`"yes"`, `"0"`, …);
//! - `datetime` takes the API format `YYYY-MM-DDThh:mm:ss.uuuuuuZ` only;
//! - `reference` an object id, `relation` a list of ids (≤ 1000, duplicates and ids
//!   of missing objects dropped); `geopoint` `{"latitude", "longitude"}`;
//!   `array` a list of strings, booleans, integers and floats; `object` a JSON object;
//!   `array` and `object` also accept their JSON text;
//! - on update (when `existing` is given) `{"_increment": n}` adds to an `integer` or
//!   `float`, `{"_add": v, "_addunique": v, "_remove": v}` edit an `array` (applied in
//!   that order; `v` a value or a list), `{"_add": …, "_remove": …}` a `relation`;
//! - `file` takes a string only as the URL of a file stored in the same instance (asked
//!   of [`RefResolver::check_file_url`]; the engine copies it); file parts are the
//!   engine's business ([`file_part_error`] checks them);
//! - the whole object's data may not exceed 32,768 characters
//!   (`non_field_errors`: `Object maximum size exceeded.`).
//!
//! Deliberate leniency: the typed shapes the API returns for `datetime`, `reference`,
//! `relation` and `file` values (`{"type": "datetime", "value": …}`) are accepted on
//! input too, so an object read from the API can be written back unchanged.

use serde_json::{Map, Number, Value};

use super::datetime::{format_datetime, parse_api_datetime};
use super::errors::{FieldErrors, NON_FIELD_ERRORS, push_error};
use super::schema::{ClassField, FieldKind};

/// Maximum length of a `string` value, in characters.
pub const STRING_MAX_LENGTH: usize = 128;
/// Maximum length of a `text` value, in characters.
pub const TEXT_MAX_LENGTH: usize = 32_000;
/// Smallest `integer` (and `reference`) value.
pub const INTEGER_MIN: i64 = -2_147_483_648;
/// Largest `integer` (and `reference`) value.
pub const INTEGER_MAX: i64 = 2_147_483_647;
/// Maximum number of ids in a `relation`.
pub const RELATION_MAX: usize = 1000;
/// Maximum size of an object's data, in characters (platform `DATA_OBJECT_SIZE_MAX`).
pub const OBJECT_SIZE_MAX: usize = 32_768;
/// Longest numeric string accepted for `integer` and `float`.
const MAX_NUMERIC_STRING: usize = 1000;

/// The message for a value that breaks a `unique` field (checked by the engine).
pub const UNIQUE_MESSAGE: &str = "This field must be unique.";
/// `non_field_errors` message for an object over [`OBJECT_SIZE_MAX`].
pub const OBJECT_TOO_BIG: &str = "Object maximum size exceeded.";
/// Invalid `string` / `text` value.
pub const INVALID_STRING: &str = "Not a valid string.";
/// Invalid `integer` / `reference` value.
pub const INVALID_INTEGER: &str = "A valid integer is required.";
/// Invalid `float` value.
pub const INVALID_NUMBER: &str = "A valid number is required.";
/// Over-long numeric string.
pub const STRING_TOO_LARGE: &str = "String value too large.";
/// Invalid `boolean` value.
pub const INVALID_BOOLEAN: &str = "Not a valid boolean.";
/// Invalid `datetime` value.
pub const INVALID_DATETIME: &str =
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm:ss.uuuuuuZ.";
/// Invalid `file` value.
pub const INVALID_FILE: &str =
    "The submitted data was not a file. Check the encoding type on the form.";
/// Invalid `array` value (also: an unknown operator on an `array` or `relation`).
pub const INVALID_ARRAY: &str = "Not a valid array.";
/// An `array` element that is not a scalar.
pub const INVALID_ARRAY_ITEM: &str =
    "Array can only contain strings, booleans, integers and floats.";
/// Invalid `object` value.
pub const INVALID_OBJECT: &str = "Not a valid object.";
/// Invalid `geopoint` value.
pub const INVALID_GEOPOINT: &str = "Not a valid geopoint.";
/// Invalid `relation` value.
pub const INVALID_RELATION: &str = "Not a valid relation.";
/// A `relation` element that is not an id.
pub const INVALID_RELATION_ITEM: &str = "Relation can only contain integers (object ids).";
/// A `reference` to an object that does not exist.
pub const MISSING_TARGET_OBJECT: &str = "Target with specified id does not exist.";
/// A `reference` / `relation` whose target class is gone.
pub const MISSING_TARGET_CLASS: &str = "Target class does not exist.";
/// A `file` value given as a string that is not the URL of a file of this instance.
pub const INVALID_FILE_URL: &str = "File URL is invalid.";
/// A `file` value given as the URL of a file of this instance that is not there.
pub const MISSING_FILE: &str = "Existing file does not exist.";
/// A `file` part whose file name has an extension over [`FILE_EXTENSION_MAX`] characters.
pub const FILE_EXTENSION_TOO_LONG: &str =
    "File provided has too long extension. Max 16 characters.";
/// The longest extension (dot included) of an uploaded file's name.
pub const FILE_EXTENSION_MAX: usize = 16;

/// Answers questions about referenced objects; implemented by the engine.
///
/// `target` is the field's target as declared: a class name, `"self"` (the object's
/// own class) or `"user"` (the instance's users).
pub trait RefResolver {
    /// Whether the target class exists (`"self"` and `"user"` always do).
    fn class_exists(&self, target: &str) -> bool;
    /// Whether an object (or user, for `"user"`) with this id exists in the target.
    fn object_exists(&self, target: &str, id: i64) -> bool;
    /// Checks a `file` value given as a string: the platform takes only the URL of a
    /// file stored in the same instance (which it copies), and answers
    /// [`INVALID_FILE_URL`] for any other string and [`MISSING_FILE`] for a URL of
    /// that form whose file is gone. Accepts every string by default.
    fn check_file_url(&self, url: &str) -> Result<(), &'static str> {
        let _ = url;
        Ok(())
    }
}

/// A [`RefResolver`] that accepts every class and id (for tests and offline checks).
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAllRefs;

impl RefResolver for AcceptAllRefs {
    fn class_exists(&self, _target: &str) -> bool {
        true
    }

    fn object_exists(&self, _target: &str, _id: i64) -> bool {
        true
    }
}

/// Validates a create (`existing` = `None`) or update body against the class fields,
/// accepting every reference (see [`validate_object_with`]).
pub fn validate_object(
    fields: &[ClassField],
    input: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
    partial: bool,
) -> Result<Map<String, Value>, FieldErrors> {
    validate_object_with(fields, input, existing, partial, &AcceptAllRefs)
}

/// Validates a create (`existing` = `None`) or update body against the class fields.
///
/// Returns the class-field data of the object after the write, in stored form (see the
/// [module docs](super)): each class field given in `input` (after applying write
/// operators), else its value in `existing`; fields without a value are left out. The
/// engine replaces the object's class fields with this map. `partial` (PATCH) and full
/// updates (POST on the detail path) behave the same, as on the platform: every class
/// field is optional, so absent fields keep their value either way.
///
/// Errors map field names to messages; an over-size object gives `non_field_errors`.
/// Uniqueness is left to the engine (message [`UNIQUE_MESSAGE`]).
pub fn validate_object_with(
    fields: &[ClassField],
    input: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
    partial: bool,
    resolver: &dyn RefResolver,
) -> Result<Map<String, Value>, FieldErrors> {
    let _ = partial;
    let mut errors = FieldErrors::new();
    let mut data = Map::new();
    for field in fields {
        let current = existing
            .and_then(|e| e.get(&field.name))
            .filter(|v| !v.is_null());
        match input.get(&field.name) {
            Some(value) => {
                match validate_value(field, value, current, existing.is_some(), resolver) {
                    Ok(Some(v)) => {
                        data.insert(field.name.clone(), v);
                    }
                    Ok(None) => {}
                    Err(message) => push_error(&mut errors, &field.name, message),
                }
            }
            None => {
                if let Some(v) = current {
                    data.insert(field.name.clone(), v.clone());
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if object_size(fields, &data) > OBJECT_SIZE_MAX {
        push_error(&mut errors, NON_FIELD_ERRORS, OBJECT_TOO_BIG);
        return Err(errors);
    }
    Ok(data)
}

/// The size the platform charges an object's data with (compared to [`OBJECT_SIZE_MAX`]):
/// a fixed overhead plus, per field, its name, a separator allowance and its value's
/// text. Empty values (null, `false`, zero, `""`, `[]`, `{}`) add nothing, and a stored
/// file counts as [`FILE_SIZE_CHARGE`] whatever its name.
pub fn object_size(fields: &[ClassField], data: &Map<String, Value>) -> usize {
    let mut size = 103 + 6 * data.len();
    for (key, value) in data {
        size += key.chars().count();
        if is_empty_value(value) {
            continue;
        }
        let is_file = fields
            .iter()
            .any(|f| f.name == *key && f.ty == FieldKind::File);
        size += match value {
            _ if is_file => FILE_SIZE_CHARGE,
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
    }
    size
}

/// What a stored file adds to [`object_size`]: the length of the longest stored name
/// the platform can give a file (`<instance>/<class>/<40 hex digits>.<extension>`).
pub const FILE_SIZE_CHARGE: usize = 78;

/// Whether a value is empty in the platform's sense (Python falsiness), so that it
/// adds nothing to an object's size.
fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(true) => false,
    }
}

/// Validates one field's value. `current` is the stored value before the write and
/// `updating` tells whether the object already exists (write operators only apply
/// then). `Ok(None)` means the field is cleared.
pub fn validate_value(
    field: &ClassField,
    value: &Value,
    current: Option<&Value>,
    updating: bool,
    resolver: &dyn RefResolver,
) -> Result<Option<Value>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let value = unwrap_typed(field.ty, value);
    match field.ty {
        FieldKind::String => to_string(value, STRING_MAX_LENGTH).map(Some),
        FieldKind::Text => to_string(value, TEXT_MAX_LENGTH).map(Some),
        FieldKind::Integer => {
            if let Some(ops) = op_dict(value, updating) {
                let inc = increment_of(&ops, INVALID_INTEGER)?;
                let base = current.and_then(Value::as_i64).unwrap_or(0);
                let inc = integer_in_range(parse_integer(inc)?)?;
                return integer_in_range(i128::from(base) + i128::from(inc))
                    .map(|n| Some(Value::from(n)));
            }
            integer_in_range(parse_integer(value)?).map(|n| Some(Value::from(n)))
        }
        FieldKind::Float => {
            if let Some(ops) = op_dict(value, updating) {
                let inc = parse_float(increment_of(&ops, INVALID_NUMBER)?)?;
                let base = current.and_then(Value::as_f64).unwrap_or(0.0);
                return float_value(base + inc).map(Some);
            }
            float_value(parse_float(value)?).map(Some)
        }
        FieldKind::Boolean => parse_boolean(value).map(|b| b.map(Value::Bool)),
        FieldKind::Datetime => match value {
            Value::String(s) => parse_api_datetime(s)
                .map(|dt| Some(Value::String(format_datetime(&dt))))
                .ok_or_else(|| INVALID_DATETIME.to_owned()),
            _ => Err(INVALID_DATETIME.into()),
        },
        FieldKind::File => match value {
            Value::String(s) => {
                resolver.check_file_url(s)?;
                Ok(Some(Value::String(s.clone())))
            }
            _ => Err(INVALID_FILE.into()),
        },
        FieldKind::Reference => {
            let id = integer_in_range(parse_integer(value)?)?;
            let target = field.target.as_deref().unwrap_or("self");
            if !resolver.class_exists(target) {
                return Err(MISSING_TARGET_CLASS.into());
            }
            if !resolver.object_exists(target, id) {
                return Err(MISSING_TARGET_OBJECT.into());
            }
            Ok(Some(Value::from(id)))
        }
        FieldKind::Object => {
            let parsed = parse_json_text(value, INVALID_OBJECT)?;
            match parsed {
                Value::Object(_) => Ok(Some(parsed)),
                _ => Err(INVALID_OBJECT.into()),
            }
        }
        FieldKind::Array => {
            let list = match op_dict(value, updating) {
                Some(ops) => apply_list_ops(&ops, current, &["_add", "_addunique", "_remove"])?,
                None => parse_json_text(value, INVALID_ARRAY)?,
            };
            let Value::Array(items) = &list else {
                return Err(INVALID_ARRAY.into());
            };
            if items
                .iter()
                .any(|v| matches!(v, Value::Null | Value::Array(_) | Value::Object(_)))
            {
                return Err(INVALID_ARRAY_ITEM.into());
            }
            Ok(Some(list))
        }
        FieldKind::Geopoint => parse_geopoint(value).map(Some),
        FieldKind::Relation => {
            let list = match op_dict(value, updating) {
                Some(ops) => apply_list_ops(&ops, current, &["_add", "_remove"])?,
                None => parse_json_text(value, INVALID_ARRAY)?,
            };
            let Value::Array(items) = list else {
                return Err(INVALID_RELATION.into());
            };
            let mut ids = Vec::with_capacity(items.len());
            for item in &items {
                match item.as_i64() {
                    Some(id) if item.is_i64() || item.is_u64() => ids.push(id),
                    _ => return Err(INVALID_RELATION_ITEM.into()),
                }
            }
            if ids.len() > RELATION_MAX {
                return Err(format!("Relation length limit exceeded ({RELATION_MAX})."));
            }
            let target = field.target.as_deref().unwrap_or("self");
            if !resolver.class_exists(target) {
                return Err(MISSING_TARGET_CLASS.into());
            }
            ids.sort_unstable();
            ids.dedup();
            ids.retain(|id| resolver.object_exists(target, *id));
            if ids.is_empty() {
                Ok(None)
            } else {
                Ok(Some(Value::Array(
                    ids.into_iter().map(Value::from).collect(),
                )))
            }
        }
    }
}

/// The error for a file part sent for a class field of `kind`, or `None` for a
/// `file` field, whose only check on a file part is the length of its name's extension
/// ([`FILE_EXTENSION_TOO_LONG`]; `file_name` is the name the client sent). Other kinds
/// refuse a file as their serializers refuse any value that is not theirs.
pub fn file_part_error(kind: FieldKind, file_name: &str) -> Option<&'static str> {
    Some(match kind {
        FieldKind::File => {
            let ext = std::path::Path::new(file_name)
                .extension()
                .map_or(0, |e| e.to_string_lossy().chars().count() + 1);
            return (ext > FILE_EXTENSION_MAX).then_some(FILE_EXTENSION_TOO_LONG);
        }
        FieldKind::String | FieldKind::Text => INVALID_STRING,
        FieldKind::Integer | FieldKind::Reference => INVALID_INTEGER,
        FieldKind::Float => INVALID_NUMBER,
        FieldKind::Boolean => INVALID_BOOLEAN,
        FieldKind::Datetime => INVALID_DATETIME,
        FieldKind::Object => INVALID_OBJECT,
        FieldKind::Array => INVALID_ARRAY,
        FieldKind::Geopoint => INVALID_GEOPOINT,
        FieldKind::Relation => INVALID_RELATION,
    })
}

/// Unwraps `{"type": "<kind>", "value": v}` for the kinds whose API shape is typed.
fn unwrap_typed(kind: FieldKind, value: &Value) -> &Value {
    if !matches!(
        kind,
        FieldKind::Datetime | FieldKind::Reference | FieldKind::Relation | FieldKind::File
    ) {
        return value;
    }
    let Value::Object(map) = value else {
        return value;
    };
    match map.get("value") {
        Some(inner) if map.get("type").and_then(Value::as_str) == Some(kind.as_str()) => inner,
        _ => value,
    }
}

/// The operator map of an update value: a non-empty object, or the JSON text of one.
fn op_dict(value: &Value, updating: bool) -> Option<Map<String, Value>> {
    if !updating {
        return None;
    }
    match value {
        Value::Object(map) if !map.is_empty() => Some(map.clone()),
        Value::String(s) if !s.is_empty() => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    }
}

fn increment_of<'a>(ops: &'a Map<String, Value>, invalid: &str) -> Result<&'a Value, String> {
    if ops.keys().any(|k| k != "_increment") {
        return Err(invalid.into());
    }
    ops.get("_increment").ok_or_else(|| invalid.to_owned())
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Equality as the platform's set membership sees it: numbers compare by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

fn apply_list_ops(
    ops: &Map<String, Value>,
    current: Option<&Value>,
    supported: &[&str],
) -> Result<Value, String> {
    if ops.keys().any(|k| !supported.contains(&k.as_str())) {
        return Err(INVALID_ARRAY.into());
    }
    let mut list = match current {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    if let Some(add) = ops.get("_add") {
        list.extend(as_list(add));
    }
    if let Some(add) = ops.get("_addunique") {
        for item in as_list(add) {
            if matches!(item, Value::Array(_) | Value::Object(_)) {
                return Err(INVALID_ARRAY.into());
            }
            if !list.iter().any(|v| same(v, &item)) {
                list.push(item);
            }
        }
    }
    if let Some(remove) = ops.get("_remove") {
        let remove = as_list(remove);
        list.retain(|v| !remove.iter().any(|r| same(v, r)));
    }
    Ok(Value::Array(list))
}

fn to_string(value: &Value, max: usize) -> Result<Value, String> {
    let s = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(INVALID_STRING.into()),
    };
    if s.chars().count() > max {
        return Err(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    Ok(Value::String(s))
}

/// Reads an integer the way the platform does; the result may be out of range.
fn parse_integer(value: &Value) -> Result<i128, String> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else {
                match n.as_f64() {
                    // Integral floats are accepted as long as Python would print them
                    // without an exponent.
                    Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 => Ok(f as i128),
                    _ => Err(INVALID_INTEGER.into()),
                }
            }
        }
        Value::String(s) => {
            if s.chars().count() > MAX_NUMERIC_STRING {
                return Err(STRING_TOO_LARGE.into());
            }
            parse_integer_text(s).ok_or_else(|| INVALID_INTEGER.to_owned())
        }
        _ => Err(INVALID_INTEGER.into()),
    }
}

/// `int(re.sub(r'\.0*\s*$', '', s))`, saturating huge values.
fn parse_integer_text(s: &str) -> Option<i128> {
    let mut text = s;
    if let Some(dot) = text.rfind('.') {
        let tail = &text[dot + 1..];
        let zeros = tail.trim_start_matches('0');
        if zeros.trim().is_empty() {
            text = &text[..dot];
        }
    }
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let magnitude: i128 = if trimmed.len() > 30 {
        i128::MAX / 2
    } else {
        trimmed.parse().unwrap_or(0)
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn integer_in_range(n: i128) -> Result<i64, String> {
    if n > i128::from(INTEGER_MAX) {
        Err(format!(
            "Ensure this value is less than or equal to {INTEGER_MAX}."
        ))
    } else if n < i128::from(INTEGER_MIN) {
        Err(format!(
            "Ensure this value is greater than or equal to {INTEGER_MIN}."
        ))
    } else {
        // In range, so the conversion cannot fail.
        i64::try_from(n).map_err(|_| INVALID_INTEGER.to_owned())
    }
}

fn parse_float(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| INVALID_NUMBER.to_owned()),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            if s.chars().count() > MAX_NUMERIC_STRING {
                return Err(STRING_TOO_LARGE.into());
            }
            s.trim()
                .parse::<f64>()
                .map_err(|_| INVALID_NUMBER.to_owned())
        }
        _ => Err(INVALID_NUMBER.into()),
    }
}

fn float_value(f: f64) -> Result<Value, String> {
    Number::from_f64(f)
        .filter(|_| f.is_finite())
        .map(Value::Number)
        .ok_or_else(|| INVALID_NUMBER.to_owned())
}

const TRUE_STRINGS: &[&str] = &[
    "t", "T", "y", "Y", "yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1",
];
const FALSE_STRINGS: &[&str] = &[
    "f", "F", "n", "N", "no", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
];
const NULL_STRINGS: &[&str] = &["null", "Null", "NULL", ""];

fn parse_boolean(value: &Value) -> Result<Option<bool>, String> {
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f == 1.0 {
                Ok(Some(true))
            } else if f == 0.0 {
                Ok(Some(false))
            } else {
                Err(INVALID_BOOLEAN.into())
            }
        }
        Value::String(s) if TRUE_STRINGS.contains(&s.as_str()) => Ok(Some(true)),
        Value::String(s) if FALSE_STRINGS.contains(&s.as_str()) => Ok(Some(false)),
        Value::String(s) if NULL_STRINGS.contains(&s.as_str()) => Ok(None),
        _ => Err(INVALID_BOOLEAN.into()),
    }
}

/// A JSON value, or the value of its JSON text when given as a string.
fn parse_json_text(value: &Value, invalid: &str) -> Result<Value, String> {
    match value {
        Value::String(s) => serde_json::from_str(s).map_err(|_| invalid.to_owned()),
        other => Ok(other.clone()),
    }
}

fn coordinate(value: Option<&Value>, limit: f64) -> Option<f64> {
    match value {
        Some(Value::Number(n)) => n.as_f64().filter(|f| (-limit..=limit).contains(f)),
        _ => None,
    }
}

fn parse_geopoint(value: &Value) -> Result<Value, String> {
    let parsed;
    let value = match value {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return Err(INVALID_GEOPOINT.into()),
        },
        other => other,
    };
    let Value::Object(map) = value else {
        return Err(INVALID_GEOPOINT.into());
    };
    match (
        coordinate(map.get("latitude"), 90.0),
        coordinate(map.get("longitude"), 180.0),
    ) {
        (Some(latitude), Some(longitude)) => {
            let mut point = Map::new();
            point.insert("latitude".into(), float_value(latitude)?);
            point.insert("longitude".into(), float_value(longitude)?);
            Ok(Value::Object(point))
        }
        _ => Err(INVALID_GEOPOINT.into()),
    }
}

/// The API shape of one stored class-field value.
pub fn represent_value(field: &ClassField, value: &Value) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    let target = || Value::String(field.target.clone().unwrap_or_else(|| "self".into()));
    let mut map = Map::new();
    match field.ty {
        FieldKind::Datetime | FieldKind::File => {
            map.insert("type".into(), Value::String(field.ty.as_str().into()));
            map.insert("value".into(), value.clone());
        }
        FieldKind::Reference | FieldKind::Relation => {
            map.insert("type".into(), Value::String(field.ty.as_str().into()));
            map.insert("target".into(), target());
            map.insert("value".into(), value.clone());
        }
        FieldKind::Geopoint => {
            map.insert("type".into(), Value::String("geopoint".into()));
            map.insert(
                "longitude".into(),
                value.get("longitude").cloned().unwrap_or(Value::Null),
            );
            map.insert(
                "latitude".into(),
                value.get("latitude").cloned().unwrap_or(Value::Null),
            );
        }
        _ => return value.clone(),
    }
    Value::Object(map)
}

/// The class fields of a stored object as the API shows them: every class field, in
/// schema order, `null` when unset; typed shapes for `datetime`, `file`, `reference`,
/// `relation` and `geopoint`. Keys that are not class fields are not included.
pub fn represent_object(fields: &[ClassField], stored: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .map(|field| {
            let value = stored
                .get(&field.name)
                .map_or(Value::Null, |v| represent_value(field, v));
            (field.name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Vec<ClassField> {
        let mut author = ClassField::new("author", FieldKind::Reference);
        author.target = Some("author".into());
        let mut tags = ClassField::new("books", FieldKind::Relation);
        tags.target = Some("book".into());
        vec![
            ClassField::new("s", FieldKind::String),
            ClassField::new("t", FieldKind::Text),
            ClassField::new("i", FieldKind::Integer),
            ClassField::new("f", FieldKind::Float),
            ClassField::new("b", FieldKind::Boolean),
            ClassField::new("d", FieldKind::Datetime),
            ClassField::new("file", FieldKind::File),
            author,
            ClassField::new("o", FieldKind::Object),
            ClassField::new("a", FieldKind::Array),
            ClassField::new("g", FieldKind::Geopoint),
            tags,
        ]
    }

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn create(body: Value) -> Result<Map<String, Value>, FieldErrors> {
        validate_object(&schema(), &obj(body), None, false)
    }

    fn update(existing: Value, body: Value) -> Result<Map<String, Value>, FieldErrors> {
        validate_object(&schema(), &obj(body), Some(&obj(existing)), true)
    }

    /// The single error message reported for `field`.
    fn create_err(field: &str, value: Value) -> String {
        let errors = create(json!({ field: value })).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[field].join("|")
    }

    #[test]
    fn valid_values_of_every_kind() {
        let data = create(json!({
            "s": "hello", "t": "long text", "i": 42, "f": 1.5, "b": true,
            "d": "2026-11-22T17:37:25.474230Z", "file": "https://x/y.txt", "author": 7,
            "o": {"k": [1, 2]}, "a": ["x", 1, 2.5, false], "g": {"latitude": 52.2, "longitude": 21.0},
            "books": [3, 1, 3, 2]
        }))
        .unwrap();
        assert_eq!(data["s"], json!("hello"));
        assert_eq!(data["i"], json!(42));
        assert_eq!(data["f"], json!(1.5));
        assert_eq!(data["b"], json!(true));
        assert_eq!(data["d"], json!("2026-11-22T17:37:25.474230Z"));
        assert_eq!(data["author"], json!(7));
        assert_eq!(data["o"], json!({"k": [1, 2]}));
        assert_eq!(data["a"], json!(["x", 1, 2.5, false]));
        assert_eq!(data["g"], json!({"latitude": 52.2, "longitude": 21.0}));
        assert_eq!(data["books"], json!([1, 2, 3]), "deduplicated and sorted");
        assert_eq!(data.len(), 12);
    }

    #[test]
    fn unknown_keys_are_ignored_and_null_clears() {
        let data =
            create(json!({"s": "x", "nope": 1, "owner": 5, "expected_revision": 3})).unwrap();
        assert_eq!(data, obj(json!({"s": "x"})));
        let data = update(json!({"s": "x", "i": 3}), json!({"s": null})).unwrap();
        assert_eq!(data, obj(json!({"i": 3})));
    }

    #[test]
    fn update_keeps_absent_fields_in_both_modes() {
        let existing = obj(json!({"s": "x", "i": 3, "id": 9, "revision": 2}));
        for partial in [true, false] {
            let data = validate_object(&schema(), &obj(json!({"i": 4})), Some(&existing), partial)
                .unwrap();
            assert_eq!(data, obj(json!({"s": "x", "i": 4})));
        }
    }

    #[test]
    fn strings_and_texts() {
        assert_eq!(create(json!({"s": 12})).unwrap()["s"], json!("12"));
        assert_eq!(create(json!({"s": ""})).unwrap()["s"], json!(""));
        assert_eq!(
            create(json!({"s": "ż".repeat(128)})).unwrap()["s"],
            json!("ż".repeat(128))
        );
        assert_eq!(
            create_err("s", json!("x".repeat(129))),
            "Ensure this field has no more than 128 characters."
        );
        assert_eq!(create_err("s", json!(true)), INVALID_STRING);
        assert_eq!(create_err("s", json!(["a"])), INVALID_STRING);
        assert_eq!(create_err("s", json!({"a": 1})), INVALID_STRING);
        assert!(create(json!({"t": "x".repeat(32_000)})).is_ok());
        assert_eq!(
            create_err("t", json!("x".repeat(32_001))),
            "Ensure this field has no more than 32000 characters."
        );
    }

    #[test]
    fn integers() {
        assert_eq!(create(json!({"i": "17"})).unwrap()["i"], json!(17));
        assert_eq!(create(json!({"i": " -5.00 "})).unwrap()["i"], json!(-5));
        assert_eq!(create(json!({"i": 3.0})).unwrap()["i"], json!(3));
        assert_eq!(
            create(json!({"i": 2147483647})).unwrap()["i"],
            json!(2147483647)
        );
        assert_eq!(
            create(json!({"i": -2147483648})).unwrap()["i"],
            json!(-2147483648i64)
        );
        assert_eq!(
            create_err("i", json!(2147483648u64)),
            "Ensure this value is less than or equal to 2147483647."
        );
        assert_eq!(
            create_err("i", json!(-2147483649i64)),
            "Ensure this value is greater than or equal to -2147483648."
        );
        assert_eq!(
            create_err("i", json!("9".repeat(60))),
            "Ensure this value is less than or equal to 2147483647."
        );
        for bad in [
            json!(1.5),
            json!("abc"),
            json!(true),
            json!([1]),
            json!("1e3"),
            json!(1e20),
        ] {
            assert_eq!(create_err("i", bad.clone()), INVALID_INTEGER, "{bad}");
        }
        assert_eq!(create_err("i", json!("1".repeat(1001))), STRING_TOO_LARGE);
        // An operator on create is just an invalid value.
        assert_eq!(create_err("i", json!({"_increment": 1})), INVALID_INTEGER);
    }

    #[test]
    fn floats() {
        assert_eq!(create(json!({"f": 2})).unwrap()["f"], json!(2.0));
        assert_eq!(create(json!({"f": "2.25"})).unwrap()["f"], json!(2.25));
        for bad in [
            json!("abc"),
            json!("nan"),
            json!("inf"),
            json!([1.0]),
            json!({"x": 1}),
        ] {
            assert_eq!(create_err("f", bad.clone()), INVALID_NUMBER, "{bad}");
        }
        assert_eq!(create_err("f", json!("1".repeat(1001))), STRING_TOO_LARGE);
    }

    #[test]
    fn booleans() {
        for (input, expected) in [
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!("yes"), Some(true)),
            (json!("false"), Some(false)),
            (json!("0"), Some(false)),
            (json!("NULL"), None),
        ] {
            let data = create(json!({ "b": input })).unwrap();
            assert_eq!(data.get("b").and_then(Value::as_bool), expected, "{input}");
        }
        for bad in [json!(2), json!("maybe"), json!([true]), json!({})] {
            assert_eq!(create_err("b", bad.clone()), INVALID_BOOLEAN, "{bad}");
        }
    }

    #[test]
    fn datetimes() {
        assert_eq!(
            create(json!({"d": "2000-1-6T0:00:00.5Z"})).unwrap()["d"],
            json!("2000-01-06T00:00:00.500000Z")
        );
        assert_eq!(
            create(json!({"d": {"type": "datetime", "value": "2000-01-06T00:00:00.000000Z"}}))
                .unwrap()["d"],
            json!("2000-01-06T00:00:00.000000Z")
        );
        for bad in [
            json!("2000-01-06T00:00:00Z"),
            json!("2000-01-06"),
            json!("yesterday"),
            json!(946684800),
        ] {
            assert_eq!(create_err("d", bad.clone()), INVALID_DATETIME, "{bad}");
        }
        assert_eq!(
            INVALID_DATETIME,
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm:ss.uuuuuuZ."
        );
    }

    #[test]
    fn file_parts() {
        assert_eq!(file_part_error(FieldKind::File, "a.txt"), None);
        assert_eq!(file_part_error(FieldKind::File, "noext"), None);
        // 16 characters with the dot pass, 17 do not (os.path.splitext keeps the dot)
        assert_eq!(file_part_error(FieldKind::File, "a.abcdefghijklmno"), None);
        assert_eq!(
            file_part_error(FieldKind::File, "f.thisistoolongextension"),
            Some(FILE_EXTENSION_TOO_LONG)
        );
        assert_eq!(
            file_part_error(FieldKind::String, "a.txt"),
            Some(INVALID_STRING)
        );
        assert_eq!(
            file_part_error(FieldKind::Integer, "1"),
            Some(INVALID_INTEGER)
        );
    }

    struct Files;
    impl RefResolver for Files {
        fn class_exists(&self, _: &str) -> bool {
            true
        }
        fn object_exists(&self, _: &str, _: i64) -> bool {
            true
        }
        fn check_file_url(&self, url: &str) -> Result<(), &'static str> {
            match url {
                "/media/i/c/there.txt" => Ok(()),
                u if u.starts_with("/media/i/") => Err(MISSING_FILE),
                _ => Err(INVALID_FILE_URL),
            }
        }
    }

    #[test]
    fn file_urls_go_through_the_resolver() {
        let check = |v: Value| {
            validate_object_with(&schema(), &obj(json!({ "file": v })), None, false, &Files)
        };
        assert_eq!(
            check(json!("/media/i/c/there.txt")).unwrap()["file"],
            json!("/media/i/c/there.txt")
        );
        assert_eq!(
            check(json!({"type": "file", "value": "/media/i/c/gone.txt"})).unwrap_err()["file"],
            [MISSING_FILE]
        );
        assert_eq!(
            check(json!("http://onet.pl/a.jpg")).unwrap_err()["file"],
            [INVALID_FILE_URL]
        );
        assert!(check(Value::Null).unwrap().is_empty(), "null clears");
    }

    #[test]
    fn files() {
        assert_eq!(create_err("file", json!(5)), INVALID_FILE);
        assert_eq!(
            create(json!({"file": {"type": "file", "value": "u"}})).unwrap()["file"],
            json!("u")
        );
    }

    struct Refs;
    impl RefResolver for Refs {
        fn class_exists(&self, target: &str) -> bool {
            target != "author"
        }
        fn object_exists(&self, target: &str, id: i64) -> bool {
            target == "book" && id < 10
        }
    }

    struct Authors;
    impl RefResolver for Authors {
        fn class_exists(&self, _target: &str) -> bool {
            true
        }
        fn object_exists(&self, target: &str, id: i64) -> bool {
            target == "author" && id == 1
        }
    }

    #[test]
    fn references() {
        assert_eq!(
            create(json!({"author": "12"})).unwrap()["author"],
            json!(12)
        );
        assert_eq!(
            create(json!({"author": {"type": "reference", "target": "author", "value": 3}}))
                .unwrap()["author"],
            json!(3)
        );
        assert_eq!(create_err("author", json!("x")), INVALID_INTEGER);
        let fields = schema();
        let ok = validate_object_with(&fields, &obj(json!({"author": 1})), None, false, &Authors)
            .unwrap();
        assert_eq!(ok["author"], json!(1));
        let e = validate_object_with(&fields, &obj(json!({"author": 2})), None, false, &Authors)
            .unwrap_err();
        assert_eq!(e["author"], vec![MISSING_TARGET_OBJECT.to_owned()]);
        let e = validate_object_with(&fields, &obj(json!({"author": 1})), None, false, &Refs)
            .unwrap_err();
        assert_eq!(e["author"], vec![MISSING_TARGET_CLASS.to_owned()]);
    }

    #[test]
    fn objects_and_arrays() {
        assert_eq!(
            create(json!({"o": "{\"a\": 1}"})).unwrap()["o"],
            json!({"a": 1})
        );
        assert_eq!(
            create(json!({"a": "[1, \"x\"]"})).unwrap()["a"],
            json!([1, "x"])
        );
        for bad in [json!([1]), json!("nope"), json!(3), json!("[1]")] {
            assert_eq!(create_err("o", bad.clone()), INVALID_OBJECT, "{bad}");
        }
        for bad in [
            json!({"a": 1}),
            json!("nope"),
            json!(3),
            json!({"_add": [1]}),
        ] {
            assert_eq!(create_err("a", bad.clone()), INVALID_ARRAY, "{bad}");
        }
        for bad in [json!([[1]]), json!([{"a": 1}]), json!([null])] {
            assert_eq!(create_err("a", bad.clone()), INVALID_ARRAY_ITEM, "{bad}");
        }
    }

    #[test]
    fn geopoints() {
        assert_eq!(
            create(json!({"g": "{\"latitude\": -90, \"longitude\": 180}"})).unwrap()["g"],
            json!({"latitude": -90.0, "longitude": 180.0})
        );
        assert!(create(json!({"g": {"type": "geopoint", "latitude": 1, "longitude": 2}})).is_ok());
        for bad in [
            json!({"latitude": 91, "longitude": 0}),
            json!({"latitude": 0, "longitude": -180.5}),
            json!({"latitude": 0}),
            json!({"latitude": "1", "longitude": 2}),
            json!([1, 2]),
            json!("x"),
        ] {
            assert_eq!(create_err("g", bad.clone()), INVALID_GEOPOINT, "{bad}");
        }
    }

    #[test]
    fn relations() {
        assert_eq!(
            create(json!({"books": "[2, 1]"})).unwrap()["books"],
            json!([1, 2])
        );
        assert!(
            !create(json!({"books": []})).unwrap().contains_key("books"),
            "empty relation is unset"
        );
        assert_eq!(create_err("books", json!(5)), INVALID_RELATION);
        assert_eq!(create_err("books", json!({"_add": [1]})), INVALID_RELATION);
        assert_eq!(create_err("books", json!("nope")), INVALID_ARRAY);
        assert_eq!(create_err("books", json!([1, "2"])), INVALID_RELATION_ITEM);
        assert_eq!(create_err("books", json!([1.5])), INVALID_RELATION_ITEM);
        let many: Vec<i64> = (0..1001).collect();
        assert_eq!(
            create_err("books", json!(many)),
            "Relation length limit exceeded (1000)."
        );
        // Ids of missing objects are dropped.
        let fields = schema();
        let data = validate_object_with(
            &fields,
            &obj(json!({"books": [1, 50, 9]})),
            None,
            false,
            &Refs,
        )
        .unwrap();
        assert_eq!(data["books"], json!([1, 9]));
    }

    #[test]
    fn increment_operator() {
        let existing = json!({"i": 5, "f": 1.5});
        assert_eq!(
            update(existing.clone(), json!({"i": {"_increment": 3}})).unwrap()["i"],
            json!(8)
        );
        assert_eq!(
            update(existing.clone(), json!({"i": {"_increment": -10}})).unwrap()["i"],
            json!(-5)
        );
        assert_eq!(
            update(existing.clone(), json!({"i": "{\"_increment\": 1}"})).unwrap()["i"],
            json!(6)
        );
        assert_eq!(
            update(existing.clone(), json!({"f": {"_increment": 0.25}})).unwrap()["f"],
            json!(1.75)
        );
        assert_eq!(
            update(json!({}), json!({"i": {"_increment": 2}})).unwrap()["i"],
            json!(2),
            "unset counts as 0"
        );
        let e = update(json!({"i": 2147483647}), json!({"i": {"_increment": 1}})).unwrap_err();
        assert_eq!(
            e["i"],
            vec!["Ensure this value is less than or equal to 2147483647.".to_owned()]
        );
        let e = update(existing.clone(), json!({"i": {"_increment": "x"}})).unwrap_err();
        assert_eq!(e["i"], vec![INVALID_INTEGER.to_owned()]);
        let e = update(existing.clone(), json!({"i": {"_add": 1}})).unwrap_err();
        assert_eq!(e["i"], vec![INVALID_INTEGER.to_owned()]);
        let e = update(existing.clone(), json!({"f": {"_increment": 1, "_x": 1}})).unwrap_err();
        assert_eq!(e["f"], vec![INVALID_NUMBER.to_owned()]);
        let e = update(existing, json!({"i": {}})).unwrap_err();
        assert_eq!(e["i"], vec![INVALID_INTEGER.to_owned()]);
    }

    #[test]
    fn array_operators() {
        let existing = json!({"a": ["x", 1, "y"]});
        assert_eq!(
            update(existing.clone(), json!({"a": {"_add": "z"}})).unwrap()["a"],
            json!(["x", 1, "y", "z"])
        );
        assert_eq!(
            update(existing.clone(), json!({"a": {"_add": ["x", 2]}})).unwrap()["a"],
            json!(["x", 1, "y", "x", 2])
        );
        assert_eq!(
            update(
                existing.clone(),
                json!({"a": {"_addunique": ["x", 1.0, 3]}})
            )
            .unwrap()["a"],
            json!(["x", 1, "y", 3])
        );
        assert_eq!(
            update(existing.clone(), json!({"a": {"_remove": ["x", 1]}})).unwrap()["a"],
            json!(["y"])
        );
        assert_eq!(
            update(existing.clone(), json!({"a": {"_remove": "y"}})).unwrap()["a"],
            json!(["x", 1])
        );
        // Applied in the order add, addunique, remove whatever the key order.
        assert_eq!(
            update(
                existing.clone(),
                json!({"a": {"_remove": "q", "_addunique": "q", "_add": "w"}})
            )
            .unwrap()["a"],
            json!(["x", 1, "y", "w"])
        );
        assert_eq!(
            update(json!({}), json!({"a": {"_add": 1}})).unwrap()["a"],
            json!([1])
        );
        let e = update(existing.clone(), json!({"a": {"_increment": 1}})).unwrap_err();
        assert_eq!(e["a"], vec![INVALID_ARRAY.to_owned()]);
        let e = update(existing, json!({"a": {"_add": [[1]]}})).unwrap_err();
        assert_eq!(e["a"], vec![INVALID_ARRAY_ITEM.to_owned()]);
    }

    #[test]
    fn relation_operators() {
        let existing = json!({"books": [1, 2]});
        assert_eq!(
            update(existing.clone(), json!({"books": {"_add": [3, 1]}})).unwrap()["books"],
            json!([1, 2, 3])
        );
        assert_eq!(
            update(existing.clone(), json!({"books": {"_add": 4}})).unwrap()["books"],
            json!([1, 2, 4])
        );
        assert_eq!(
            update(existing.clone(), json!({"books": {"_remove": [1]}})).unwrap()["books"],
            json!([2])
        );
        assert!(
            !update(existing.clone(), json!({"books": {"_remove": [1, 2]}}))
                .unwrap()
                .contains_key("books")
        );
        let e = update(existing.clone(), json!({"books": {"_addunique": [5]}})).unwrap_err();
        assert_eq!(e["books"], vec![INVALID_ARRAY.to_owned()]);
        let e = update(existing, json!({"books": {"_add": ["a"]}})).unwrap_err();
        assert_eq!(e["books"], vec![INVALID_RELATION_ITEM.to_owned()]);
    }

    #[test]
    fn errors_are_collected_per_field() {
        let e = create(json!({"s": true, "i": "x", "b": "maybe", "ok": 1})).unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "b": [INVALID_BOOLEAN], "i": [INVALID_INTEGER], "s": [INVALID_STRING]
            })
        );
    }

    #[test]
    fn object_size_limit() {
        let fields: Vec<ClassField> = (0..5)
            .map(|i| ClassField::new(format!("t{i}"), FieldKind::Text))
            .collect();
        let big = "x".repeat(7000);
        let body = obj(json!({"t0": big, "t1": big, "t2": big, "t3": big}));
        assert!(validate_object(&fields, &body, None, false).is_ok());
        let mut body = body;
        body.insert("t4".into(), json!(big));
        let e = validate_object(&fields, &body, None, false).unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"non_field_errors": ["Object maximum size exceeded."]})
        );
    }

    #[test]
    fn object_size_charges_files_flat_and_empty_values_nothing() {
        let fields = vec![
            ClassField::new("f", FieldKind::File),
            ClassField::new("s", FieldKind::String),
            ClassField::new("n", FieldKind::Integer),
        ];
        let base = 103 + 6 * 3 + 3;
        let short_file = obj(json!({"f": "a.txt", "s": "", "n": 0}));
        assert_eq!(object_size(&fields, &short_file), base + FILE_SIZE_CHARGE);
        let long_file = obj(json!({"f": "x".repeat(500), "s": "abc", "n": 12}));
        assert_eq!(
            object_size(&fields, &long_file),
            base + FILE_SIZE_CHARGE + 3 + 2
        );
        // A string field whose value looks like a file name is charged by its length.
        let not_file = obj(json!({"s": "a.txt"}));
        assert_eq!(object_size(&fields, &not_file), 103 + 6 + 1 + 5);
    }

    #[test]
    fn representation() {
        let stored = obj(json!({
            "d": "2000-01-06T00:00:00.000000Z", "author": 3, "books": [1, 2],
            "g": {"latitude": 1.0, "longitude": 2.0}, "file": "u", "s": "x", "id": 1
        }));
        let shown = represent_object(&schema(), &stored);
        assert_eq!(
            shown["d"],
            json!({"type": "datetime", "value": "2000-01-06T00:00:00.000000Z"})
        );
        assert_eq!(
            shown["author"],
            json!({"type": "reference", "target": "author", "value": 3})
        );
        assert_eq!(
            shown["books"],
            json!({"type": "relation", "target": "book", "value": [1, 2]})
        );
        assert_eq!(
            shown["g"],
            json!({"type": "geopoint", "longitude": 2.0, "latitude": 1.0})
        );
        assert_eq!(shown["file"], json!({"type": "file", "value": "u"}));
        assert_eq!(shown["s"], json!("x"));
        assert_eq!(shown["i"], Value::Null);
        assert!(!shown.contains_key("id"));
        assert_eq!(shown.len(), 12);
        // What the API shows can be written back.
        let again = create(Value::Object(shown)).unwrap();
        assert_eq!(
            again,
            stored
                .into_iter()
                .filter(|(k, _)| k != "id")
                .collect::<Map<_, _>>()
        );
    }
}
