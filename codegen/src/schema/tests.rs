use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/schema")
        .join(name)
}

fn load_fixture(name: &str) -> Schema {
    match load(&fixture(name)) {
        Ok(s) => s,
        Err(e) => panic!("{name} does not parse: {e}"),
    }
}

#[test]
fn fixture_2015_03_parses_shape_a() {
    let s = load_fixture("syncano-v1-schema-2015-03.json");
    assert_eq!(s.resources.len(), 22);
    let names: Vec<&str> = s.resources.iter().map(|r| r.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "resources sorted by name");
    let account = s.resource("AccountView").expect("AccountView");
    let ep = account.endpoint("account").expect("custom endpoint");
    assert_eq!(
        ep.methods,
        vec![HttpMethod::Get, HttpMethod::Put, HttpMethod::Patch]
    );
    assert_eq!(ep.path, "/v1/account/");
    let email = account.field("email").expect("email");
    assert_eq!(email.ty, FieldType::Email);
    assert!(email.required && !email.read_only);
    assert_eq!(email.max_length, Some(254));
    let invitation = s.resource("AdminInvitation").expect("AdminInvitation");
    let state = invitation.field("state").expect("state");
    assert_eq!(state.ty, FieldType::Choice);
    assert_eq!(state.choices[0].value, ChoiceValue::Int(1));
    assert_eq!(state.choices[0].display_name, "new");
}

#[test]
fn fixture_2015_07_parses_shape_b_and_merges() {
    let s = load_fixture("syncano-v1-schema-2015-07.json");
    assert_eq!(s.resources.len(), 26);
    let endpoints: usize = s.resources.iter().map(|r| r.endpoints.len()).sum();
    assert_eq!(endpoints, 48);
    // merged fields: detail wins over list (Class name is read-only on detail)
    let class = s.resource("Class").expect("Class");
    let name = class.field("name").expect("name");
    assert!(name.read_only && name.primary_key);
    // the endpoint keeps its own declaration
    let list_name = class
        .list()
        .and_then(|l| l.fields.as_ref())
        .and_then(|f| f.iter().find(|f| f.name == "name"));
    assert_eq!(list_name.map(|f| f.read_only), Some(false));
    // nested object without `type`
    let instance = s.resource("Instance").expect("Instance");
    match &instance.field("owner").expect("owner").ty {
        FieldType::Object(subs) => {
            let names: Vec<&str> = subs.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["email", "first_name", "id", "last_name"]);
        }
        other => panic!("owner is {other:?}"),
    }
    // integer display names become text
    let trend = s.resource("TabularTrendView").expect("TabularTrendView");
    assert!(!trend.fields.is_empty());
    let step = trend.field("step").expect("step");
    assert_eq!(step.choices[0].value, ChoiceValue::Int(60));
    assert_eq!(step.choices[0].display_name, "60");
    // resources with only a custom endpoint take its fields
    let balance = s.resource("BalanceView").expect("BalanceView");
    assert_eq!(balance.fields.len(), 1);
    assert!(balance.list().is_none() && balance.detail().is_none());
    // query/order fields, sorted
    let object = s.resource("Object").expect("Object");
    let list = object.list().expect("list");
    assert!(!list.query_fields.is_empty());
    let mut q = list.query_fields.clone();
    q.sort();
    assert_eq!(q, list.query_fields);
    // methods sorted and deduplicated; no PUT on objects
    let detail = object.detail().expect("detail");
    assert_eq!(
        detail.methods,
        vec![
            HttpMethod::Get,
            HttpMethod::Post,
            HttpMethod::Patch,
            HttpMethod::Delete
        ]
    );
    assert!(!detail.allows(HttpMethod::Put));
    assert_eq!(detail.path_params, ["instance_name", "class_name", "id"]);
}

