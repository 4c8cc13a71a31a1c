//! Single requests: bodies, query parameters, following links, data-object write
//! operators, decimals, proxies and caller-supplied HTTP clients.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use syncano::links::{Links, link};
use syncano::object::{Add, Increment, ObjectPatch, Remove};
use syncano::path::segment;
use syncano::{Client, Decimal, Method};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::mock::{KEY, client};

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[derive(Debug, Serialize)]
struct NewInstance<'a> {
    name: &'a str,
    description: &'a str,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Instance {
    name: String,
    description: String,
    links: Links,
}

#[tokio::test]
async fn json_body_and_typed_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "name": "lib", "description": "books", "role": "full",
            "links": {"self": "/v1.1/instances/lib/", "classes": "/v1.1/instances/lib/classes/"}
        })))
        .mount(&server)
        .await;
    let created: Instance = client(&server)
        .request(
            Method::POST,
            "/v1.1/instances/",
            Some(&NewInstance {
                name: "lib",
                description: "books",
            }),
        )
        .await
        .expect("created");
    assert_eq!(created.name, "lib");
    assert_eq!(
        created.links.get("classes"),
        Some("/v1.1/instances/lib/classes/")
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/json")
    );
    assert_eq!(
        requests[0].body_json::<Value>().expect("json"),
        json!({"name": "lib", "description": "books"})
    );
}

#[tokio::test]
async fn query_parameters_and_encoded_segments() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/channels/my%20room/poll/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 7, "action": "custom"})),
        )
        .mount(&server)
        .await;
    let poll = format!("/v1.1/instances/lib/channels/{}/poll/", segment(&"my room"));
    let change: Value = client(&server)
        .request_with_query(
            Method::GET,
            &poll,
            &[("last_id", "6"), ("room", "a&b")],
            None::<&()>,
        )
        .await
        .expect("change");
    assert_eq!(change["id"], 7);
    let requests = received(&server).await;
    let pairs: Vec<(String, String)> = requests[0]
        .url
        .query_pairs()
        .map(|(n, v)| (n.into(), v.into()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("last_id".into(), "6".into()),
            ("room".into(), "a&b".into())
        ]
    );
}

#[tokio::test]
async fn following_links() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "lib", "description": "",
            "links": {"self": "/v1.1/instances/lib/", "classes": "/v1.1/instances/lib/classes/", "future-link": "/v1.1/instances/lib/future/"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/classes/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [{"name": "book"}, {"name": "author"}], "next": null, "prev": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/future/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"whatever": true})))
        .mount(&server)
        .await;
    let c = client(&server);
    let instance: Instance = c.follow("/v1.1/instances/lib/").await.expect("instance");
    let classes_path = instance.links.get("classes").expect("classes link");
    let classes: Vec<Value> = c
        .follow_list(classes_path)
        .collect()
        .await
        .expect("classes");
    assert_eq!(
        classes
            .iter()
            .map(|c| c["name"].as_str())
            .collect::<Vec<_>>(),
        vec![Some("book"), Some("author")]
    );
    // A link no model declares is still reachable by name.
    let unknown = instance
        .links
        .get("future-link")
        .expect("unknown link kept");
    let raw = c.follow_raw(unknown).await.expect("raw");
    assert_eq!(raw, json!({"whatever": true}));
    let raw_instance = c
        .follow_raw("/v1.1/instances/lib/")
        .await
        .expect("raw instance");
    assert_eq!(link(&raw_instance, "self"), Some("/v1.1/instances/lib/"));
    let paths: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/v1.1/instances/lib/",
            "/v1.1/instances/lib/classes/",
            "/v1.1/instances/lib/future/",
            "/v1.1/instances/lib/"
        ]
    );
}

#[derive(Debug, Serialize)]
struct BookUpdate {
    views: Increment<i64>,
    tags: Add<&'static str>,
    authors: Remove<u64>,
    expected_revision: u64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Book {
    id: u64,
    revision: u64,
    views: i64,
    price: Decimal,
}

#[tokio::test]
async fn write_operators_in_object_updates() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.1/instances/lib/classes/book/objects/12/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 12, "revision": 4, "views": 11, "price": "12.50", "tags": ["new", "classic"]
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    let object = "/v1.1/instances/lib/classes/book/objects/12/";
    let update = BookUpdate {
        views: Increment(1),
        tags: Add(vec!["classic"]),
        authors: Remove(vec![3]),
        expected_revision: 3,
    };
    let book: Book = c
        .request(Method::PATCH, object, Some(&update))
        .await
        .expect("typed update");
    assert_eq!(
        book,
        Book {
            id: 12,
            revision: 4,
            views: 11,
            price: "12.50".parse().expect("decimal")
        }
    );
    let patch = ObjectPatch::new()
        .add_unique("tags", ["x"])
        .increment("views", -2)
        .expected_revision(4);
    c.request_raw(Method::PATCH, object, Some(&patch))
        .await
        .expect("patch");

    let requests = received(&server).await;
    assert_eq!(
        requests[0].body_json::<Value>().expect("json"),
        json!({"views": {"_increment": 1}, "tags": {"_add": ["classic"]}, "authors": {"_remove": [3]}, "expected_revision": 3})
    );
    assert_eq!(
        requests[1].body_json::<Value>().expect("json"),
        json!({"tags": {"_addunique": ["x"]}, "views": {"_increment": -2}, "expected_revision": 4})
    );
}

