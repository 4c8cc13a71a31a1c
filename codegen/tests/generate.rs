//! Generation over real documents: both 2015 fixtures and the v1.1 snapshot generate;
//! output is deterministic and independent of the documents' key order; odd names are
//! escaped with `#[serde(rename)]`; colliding generated names are clear errors.

use std::path::{Path, PathBuf};

use serde_json::Value;
use syncano_codegen::schema;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let fixtures = manifest().join("../../shared/fixtures/schema");
    vec![
        manifest().join("../schema/syncano-v1.1.json"),
        fixtures.join("syncano-v1-schema-2015-03.json"),
        fixtures.join("syncano-v1-schema-2015-07.json"),
        manifest().join("tests/golden/small-schema.json"),
    ]
}

fn generate_text(json: &str, name: &str) -> String {
    let schema = match schema::parse(json, name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema) {
        Ok(code) => code,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn read(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Reverses the key order of every object and the order of the resource list
/// (lists whose order means something — path parameters, choices, links — stay).
fn permute(v: &Value, top: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.iter().rev() {
                let v = if k == "methods" || k == "query_fields" || k == "order_fields" {
                    match v {
                        Value::Array(items) => Value::Array(items.iter().rev().cloned().collect()),
                        other => other.clone(),
                    }
                } else {
                    permute(v, false)
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) if top => {
            Value::Array(items.iter().rev().map(|i| permute(i, false)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| permute(i, false)).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_document_generates_valid_rust() {
    for doc in documents() {
        let code = match syncano_codegen::generate_from_path(&doc) {
            Ok(code) => code,
            Err(e) => panic!("{e}"),
        };
        if let Err(e) = syn::parse_file(&code) {
            panic!("{}: generated code does not parse: {e}", doc.display());
        }
        assert!(code.starts_with(syncano_codegen::emit::HEADER));
        assert!(
            !code.contains("#[allow"),
            "{}: generated code must not silence lints",
            doc.display()
        );
    }
}

#[test]
fn generation_is_deterministic_and_ignores_key_order() {
    for doc in documents() {
        let name = doc.display().to_string();
        let text = read(&doc);
        let first = generate_text(&text, &name);
        let second = generate_text(&text, &name);
        assert_eq!(first, second, "{name}: two runs differ");
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => panic!("{name}: {e}"),
        };
        let permuted = permute(&value, true);
        assert_ne!(
            serde_json::to_string(&permuted).ok(),
            serde_json::to_string(&value).ok(),
            "{name}: the permutation must change the document"
        );
        let permuted_text = match serde_json::to_string_pretty(&permuted) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            first,
            generate_text(&permuted_text, &name),
            "{name}: key order changed the output"
        );
    }
}

#[test]
fn odd_names_are_escaped_with_serde_renames() {
    let code = generate_text(
        &read(&manifest().join("tests/golden/small-schema.json")),
        "small",
    );
    for (attr, field) in [
        // serde reads raw identifiers without `r#`: no rename needed
        (
            "#[serde(default, skip_serializing_if = \"Option::is_none\")]",
            "pub r#type: Option<ShelfType>,",
        ),
        (
            "#[serde(rename = \"self\", default, skip_serializing_if = \"Option::is_none\")]",
            "pub self_: Option<String>,",
        ),
        (
            "#[serde(rename = \"3d\", default, skip_serializing_if = \"Option::is_none\")]",
            "pub _3d: Option<bool>,",
        ),
        (
            "#[serde(rename = \"content-type\", default, skip_serializing_if = \"Option::is_none\")]",
            "pub content_type: Option<String>,",
        ),
    ] {
        let pattern = format!("{attr}\n    {field}");
        assert!(code.contains(&pattern), "missing:\n{pattern}");
    }
    // names that need no rename get none
    assert!(code.contains("    pub name: String,\n"));
    assert!(!code.contains("rename = \"name\""));
}

#[test]
fn secrets_are_redacted_in_debug() {
    let code = generate_text(
        &read(&manifest().join("tests/golden/small-schema.json")),
        "small",
    );
    assert!(code.contains(".field(\"password\", &self.password.as_ref().map(|_| \"<redacted>\"))"));
    assert!(
        code.contains(
            ".field(\"account_key\", &self.account_key.as_ref().map(|_| \"<redacted>\"))"
        )
    );
    assert!(!code.contains("#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\npub struct Account {"));
}

#[test]
fn managers_have_one_method_per_endpoint_and_method() {
    let code = generate_text(
        &read(&manifest().join("tests/golden/small-schema.json")),
        "small",
    );
    for signature in [
        "pub fn shelves(&self) -> ShelfManager",
        "pub fn account(&self) -> AccountManager",
        "pub fn books<U>(&self, name: impl ::std::fmt::Display) -> BookManager<U>",
        "pub fn list(&self) -> crate::ListRequest<Shelf>",
        "pub async fn create(&self, body: &ShelfCreate) -> crate::Result<Shelf>",
        "pub async fn delete(&self, name: impl ::std::fmt::Display) -> crate::Result<()>",
        "pub async fn get(&self) -> crate::Result<Account>",
        "pub async fn update(&self, body: &AccountUpdate) -> crate::Result<Account>",
        "pub async fn list(&self) -> crate::Result<::serde_json::Value>",
        "pub fn list(&self) -> crate::ListRequest<Book<T>>",
        "pub struct ShelfRenameRequest",
    ] {
        assert!(code.contains(signature), "missing `{signature}`");
    }
    // PUT is declared on shelves but not on books (POST replaces there), no PATCH on Account's list
    assert!(code.contains("Method::PUT"));
    assert_eq!(code.matches("pub async fn replace(").count(), 2);
    // several methods on one custom endpoint; 204 gives ()
    assert!(code.contains("pub async fn peek_get("));
    assert!(code.contains("pub async fn peek_post<B: ::serde::Serialize + ?Sized>("));
    assert!(code.contains(
        "-> crate::Result<()> {\n        let path = [\"/v1.1/shelves/\", crate::path::segment(&name).as_str(), \"/dust/\"]\n            .concat();"
    ));
    // Account declares no DELETE and no list
    assert!(!code.contains("impl AccountManager {\n    /// Deletes"));
    assert_eq!(code.matches("pub struct AccountCreate").count(), 0);
}

#[test]
fn colliding_generated_names_are_errors() {
    let doc = r#"[
        {"name": "Class", "properties": {"status": {"type": "choice", "choices": [{"value": "ready", "display_name": "ready"}]}},
         "endpoints": {"list": {"path": "/c/", "methods": ["get"], "properties": []}}},
        {"name": "ClassStatus", "endpoints": {"list": {"path": "/s/", "methods": ["get"], "properties": []}}}
    ]"#;
    let schema = match schema::parse(doc, "x.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema) {
        Ok(_) => panic!("collision not detected"),
        Err(e) => assert_eq!(
            e.to_string(),
            "cannot generate code: two generated types are named `ClassStatus` (the second is the model of resource \"ClassStatus\"); rename a resource or field"
        ),
    }
}