#[test]
fn unknown_keys_and_ext_keys() {
    let doc = r#"[{"name": "Thing", "whatever": {"x": 1}, "extensible": true, "description": "A thing.",
        "properties": {"id": {"type": "integer", "read_only": true, "primary_key": true, "odd": [1]},
                       "opts": {"type": "object", "fields": {"a": {"type": "string", "min_length": 2}}},
                       "pw": {"type": "string", "write_only": true, "default": "x"},
                       "n": {"type": "integer", "min_value": 30, "max_value": 86400}},
        "endpoints": {"list": {"path": "/v1.1/things/", "methods": ["GET", "post", "get"], "properties": [],
                               "paginated": false, "extra": true},
                      "poke": {"path": "/v1.1/things/{id}/poke/", "methods": ["post"], "properties": ["id"],
                               "returns": "Thing", "status": 201, "fields": {"how": {"type": "text"}}}}}]"#;
    let s = match parse(doc, "mem.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let r = &s.resources[0];
    assert!(r.extensible);
    assert_eq!(r.description.as_deref(), Some("A thing."));
    let names: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["id", "opts", "pw", "n"],
        "custom endpoint fields are not merged"
    );
    assert!(
        r.field("pw")
            .is_some_and(|f| f.write_only && f.default == Some(serde_json::json!("x")))
    );
    assert_eq!(r.field("n").and_then(|f| f.max_value), Some(86400.0));
    let list = r.list().expect("list");
    assert_eq!(list.methods, vec![HttpMethod::Get, HttpMethod::Post]);
    assert!(!list.is_paginated());
    let poke = r.endpoint("poke").expect("poke");
    assert_eq!(poke.returns.as_deref(), Some("Thing"));
    assert_eq!(poke.status, Some(201));
    assert_eq!(poke.fields.as_ref().map(Vec::len), Some(1));
    assert_eq!(r.custom_endpoints().count(), 1);
}

#[test]
fn resource_without_fields_or_endpoints() {
    let s = parse(
        r#"[{"name": "Empty", "endpoints": {}}, {"name": "Bare"}]"#,
        "x",
    )
    .expect("parses");
    assert_eq!(s.resources.len(), 2);
    assert_eq!(s.resources[0].name, "Bare");
    assert!(s.resources.iter().all(|r| r.fields.is_empty()));
}

#[test]
fn fields_keep_the_document_order() {
    // properties in their order, then what only `detail` adds, then `list`;
    // a nested object's sub-fields by name
    let doc = r#"[{"name": "User",
        "properties": {"username": {"type": "string", "required": true},
                       "password": {"type": "string", "required": true},
                       "address": {"zip": {"type": "string"}, "city": {"type": "string"}}},
        "endpoints": {
            "list": {"path": "/v1.1/users/", "methods": ["get", "post"], "properties": [],
                     "fields": {"karma": {"type": "integer"}, "username": {"type": "string"}}},
            "detail": {"path": "/v1.1/users/{id}/", "methods": ["get"], "properties": ["id"],
                       "fields": {"id": {"type": "integer", "read_only": true}}}}}]"#;
    let s = match parse(doc, "mem.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let r = &s.resources[0];
    let names =
        |fields: &[Field]| -> Vec<String> { fields.iter().map(|f| f.name.clone()).collect() };
    assert_eq!(
        names(&r.fields),
        ["username", "password", "address", "id", "karma"]
    );
    let list_fields = r
        .list()
        .and_then(|l| l.fields.as_deref())
        .unwrap_or_default();
    assert_eq!(names(list_fields), ["karma", "username"]);
    match &r.field("address").map(|f| &f.ty) {
        Some(FieldType::Object(subs)) => assert_eq!(names(subs), ["city", "zip"]),
        other => panic!("address is {other:?}"),
    }
}

#[test]
fn discover_ext_keys_are_read() {
    let doc = r#"[{"name": "Thing", "fields_unknown": true, "endpoints": {
        "list": {"path": "/v1.1/things/", "methods": ["get"], "properties": [],
                 "methods_incomplete": true,
                 "fields": {"seen": {"type": "integer", "inferred": true}, "known": {"type": "text"}}}}}]"#;
    let s = match parse(doc, "mem.json") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let r = &s.resources[0];
    assert!(r.fields_unknown);
    assert!(r.list().is_some_and(|l| l.methods_incomplete));
    assert!(r.field("seen").is_some_and(|f| f.inferred));
    assert!(r.field("known").is_some_and(|f| !f.inferred));
    // and a wrongly typed one is the usual clear error
    let bad = doc.replace("\"fields_unknown\": true", "\"fields_unknown\": \"yes\"");
    match parse(&bad, "mem.json") {
        Err(e) => assert!(
            e.to_string()
                .contains("\"fields_unknown\" must be true or false"),
            "{e}"
        ),
        Ok(_) => panic!("a string fields_unknown was accepted"),
    }
}
