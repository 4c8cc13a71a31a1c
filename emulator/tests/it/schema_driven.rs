//! Driven by the schema snapshot: every endpoint answers for the methods it
//! declares (never 404/405/5xx), undeclared methods get 405, and every
//! resource with a list endpoint under an instance can be listed, created
//! from its required fields, read back and deleted — a resource added to the
//! snapshot is covered without new test code.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use syncano_codegen::schema::{ChoiceValue, Field, FieldType, HttpMethod, parse};

use syncano_emulator::permissions::{self, Callers, Op};

use crate::common::start;

fn method(m: HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
    }
}

/// Values whose shape the server validates beyond the schema's field types: the
/// push message documents (the platform's JSON schemas; the seeded configs hold
/// the `development` settings they need).
pub(crate) fn special(resource: &str, field: &str) -> Option<Value> {
    match (resource, field) {
        ("GcmMessage", "content") => Some(json!({
            "registration_ids": ["crud-device"], "environment": "development"
        })),
        ("ApnsMessage", "content") => Some(json!({
            "registration_ids": ["crud-device"], "environment": "development",
            "aps": {"alert": "crud"}
        })),
        _ => None,
    }
}

pub(crate) fn sample(f: &Field, n: usize) -> Value {
    // references point at the records the test seeds first
    match f.name.as_str() {
        "script" | "group" | "backup" | "user" => return json!(1),
        "class" => return json!("user_profile"),
        _ => {}
    }
    if let Some(c) = f.choices.first() {
        return match &c.value {
            ChoiceValue::Int(i) => json!(i),
            ChoiceValue::Str(s) => json!(s),
        };
    }
    match &f.ty {
        FieldType::Integer => {
            let lo = f.min_value.unwrap_or(1.0).max(1.0);
            json!(lo as i64)
        }
        FieldType::Float | FieldType::Decimal => json!(f.min_value.unwrap_or(1.0)),
        FieldType::Boolean => json!(true),
        FieldType::Email => json!(format!("user{n}@example.com")),
        FieldType::Url => json!("https://example.com/x"),
        FieldType::Datetime => json!("2026-11-22T17:37:25.474230Z"),
        FieldType::Date => json!("2026-11-22"),
        FieldType::Json | FieldType::Object(_) => {
            if f.name == "schema" {
                json!([{"name": "f", "type": "string"}])
            } else {
                json!({})
            }
        }
        FieldType::Links => Value::Null,
        _ => {
            let min = f.min_length.unwrap_or(1) as usize;
            let mut s = format!("x{n}abcde");
            while s.len() < min {
                s.push('a');
            }
            if let Some(max) = f.max_length {
                s.truncate(max as usize);
            }
            json!(s)
        }
    }
}

