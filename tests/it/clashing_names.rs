//! The generated API next to the runtime when the schema names its resources and
//! endpoints after the runtime's own methods (`tests/fixtures/clashing-names.json`):
//! it compiles, the runtime's methods keep their names, and the generated ones, which
//! step aside with a suffix, call the right endpoints. Built and run by `.ci/run` with
//! `SYNCANO_SCHEMA=tests/fixtures/clashing-names.json`; with any other schema this
//! module is empty.
#![cfg(syncano_schema = "clashing-names")]

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn record(name: &str) -> serde_json::Value {
    json!({"name": name, "links": {"self": format!("/v1.1/delete/{name}/")}})
}

async fn server() -> (MockServer, syncano::Client) {
    let server = MockServer::start().await;
    let client = syncano::Client::builder()
        .api_root(server.uri())
        .api_key("0123456789abcdef0123456789abcdef01234567")
        .no_proxy()
        .build()
        .expect("client");
    (server, client)
}

#[tokio::test]
async fn runtime_methods_keep_their_names_and_generated_accessors_step_aside() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/media/file.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_string("bytes"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/download/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [record("a")], "next": null, "prev": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    // the runtime's `Client::download` …
    let bytes = client.download("/media/file.txt").await.expect("download");
    assert_eq!(&bytes[..], b"bytes");
    // … and the resource at /v1.1/download/, whose accessor took a suffix
    let items = client
        .download_manager()
        .list()
        .collect()
        .await
        .expect("list");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].name, "a");
}

#[tokio::test]
async fn endpoints_named_like_manager_methods_take_the_endpoint_suffix() {
    let (server, client) = server().await;
    for endpoint in ["get_or_create", "using", "client", "new", "typed", "list_path"] {
        Mock::given(method("POST"))
            .and(path(format!("/v1.1/request/a/{endpoint}/")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"called": endpoint})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let requests = client.request_manager();
    let answers = [
        requests.get_or_create_endpoint("a").await,
        requests.using_endpoint("a").await,
        requests.client_endpoint("a").await,
        requests.new_endpoint("a").await,
        requests.typed("a").await,
        requests.list_path("a").await,
    ];
    for answer in answers {
        assert!(answer.expect("custom endpoint")["called"].is_string());
    }
    // `typed` is free on a manager without user-defined fields, and the private
    // `list_path` helper stepped aside for the public endpoint method
    // the manager's own methods still work
    let other = requests.using(&client);
    assert_eq!(other.client().api_root(), client.api_root());
}

#[tokio::test]
async fn the_instance_scope_keeps_its_methods_beside_generated_accessors() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/batch/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [], "next": null, "prev": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/name/x/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(record("x")))
        .expect(1)
        .mount(&server)
        .await;
    let lib = client.instance("lib");
    assert_eq!(lib.name(), "lib");
    // the runtime's batch request, and the resource named `batch`
    assert!(lib.batch().is_empty());
    let none = lib.batch_manager().list().collect().await.expect("list");
    assert!(none.is_empty());
    let named = lib.name_manager().get("x").await.expect("get");
    assert_eq!(named.name, "x");
}

#[tokio::test]
async fn model_conveniences_and_get_or_create_of_a_clashing_resource() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/delete/"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "name": ["This field must be unique."]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/delete/a/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(record("a")))
        .expect(2)
        .mount(&server)
        .await;
    // `Client::delete` is the runtime's: the resource at /v1.1/delete/ steps aside
    let existing = client
        .delete_manager()
        .get_or_create(&syncano::RootDeleteCreate::new("a"))
        .await
        .expect("the existing record");
    assert_eq!(existing.name, "a");
    let again = existing.reload(&client).await.expect("reload");
    assert_eq!(again, existing);
}
