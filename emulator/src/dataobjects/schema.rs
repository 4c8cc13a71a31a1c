//! Class schema definitions: the `schema` list of a class and its validation.
//!
//! Mirrors the platform's schema validator: at most [`MAX_FIELDS`] fields, at most
//! [`MAX_INDEXES`] indexes (order and filter together), one index on a `geopoint`
//! field, names of letters, digits and `_` starting with a letter, reserved names
//! refused, `target` required on `reference` and `relation`, and only the keys a type
//! supports (`text`, `file` and `object` take no index; `array`, `geopoint` and
//! `relation` only `filter_index`). Every error is reported under the `schema` key as
//! `Error processing field definition "<name>" #<index>: <message>`.

use serde_json::{Map, Value};

use super::errors::{FieldErrors, single_error};

/// Maximum number of fields in a class schema (platform setting `CLASS_MAX_FIELDS`).
pub const MAX_FIELDS: usize = 32;
/// Maximum number of indexes (order + filter) in a class schema (`CLASS_MAX_INDEXES`).
pub const MAX_INDEXES: usize = 16;
/// Maximum length of a field name.
pub const MAX_FIELD_NAME_LEN: usize = 64;
/// Maximum number of indexes on `geopoint` fields.
pub const MAX_GEOPOINT_INDEXES: usize = 1;

/// The key under which schema errors are reported.
pub const SCHEMA_KEY: &str = "schema";

/// The message for a schema that is not a list of objects.
pub const INVALID_FORMAT: &str = "Schema passed in invalid format.";

/// Names a class field may not take (compared case-insensitively): the system fields of
/// a data object, their column names, and attributes of the platform's object model.
pub const RESERVED_NAMES: &[&str] = &[
    "expected_revision",
    "links",
    "self",
    "id",
    "created_at",
    "updated_at",
    "revision",
    "owner",
    "owner_id",
    "owner_permissions",
    "group",
    "group_id",
    "group_permissions",
    "other_permissions",
    "channel",
    "channel_id",
    "channel_room",
    "acl",
    "pk",
    "objects",
    "all_objects",
    "is_live",
    "delete",
    "hard_delete",
    "soft_delete",
    "save",
    "save_base",
    "clean",
    "clean_fields",
    "full_clean",
    "validate_unique",
    "unique_error_message",
    "date_error_message",
    "refresh_from_db",
    "serializable_value",
    "get_deferred_fields",
    "check",
    "from_db",
    "prepare_database_save",
    "has_changed",
    "has_changes",
    "old_value",
    "whats_changed",
    "store",
    "process_tracked_fields",
    "load_klass",
    "loaded_klass",
];

/// The type of a class field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKind {
    /// Up to 128 characters.
    String,
    /// Up to 32,000 characters; not indexable.
    Text,
    /// A 32-bit signed integer.
    Integer,
    /// A finite double.
    Float,
    /// `true`, `false` (or null).
    Boolean,
    /// A point in time, shown as `{"type": "datetime", "value": "…Z"}`.
    Datetime,
    /// A file (the emulator stores its URL); not indexable.
    File,
    /// The id of an object of the `target` class.
    Reference,
    /// Any JSON object; not indexable.
    Object,
    /// A list of strings, booleans, integers and floats.
    Array,
    /// `{"latitude", "longitude"}`.
    Geopoint,
    /// A list of ids of objects of the `target` class.
    Relation,
}