#[tokio::test]
async fn proxy_option_routes_requests_through_the_proxy() {
    // The mock server plays the proxy: requests for another host arrive in absolute form.
    let proxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&proxy)
        .await;
    let c = Client::builder()
        .api_root("http://syncano.invalid")
        .api_key(KEY)
        .proxy(proxy.uri())
        .build()
        .expect("client");
    let account = c
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect("through the proxy");
    assert_eq!(account["id"], 1);
    let requests = received(&proxy).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.host_str(), Some("syncano.invalid"));
    assert_eq!(header(&requests[0], "x-api-key"), Some(KEY));
}

#[tokio::test]
async fn caller_supplied_http_client_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    let c = Client::builder()
        .api_root(server.uri())
        .http_client(http)
        .user_agent("my-app/2.0")
        .build()
        .expect("client");
    c.request_raw::<()>(Method::GET, "/v1.1/", None)
        .await
        .expect("ok");
    let requests = received(&server).await;
    assert_eq!(header(&requests[0], "user-agent"), Some("my-app/2.0"));
    assert_eq!(
        header(&requests[0], "x-api-key"),
        None,
        "no key configured, none sent"
    );
}

#[tokio::test]
async fn derived_clients_share_the_transport() {
    #[derive(Debug, Default)]
    struct Count(std::sync::atomic::AtomicUsize);
    #[async_trait::async_trait]
    impl syncano::transport::Transport for Count {
        async fn send(
            &self,
            request: syncano::transport::HttpRequest,
        ) -> syncano::Result<syncano::transport::HttpResponse> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let key = request
                .headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string();
            Ok(syncano::transport::HttpResponse::new(
                200,
                json!({ "key": key }).to_string(),
            ))
        }
    }
    let counter = Arc::new(Count::default());
    let base = Client::builder()
        .transport(counter.clone())
        .api_key("one")
        .build()
        .expect("client");
    let other = base.with_api_key("two");
    let first = base
        .request_raw::<()>(Method::GET, "/v1.1/", None)
        .await
        .expect("one");
    let second = other
        .request_raw::<()>(Method::GET, "/v1.1/", None)
        .await
        .expect("two");
    assert_eq!(
        (first["key"].as_str(), second["key"].as_str()),
        (Some("one"), Some("two"))
    );
    assert_eq!(counter.0.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(
        base.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some("one")
    );
}

/// Calls can be spawned: the client, list requests and their futures and streams are
/// `Send` (+ `Sync` where they are values).
#[test]
fn futures_and_streams_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let client = Client::builder().build().expect("client");
    send_sync(&client);
    let list = syncano::ListRequest::<Value>::new(client.clone(), "/v1.1/instances/".into());
    send_sync(&list);
    send(&list.clone().page());
    send(&list.clone().collect());
    send(&list.clone().stream());
    send(&client.request::<Value, Value>(Method::POST, "/v1.1/instances/", Some(&json!({}))));
    send(&client.login("a@b.c", "pw"));
    send(&client.follow::<Value>("/v1.1/"));
}

#[tokio::test]
async fn redirects_stay_on_the_api_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"stolen": true})))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/moved/"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/v1.1/account/"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/away/"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/v1.1/account/", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let followed = c
        .request_raw::<()>(Method::GET, "/v1.1/moved/", None)
        .await
        .expect("same origin");
    assert_eq!(followed["id"], 1);
    let stopped = c
        .request_raw::<()>(Method::GET, "/v1.1/away/", None)
        .await
        .expect_err("not followed");
    assert_eq!(stopped.status(), Some(syncano::StatusCode::FOUND));
    assert!(
        received(&elsewhere).await.is_empty(),
        "the key never reaches another host"
    );
    let moved_and_followed: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        moved_and_followed,
        vec!["/v1.1/moved/", "/v1.1/account/", "/v1.1/away/"]
    );
}

#[tokio::test]
async fn dot_segments_are_refused_before_anything_is_sent() {
    // A channel named `..` (or a link holding one) would stand for the instance: a
    // DELETE on it must never leave the client.
    let server = MockServer::start().await;
    let client = client(&server);
    for path in [
        "/v1.1/instances/library/channels/../",
        "/v1.1/instances/library/channels/%2e%2E/",
        "/v1.1/instances/library/./",
    ] {
        let error = client.delete(path).await.expect_err("refused");
        assert!(
            matches!(&error, syncano::Error::InvalidRequest(m) if m.contains("'..' segment")),
            "{path}: {error}"
        );
    }
    // a path parameter `..` through `segment`, as every generated path helper builds it
    let channel = format!("/v1.1/instances/library/channels/{}/", segment(&".."));
    let error = client
        .delete(&channel)
        .await
        .expect_err("a path parameter `..` is refused too");
    assert!(
        matches!(error, syncano::Error::InvalidRequest(_)),
        "{error}"
    );
    // dots inside a segment are just dots
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/library/channels/.news./"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": ".news."})))
        .expect(1)
        .mount(&server)
        .await;
    let channel: Value = client
        .get("/v1.1/instances/library/channels/.news./")
        .await
        .expect("a dotted name");
    assert_eq!(channel["name"], ".news.");
    assert!(
        received(&server).await.len() == 1,
        "nothing but the dotted name was sent"
    );
}
