//! OPTIONS: the endpoint metadata built from the schema's fields.

use serde_json::{Map, Value, json};
use syncano_codegen::schema::{ChoiceValue, Field, FieldType, HttpMethod};

use crate::api::Resp;
use crate::spec::{Kind, Spec};

fn type_name(t: &FieldType) -> &'static str {
    match t {
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
        // DRF's name for a FileField
        FieldType::File => "file upload",
        FieldType::Links => "links",
        FieldType::Object(_) => "nested object",
    }
}

/// The metadata of one field.
pub fn field_meta(f: &Field) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(type_name(&f.ty)));
    m.insert("required".into(), json!(f.required));
    m.insert("read_only".into(), json!(f.read_only));
    m.insert(
        "label".into(),
        json!(f.label.clone().unwrap_or_else(|| f.name.clone())),
    );
    if let Some(n) = f.max_length {
        m.insert("max_length".into(), json!(n));
    }
    if let Some(n) = f.min_length {
        m.insert("min_length".into(), json!(n));
    }
    if let Some(n) = f.min_value {
        m.insert("min_value".into(), json!(n));
    }
    if let Some(n) = f.max_value {
        m.insert("max_value".into(), json!(n));
    }
    if !f.choices.is_empty() {
        let choices: Vec<Value> = f
            .choices
            .iter()
            .map(|c| {
                let v = match &c.value {
                    ChoiceValue::Int(i) => json!(i),
                    ChoiceValue::Str(s) => json!(s),
                };
                json!({"value": v, "display_name": c.display_name})
            })
            .collect();
        m.insert("choices".into(), Value::Array(choices));
    }
    if let FieldType::Object(sub) = &f.ty {
        let mut c = Map::new();
        for s in sub {
            c.insert(s.name.clone(), field_meta(s));
        }
        m.insert("children".into(), Value::Object(c));
    }
    Value::Object(m)
}

/// The OPTIONS answer of a route.
pub fn metadata(spec: &Spec, route: usize) -> Resp {
    let (Some(r), Some(e)) = (spec.resource(route), spec.endpoint(route)) else {
        return Resp::not_found();
    };
    let kind = match spec.routes.get(route).map(|x| x.kind) {
        Some(Kind::List) => "List".to_owned(),
        Some(Kind::Detail) => "Detail".to_owned(),
        _ => {
            let mut s = e.name.replace('_', " ");
            if let Some(c) = s.get_mut(0..1) {
                c.make_ascii_uppercase();
            }
            s
        }
    };
    let mut actions = Map::new();
    let fields = spec.write_fields(route);
    for (m, label) in [(HttpMethod::Post, "POST"), (HttpMethod::Put, "PUT")] {
        if e.methods.contains(&m) {
            let mut fm = Map::new();
            for f in fields {
                fm.insert(f.name.clone(), field_meta(f));
            }
            actions.insert(label.into(), Value::Object(fm));
        }
    }
    let description = e
        .description
        .clone()
        .or_else(|| r.description.clone())
        .unwrap_or_default();
    let mut body = json!({
        "name": format!("{} {}", r.name, kind),
        "description": description,
        "renders": ["application/json"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    });
    if !actions.is_empty() {
        if let Some(o) = body.as_object_mut() {
            o.insert("actions".into(), Value::Object(actions));
        }
    }
    Resp::ok(body)
}
