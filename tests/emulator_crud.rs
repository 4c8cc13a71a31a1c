//! CRUD through the SDK against the embedded server, for every resource of the snapshot
//! that lives directly under an instance, driven by the schema: a resource added to
//! `schema/syncano-v1.1.json` is covered here without new test code (or, if its create
//! body needs something the builder below does not know, this test names it and fails).
#![cfg(not(syncano_custom_schema))]

use std::path::Path;

use serde_json::{Map, Value, json};
use syncano::{Client, ListRequest, Method};
use syncano_codegen::schema::{self, Endpoint, FieldType, HttpMethod, Resource};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

const INSTANCE: &str = "crud-sweep";

async fn connect() -> (RunningEmulator, Client) {
    let server = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let client = Client::builder()
        .api_root(server.base_url())
        .api_key(server.account_key())
        .build()
        .expect("client");
    (server, client)
}

fn snapshot() -> schema::Schema {
    schema::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/syncano-v1.1.json"))
        .expect("the vendored snapshot loads")
}

/// `/v1.1/instances/{instance}/x/` with only the instance as parameter.
fn instance_scoped(endpoint: &Endpoint) -> bool {
    endpoint.path_params == ["instance"] && endpoint.path.starts_with("/v1.1/instances/{instance}/")
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        })
}

/// Records other resources point at, created once before the sweep.
struct Referenced {
    script: i64,
    class: String,
    backup: i64,
}

async fn create_referenced(client: &Client) -> Referenced {
    let base = format!("/v1.1/instances/{INSTANCE}");
    let script: Value = client
        .request(
            Method::POST,
            &format!("{base}/snippets/scripts/"),
            Some(&json!({"label": "referenced", "runtime_name": "python3", "source": "print(1)"})),
        )
        .await
        .expect("script");
    let class: Value = client
        .request(
            Method::POST,
            &format!("{base}/classes/"),
            Some(&json!({"name": "referenced", "schema": [{"name": "v", "type": "integer"}]})),
        )
        .await
        .expect("class");
    let backup: Value = client
        .request(
            Method::POST,
            &format!("{base}/backups/full/"),
            Some(&json!({})),
        )
        .await
        .expect("backup");
    Referenced {
        script: script["id"].as_i64().expect("script id"),
        class: class["name"].as_str().expect("class name").to_owned(),
        backup: backup["id"].as_i64().expect("backup id"),
    }
}

/// A valid create body for `resource`, from its fields' types, limits and choices.
fn create_body(resource: &Resource, n: usize, refs: &Referenced) -> Value {
    let mut body = Map::new();
    for field in resource
        .fields
        .iter()
        .filter(|f| f.required && f.is_writable())
    {
        let max = field.max_length.unwrap_or(64).min(40) as usize;
        let value = match (field.name.as_str(), &field.ty) {
            ("script", _) => json!(refs.script),
            ("class", _) => json!(refs.class),
            ("schema", _) => json!([{"name": "v", "type": "integer"}]),
            ("content", FieldType::Json) => json!({"registration_ids": ["device"], "data": {}}),
            (_, FieldType::Email) => json!(format!("user{n}@example.com")),
            (_, FieldType::String | FieldType::Slug | FieldType::Text) => {
                let mut text = format!("r{n}{}", resource.name.to_lowercase());
                text.truncate(max);
                json!(text)
            }
            (_, FieldType::Integer) => json!(field.min_value.unwrap_or(1.0) as i64),
            (_, FieldType::Boolean) => json!(false),
            (_, FieldType::Choice) => field
                .choices
                .first()
                .map(|c| match &c.value {
                    schema::ChoiceValue::Int(i) => json!(i),
                    schema::ChoiceValue::Str(s) => json!(s),
                })
                .expect("a choice field has choices"),
            (name, ty) => panic!(
                "resource {}: the sweep cannot build a value for required field `{name}` ({ty:?}); teach create_body",
                resource.name
            ),
        };
        body.insert(field.name.clone(), value);
    }
    // Constraints the schema format cannot state (one of two fields required).
    match resource.name.as_str() {
        "Schedule" => {
            body.insert("interval_sec".into(), json!(60));
        }
        "Restore" => {
            body.insert("backup".into(), json!(refs.backup));
        }
        _ => {}
    }
    Value::Object(body)
}