#[tokio::test]
async fn every_declared_endpoint_routes_and_others_are_405() {
    let schema = parse(syncano_emulator::EMBEDDED_SCHEMA, "snapshot").expect("snapshot parses");
    let api = start().await;
    api.instance("driven").await;
    let mut key = api.key.clone();
    let all = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];
    let mut checked = 0;
    for r in &schema.resources {
        for e in &r.endpoints {
            let mut path = e.path.clone();
            for p in &e.path_params {
                let v = if path.starts_with("/v1.1/instances/{")
                    && path.find('{') == path.find(&format!("{{{p}}}"))
                {
                    "driven".to_owned()
                } else {
                    "1".to_owned()
                };
                path = path.replace(&format!("{{{p}}}"), &v);
            }
            // OPTIONS: metadata with the writable fields of the endpoint, once the
            // parents in the path exist (a missing parent is 404, as for any method)
            let o = api.call(Method::OPTIONS, &path, Some(&key), None).await;
            let read = Op::of(&e.name, None);
            if !permissions::allowed(&r.name, read).meets(Callers::OWNER | Callers::ACCOUNT) {
                // OPTIONS is checked as a read (`user/` is for user keys only)
                assert_eq!(o.status, StatusCode::FORBIDDEN, "OPTIONS {path}");
            } else if o.status == StatusCode::NOT_FOUND {
                let d = o.body["detail"].as_str().unwrap_or_default();
                assert!(d.ends_with(" was not found."), "OPTIONS {path}: {d}");
            } else {
                assert_eq!(o.status, StatusCode::OK, "OPTIONS {path}");
                assert!(o.body["name"].is_string(), "OPTIONS {path}: {:?}", o.body);
                if e.methods.contains(&HttpMethod::Post) {
                    let declared = e.fields.clone().unwrap_or_else(|| r.fields.clone());
                    for f in declared.iter().filter(|f| !f.read_only) {
                        assert!(
                            o.body["actions"]["POST"].get(&f.name).is_some(),
                            "OPTIONS {path}: {} missing",
                            f.name
                        );
                    }
                }
            }
            for m in all {
                if m == HttpMethod::Delete
                    && e.path.starts_with("/v1.1/instances/{")
                    && e.path_params.len() == 1
                    && e.name == "detail"
                {
                    continue; // keep the instance
                }
                let r2 = api
                    .call(method(m), &path, Some(&key), Some(json!({})))
                    .await;
                // account/reset_key/ replaces the key the test uses
                if let Some(k) = r2.body.get("account_key").and_then(Value::as_str) {
                    key = k.to_owned();
                }
                assert!(
                    !r2.status.is_server_error(),
                    "{} {} {path}: {} {:?}",
                    r.name,
                    e.name,
                    r2.status,
                    r2.body
                );
                if e.methods.contains(&m) {
                    assert_ne!(
                        r2.status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{} {path} {m:?}",
                        r.name
                    );
                    if r2.status == StatusCode::NOT_FOUND {
                        // a missing record (id 1 does not exist), never an unknown route
                        let d = r2.body["detail"].as_str().unwrap_or_default();
                        assert!(
                            d.ends_with("not found.")
                                || d.ends_with("was not found.")
                                || d == "Not found.",
                            "{path}: {d}"
                        );
                    }
                } else if !permissions::allowed(&r.name, Op::of_undeclared(&e.name, Some(m)))
                    .meets(Callers::OWNER | Callers::ACCOUNT)
                {
                    // judged by the table before the method (`user/` is for user keys)
                    assert_eq!(r2.status, StatusCode::FORBIDDEN, "{} {path} {m:?}", r.name);
                } else {
                    assert_eq!(
                        r2.status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{} {path} {m:?}",
                        r.name
                    );
                    let want = format!("Method \"{}\" not allowed.", method(m).as_str());
                    assert_eq!(r2.body["detail"], want.as_str());
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "checked {checked}");
}

#[tokio::test]
async fn every_instance_resource_lists_creates_reads_deletes() {
    let schema = parse(syncano_emulator::EMBEDDED_SCHEMA, "snapshot").expect("snapshot parses");
    let api = start().await;
    let inst = api.instance("crud-all").await;
    // records other resources refer to: script 1, group 1, user 1, backup 1
    for (path, body) in [
        (
            "snippets/scripts/",
            json!({"runtime_name": "python3", "source": "x"}),
        ),
        ("groups/", json!({"label": "g"})),
        ("users/", json!({"username": "seed", "password": "p"})),
        ("backups/full/", json!({})),
    ] {
        let r = api.post(&format!("{inst}{path}"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    }
    // push messages need their environment's config: a GCM key, an APNS certificate
    // and bundle identifier
    api.gcm_key(&inst, "development").await;
    api.apns_config(&inst, "development", Some("com.example.crud"))
        .await;
    let mut created = Vec::new();
    let mut n = 0;
    for r in &schema.resources {
        let Some(list) = r.endpoints.iter().find(|e| e.name == "list") else {
            continue;
        };
        if !list.path.starts_with("/v1.1/instances/{") || list.path_params.len() != 1 {
            continue;
        }
        let path = list
            .path
            .replace(&format!("{{{}}}", list.path_params[0]), "crud-all");
        if list.methods.contains(&HttpMethod::Get) {
            let g = api.get(&path).await;
            assert_eq!(
                g.status,
                StatusCode::OK,
                "{} GET {path}: {:?}",
                r.name,
                g.body
            );
            if list.paginated != Some(false) {
                assert!(g.body["objects"].is_array(), "{}: {:?}", r.name, g.body);
                assert!(g.body.get("next").is_some() && g.body.get("prev").is_some());
            }
        }
        if !list.methods.contains(&HttpMethod::Post)
            || r.name == "Class"
            || path.ends_with("/batch/")
        {
            continue;
        }
        let fields = list.fields.clone().unwrap_or_else(|| r.fields.clone());
        let mut body = Map::new();
        for f in fields.iter().filter(|f| f.required && !f.read_only) {
            n += 1;
            let value = special(&r.name, &f.name).unwrap_or_else(|| sample(f, n));
            body.insert(f.name.clone(), value);
        }
        let c = api.post(&path, Value::Object(body.clone())).await;
        assert_eq!(
            c.status,
            StatusCode::CREATED,
            "{} POST {path} {body:?}: {:?}",
            r.name,
            c.body
        );
        let self_link = c.body["links"]["self"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(self_link.starts_with(&path), "{}: {self_link}", r.name);
        let g = api.get(&self_link).await;
        assert_eq!(g.status, StatusCode::OK, "{} GET {self_link}", r.name);
        // every link the schema declares is there (references only when set)
        for l in r.fields.iter().flat_map(|f| f.links.iter()) {
            let optional = ["group", "owner", "channel", "instance", "profile", "user"]
                .contains(&l.name.as_str());
            let got = g.body["links"].get(&l.name);
            assert!(
                got.is_some() || optional,
                "{}: link {} missing in {:?}",
                r.name,
                l.name,
                g.body["links"]
            );
            if let Some(p) = got.and_then(Value::as_str) {
                assert!(
                    p.starts_with("/v1.1/") && p.ends_with('/'),
                    "{}: {p}",
                    r.name
                );
            }
        }
        for f in r.fields.iter().filter(|f| f.write_only) {
            assert!(
                g.body.get(&f.name).is_none(),
                "{}: write-only {} returned",
                r.name,
                f.name
            );
        }
        for (k, v) in &body {
            if let Some(got) = g.body.get(k) {
                if v.is_string() && got.is_string() {
                    assert_eq!(got, v, "{}.{k}", r.name);
                }
            }
        }
        let detail = r.endpoints.iter().find(|e| e.name == "detail");
        if detail.is_some_and(|d| d.methods.contains(&HttpMethod::Patch)) {
            let u = api.patch(&self_link, Value::Object(body.clone())).await;
            assert_eq!(
                u.status,
                StatusCode::OK,
                "{} PATCH {self_link}: {:?}",
                r.name,
                u.body
            );
        }
        created.push((
            r.name.clone(),
            self_link,
            r.endpoints
                .iter()
                .any(|e| e.name == "detail" && e.methods.contains(&HttpMethod::Delete)),
        ));
    }
    assert!(
        created.len() >= 8,
        "created {:?}",
        created.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    for (name, link, deletable) in created {
        if deletable {
            let d = api.delete(&link).await;
            assert_eq!(
                d.status,
                StatusCode::NO_CONTENT,
                "{name} DELETE {link}: {:?}",
                d.body
            );
            assert_eq!(api.get(&link).await.status, StatusCode::NOT_FOUND, "{name}");
        }
    }
    let _ = inst;
}
