//! TEMPORARY stand-in for `syncano_codegen::schema` (contract §1) until that module lands;
//! the emulator switches to the real parser then.
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}
#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceValue {
    Int(i64),
    Str(String),
}
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: ChoiceValue,
    pub display_name: String,
}
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    pub name: String,
    pub kind: String,
}
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    String,
    Text,
    Email,
    Slug,
    Url,
    Integer,
    Float,
    Decimal,
    Boolean,
    Datetime,
    Date,
    Choice,
    Json,
    Links,
    Object(Vec<Field>),
}
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub label: Option<String>,
    pub read_only: bool,
    pub write_only: bool,
    pub required: bool,
    pub primary_key: bool,
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub default: Option<Value>,
    pub choices: Vec<Choice>,
    pub links: Vec<LinkSpec>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub path: String,
    pub methods: Vec<HttpMethod>,
    pub path_params: Vec<String>,
    pub fields: Option<Vec<Field>>,
    pub returns: Option<String>,
    pub paginated: Option<bool>,
    pub status: Option<u16>,
    pub description: Option<String>,
    pub query_fields: Vec<String>,
    pub order_fields: Vec<String>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    pub description: Option<String>,
    pub extensible: bool,
    pub fields: Vec<Field>,
    pub endpoints: Vec<Endpoint>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub resources: Vec<Resource>,
}
#[derive(Debug)]
pub struct SchemaError(pub String);
impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn field(name: &str, v: &Value) -> Field {
    let o = v.as_object().cloned().unwrap_or_default();
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let b = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
    let ty = match s("type").as_deref() {
        Some("string") => FieldType::String,
        Some("text") => FieldType::Text,
        Some("email") => FieldType::Email,
        Some("slug") => FieldType::Slug,
        Some("url") => FieldType::Url,
        Some("integer") => FieldType::Integer,
        Some("float") => FieldType::Float,
        Some("decimal") => FieldType::Decimal,
        Some("boolean") => FieldType::Boolean,
        Some("datetime") => FieldType::Datetime,
        Some("date") => FieldType::Date,
        Some("choice") => FieldType::Choice,
        Some("links") => FieldType::Links,
        Some("object") => FieldType::Object(
            o.get("fields")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| field(k, v)).collect())
                .unwrap_or_default(),
        ),
        _ => FieldType::Json,
    };
    Field {
        name: name.into(),
        ty,
        label: s("label"),
        read_only: b("read_only"),
        write_only: b("write_only"),
        required: b("required"),
        primary_key: b("primary_key"),
        max_length: o.get("max_length").and_then(Value::as_u64),
        min_length: o.get("min_length").and_then(Value::as_u64),
        min_value: o.get("min_value").and_then(Value::as_f64),
        max_value: o.get("max_value").and_then(Value::as_f64),
        default: o.get("default").cloned(),
        choices: o
            .get("choices")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|c| Choice {
                        value: match &c["value"] {
                            Value::Number(n) => ChoiceValue::Int(n.as_i64().unwrap_or(0)),
                            other => ChoiceValue::Str(other.as_str().unwrap_or("").into()),
                        },
                        display_name: c["display_name"].as_str().unwrap_or("").into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        links: o
            .get("links")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|l| LinkSpec {
                        name: l["name"].as_str().unwrap_or("").into(),
                        kind: l["type"].as_str().unwrap_or("").into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn parse(json: &str, source: &str) -> Result<Schema, SchemaError> {
    let v: Value = serde_json::from_str(json).map_err(|e| SchemaError(format!("{source}: {e}")))?;
    let mut resources = Vec::new();
    for r in v.as_array().cloned().unwrap_or_default() {
        let mut fields: Vec<Field> = r
            .get("properties")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| field(k, v)).collect())
            .unwrap_or_default();
        let mut endpoints = Vec::new();
        for (name, e) in r
            .get("endpoints")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
        {
            let efields: Option<Vec<Field>> = e
                .get("fields")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| field(k, v)).collect());
            if let Some(ef) = &efields {
                if name == "detail" || name == "list" {
                    for f in ef {
                        if !fields.iter().any(|x| x.name == f.name) {
                            fields.push(f.clone());
                        }
                    }
                }
            }
            let mut methods: Vec<HttpMethod> = e
                .get("methods")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|m| match m.as_str() {
                            Some("get") => Some(HttpMethod::Get),
                            Some("post") => Some(HttpMethod::Post),
                            Some("put") => Some(HttpMethod::Put),
                            Some("patch") => Some(HttpMethod::Patch),
                            Some("delete") => Some(HttpMethod::Delete),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            methods.sort();
            methods.dedup();
            endpoints.push(Endpoint {
                name: name.clone(),
                path: e["path"].as_str().unwrap_or("").into(),
                methods,
                path_params: e
                    .get("properties")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                fields: efields,
                returns: e.get("returns").and_then(Value::as_str).map(str::to_owned),
                paginated: e.get("paginated").and_then(Value::as_bool),
                status: e.get("status").and_then(Value::as_u64).map(|x| x as u16),
                description: None,
                query_fields: vec![],
                order_fields: vec![],
            });
        }
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        resources.push(Resource {
            name: r["name"].as_str().unwrap_or("").into(),
            description: None,
            extensible: r
                .get("extensible")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            fields,
            endpoints,
        });
    }
    resources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Schema { resources })
}
