//! Generic validation of request bodies against the schema's fields, with the
//! API's (Django REST framework) messages and 400 body shape `{"field": ["message"]}`.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};
use syncano_codegen::schema::{ChoiceValue, Field, FieldType};

/// How a write treats absent fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// POST on a list: required fields must be present; defaults applied.
    Create,
    /// PUT (or POST on a data object): required fields must be present.
    Replace,
    /// PATCH: only the given fields.
    Update,
}

/// The name of a JSON value's type, in Python's words (for messages).
pub fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The body shape for a non-object request body.
pub fn not_a_dict(v: &Value) -> Value {
    serde_json::json!({"non_field_errors": [format!(
        "Invalid data. Expected a dictionary, but got {}.", py_type(v))]})
}

/// DRF's message for a file field that was not sent as a file (JSON, a text part).
pub const NOT_A_FILE: &str =
    "The submitted data was not a file. Check the encoding type on the form.";

/// DRF's message for a required file field without a file.
pub const NO_FILE: &str = "No file was submitted.";

/// Validates `body` against `fields`. `read_only_extra` lists fields that are
/// treated as read-only for this write (the key field on a detail endpoint).
/// Returns the cleaned values of the writable fields that were given (plus
/// defaults on create) or the 400 body.
pub fn validate(
    fields: &[Field],
    body: &Value,
    mode: Mode,
    read_only_extra: &[&str],
) -> Result<Map<String, Value>, Value> {
    validate_with_files(fields, body, mode, read_only_extra, &[])
}

