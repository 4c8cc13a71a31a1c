//! JSON → [`Schema`](super::Schema): structural parsing (no cross-checks; those are
//! in [`crate::validate`]).

use serde_json::{Map, Value};

use super::{
    Choice, ChoiceValue, Endpoint, Field, FieldType, HttpMethod, LinkSpec, Resource, Schema,
};
use crate::validate::SchemaError;

/// Where in the document something is, for messages: `resource "Class", endpoint
/// "detail", field "name"`.
#[derive(Clone, Default)]
pub(crate) struct At(Vec<String>);

impl At {
    pub(crate) fn resource(name: &str) -> At {
        At(vec![format!("resource \"{name}\"")])
    }
    pub(crate) fn index(i: usize) -> At {
        At(vec![format!("resource #{}", i + 1)])
    }
    pub(crate) fn with(&self, what: &str, name: &str) -> At {
        let mut v = self.0.clone();
        v.push(format!("{what} \"{name}\""));
        At(v)
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("document")
        } else {
            f.write_str(&self.0.join(", "))
        }
    }
}

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn bad(&self, at: &At, message: impl Into<String>) -> SchemaError {
        SchemaError::Malformed {
            file: self.file.to_string(),
            at: at.to_string(),
            message: message.into(),
        }
    }

    fn object<'v>(
        &self,
        v: &'v Value,
        at: &At,
        what: &str,
    ) -> Result<&'v Map<String, Value>, SchemaError> {
        v.as_object().ok_or_else(|| {
            self.bad(
                at,
                format!("{what} must be a JSON object, found {}", kind(v)),
            )
        })
    }

    fn opt_string(
        &self,
        m: &Map<String, Value>,
        key: &str,
        at: &At,
    ) -> Result<Option<String>, SchemaError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.bad(at, format!("\"{key}\" must be a string, found {}", kind(v)))),
        }
    }

    fn bool(&self, m: &Map<String, Value>, key: &str, at: &At) -> Result<bool, SchemaError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.bad(
                at,
                format!("\"{key}\" must be true or false, found {}", kind(v)),
            )),
        }
    }

    fn opt_u64(&self, v: Option<&Value>, key: &str, at: &At) -> Result<Option<u64>, SchemaError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                self.bad(
                    at,
                    format!("\"{key}\" must be a non-negative integer, found {v}"),
                )
            }),
        }
    }

    fn opt_f64(&self, v: Option<&Value>, key: &str, at: &At) -> Result<Option<f64>, SchemaError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                self.bad(at, format!("\"{key}\" must be a number, found {}", kind(v)))
            }),
        }
    }

    fn strings(
        &self,
        m: &Map<String, Value>,
        key: &str,
        at: &At,
    ) -> Result<Vec<String>, SchemaError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        self.bad(
                            at,
                            format!("\"{key}\" must be a list of strings, found an item {v}"),
                        )
                    })
                })
                .collect(),
            Some(v) => Err(self.bad(
                at,
                format!("\"{key}\" must be a list of strings, found {}", kind(v)),
            )),
        }
    }
}

/// A short name of a JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn sorted_dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Parses the document's JSON into a schema (sorted), without cross-checks.
pub(crate) fn parse_document(json: &str, file: &str) -> Result<Schema, SchemaError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| SchemaError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    parse_value(&doc, file)
}

/// Parses a document already read as JSON into a schema (sorted), without
/// cross-checks.
pub(crate) fn parse_value(doc: &Value, file: &str) -> Result<Schema, SchemaError> {
    let ctx = Ctx { file };
    let items = doc.as_array().ok_or_else(|| {
        ctx.bad(
            &At::default(),
            format!(
                "the document must be a JSON list of resources, found {}",
                kind(doc)
            ),
        )
    })?;
    let mut resources = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        resources.push(parse_resource(&ctx, item, i)?);
    }
    resources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Schema { resources })
}

