//! The normal form of a schema document, so that an unchanged API always gives a
//! byte-identical file.
//!
//! The rules, applied recursively:
//! - every JSON object has its keys sorted (byte order), except the fields of a
//!   `properties` or `fields` object, which keep the server's order (the order of a create's
//!   required arguments in the generated code);
//! - the top-level list of resources is sorted by `name` (entries without a name
//!   keep their relative order, after the named ones);
//! - the lists `methods`, `query_fields` and `order_fields` (sets of strings) are
//!   sorted and deduplicated; every other list keeps its order (an endpoint's
//!   `properties` are the path parameters in path order, `choices` and `links`
//!   are in the server's order);
//! - output is pretty-printed with a two-space indent and ends with a newline.
//!
//! Values are never changed, only reordered.

use serde_json::{Map, Value};

/// Keys whose list values are sets of strings and are therefore sorted.
const SORTED_LISTS: &[&str] = &["methods", "query_fields", "order_fields"];

/// Returns the normal form of a schema document (see the [module docs](self)).
pub fn normalize(doc: &Value) -> String {
    let value = normalize_value(doc, None, true);
    // Serializing a `Value` cannot fail: its keys are always strings.
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// Returns the normal form of a document given as text.
///
/// # Errors
/// When the text is not JSON.
pub fn normalize_str(json: &str) -> Result<String, serde_json::Error> {
    let doc: Value = serde_json::from_str(json)?;
    Ok(normalize(&doc))
}

fn normalize_value(v: &Value, key: Option<&str>, top: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if !matches!(key, Some("properties" | "fields")) {
                keys.sort();
            }
            let mut out = Map::new();
            for k in keys {
                if let Some(child) = map.get(k) {
                    out.insert(k.clone(), normalize_value(child, Some(k), false));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .map(|i| normalize_value(i, None, false))
                .collect();
            if top {
                // stable: unnamed entries keep their order, after the named ones
                out.sort_by(|a, b| {
                    let na = a.get("name").and_then(Value::as_str);
                    let nb = b.get("name").and_then(Value::as_str);
                    match (na, nb) {
                        (Some(x), Some(y)) => x.cmp(y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }
                });
            } else if key.is_some_and(|k| SORTED_LISTS.contains(&k))
                && out.iter().all(Value::is_string)
            {
                out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                out.dedup();
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_resources_keys_and_method_sets_but_not_fields() {
        let doc = json!([
            {"name": "Zeta", "endpoints": {"list": {"path": "/z/", "methods": ["post", "get", "get"],
                "properties": ["b", "a"]}}},
            {"name": "Alpha", "properties": {"y": {"type": "string"}, "x": {"type": "choice",
                "choices": [{"value": 2, "display_name": "b"}, {"value": 1, "display_name": "a"}]}}}
        ]);
        let out = normalize(&doc);
        let expected = r#"[
  {
    "name": "Alpha",
    "properties": {
      "y": {
        "type": "string"
      },
      "x": {
        "choices": [
          {
            "display_name": "b",
            "value": 2
          },
          {
            "display_name": "a",
            "value": 1
          }
        ],
        "type": "choice"
      }
    }
  },
  {
    "endpoints": {
      "list": {
        "methods": [
          "get",
          "post"
        ],
        "path": "/z/",
        "properties": [
          "b",
          "a"
        ]
      }
    },
    "name": "Zeta"
  }
]
"#;
        assert_eq!(out, expected);
    }

    #[test]
    fn is_idempotent_and_ignores_input_order() {
        let a = r#"[{"name":"B","endpoints":{}},{"endpoints":{},"name":"A"}]"#;
        let b = r#"[{"name":"A","endpoints":{}},{"name":"B","endpoints":{}}]"#;
        let na = normalize_str(a).unwrap_or_default();
        let nb = normalize_str(b).unwrap_or_default();
        assert!(!na.is_empty());
        assert_eq!(na, nb);
        assert_eq!(normalize_str(&na).unwrap_or_default(), na);
        assert!(na.ends_with("]\n"));
    }

    #[test]
    fn rejects_non_json() {
        assert!(normalize_str("[{").is_err());
    }
}