impl FieldKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [FieldKind; 12] = [
        FieldKind::String,
        FieldKind::Text,
        FieldKind::Integer,
        FieldKind::Float,
        FieldKind::Boolean,
        FieldKind::Datetime,
        FieldKind::File,
        FieldKind::Reference,
        FieldKind::Object,
        FieldKind::Array,
        FieldKind::Geopoint,
        FieldKind::Relation,
    ];

    /// The name used in a schema (`"string"`, `"geopoint"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Text => "text",
            FieldKind::Integer => "integer",
            FieldKind::Float => "float",
            FieldKind::Boolean => "boolean",
            FieldKind::Datetime => "datetime",
            FieldKind::File => "file",
            FieldKind::Reference => "reference",
            FieldKind::Object => "object",
            FieldKind::Array => "array",
            FieldKind::Geopoint => "geopoint",
            FieldKind::Relation => "relation",
        }
    }

    /// Parses a type name, case-insensitively.
    pub fn parse(name: &str) -> Option<FieldKind> {
        let lower = name.to_lowercase();
        FieldKind::ALL.into_iter().find(|k| k.as_str() == lower)
    }

    /// Whether a field of this kind may carry `filter_index`.
    pub fn filterable(self) -> bool {
        !matches!(self, FieldKind::Text | FieldKind::File | FieldKind::Object)
    }

    /// Whether a field of this kind may carry `order_index` (and `unique`).
    pub fn orderable(self) -> bool {
        matches!(
            self,
            FieldKind::String
                | FieldKind::Integer
                | FieldKind::Float
                | FieldKind::Boolean
                | FieldKind::Datetime
                | FieldKind::Reference
        )
    }

    /// Whether a field of this kind needs a `target`.
    pub fn needs_target(self) -> bool {
        matches!(self, FieldKind::Reference | FieldKind::Relation)
    }

    /// The keys a field definition of this kind may hold, in a fixed order.
    pub fn allowed_keys(self) -> &'static [&'static str] {
        match self {
            FieldKind::Reference => &[
                "name",
                "type",
                "order_index",
                "filter_index",
                "unique",
                "target",
            ],
            FieldKind::Array | FieldKind::Geopoint => &["name", "type", "filter_index"],
            FieldKind::Relation => &["name", "type", "filter_index", "target"],
            FieldKind::Text | FieldKind::File | FieldKind::Object => &["name", "type"],
            _ => &["name", "type", "order_index", "filter_index", "unique"],
        }
    }
}

impl std::fmt::Display for FieldKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of a class schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassField {
    /// Field name, as given (letters, digits and `_`, starting with a letter).
    pub name: String,
    /// Field type.
    pub ty: FieldKind,
    /// Whether the field may be used in `query` (always true when `unique`).
    pub filter_index: bool,
    /// Whether the field may be used in `order_by`.
    pub order_index: bool,
    /// Whether values must be unique within the class (the engine enforces it).
    pub unique: bool,
    /// For `reference` and `relation`: the target class name, lowercased; may be
    /// `"self"` (the class itself) or `"user"` (the instance's users).
    pub target: Option<String>,
}

impl ClassField {
    /// A field of `ty` named `name` without indexes or target.
    pub fn new(name: impl Into<String>, ty: FieldKind) -> Self {
        ClassField {
            name: name.into(),
            ty,
            filter_index: false,
            order_index: false,
            unique: false,
            target: None,
        }
    }

    /// The definition as the API shows it in a class's `schema` (false flags omitted).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert("type".into(), Value::String(self.ty.as_str().into()));
        if self.order_index {
            map.insert("order_index".into(), Value::Bool(true));
        }
        if self.filter_index {
            map.insert("filter_index".into(), Value::Bool(true));
        }
        if self.unique {
            map.insert("unique".into(), Value::Bool(true));
        }
        if let Some(target) = &self.target {
            map.insert("target".into(), Value::String(target.clone()));
        }
        Value::Object(map)
    }
}

/// Renders a parsed schema as the JSON list the API returns.
pub fn schema_to_json(fields: &[ClassField]) -> Value {
    Value::Array(fields.iter().map(ClassField::to_json).collect())
}

/// What schema validation needs to know about the rest of the instance.
pub struct SchemaContext<'a> {
    /// The class's current schema when the schema of an existing class is replaced
    /// (`unique` may only be set on new fields).
    pub previous: Option<&'a [ClassField]>,
    /// Whether a class of that (lowercased) name exists, for `target` checks.
    /// `"self"` and `"user"` are accepted without asking.
    pub class_exists: &'a dyn Fn(&str) -> bool,
}

/// Parses and validates a class `schema` for a new class, accepting every `target`
/// class name (use [`parse_class_schema_with`] to check targets against the instance).
pub fn parse_class_schema(value: &Value) -> Result<Vec<ClassField>, FieldErrors> {
    let any = |_: &str| true;
    parse_class_schema_with(
        value,
        &SchemaContext {
            previous: None,
            class_exists: &any,
        },
    )
}

/// Parses and validates a class `schema`; errors come back as `{"schema": [message]}`.
pub fn parse_class_schema_with(
    value: &Value,
    ctx: &SchemaContext<'_>,
) -> Result<Vec<ClassField>, FieldErrors> {
    let fail = |message: String| single_error(SCHEMA_KEY, message);
    let Value::Array(list) = value else {
        return Err(fail(INVALID_FORMAT.into()));
    };
    if list.len() > MAX_FIELDS {
        return Err(fail(format!(
            "Too many fields defined (exceeds {MAX_FIELDS})."
        )));
    }
    let mut fields: Vec<ClassField> = Vec::with_capacity(list.len());
    let mut counts = IndexCounts::default();
    for (idx, item) in list.iter().enumerate() {
        let Value::Object(def) = item else {
            return Err(fail(INVALID_FORMAT.into()));
        };
        match parse_field(def, &fields, &mut counts, ctx) {
            Ok(field) => fields.push(field),
            Err(message) => {
                let name = match def.get("name") {
                    None => "unknown".to_owned(),
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) => "None".to_owned(),
                    Some(other) => other.to_string(),
                };
                return Err(fail(format!(
                    "Error processing field definition \"{name}\" #{idx}: {message}"
                )));
            }
        }
    }
    Ok(fields)
}