/// serde_json appends " at line L column C"; the message carries them separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn parse_resource(ctx: &Ctx<'_>, v: &Value, index: usize) -> Result<Resource, SchemaError> {
    let at = At::index(index);
    let m = ctx.object(v, &at, "a resource")?;
    let name = match m.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ctx.bad(
                &at,
                format!("\"name\" must be a string, found {}", kind(other)),
            ));
        }
        None => return Err(ctx.bad(&at, "the resource has no \"name\"")),
    };
    let at = At::resource(&name);
    let description = ctx.opt_string(m, "description", &at)?;
    let extensible = ctx.bool(m, "extensible", &at)?;
    let fields_unknown = ctx.bool(m, "fields_unknown", &at)?;
    let shape_a = match m.get("properties") {
        None | Some(Value::Null) => None,
        Some(p) => Some(parse_fields(
            ctx,
            ctx.object(p, &at, "\"properties\"")?,
            &at,
        )?),
    };
    let mut endpoints = Vec::new();
    match m.get("endpoints") {
        None | Some(Value::Null) => {}
        Some(e) => {
            for (ename, ev) in ctx.object(e, &at, "\"endpoints\"")? {
                endpoints.push(parse_endpoint(ctx, ename, ev, &at.with("endpoint", ename))?);
            }
        }
    }
    endpoints.sort_by(|a, b| a.name.cmp(&b.name));

    // Merge: properties > detail > list; custom endpoints only when none of those
    // declare fields (their fields are a request body, e.g. `rename`'s `new_name`).
    let add = |from: &[Field], fields: &mut Vec<Field>| {
        for f in from {
            if !fields.iter().any(|g| g.name == f.name) {
                fields.push(f.clone());
            }
        }
    };
    let mut fields: Vec<Field> = Vec::new();
    add(&shape_a.unwrap_or_default(), &mut fields);
    for std_name in ["detail", "list"] {
        if let Some(ep_fields) = endpoints
            .iter()
            .find(|e| e.name == std_name)
            .and_then(|e| e.fields.as_ref())
        {
            add(ep_fields, &mut fields);
        }
    }
    if fields.is_empty() {
        for e in endpoints.iter().filter(|e| !e.is_standard()) {
            if let Some(ep_fields) = &e.fields {
                add(ep_fields, &mut fields);
            }
        }
    }
    Ok(Resource {
        name,
        description,
        extensible,
        fields,
        endpoints,
        fields_unknown,
    })
}

fn parse_endpoint(ctx: &Ctx<'_>, name: &str, v: &Value, at: &At) -> Result<Endpoint, SchemaError> {
    let m = ctx.object(v, at, "an endpoint")?;
    let path = match m.get("path") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!("\"path\" must be a string, found {}", kind(other)),
            ));
        }
        None => return Err(ctx.bad(at, "the endpoint has no \"path\"")),
    };
    let mut methods = Vec::new();
    for raw in ctx.strings(m, "methods", at)? {
        let method = HttpMethod::from_name(&raw).ok_or_else(|| SchemaError::UnknownMethod {
            file: ctx.file.to_string(),
            at: at.to_string(),
            method: raw.clone(),
        })?;
        methods.push(method);
    }
    methods.sort();
    methods.dedup();
    let path_params = ctx.strings(m, "properties", at)?;
    let fields = match m.get("fields") {
        None | Some(Value::Null) => None,
        Some(f) => Some(parse_fields(ctx, ctx.object(f, at, "\"fields\"")?, at)?),
    };
    let paginated = match m.get("paginated") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!("\"paginated\" must be true or false, found {}", kind(other)),
            ));
        }
    };
    let status = match ctx.opt_u64(m.get("status"), "status", at)? {
        None => None,
        Some(s) => Some(
            u16::try_from(s)
                .ok()
                .filter(|s| (100..600).contains(s))
                .ok_or_else(|| {
                    ctx.bad(
                        at,
                        format!("\"status\" must be an HTTP status code, found {s}"),
                    )
                })?,
        ),
    };
    Ok(Endpoint {
        name: name.to_string(),
        path,
        methods,
        path_params,
        fields,
        returns: ctx.opt_string(m, "returns", at)?,
        paginated,
        status,
        description: ctx.opt_string(m, "description", at)?,
        query_fields: sorted_dedup(ctx.strings(m, "query_fields", at)?),
        order_fields: sorted_dedup(ctx.strings(m, "order_fields", at)?),
        methods_incomplete: ctx.bool(m, "methods_incomplete", at)?,
    })
}

fn parse_fields(ctx: &Ctx<'_>, m: &Map<String, Value>, at: &At) -> Result<Vec<Field>, SchemaError> {
    let mut out = Vec::with_capacity(m.len());
    for (name, v) in m {
        out.push(parse_field(ctx, name, v, &at.with("field", name))?);
    }
    Ok(out)
}

