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
        manifest().join("tests/golden/edge-schema.json"),
    ]
}

fn generate_text(json: &str, name: &str) -> String {
    let schema = match schema::parse(json, name) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
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
/// (what has a meaningful order — path parameters, choices, links, the fields of a
/// `properties` object — stays).
fn permute(v: &Value, top: bool) -> Value {
    permute_keys(v, top, false)
}

fn permute_keys(v: &Value, top: bool, keep_order: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            let entries: Vec<_> = if keep_order {
                m.iter().collect()
            } else {
                m.iter().rev().collect()
            };
            for (k, v) in entries {
                let v = if k == "methods" || k == "query_fields" || k == "order_fields" {
                    match v {
                        Value::Array(items) => Value::Array(items.iter().rev().cloned().collect()),
                        other => other.clone(),
                    }
                } else {
                    permute_keys(v, false, k == "properties" || k == "fields")
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
        let code = match syncano_codegen::generate_from_path(&doc, &syncano_codegen::RuntimeNames::none()) {
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
        "pub fn books(&self, name: impl ::std::fmt::Display) -> BookManager",
        "pub fn books_as<U>(&self, name: impl ::std::fmt::Display) -> BookManager<U>",
        "pub fn typed<U>(&self) -> BookManager<U>",
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
    // `dust` (204, no fields) is an action: no body argument, nothing sent
    assert!(code.contains(
        "pub async fn dust(&self, name: impl ::std::fmt::Display) -> crate::Result<()> {\n        self.client.call(crate::Method::POST, &self.dust_path(name)).await"
    ));
    // Account's `reset_key` answers the resource itself: no body either
    assert!(code.contains("pub async fn reset_key(&self) -> crate::Result<Account> {"));
    // a custom GET takes query parameters
    assert!(code.contains(
        "pub async fn peek_get(\n        &self,\n        name: impl ::std::fmt::Display,\n        query: &[(&str, &str)],\n    ) -> crate::Result<::serde_json::Value> {"
    ));
    assert!(code.contains("self.client.get_with_query(&self.peek_path(name), query).await"));
    // every path is built by one private helper per endpoint, percent-encoding each parameter
    assert!(code.contains(
        "fn detail_path(&self, id: impl ::std::fmt::Display) -> String {\n        let shelf = crate::path::segment(&self.shelf);\n        let id = crate::path::segment(&id);\n        format!(\"/v1.1/shelves/{shelf}/books/{id}/\")\n    }"
    ));
    assert!(code.contains("fn rename_path(&self, name: impl ::std::fmt::Display) -> String {"));
    assert!(!code.contains(".concat()"));
    assert_eq!(code.matches("fn detail_path(").count(), 3);
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
    match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
        Ok(_) => panic!("collision not detected"),
        Err(e) => assert_eq!(
            e.to_string(),
            "cannot generate code: two generated types are named `ClassStatus` (the second is the model of resource \"ClassStatus\"); rename a resource or field"
        ),
    }
}

/// The methods of every inherent `impl Type` block: (type, method) → return type.
fn methods(code: &str) -> std::collections::BTreeMap<(String, String), String> {
    use quote::ToTokens;
    let file = match syn::parse_file(code) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let mut out = std::collections::BTreeMap::new();
    for item in file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let ty = match &*imp.self_ty {
            syn::Type::Path(p) => p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::"),
            _ => continue,
        };
        for it in imp.items {
            if let syn::ImplItem::Fn(f) = it {
                let ret = match &f.sig.output {
                    syn::ReturnType::Default => "()".to_string(),
                    syn::ReturnType::Type(_, t) => t.to_token_stream().to_string().replace(' ', ""),
                };
                out.insert((ty.clone(), f.sig.ident.to_string()), ret);
            }
        }
    }
    out
}

#[test]
fn v1_1_snapshot_api_shape() {
    let code = generate_text(
        &read(&manifest().join("../schema/syncano-v1.1.json")),
        "v1.1",
    );
    let m = methods(&code);
    let ret = |ty: &str, f: &str| m.get(&(ty.to_string(), f.to_string())).cloned();
    // Client accessors of root resources
    assert_eq!(
        ret("crate::Client", "instances").as_deref(),
        Some("InstanceManager")
    );
    assert_eq!(
        ret("crate::Client", "account").as_deref(),
        Some("AccountManager")
    );
    // children, named after the last path segment; colliding siblings by resource
    assert_eq!(
        ret("InstanceManager", "classes").as_deref(),
        Some("ClassManager")
    );
    assert_eq!(
        ret("InstanceManager", "scripts").as_deref(),
        Some("ScriptManager")
    );
    assert_eq!(
        ret("InstanceManager", "script_endpoints").as_deref(),
        Some("ScriptEndpointManager")
    );
    assert_eq!(
        ret("InstanceManager", "gcm_devices").as_deref(),
        Some("GcmDeviceManager")
    );
    assert_eq!(
        ret("InstanceManager", "snippet_config").as_deref(),
        Some("SnippetConfigManager")
    );
    assert_eq!(
        ret("ClassManager", "objects").as_deref(),
        Some("DataObjectManager")
    );
    assert_eq!(
        ret("ClassManager", "objects_as").as_deref(),
        Some("DataObjectManager<U>")
    );
    // the instance scope reaches every instance-scoped manager
    assert_eq!(
        ret("crate::InstanceScope", "classes").as_deref(),
        Some("ClassManager")
    );
    assert_eq!(
        ret("crate::InstanceScope", "users").as_deref(),
        Some("UserManager")
    );
    // get-or-create where the platform keys records by a unique name
    assert_eq!(
        ret("ClassManager", "get_or_create").as_deref(),
        Some("crate::Result<Class>")
    );
    assert_eq!(
        ret("InstanceManager", "get_or_create").as_deref(),
        Some("crate::Result<Instance>")
    );
    assert_eq!(ret("ScriptManager", "get_or_create"), None);
    assert_eq!(
        ret("DataObjectManager", "update_fields").as_deref(),
        Some("crate::Result<DataObject<T>>")
    );
    assert_eq!(
        ret("ScriptManager", "traces").as_deref(),
        Some("ScriptTraceManager")
    );
    assert_eq!(
        ret("Class", "objects").as_deref(),
        Some("crate::Result<DataObjectManager>")
    );
    // standard methods
    assert_eq!(
        ret("ClassManager", "list").as_deref(),
        Some("crate::ListRequest<Class>")
    );
    assert_eq!(
        ret("ClassManager", "get").as_deref(),
        Some("crate::Result<Class>")
    );
    assert_eq!(
        ret("ClassManager", "get_raw").as_deref(),
        Some("crate::Result<::serde_json::Value>")
    );
    assert_eq!(
        ret("DataObjectManager", "list").as_deref(),
        Some("crate::ListRequest<DataObject<T>>")
    );
    assert_eq!(
        ret("DataObjectManager", "replace").as_deref(),
        Some("crate::Result<DataObject<T>>")
    );
    assert_eq!(
        ret("RuntimeManager", "list").as_deref(),
        Some("crate::Result<::serde_json::Value>")
    );
    assert_eq!(
        ret("AccountManager", "get").as_deref(),
        Some("crate::Result<Account>")
    );
    // custom endpoints
    assert_eq!(
        ret("ScriptManager", "run").as_deref(),
        Some("crate::Result<ScriptTrace>")
    );
    assert_eq!(
        ret("InstanceManager", "rename").as_deref(),
        Some("crate::Result<Instance>")
    );
    assert_eq!(
        ret("InvitationManager", "resend").as_deref(),
        Some("crate::Result<()>")
    );
    assert!(
        ret("ScriptEndpointManager", "run_get").is_some()
            && ret("ScriptEndpointManager", "run_post").is_some()
    );
    // model conveniences
    assert_eq!(
        ret("Class", "manager").as_deref(),
        Some("crate::Result<ClassManager>")
    );
    assert_eq!(ret("Class", "save").as_deref(), Some("crate::Result<Self>"));
    // no PUT on data objects: `replace` is the POST; no DELETE on account
    assert!(code.contains("crate::Method::POST"));
    assert!(ret("AccountManager", "delete").is_none());
    for needed in [
        "pub struct ScriptRunRequest",
        "pub struct InstanceRenameRequest",
        "pub struct ClassCreate",
        "pub struct ClassUpdate",
    ] {
        assert!(code.contains(needed), "missing {needed}");
    }
}

#[test]
fn runtime_root_names_stay_in_the_generated_module() {
    // `Page` is also a runtime name at the crate root: the generated model stays
    // `syncano::generated::Page` (the root's explicit item shadows the glob re-export)
    let schema = match schema::parse(r#"[{"name": "Page"}]"#, "x.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
        Ok(code) => assert!(code.contains("pub struct Page {}"), "{code}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn names_the_runtime_defines_are_not_generated_again() {
    let doc = r#"[{"name": "Download", "properties": {"name": {"type": "string", "required": true}},
                  "endpoints": {"list": {"path": "/v1.1/download/", "methods": ["get", "post"], "properties": []},
                                "detail": {"path": "/v1.1/download/{name}/", "methods": ["get"], "properties": ["name"]},
                                "using": {"path": "/v1.1/download/{name}/using/", "methods": ["post"], "properties": ["name"], "fields": {}}}}]"#;
    let schema = match schema::parse(doc, "x.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut runtime = syncano_codegen::RuntimeNames::none();
    if let Err(e) = runtime.add_source(
        "impl Client { pub fn download(&self) {} pub fn download_manager(&self) {} }
         impl DownloadManager { pub fn get_or_create(&self) {} }",
    ) {
        panic!("{e}");
    }
    let code = match syncano_codegen::generate(&schema, &runtime) {
        Ok(code) => code,
        Err(e) => panic!("{e}"),
    };
    let m = methods(&code);
    let has = |ty: &str, f: &str| m.contains_key(&(ty.to_string(), f.to_string()));
    assert!(!has("crate::Client", "download"));
    assert!(!has("crate::Client", "download_manager"));
    assert!(has("crate::Client", "download_manager2"));
    assert!(has("DownloadManager", "get_or_create_endpoint"));
    // the manager's own `using` keeps its name; the endpoint steps aside
    assert!(has("DownloadManager", "using_endpoint"));
}

#[test]
fn prelude_names_get_a_suffix() {
    let schema = match schema::parse(r#"[{"name": "Option"}]"#, "x.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
        Ok(code) => assert!(code.contains("pub struct OptionResource {}"), "{code}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn edge_cases_keep_standard_names_and_rename_colliding_customs() {
    let code = generate_text(
        &read(&manifest().join("tests/golden/edge-schema.json")),
        "edge",
    );
    let m = methods(&code);
    let has = |ty: &str, f: &str| m.contains_key(&(ty.to_string(), f.to_string()));
    // custom endpoints named like standard / fixed methods or std trait methods
    for (ty, f) in [
        ("ApiThingManager", "get"),
        ("ApiThingManager", "get_endpoint"),
        ("ApiThingManager", "new"),
        ("ApiThingManager", "new_endpoint"),
        ("ApiThingManager", "add_endpoint"),
        ("ApiThingManager", "list_put"),
        ("ApiThingManager", "list_delete"),
        ("ApiThingManager", "replace"),
        ("ApiThingManager", "detail_post"),
        ("crate::Client", "ping"),
        ("crate::Client", "notes"),
        ("SettingsManager", "notes"),
        ("NoteManager", "search"),
        ("NoteManager", "subs"),
    ] {
        assert!(has(ty, f), "missing {ty}::{f}");
    }
    assert!(!has("ApiThingManager", "add"));
    // any number of required fields: a constructor taking them all
    assert!(has("ApiThingCreate", "new"));
    assert!(has("ApiThingAddRequest", "new"));
    // choice variants: keywords, digits, punctuation, empty and duplicate values
    for variant in [
        "UnknownValue,",
        "SelfValue,",
        "N1abc,",
        "AB,",
        "Empty,",
        "AB2,",
        "VMinus1,",
        "X,",
        "X2,",
        "V7,",
    ] {
        assert!(code.contains(variant), "missing variant {variant}");
    }
    assert_eq!(
        code.matches("Self::SelfValue => \"self\"").count(),
        1,
        "duplicate values are listed once"
    );
}

#[test]
fn custom_post_bodies_follow_the_declared_fields() {
    // declared empty fields: no body; undeclared fields answering another resource: any body;
    // a raw-identifier path parameter gets a plain local in the path helper
    let doc = r#"[
        {"name": "Thing", "properties": {"id": {"type": "integer", "primary_key": true, "read_only": true}},
         "endpoints": {
            "detail": {"path": "/t/{type}/", "methods": ["get"], "properties": ["type"]},
            "touch": {"path": "/t/{type}/touch/", "methods": ["post"], "properties": ["type"], "fields": {}},
            "run": {"path": "/t/{type}/run/", "methods": ["post"], "properties": ["type"], "returns": "Other"}
         }},
        {"name": "Other", "endpoints": {"list": {"path": "/o/", "methods": ["get"], "properties": []}}}
    ]"#;
    let code = generate_text(doc, "bodies");
    assert!(
        code.contains("pub async fn touch(&self) -> crate::Result<::serde_json::Value> {"),
        "{code}"
    );
    assert!(
        code.contains("pub async fn run<B: ::serde::Serialize + ?Sized>("),
        "{code}"
    );
    assert!(
        code.contains(
            "let type_ = crate::path::segment(&self.r#type);\n        format!(\"/t/{type_}/run/\")"
        ),
        "{code}"
    );
}

#[test]
fn a_path_parameter_named_query_is_an_error() {
    let doc = r#"[
        {"name": "Thing", "endpoints": {
            "list": {"path": "/t/", "methods": ["get"], "properties": []},
            "look": {"path": "/t/{query}/look/", "methods": ["get"], "properties": ["query"]}
        }}
    ]"#;
    let schema = match schema::parse(doc, "x.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
        Ok(_) => panic!("collision not detected"),
        Err(e) => assert!(e.message().contains("\"query\" collides"), "{e}"),
    }
}