/// [`validate`] for a multipart body: the `file` fields named in `files` came as
/// file parts, so they count as given (and valid: the caller checks and stores the
/// files; they are not in the returned map).
pub fn validate_with_files(
    fields: &[Field],
    body: &Value,
    mode: Mode,
    read_only_extra: &[&str],
    files: &[&str],
) -> Result<Map<String, Value>, Value> {
    let Value::Object(input) = body else {
        return Err(not_a_dict(body));
    };
    let mut out = Map::new();
    let mut errors = Map::new();
    for f in fields {
        if f.read_only || f.primary_key && read_only_extra.is_empty() && f.name == "id" {
            continue;
        }
        if read_only_extra.contains(&f.name.as_str()) || matches!(f.ty, FieldType::Links) {
            continue;
        }
        if matches!(f.ty, FieldType::File) && files.contains(&f.name.as_str()) {
            continue;
        }
        match input.get(&f.name) {
            Some(v) => match check(f, v) {
                Ok(v) => {
                    out.insert(f.name.clone(), v);
                }
                Err(e) => {
                    errors.insert(f.name.clone(), e);
                }
            },
            None => {
                if mode != Mode::Update && f.required && matches!(f.ty, FieldType::File) {
                    errors.insert(f.name.clone(), msg(NO_FILE));
                } else if mode != Mode::Update && f.required {
                    errors.insert(f.name.clone(), msg("This field is required."));
                } else if mode == Mode::Create {
                    if let Some(d) = &f.default {
                        out.insert(f.name.clone(), d.clone());
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Value::Object(errors))
    }
}

/// The JSON-valued fields the platform declares with its `JSONField`
/// (`apps/core/field_serializers.py`), which parses a value sent as a JSON-encoded
/// string: a class `schema`, a data endpoint `query`, `metadata`, a script's or
/// snippet config's `config`, a template's `context`, a channel message's `payload`.
/// Other JSON-valued fields (a user's `profile`, a hosting's `domains` ...) are
/// nested serializers or lists there and take no string.
pub const JSON_STRING_FIELDS: &[&str] = &[
    "schema", "query", "metadata", "config", "context", "payload",
];

/// The platform's message for a string that is no JSON.
pub const NOT_JSON: &str = "Not a valid JSON string.";

/// A value of a [`JSON_STRING_FIELDS`] field as the platform's `JSONField` reads it:
/// `""` is the field's default (when it has one), any other string is parsed
/// (`Not a valid JSON string.` when it is no JSON), other values are kept.
pub fn json_value(f: &Field, v: &Value) -> Result<Value, Value> {
    match v {
        Value::String(s) if s.is_empty() && f.required => Err(msg("This field is required.")),
        Value::String(s) if s.is_empty() && f.default.is_some() => {
            Ok(f.default.clone().unwrap_or(Value::Null))
        }
        Value::String(s) => serde_json::from_str(s).map_err(|_| msg(NOT_JSON)),
        other => Ok(other.clone()),
    }
}

fn msg(s: impl Into<String>) -> Value {
    Value::Array(vec![Value::String(s.into())])
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks and coerces one value for one field.
pub fn check(f: &Field, v: &Value) -> Result<Value, Value> {
    if v.is_null() {
        return if f.required || matches!(f.ty, FieldType::File) {
            Err(msg("This field may not be null."))
        } else {
            Ok(Value::Null)
        };
    }
    match &f.ty {
        FieldType::String
        | FieldType::Text
        | FieldType::Email
        | FieldType::Slug
        | FieldType::Url => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(msg("Not a valid string.")),
            };
            if s.trim().is_empty() && f.required {
                return Err(msg("This field may not be blank."));
            }
            let n = s.chars().count() as u64;
            let mut errs = Vec::new();
            if let Some(max) = f.max_length {
                if n > max {
                    errs.push(format!(
                        "Ensure this field has no more than {max} characters."
                    ));
                }
            }
            if let Some(min) = f.min_length {
                if n < min {
                    errs.push(format!("Ensure this field has at least {min} characters."));
                }
            }
            if !s.is_empty() {
                match f.ty {
                    FieldType::Email if !is_email(&s) => {
                        errs.push("Enter a valid email address.".into())
                    }
                    FieldType::Slug if !is_slug(&s) => errs.push(SLUG.into()),
                    FieldType::Url if !is_url(&s) => errs.push("Enter a valid URL.".into()),
                    _ => {}
                }
            }
            if !f.choices.is_empty() {
                choice(f, &Value::String(s.clone()))?;
            }
            if errs.is_empty() {
                Ok(Value::String(s))
            } else {
                Err(Value::Array(errs.into_iter().map(Value::String).collect()))
            }
        }
        FieldType::Integer => {
            let i = match v {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                        .map(|x| x as i64)
                }),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let Some(i) = i else {
                return Err(msg("A valid integer is required."));
            };
            range(f, i as f64)?;
            if !f.choices.is_empty() {
                choice(f, &Value::from(i))?;
            }
            Ok(Value::from(i))
        }
        FieldType::Float | FieldType::Decimal => {
            let x = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
                _ => None,
            };
            let Some(x) = x else {
                return Err(msg("A valid number is required."));
            };
            range(f, x)?;
            if matches!(f.ty, FieldType::Decimal) {
                // decimals travel as strings in DRF output
                Ok(Value::String(display(v)))
            } else {
                Ok(serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .unwrap_or(Value::Null))
            }
        }
        FieldType::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(Value::Bool(true)),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(Value::Bool(false)),
            Value::String(s) => match s.as_str() {
                "true" | "True" | "TRUE" | "1" | "yes" | "on" => Ok(Value::Bool(true)),
                "false" | "False" | "FALSE" | "0" | "no" | "off" => Ok(Value::Bool(false)),
                _ => Err(msg(format!("\"{s}\" is not a valid boolean."))),
            },
            other => Err(msg(format!(
                "\"{}\" is not a valid boolean.",
                display(other)
            ))),
        },
        FieldType::Datetime => match v.as_str().and_then(parse_datetime) {
            Some(s) => Ok(Value::String(s)),
            None => Err(msg(
                "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
            )),
        },
        FieldType::Date => match v
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        {
            Some(d) => Ok(Value::String(d.format("%Y-%m-%d").to_string())),
            None => Err(msg(
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            )),
        },
        FieldType::Choice => choice(f, v),
        FieldType::Json if JSON_STRING_FIELDS.contains(&f.name.as_str()) => json_value(f, v),
        FieldType::Json | FieldType::Links => Ok(v.clone()),
        // a file only ever comes as a file part of a multipart body
        FieldType::File => Err(msg(NOT_A_FILE)),
        FieldType::Object(sub) => {
            let Value::Object(m) = v else {
                return Err(msg(format!(
                    "Expected a dictionary of items but got type \"{}\".",
                    py_type(v)
                )));
            };
            if sub.is_empty() {
                return Ok(v.clone());
            }
            let mut out = m.clone();
            let mut errors = Map::new();
            for sf in sub {
                if sf.read_only {
                    continue;
                }
                if let Some(sv) = m.get(&sf.name) {
                    match check(sf, sv) {
                        Ok(c) => {
                            out.insert(sf.name.clone(), c);
                        }
                        Err(e) => {
                            errors.insert(sf.name.clone(), e);
                        }
                    }
                }
            }
            if errors.is_empty() {
                Ok(Value::Object(out))
            } else {
                Err(Value::Object(errors))
            }
        }
    }
}