fn methods_of(endpoint: &Endpoint) -> Vec<HttpMethod> {
    endpoint.methods.clone()
}

#[tokio::test]
async fn every_instance_resource_round_trips_through_the_sdk() {
    let (server, client) = connect().await;
    let schema = snapshot();
    client
        .request::<_, Value>(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"name": INSTANCE})),
        )
        .await
        .expect("instance");
    let refs = create_referenced(&client).await;

    let mut covered = Vec::new();
    for (n, resource) in schema.resources.iter().enumerate() {
        let (Some(list), Some(detail)) = (resource.list(), resource.detail()) else {
            continue;
        };
        if !instance_scoped(list) || !list.allows(HttpMethod::Post) {
            continue;
        }
        let list_path = fill(&list.path, &[("instance", INSTANCE)]);
        let body = create_body(resource, n, &refs);
        let created: Value = client
            .request(Method::POST, &list_path, Some(&body))
            .await
            .unwrap_or_else(|e| panic!("{}: POST {list_path} {body}: {e}", resource.name));
        let key_name = detail.path_params.last().expect("detail has a key").clone();
        let key = match &created[&key_name] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!(
                "{}: created record has no `{key_name}`: {other}",
                resource.name
            ),
        };
        let detail_path = fill(&detail.path, &[("instance", INSTANCE), (&key_name, &key)]);

        let fetched: Value = client
            .request::<(), _>(Method::GET, &detail_path, None)
            .await
            .unwrap_or_else(|e| panic!("{}: GET {detail_path}: {e}", resource.name));
        assert_eq!(fetched[&key_name], created[&key_name], "{}", resource.name);
        assert!(
            fetched["links"]["self"].is_string(),
            "{}: links.self",
            resource.name
        );

        if detail.allows(HttpMethod::Patch) {
            let patched: Value = client
                .request(Method::PATCH, &detail_path, Some(&json!({})))
                .await
                .unwrap_or_else(|e| panic!("{}: PATCH {detail_path}: {e}", resource.name));
            assert_eq!(patched[&key_name], created[&key_name], "{}", resource.name);
        }

        if list.allows(HttpMethod::Get) {
            let listed = ListRequest::<Value>::new(client.clone(), list_path.clone())
                .collect()
                .await
                .unwrap_or_else(|e| panic!("{}: list {list_path}: {e}", resource.name));
            assert!(
                listed
                    .iter()
                    .any(|item| item[&key_name] == created[&key_name]),
                "{}: the list holds the new record",
                resource.name
            );
        }

        for method in [
            HttpMethod::Put,
            HttpMethod::Patch,
            HttpMethod::Delete,
            HttpMethod::Post,
        ] {
            if methods_of(detail).contains(&method) {
                continue;
            }
            let error = client
                .request(
                    Method::from_bytes(method.as_http().as_bytes()).expect("an HTTP method"),
                    &detail_path,
                    Some(&json!({})),
                )
                .await
                .map(|_: Value| ())
                .expect_err("an undeclared method is refused");
            assert_eq!(
                error.status(),
                Some(405),
                "{} {method:?}: {error}",
                resource.name
            );
        }

        if detail.allows(HttpMethod::Delete) {
            client
                .request::<(), ()>(Method::DELETE, &detail_path, None)
                .await
                .unwrap_or_else(|e| panic!("{}: DELETE {detail_path}: {e}", resource.name));
            let gone = client
                .request::<(), Value>(Method::GET, &detail_path, None)
                .await
                .expect_err("deleted");
            assert!(gone.is_not_found(), "{}: {gone}", resource.name);
        }
        covered.push(resource.name.clone());
    }
    // The sweep must not silently cover nothing.
    for expected in [
        "ApiKey", "Channel", "Class", "Group", "Schedule", "Script", "Trigger", "User",
    ] {
        assert!(
            covered.iter().any(|c| c == expected),
            "{expected} was not swept: {covered:?}"
        );
    }
    server.shutdown().await;
}
