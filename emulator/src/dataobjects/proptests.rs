//! Property tests: arbitrary input never panics and always yields a value or a
//! structured error; validated data is stable under re-validation.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::datetime::{format_datetime, parse_api_datetime, parse_lenient_datetime};
use super::ordering::{Direction, parse_order_by};
use super::query::{ClassLookup, parse_query_value, parse_query_with};
use super::schema::{ClassField, FieldKind, parse_class_schema, schema_to_json};
use super::validate::{represent_object, validate_object};

const NAMES: &[&str] = &[
    "s",
    "t",
    "i",
    "f",
    "b",
    "d",
    "file",
    "r",
    "o",
    "a",
    "g",
    "rel",
    "id",
    "created_at",
    "owner",
    "channel",
    "channel_room",
    "revision",
    "nope",
];
const OPS: &[&str] = &[
    "_gt",
    "_gte",
    "_lt",
    "_lte",
    "_eq",
    "_neq",
    "_exists",
    "_in",
    "_nin",
    "_contains",
    "_icontains",
    "_startswith",
    "_istartswith",
    "_endswith",
    "_iendswith",
    "_like",
    "_ilike",
    "_ieq",
    "_is",
    "_near",
    "_increment",
    "_add",
    "_addunique",
    "_remove",
    "latitude",
    "longitude",
    "distance_in_kilometers",
    "distance_in_miles",
    "type",
    "value",
    "x",
];

fn fields() -> Vec<ClassField> {
    let kinds = [
        ("s", FieldKind::String),
        ("t", FieldKind::Text),
        ("i", FieldKind::Integer),
        ("f", FieldKind::Float),
        ("b", FieldKind::Boolean),
        ("d", FieldKind::Datetime),
        ("file", FieldKind::File),
        ("r", FieldKind::Reference),
        ("o", FieldKind::Object),
        ("a", FieldKind::Array),
        ("g", FieldKind::Geopoint),
        ("rel", FieldKind::Relation),
    ];
    kinds
        .into_iter()
        .map(|(name, ty)| {
            let mut f = ClassField::new(name, ty);
            f.filter_index = ty.filterable();
            f.order_index = ty.orderable();
            if ty.needs_target() {
                f.target = Some(if name == "r" {
                    "self".into()
                } else {
                    "other".into()
                });
            }
            f
        })
        .collect()
}

struct Other;
impl ClassLookup for Other {
    fn class_fields(&self, name: &str) -> Option<Vec<ClassField>> {
        (name == "other").then(fields)
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(NAMES).prop_map(str::to_owned),
        prop::sample::select(OPS).prop_map(str::to_owned),
        "[a-z_]{0,6}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..3).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-200.0f64..200.0).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[0-9 .eE+-]{0,8}".prop_map(Value::String),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{1,6}Z"
            .prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), json()), 0..10).prop_map(|pairs| pairs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn query_strings_never_panic(text in ".{0,80}") {
        let _ = parse_query_with(&text, &fields(), &Other);
    }

    #[test]
    fn query_values_never_panic(query in json(), objects in prop::collection::vec(object(), 0..4)) {
        if let Ok(mut parsed) = parse_query_value(&query, &fields(), &Other) {
            parsed.resolve_nested(|_, nested| {
                objects.iter().filter(|o| nested.matches(o)).filter_map(|o| o.get("id")?.as_i64()).collect()
            });
            for object in &objects {
                let _ = parsed.matches(object);
            }
            let text = query.to_string();
            prop_assert!(parse_query_with(&text, &fields(), &Other).is_ok());
        }
    }

    #[test]
    fn bodies_never_panic_and_results_are_stable(body in object(), existing in proptest::option::of(object())) {
        let fields = fields();
        // Stored objects always went through validation themselves.
        let existing = existing.and_then(|raw| validate_object(&fields, &raw, None, false).ok());
        match validate_object(&fields, &body, existing.as_ref(), true) {
            Ok(data) => {
                for key in data.keys() {
                    prop_assert!(fields.iter().any(|f| &f.name == key), "unexpected key {}", key);
                }
                let again = validate_object(&fields, &data, None, false);
                prop_assert_eq!(again.as_ref(), Ok(&data));
                let shown = represent_object(&fields, &data);
                prop_assert_eq!(shown.len(), fields.len());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.values().all(|messages| !messages.is_empty()));
                prop_assert!(serde_json::to_value(&errors).is_ok());
            }
        }
    }

    #[test]
    fn schemas_never_panic(schema in json()) {
        if let Ok(parsed) = parse_class_schema(&schema) {
            prop_assert_eq!(parse_class_schema(&schema_to_json(&parsed)), Ok(parsed));
        }
    }

    #[test]
    fn field_lists_never_panic(defs in prop::collection::vec(
        prop::collection::vec((prop::sample::select(&["name", "type", "filter_index", "order_index", "unique", "target", "x"][..]), json()), 0..7)
            .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        0..5,
    )) {
        let _ = parse_class_schema(&Value::Array(defs));
    }

    #[test]
    fn ordering_never_panics(
        param in prop_oneof![prop::sample::select(NAMES).prop_map(str::to_owned), ".{0,10}"],
        descending in any::<bool>(),
        raw in proptest::option::of(".{0,30}"),
        objects in prop::collection::vec(object(), 0..6),
        last_pk in proptest::option::of(-5i64..10),
        direction in proptest::option::of(prop_oneof![Just(Direction::Next), Just(Direction::Prev)]),
        page_size in 0usize..5,
    ) {
        let text = if descending { format!("-{param}") } else { param };
        if let Ok(by) = parse_order_by(&text, &fields()) {
            if let Ok(last_value) = by.parse_last_value(raw.as_deref()) {
                let (page, _) = by.select_page(&objects, last_value.as_ref(), last_pk, direction, page_size);
                prop_assert!(page.len() <= page_size);
                for pair in page.windows(2) {
                    prop_assert!(by.compare(pair[0], pair[1]) != std::cmp::Ordering::Greater);
                }
            }
            for object in &objects {
                let _ = by.cursor_value(object);
            }
        }
    }

    #[test]
    fn datetimes_never_panic(text in ".{0,40}") {
        let _ = parse_api_datetime(&text);
        let _ = parse_lenient_datetime(&text);
    }

    #[test]
    fn api_datetimes_round_trip(secs in 0i64..253_402_300_799, micros in 0u32..1_000_000) {
        let dt = chrono::DateTime::from_timestamp(secs, micros * 1000);
        prop_assume!(dt.is_some());
        let dt = dt.unwrap_or_default();
        let text = format_datetime(&dt);
        prop_assert_eq!(parse_api_datetime(&text), Some(dt));
        prop_assert_eq!(parse_lenient_datetime(&text), Ok(dt));
    }
}