/// Parses one field definition (a nested object when it has no `type`: then every
/// object-valued key is a sub-field).
fn parse_field(ctx: &Ctx<'_>, name: &str, v: &Value, at: &At) -> Result<Field, SchemaError> {
    let m = ctx.object(v, at, "a field")?;
    let ty = match m.get("type") {
        None | Some(Value::Null) => {
            // A nested object: every object-valued key is a sub-field.
            let mut subs = Vec::new();
            for (sub, sv) in m {
                if sv.is_object() {
                    subs.push(parse_field(ctx, sub, sv, &at.with("field", sub))?);
                }
            }
            // a nested object's keys carry no order of their own in the documents
            subs.sort_by(|a, b| a.name.cmp(&b.name));
            FieldType::Object(subs)
        }
        Some(Value::String(t)) => match t.as_str() {
            "string" => FieldType::String,
            "text" => FieldType::Text,
            "email" => FieldType::Email,
            "slug" => FieldType::Slug,
            "url" => FieldType::Url,
            "integer" => FieldType::Integer,
            "float" => FieldType::Float,
            "decimal" => FieldType::Decimal,
            "boolean" => FieldType::Boolean,
            "datetime" => FieldType::Datetime,
            "date" => FieldType::Date,
            "choice" => FieldType::Choice,
            "field" => FieldType::Json,
            "file" => FieldType::File,
            "links" => FieldType::Links,
            "object" => match m.get("fields") {
                None | Some(Value::Null) => FieldType::Object(Vec::new()),
                Some(f) => {
                    FieldType::Object(parse_fields(ctx, ctx.object(f, at, "\"fields\"")?, at)?)
                }
            },
            other => {
                return Err(SchemaError::UnknownFieldType {
                    file: ctx.file.to_string(),
                    at: at.to_string(),
                    ty: other.to_string(),
                });
            }
        },
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!("\"type\" must be a string, found {}", kind(other)),
            ));
        }
    };
    let mut choices = Vec::new();
    if let Some(Value::Array(items)) = m.get("choices") {
        for item in items {
            choices.push(parse_choice(ctx, item, at)?);
        }
    } else if let Some(c) = m.get("choices").filter(|c| !c.is_null() && !c.is_array()) {
        return Err(ctx.bad(at, format!("\"choices\" must be a list, found {}", kind(c))));
    }
    let mut links = Vec::new();
    match m.get("links") {
        // In a nested object (no `type`) `links` is a sub-field, not a list.
        Some(Value::Array(items)) => {
            for item in items {
                let lm = ctx.object(item, at, "a link")?;
                let lname = ctx
                    .opt_string(lm, "name", at)?
                    .ok_or_else(|| ctx.bad(at, "a link has no \"name\""))?;
                let lkind = ctx.opt_string(lm, "type", at)?.unwrap_or_default();
                links.push(LinkSpec {
                    name: lname,
                    kind: lkind,
                });
            }
        }
        Some(Value::Object(_)) if matches!(ty, FieldType::Object(_)) => {}
        None | Some(Value::Null) => {}
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!("\"links\" must be a list, found {}", kind(other)),
            ));
        }
    }
    let nested = matches!(ty, FieldType::Object(_)) && !m.contains_key("type");
    // In a nested object without `type`, attribute-like keys may be sub-fields.
    let attr = |key: &str| {
        if nested && m.get(key).is_some_and(Value::is_object) {
            None
        } else {
            m.get(key)
        }
    };
    let flags = |key: &str| -> Result<bool, SchemaError> {
        match attr(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(ctx.bad(
                at,
                format!("\"{key}\" must be true or false, found {}", kind(v)),
            )),
        }
    };
    let label = match attr("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    };
    Ok(Field {
        name: name.to_string(),
        label,
        read_only: flags("read_only")?,
        write_only: flags("write_only")?,
        required: flags("required")?,
        primary_key: flags("primary_key")?,
        max_length: ctx.opt_u64(attr("max_length"), "max_length", at)?,
        min_length: ctx.opt_u64(attr("min_length"), "min_length", at)?,
        min_value: ctx.opt_f64(attr("min_value"), "min_value", at)?,
        max_value: ctx.opt_f64(attr("max_value"), "max_value", at)?,
        default: attr("default").cloned(),
        choices,
        links,
        inferred: flags("inferred")?,
        ty,
    })
}

fn parse_choice(ctx: &Ctx<'_>, v: &Value, at: &At) -> Result<Choice, SchemaError> {
    let m = ctx.object(v, at, "a choice")?;
    let value = match m.get("value") {
        Some(Value::String(s)) => ChoiceValue::Str(s.clone()),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => ChoiceValue::Int(i),
            None => {
                return Err(ctx.bad(
                    at,
                    format!("a choice value must be a string or an integer, found {n}"),
                ));
            }
        },
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!(
                    "a choice value must be a string or an integer, found {}",
                    kind(other)
                ),
            ));
        }
        None => return Err(ctx.bad(at, "a choice has no \"value\"")),
    };
    let display_name = match m.get("display_name") {
        None | Some(Value::Null) => value.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other @ (Value::Number(_) | Value::Bool(_))) => other.to_string(),
        Some(other) => {
            return Err(ctx.bad(
                at,
                format!(
                    "a choice's \"display_name\" must be text, found {}",
                    kind(other)
                ),
            ));
        }
    };
    Ok(Choice {
        value,
        display_name,
    })
}