fn range(f: &Field, x: f64) -> Result<(), Value> {
    if let Some(min) = f.min_value {
        if x < min {
            return Err(msg(format!(
                "Ensure this value is greater than or equal to {}.",
                num(min)
            )));
        }
    }
    if let Some(max) = f.max_value {
        if x > max {
            return Err(msg(format!(
                "Ensure this value is less than or equal to {}.",
                num(max)
            )));
        }
    }
    Ok(())
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The runtimes the platform accepts besides those it lists: aliases it keeps for
/// old clients and hides from the runtimes endpoint (`apps/codeboxes/runtimes.py`:
/// `python` stands for `python_library_v4.2`, `nodejs` for `nodejs_library_v0.4`).
pub const HIDDEN_RUNTIMES: &[&str] = &["python", "nodejs"];

fn choice(f: &Field, v: &Value) -> Result<Value, Value> {
    let given = display(v);
    if f.name == "runtime_name" && HIDDEN_RUNTIMES.contains(&given.as_str()) {
        return Ok(Value::String(given));
    }
    for c in &f.choices {
        match &c.value {
            ChoiceValue::Int(i) if i.to_string() == given => return Ok(Value::from(*i)),
            ChoiceValue::Str(s) if *s == given => return Ok(Value::String(s.clone())),
            _ => {}
        }
    }
    if f.choices.is_empty() {
        return Ok(v.clone());
    }
    Err(msg(format!("\"{given}\" is not a valid choice.")))
}

fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && !domain.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

/// Django's message for a value that is not a slug.
pub const SLUG: &str =
    "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.";

/// The rules of a name the platform keeps in a `StrippedSlugField`
/// (`apps/core/fields.py`): it starts with a letter, ends with a letter or a digit,
/// holds letters, digits and the allowed marks, and is none of the reserved names.
#[derive(Clone, Copy, Debug)]
pub struct SlugRules {
    /// `-` allowed.
    pub hyphens: bool,
    /// `_` allowed.
    pub underscores: bool,
    /// `--` refused (`Double hyphens are reserved.`: instance names).
    pub no_double_hyphens: bool,
    /// Names refused (`NotInValidator`).
    pub reserved: &'static [&'static str],
}

impl SlugRules {
    /// Channel, script endpoint, data endpoint, template and group names.
    pub const NAME: SlugRules = SlugRules {
        hyphens: true,
        underscores: true,
        no_double_hyphens: false,
        reserved: &[],
    };

    /// The errors of `s` (already lowercased and stripped), every rule it breaks in
    /// the platform's words, in the order its validators run.
    pub fn errors(&self, s: &str) -> Vec<String> {
        let mut errors = Vec::new();
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            errors.push("Value has to start with a letter.".to_owned());
        }
        if !s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            errors.push("Value has to end with a letter or a number.".to_owned());
        }
        if self.reserved.contains(&s) {
            errors.push("Unable to use that value. Please choose a different one.".to_owned());
        }
        if self.no_double_hyphens && s.contains("--") {
            errors.push("Double hyphens are reserved.".to_owned());
        }
        let allowed = |c: char| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || (self.underscores && c == '_')
                || (self.hyphens && c == '-')
        };
        if !s.chars().all(allowed) {
            let mut kinds = vec!["letters", "numbers"];
            if self.underscores {
                kinds.push("underscores");
            }
            if self.hyphens {
                kinds.push("hyphens");
            }
            errors.push(format!(
                "Enter a valid value consisting of {}.",
                kinds.join(", ")
            ));
        }
        errors
    }
}

/// The errors of a channel, endpoint, template or group name ([`SlugRules::NAME`]).
pub fn stripped_slug_errors(s: &str) -> Vec<String> {
    SlugRules::NAME.errors(s)
}

fn is_slug(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("ftp://"));
    rest.is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace))
}

/// Parses the datetime forms DRF accepts and renders the API's format.
pub fn parse_datetime(s: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(crate::time::format(dt.with_timezone(&chrono::Utc)));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(crate::time::format(n.and_utc()));
        }
    }
    None
}