#[derive(Default)]
struct IndexCounts {
    order: usize,
    filter: usize,
    geopoint: usize,
}

/// Python-style truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_field(
    def: &Map<String, Value>,
    earlier: &[ClassField],
    counts: &mut IndexCounts,
    ctx: &SchemaContext<'_>,
) -> Result<ClassField, String> {
    let (Some(name), Some(ty)) = (def.get("name"), def.get("type")) else {
        return Err("Field name and type is required.".into());
    };
    let Value::String(name) = name else {
        return Err("Invalid type of field name. Expected string.".into());
    };
    let len = name.chars().count();
    if len > MAX_FIELD_NAME_LEN {
        return Err(format!(
            "Value of field name is too long, maximum length is {MAX_FIELD_NAME_LEN}."
        ));
    }
    if len < 1 {
        return Err("Value of field name is too short, minimum length is 1.".into());
    }
    if !valid_name(name) {
        return Err(format!(
            "Wrong characters used in field name \"{name}\". Allowed characters are: letters, numbers and \
             underscores. Name has to start with a letter."
        ));
    }
    if RESERVED_NAMES.contains(&name.to_lowercase().as_str()) {
        return Err(format!("Field name \"{name}\" is reserved."));
    }
    let Value::String(ty) = ty else {
        return Err("Invalid type of field type. Expected string.".into());
    };
    let Some(kind) = FieldKind::parse(ty) else {
        let names: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(format!(
            "Invalid field type value. Possible types: {}.",
            names.join(", ")
        ));
    };
    let allowed = kind.allowed_keys();
    if def.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "Field {kind} definition can only consist of {}.",
            allowed.join(", ")
        ));
    }
    if earlier.iter().any(|f| f.name == *name) {
        return Err(format!("Field \"{name}\" defined more than once."));
    }
    let mut field = ClassField::new(name.clone(), kind);
    if kind.filterable() {
        field.unique = def.get("unique").is_some_and(truthy);
        if field.unique {
            let was_plain = ctx
                .previous
                .and_then(|prev| prev.iter().find(|f| f.name == *name))
                .is_some_and(|old| old.ty == kind && !old.unique);
            if was_plain {
                return Err(
                    "Unique index can only be set on a new field. Delete field first.".into(),
                );
            }
        }
        let index = |key: &str, label: &str| -> Result<bool, String> {
            match def.get(key) {
                None => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(format!(
                    "Invalid type of field \"{label}\". Expected boolean."
                )),
            }
        };
        field.order_index = index("order_index", "order index")?;
        field.filter_index = if field.unique {
            true
        } else {
            index("filter_index", "filter index")?
        };
        for on in [field.order_index, field.filter_index] {
            if on && kind == FieldKind::Geopoint {
                counts.geopoint += 1;
            }
        }
        counts.order += usize::from(field.order_index);
        counts.filter += usize::from(field.filter_index);
        if counts.order + counts.filter > MAX_INDEXES {
            return Err(format!("Too many indexes defined (exceeds {MAX_INDEXES})."));
        }
        if counts.geopoint > MAX_GEOPOINT_INDEXES {
            return Err(format!(
                "Too many indexes defined on field type geopoint (exceeds {MAX_GEOPOINT_INDEXES})."
            ));
        }
    }
    if kind.needs_target() {
        let target = match def.get("target") {
            None => return Err("Target must specify class name or \"self\".".into()),
            Some(Value::String(s)) if !s.is_empty() => s.to_lowercase(),
            Some(_) => return Err("Invalid value of target. Expected non-empty string.".into()),
        };
        if target == "users" {
            return Err("Target cannot be set to \"users\". Use \"user\" instead.".into());
        }
        if target != "self" && target != "user" && !(ctx.class_exists)(&target) {
            return Err("Class specified by target is missing.".into());
        }
        field.target = Some(target);
    }
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(value: Value) -> String {
        match parse_class_schema(&value) {
            Ok(fields) => panic!("expected an error, got {fields:?}"),
            Err(errors) => {
                assert_eq!(errors.len(), 1, "{errors:?}");
                errors[SCHEMA_KEY].join("|")
            }
        }
    }

    #[test]
    fn parses_every_kind_with_flags() {
        let schema = json!([
            {"name": "title", "type": "string", "order_index": true, "filter_index": true},
            {"name": "body", "type": "TEXT"},
            {"name": "n", "type": "integer", "unique": true},
            {"name": "f", "type": "float", "order_index": false},
            {"name": "b", "type": "boolean"},
            {"name": "d", "type": "datetime"},
            {"name": "file1", "type": "file"},
            {"name": "author", "type": "reference", "target": "Author"},
            {"name": "o", "type": "object"},
            {"name": "arr", "type": "array", "filter_index": true},
            {"name": "geo", "type": "geopoint", "filter_index": true},
            {"name": "rel", "type": "relation", "target": "self"}
        ]);
        let fields = parse_class_schema(&schema).unwrap();
        assert_eq!(fields.len(), 12);
        assert_eq!(fields[0].ty, FieldKind::String);
        assert!(fields[0].order_index && fields[0].filter_index && !fields[0].unique);
        assert_eq!(fields[1].ty, FieldKind::Text);
        assert!(
            fields[2].unique && fields[2].filter_index,
            "unique forces filter_index"
        );
        assert!(!fields[3].order_index);
        assert_eq!(fields[7].target.as_deref(), Some("author"));
        assert_eq!(fields[11].target.as_deref(), Some("self"));
        let back = schema_to_json(&fields);
        assert_eq!(back[1], json!({"name": "body", "type": "text"}));
        assert_eq!(
            back[2],
            json!({"name": "n", "type": "integer", "filter_index": true, "unique": true})
        );
        assert_eq!(parse_class_schema(&back).unwrap(), fields);
    }

    #[test]
    fn empty_schema_is_valid() {
        assert_eq!(parse_class_schema(&json!([])).unwrap(), vec![]);
    }

    #[test]
    fn format_errors() {
        assert_eq!(err(json!({"name": "a"})), INVALID_FORMAT);
        assert_eq!(err(json!("x")), INVALID_FORMAT);
        assert_eq!(err(json!([1])), INVALID_FORMAT);
        let many: Vec<Value> = (0..33)
            .map(|i| json!({"name": format!("f{i}"), "type": "text"}))
            .collect();
        assert_eq!(
            err(Value::Array(many)),
            "Too many fields defined (exceeds 32)."
        );
        let ok: Vec<Value> = (0..32)
            .map(|i| json!({"name": format!("f{i}"), "type": "text"}))
            .collect();
        assert_eq!(parse_class_schema(&Value::Array(ok)).unwrap().len(), 32);
    }

    #[test]
    fn name_errors() {
        assert_eq!(
            err(json!([{"type": "string"}])),
            "Error processing field definition \"unknown\" #0: Field name and type is required."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "text"}, {"name": 5, "type": "string"}])),
            "Error processing field definition \"5\" #1: Invalid type of field name. Expected string."
        );
        assert_eq!(
            err(json!([{"name": "", "type": "string"}])),
            "Error processing field definition \"\" #0: Value of field name is too short, minimum length is 1."
        );
        let long = "a".repeat(65);
        assert_eq!(
            err(json!([{"name": long, "type": "string"}])),
            format!(
                "Error processing field definition \"{long}\" #0: Value of field name is too long, maximum length is 64."
            )
        );
        assert_eq!(
            err(json!([{"name": "1abc", "type": "string"}])),
            "Error processing field definition \"1abc\" #0: Wrong characters used in field name \"1abc\". \
             Allowed characters are: letters, numbers and underscores. Name has to start with a letter."
        );
        assert!(err(json!([{"name": "a-b", "type": "string"}])).contains("Wrong characters"));
        for reserved in [
            "id",
            "Created_At",
            "owner",
            "revision",
            "links",
            "expected_revision",
            "channel_room",
        ] {
            assert_eq!(
                err(json!([{"name": reserved, "type": "string"}])),
                format!(
                    "Error processing field definition \"{reserved}\" #0: Field name \"{reserved}\" is reserved."
                )
            );
        }
        assert_eq!(
            err(json!([{"name": "a", "type": "string"}, {"name": "a", "type": "integer"}])),
            "Error processing field definition \"a\" #1: Field \"a\" defined more than once."
        );
    }

    #[test]
    fn type_errors() {
        assert_eq!(
            err(json!([{"name": "a", "type": 1}])),
            "Error processing field definition \"a\" #0: Invalid type of field type. Expected string."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "blob"}])),
            "Error processing field definition \"a\" #0: Invalid field type value. Possible types: string, text, \
             integer, float, boolean, datetime, file, reference, object, array, geopoint, relation."
        );
    }

    #[test]
    fn key_errors() {
        assert_eq!(
            err(json!([{"name": "a", "type": "text", "filter_index": true}])),
            "Error processing field definition \"a\" #0: Field text definition can only consist of name, type."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "array", "order_index": true}])),
            "Error processing field definition \"a\" #0: Field array definition can only consist of name, type, \
             filter_index."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "string", "target": "x"}])),
            "Error processing field definition \"a\" #0: Field string definition can only consist of name, type, \
             order_index, filter_index, unique."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "relation", "target": "self", "unique": true}])),
            "Error processing field definition \"a\" #0: Field relation definition can only consist of name, type, \
             filter_index, target."
        );
        assert!(
            err(json!([{"name": "a", "type": "object", "order_index": true}]))
                .contains("Field object")
        );
    }

    #[test]
    fn index_errors() {
        assert_eq!(
            err(json!([{"name": "a", "type": "string", "filter_index": "yes"}])),
            "Error processing field definition \"a\" #0: Invalid type of field \"filter index\". Expected boolean."
        );
        assert_eq!(
            err(json!([{"name": "a", "type": "integer", "order_index": 1}])),
            "Error processing field definition \"a\" #0: Invalid type of field \"order index\". Expected boolean."
        );
        let many: Vec<Value> = (0..9)
            .map(|i| json!({"name": format!("f{i}"), "type": "integer", "order_index": true, "filter_index": true}))
            .collect();
        assert_eq!(
            err(Value::Array(many)),
            "Error processing field definition \"f8\" #8: Too many indexes defined (exceeds 16)."
        );
        let ok: Vec<Value> = (0..8)
            .map(|i| json!({"name": format!("f{i}"), "type": "integer", "order_index": true, "filter_index": true}))
            .collect();
        assert!(parse_class_schema(&Value::Array(ok)).is_ok());
        assert_eq!(
            err(json!([
                {"name": "g1", "type": "geopoint", "filter_index": true},
                {"name": "g2", "type": "geopoint", "filter_index": true}
            ])),
            "Error processing field definition \"g2\" #1: Too many indexes defined on field type geopoint (exceeds 1)."
        );
    }

    #[test]
    fn target_errors() {
        assert_eq!(
            err(json!([{"name": "r", "type": "reference"}])),
            "Error processing field definition \"r\" #0: Target must specify class name or \"self\"."
        );
        assert_eq!(
            err(json!([{"name": "r", "type": "relation", "target": ""}])),
            "Error processing field definition \"r\" #0: Invalid value of target. Expected non-empty string."
        );
        assert_eq!(
            err(json!([{"name": "r", "type": "relation", "target": 3}])),
            "Error processing field definition \"r\" #0: Invalid value of target. Expected non-empty string."
        );
        assert_eq!(
            err(json!([{"name": "r", "type": "reference", "target": "Users"}])),
            "Error processing field definition \"r\" #0: Target cannot be set to \"users\". Use \"user\" instead."
        );
        let exists = |name: &str| name == "book";
        let ctx = SchemaContext {
            previous: None,
            class_exists: &exists,
        };
        let missing = parse_class_schema_with(
            &json!([{"name": "r", "type": "reference", "target": "car"}]),
            &ctx,
        )
        .unwrap_err();
        assert_eq!(
            missing[SCHEMA_KEY],
            vec![
                "Error processing field definition \"r\" #0: Class specified by target is missing."
                    .to_owned()
            ]
        );
        for target in ["Book", "self", "user"] {
            let ok = parse_class_schema_with(
                &json!([{"name": "r", "type": "reference", "target": target}]),
                &ctx,
            );
            assert!(ok.is_ok(), "{target}");
        }
    }

    #[test]
    fn unique_only_on_new_fields() {
        let previous = vec![ClassField::new("code", FieldKind::String)];
        let any = |_: &str| true;
        let ctx = SchemaContext {
            previous: Some(&previous),
            class_exists: &any,
        };
        let e = parse_class_schema_with(
            &json!([{"name": "code", "type": "string", "unique": true}]),
            &ctx,
        )
        .unwrap_err();
        assert_eq!(
            e[SCHEMA_KEY],
            vec![
                "Error processing field definition \"code\" #0: Unique index can only be set on a new field. \
                 Delete field first."
                    .to_owned()
            ]
        );
        // A field whose type changes counts as new.
        assert!(
            parse_class_schema_with(
                &json!([{"name": "code", "type": "integer", "unique": true}]),
                &ctx
            )
            .is_ok()
        );
    }
}
