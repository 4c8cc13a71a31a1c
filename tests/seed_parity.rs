//! A Rust counterpart for each example of the Syncano Python library's usage guide
//! ("Getting started" and "Interacting with Syncano"), through the generated managers
//! and models. Each test asserts the exact requests (method, path, query, key header,
//! JSON body) a local request-recording server received, and the typed result.

// Written against the v1.1 snapshot's generated API.
#![cfg(not(syncano_custom_schema))]

use std::collections::HashMap;

use serde_json::{Value, json};
use syncano::{
    Admin, AdminRole, ApiKeyCreate, ApiKeyManager, Client, Instance, InstanceCreate,
    InstanceManager, InstanceUpdate, InvitationCreate, ScheduleTrace, ScriptRunRequest,
    ScriptTrace,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const OTHER_KEY: &str = "ffffffffffffffffffffffffffffffffffffffff";

/// What one received request must be.
struct Expected<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    key: Option<&'a str>,
    body: Option<Value>,
}

impl<'a> Expected<'a> {
    fn new(method: &'a str, path: &'a str) -> Self {
        Expected {
            method,
            path,
            query: &[],
            key: Some(ACCOUNT_KEY),
            body: None,
        }
    }
    fn query(mut self, query: &'a [(&'a str, &'a str)]) -> Self {
        self.query = query;
        self
    }
    fn key(mut self, key: Option<&'a str>) -> Self {
        self.key = key;
        self
    }
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Asserts that the server received exactly the `expected` requests, in order.
async fn assert_requests(server: &MockServer, expected: &[Expected<'_>]) {
    let received: Vec<Request> = server.received_requests().await.unwrap_or_default();
    let summary: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.url))
        .collect();
    assert_eq!(received.len(), expected.len(), "received: {summary:#?}");
    for (i, (request, want)) in received.iter().zip(expected).enumerate() {
        assert_eq!(
            request.method.as_str(),
            want.method,
            "request {i}: {summary:?}"
        );
        assert_eq!(request.url.path(), want.path, "request {i}");
        let mut query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        query.sort();
        let mut want_query: Vec<(String, String)> = want
            .query
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        want_query.sort();
        assert_eq!(query, want_query, "request {i} query");
        let key = request
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok());
        assert_eq!(key, want.key, "request {i} key");
        match &want.body {
            Some(body) => {
                assert_eq!(
                    request.body_json::<Value>().ok().as_ref(),
                    Some(body),
                    "request {i} body"
                );
                assert_eq!(
                    request
                        .headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok()),
                    Some("application/json"),
                    "request {i} content type"
                );
            }
            None => assert!(request.body.is_empty(), "request {i} has no body"),
        }
    }
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_root(server.uri())
        .api_key(ACCOUNT_KEY)
        .no_proxy()
        .build()
        .expect("client")
}

fn instance_json(name: &str, description: &str) -> Value {
    let base = format!("/v1.1/instances/{name}/");
    json!({
        "name": name,
        "description": description,
        "owner": {"id": 1, "email": "admin@example.com", "first_name": "", "last_name": "", "is_active": true, "has_password": true},
        "role": "full",
        "metadata": {},
        "location": "us1",
        "created_at": "2026-11-22T17:37:25.474230Z",
        "updated_at": "2026-11-22T17:37:25.474260Z",
        "links": {
            "self": base,
            "admins": format!("{base}admins/"),
            "api_keys": format!("{base}api_keys/"),
            "classes": format!("{base}classes/"),
            "invitations": format!("{base}invitations/"),
            "schedules": format!("{base}schedules/"),
        }
    })
}

fn page(objects: Vec<Value>, next: Option<&str>) -> Value {
    json!({"objects": objects, "next": next, "prev": null})
}

async fn mount(server: &MockServer, verb: &str, at: &str, status: u16, body: Option<Value>) {
    let mut template = ResponseTemplate::new(status);
    if let Some(body) = body {
        template = template.set_body_json(body);
    }
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(template)
        .mount(server)
        .await;
}

/// Two instances on the first page, one on the second.
async fn instance_pages(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .and(query_param("last_pk", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![instance_json("test-three", "")], None)),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![
                instance_json("test-one", "first"),
                instance_json("test-two", "second"),
            ],
            Some("/v1.1/instances/?direction=1&last_pk=2"),
        )))
        .mount(server)
        .await;
}

fn names(instances: &[Instance]) -> Vec<&str> {
    instances.iter().map(|i| i.name.as_str()).collect()
}

// --- Making connections -------------------------------------------------------------

/// `syncano.connect(email=..., password=...)`, then `list(connection.instances)`.
#[tokio::test]
async fn connect_with_email_and_password() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1.1/account/auth/",
        200,
        Some(json!({"id": 1, "email": "admin@example.com", "account_key": ACCOUNT_KEY, "is_active": true})),
    )
    .await;
    instance_pages(&server).await;
    let anonymous = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .build()
        .expect("client");
    let connection = anonymous
        .login("admin@example.com", "dummy")
        .await
        .expect("login");
    let first = connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    assert_eq!(names(&first.objects), vec!["test-one", "test-two"]);
    assert_requests(
        &server,
        &[
            Expected::new("POST", "/v1.1/account/auth/")
                .key(None)
                .body(json!({"email": "admin@example.com", "password": "dummy"})),
            Expected::new("GET", "/v1.1/instances/"),
        ],
    )
    .await;
}

/// `syncano.connect(api_key='...')` and `connect_instance('name', api_key='...')`.
#[tokio::test]
async fn connect_with_an_api_key() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "first")),
    )
    .await;
    let connection = Client::builder()
        .api_root(server.uri())
        .api_key(ACCOUNT_KEY)
        .no_proxy()
        .build()
        .expect("client");
    connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    let instance_connection = connection.with_instance("test-one");
    let name = instance_connection
        .instance_name()
        .expect("instance name")
        .to_string();
    let instance = instance_connection
        .instances()
        .get(&name)
        .await
        .expect("instance");
    assert_eq!(instance.name, "test-one");
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/"),
            Expected::new("GET", "/v1.1/instances/test-one/"),
        ],
    )
    .await;
}

/// The environment variables of the guide (`SYNCANO_APIROOT`, `SYNCANO_APIKEY`,
/// `SYNCANO_INSTANCE`, or `SYNCANO_EMAIL` + `SYNCANO_PASSWORD`).
#[tokio::test]
async fn connect_from_environment_variables() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1.1/account/auth/",
        200,
        Some(json!({"id": 1, "account_key": ACCOUNT_KEY})),
    )
    .await;
    instance_pages(&server).await;
    let uri = server.uri();
    let vars: HashMap<&str, &str> = [
        ("SYNCANO_APIROOT", uri.as_str()),
        ("SYNCANO_EMAIL", "admin@syncano.com"),
        ("SYNCANO_PASSWORD", "dummy"),
        ("SYNCANO_INSTANCE", "test"),
    ]
    .into_iter()
    .collect();
    let connection = Client::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
        .await
        .expect("client");
    assert_eq!(connection.instance_name(), Some("test"));
    connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    assert_requests(
        &server,
        &[
            Expected::new("POST", "/v1.1/account/auth/")
                .key(None)
                .body(json!({"email": "admin@syncano.com", "password": "dummy"})),
            Expected::new("GET", "/v1.1/instances/"),
        ],
    )
    .await;
}

// --- Creating objects ---------------------------------------------------------------

/// `connection.instances.create(name='dummy_test', description='test')`: through the
/// client's accessor, and through the resource's manager.
#[tokio::test]
async fn create_through_the_accessor_and_the_manager() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/",
        201,
        Some(instance_json("dummy-test", "test")),
    )
    .await;
    let connection = client(&server);
    let mut body = InstanceCreate::new("dummy-test");
    body.description = Some("test".into());
    let by_accessor = connection.instances().create(&body).await.expect("created");
    let by_manager = InstanceManager::new(&connection)
        .create(&body)
        .await
        .expect("created");
    assert_eq!(by_accessor, by_manager);
    assert_eq!(by_accessor.name, "dummy-test");
    assert_eq!(by_accessor.description.as_deref(), Some("test"));
    assert_eq!(by_accessor.role.as_ref().map(|r| r.as_str()), Some("full"));
    let expected = json!({"name": "dummy-test", "description": "test"});
    assert_requests(
        &server,
        &[
            Expected::new("POST", "/v1.1/instances/").body(expected.clone()),
            Expected::new("POST", "/v1.1/instances/").body(expected),
        ],
    )
    .await;
}

/// `instance = Instance(name='test-one', description=''); instance.save()`: create, then
/// change and save the model (a PATCH of its writable fields to its `self` link).
#[tokio::test]
async fn create_then_save() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/",
        201,
        Some(instance_json("test-one", "")),
    )
    .await;
    mount(
        &server,
        "PATCH",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "saved")),
    )
    .await;
    let connection = client(&server);
    let mut instance = connection
        .instances()
        .create(&InstanceCreate::new("test-one"))
        .await
        .expect("created");
    instance.description = Some("saved".into());
    let saved = instance.save(&connection).await.expect("saved");
    assert_eq!(saved.description.as_deref(), Some("saved"));
    assert_requests(
        &server,
        &[
            Expected::new("POST", "/v1.1/instances/").body(json!({"name": "test-one"})),
            Expected::new("PATCH", "/v1.1/instances/test-one/")
                .body(json!({"name": "test-one", "description": "saved", "metadata": {}})),
        ],
    )
    .await;
}

// --- Saving changes to objects ------------------------------------------------------

/// `instance.description = 'new description'; instance.save()`.
#[tokio::test]
async fn update_then_save() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "old")),
    )
    .await;
    mount(
        &server,
        "PATCH",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "new description")),
    )
    .await;
    let connection = client(&server);
    let mut instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    assert_eq!(instance.description.as_deref(), Some("old"));
    instance.description = Some("new description".into());
    let saved = instance.save(&connection).await.expect("saved");
    assert_eq!(saved.description.as_deref(), Some("new description"));
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("PATCH", "/v1.1/instances/test-one/").body(
                json!({"name": "test-one", "description": "new description", "metadata": {}}),
            ),
        ],
    )
    .await;
}

/// `Instance.please.update('test-one', description='...')`: a PATCH with only the
/// fields given.
#[tokio::test]
async fn update_through_the_manager() {
    let server = MockServer::start().await;
    mount(
        &server,
        "PATCH",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "updated")),
    )
    .await;
    let update = InstanceUpdate {
        description: Some("updated".into()),
        ..InstanceUpdate::default()
    };
    let instance = client(&server)
        .instances()
        .update("test-one", &update)
        .await
        .expect("updated");
    assert_eq!(instance.description.as_deref(), Some("updated"));
    assert_requests(
        &server,
        &[Expected::new("PATCH", "/v1.1/instances/test-one/")
            .body(json!({"description": "updated"}))],
    )
    .await;
}

// --- Retrieving objects -------------------------------------------------------------

/// `Instance.please.list()`: one page, as typed models.
#[tokio::test]
async fn list() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    let first = client(&server)
        .instances()
        .list()
        .page()
        .await
        .expect("page");
    assert_eq!(names(&first.objects), vec!["test-one", "test-two"]);
    assert_eq!(first.objects[0].description.as_deref(), Some("first"));
    assert!(first.has_next());
    assert_requests(&server, &[Expected::new("GET", "/v1.1/instances/")]).await;
}

/// `Instance.please.all()`: every page.
#[tokio::test]
async fn all() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    let all = client(&server)
        .instances()
        .list()
        .collect()
        .await
        .expect("all");
    assert_eq!(names(&all), vec!["test-one", "test-two", "test-three"]);
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/"),
            Expected::new("GET", "/v1.1/instances/").query(&[("direction", "1"), ("last_pk", "2")]),
        ],
    )
    .await;
}

/// "Manager is lazy": `query = Class.please.list('test-instance').limit(10)` sends
/// nothing until evaluated.
#[tokio::test]
async fn list_is_lazy() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-instance/classes/",
        200,
        Some(page(vec![], None)),
    )
    .await;
    let connection = client(&server);
    let query = connection
        .instances()
        .classes("test-instance")
        .list()
        .limit(10);
    assert_requests(&server, &[]).await;
    let classes = query.collect().await.expect("classes");
    assert!(classes.is_empty());
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/test-instance/classes/")
                .query(&[("page_size", "10")]),
        ],
    )
    .await;
}

/// `Instance.please.limit(2)` (and `Instance.please[:2]`): stops after two items
/// without following `next`.
#[tokio::test]
async fn limit_two() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    let two = client(&server)
        .instances()
        .list()
        .limit(2)
        .collect()
        .await
        .expect("two");
    assert_eq!(names(&two), vec!["test-one", "test-two"]);
    assert_requests(
        &server,
        &[Expected::new("GET", "/v1.1/instances/").query(&[("page_size", "2")])],
    )
    .await;
}

/// `Instance.please.list().raw()`, `list().limit(1).raw()` and `raw().get('test-one')`.
#[tokio::test]
async fn raw_list_and_raw_get() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "first")),
    )
    .await;
    let connection = client(&server);
    let raw: Vec<Value> = connection
        .instances()
        .list()
        .raw()
        .collect()
        .await
        .expect("raw");
    assert_eq!(raw.len(), 3);
    assert_eq!(raw[0], instance_json("test-one", "first"));
    let one: Vec<Value> = connection
        .instances()
        .list()
        .limit(1)
        .raw()
        .collect()
        .await
        .expect("raw one");
    assert_eq!(one, vec![instance_json("test-one", "first")]);
    let got = connection
        .instances()
        .get_raw("test-one")
        .await
        .expect("raw get");
    assert_eq!(got, instance_json("test-one", "first"));
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/"),
            Expected::new("GET", "/v1.1/instances/").query(&[("direction", "1"), ("last_pk", "2")]),
            Expected::new("GET", "/v1.1/instances/").query(&[("page_size", "1")]),
            Expected::new("GET", "/v1.1/instances/test-one/"),
        ],
    )
    .await;
}

/// `Instance.please.get('instance-name')` and its alias `detail`; a missing one is a
/// "does not exist" error.
#[tokio::test]
async fn get_and_detail() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/instance-name/",
        200,
        Some(instance_json("instance-name", "x")),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/missing/",
        404,
        Some(json!({"detail": "Not found."})),
    )
    .await;
    let connection = client(&server);
    let by_accessor = connection
        .instances()
        .get("instance-name")
        .await
        .expect("get");
    let by_manager = InstanceManager::new(&connection)
        .get("instance-name")
        .await
        .expect("detail");
    assert_eq!(by_accessor, by_manager);
    assert_eq!(by_accessor.name, "instance-name");
    assert_eq!(
        by_accessor.links.as_ref().and_then(|l| l.self_.as_deref()),
        Some("/v1.1/instances/instance-name/")
    );
    let missing = connection
        .instances()
        .get("missing")
        .await
        .expect_err("404");
    assert!(missing.is_not_found());
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/instance-name/"),
            Expected::new("GET", "/v1.1/instances/instance-name/"),
            Expected::new("GET", "/v1.1/instances/missing/"),
        ],
    )
    .await;
}

// --- Removing objects ---------------------------------------------------------------

/// `instance = Instance.please.get('test-one'); instance.delete()`, and
/// `Instance.please.delete('test-one')`.
#[tokio::test]
async fn delete_on_a_model_and_through_the_manager() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "")),
    )
    .await;
    mount(&server, "DELETE", "/v1.1/instances/test-one/", 204, None).await;
    let connection = client(&server);
    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    instance.delete(&connection).await.expect("deleted");
    connection
        .instances()
        .delete("test-one")
        .await
        .expect("deleted");
    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("DELETE", "/v1.1/instances/test-one/"),
            Expected::new("DELETE", "/v1.1/instances/test-one/"),
        ],
    )
    .await;
}

// --- Lookups that span relationships and backward relations -------------------------

fn api_key_json(id: i64) -> Value {
    json!({
        "id": id, "api_key": "aad17f86d41483db7088ad2549ccb87902d60e45", "description": "",
        "ignore_acl": false, "allow_user_create": false, "allow_group_create": false, "allow_anonymous_read": false,
        "created_at": "2026-11-22T17:37:25.474230Z",
        "links": {"self": format!("/v1.1/instances/test-one/api_keys/{id}/"), "reset_key": format!("/v1.1/instances/test-one/api_keys/{id}/reset_key/")}
    })
}

/// `ApiKey.please.list('test-one')`; `instance.api_keys.list()`, `.get(1)` and
/// `instance.api_keys.create()` (then `api_key.api_key`).
#[tokio::test]
async fn api_keys_of_an_instance() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "")),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/api_keys/",
        200,
        Some(page(vec![api_key_json(1)], None)),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/api_keys/1/",
        200,
        Some(api_key_json(1)),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/test-one/api_keys/",
        201,
        Some(api_key_json(47)),
    )
    .await;
    let connection = client(&server);

    let by_lookup = ApiKeyManager::new(&connection, "test-one")
        .list()
        .collect()
        .await
        .expect("keys");
    assert_eq!(by_lookup.iter().map(|k| k.id).collect::<Vec<_>>(), vec![1]);
    let also = connection
        .instances()
        .api_keys("test-one")
        .list()
        .collect()
        .await
        .expect("keys");
    assert_eq!(also, by_lookup);

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    let keys = instance.api_keys(&connection).expect("api_keys manager");
    assert_eq!(keys.instance(), "test-one");
    assert_eq!(keys.list().collect().await.expect("keys"), by_lookup);
    assert_eq!(keys.get(1).await.expect("key 1").id, 1);
    let created = keys
        .create(&ApiKeyCreate::default())
        .await
        .expect("created");
    assert_eq!(created.id, 47);
    assert_eq!(
        created.api_key.as_deref(),
        Some("aad17f86d41483db7088ad2549ccb87902d60e45")
    );

    let keys_path = "/v1.1/instances/test-one/api_keys/";
    assert_requests(
        &server,
        &[
            Expected::new("GET", keys_path),
            Expected::new("GET", keys_path),
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("GET", keys_path),
            Expected::new("GET", "/v1.1/instances/test-one/api_keys/1/"),
            Expected::new("POST", keys_path).body(json!({})),
        ],
    )
    .await;
}

fn admin_json(id: i64, role: &str) -> Value {
    json!({
        "id": id, "email": format!("admin{id}@example.com"), "first_name": "Ada", "last_name": "Admin", "role": role,
        "links": {"self": format!("/v1.1/instances/test-one/admins/{id}/")}
    })
}

/// Related models through links: an instance's admins — list, raw, "create" (admins
/// join through an invitation; the admins list itself takes GET only), update, delete.
#[tokio::test]
async fn admins_of_an_instance() {
    let server = MockServer::start().await;
    let admins_path = "/v1.1/instances/test-one/admins/";
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "")),
    )
    .await;
    mount(
        &server,
        "GET",
        admins_path,
        200,
        Some(page(
            vec![admin_json(1, "full"), admin_json(2, "read")],
            None,
        )),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/test-one/invitations/",
        201,
        Some(json!({
            "id": 5, "email": "new@example.com", "role": "write", "key": "0f".repeat(20), "state": "new",
            "links": {"self": "/v1.1/instances/test-one/invitations/5/"}
        })),
    )
    .await;
    mount(
        &server,
        "PATCH",
        "/v1.1/instances/test-one/admins/2/",
        200,
        Some(admin_json(2, "write")),
    )
    .await;
    mount(
        &server,
        "DELETE",
        "/v1.1/instances/test-one/admins/2/",
        204,
        None,
    )
    .await;
    let connection = client(&server);

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    let admins = instance.admins(&connection).expect("admins manager");
    let list: Vec<Admin> = admins.list().collect().await.expect("admins");
    assert_eq!(
        list.iter()
            .map(|a| (a.id, a.role.clone()))
            .collect::<Vec<_>>(),
        vec![(1, Some(AdminRole::Full)), (2, Some(AdminRole::Read))]
    );
    let raw: Vec<Value> = admins.list().raw().collect().await.expect("raw admins");
    assert_eq!(raw[1], admin_json(2, "read"));

    let mut invitation = InvitationCreate::new("new@example.com");
    invitation.role = Some("write".into());
    let invited = instance
        .invitations(&connection)
        .expect("invitations")
        .create(&invitation)
        .await
        .expect("invited");
    assert_eq!(invited.id, 5);

    let mut second = list[1].clone();
    second.role = Some(AdminRole::Write);
    let saved = second.save(&connection).await.expect("saved");
    assert_eq!(saved.role, Some(AdminRole::Write));
    saved.delete(&connection).await.expect("removed");

    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("GET", admins_path),
            Expected::new("GET", admins_path),
            Expected::new("POST", "/v1.1/instances/test-one/invitations/")
                .body(json!({"email": "new@example.com", "role": "write"})),
            Expected::new("PATCH", "/v1.1/instances/test-one/admins/2/")
                .body(json!({"role": "write"})),
            Expected::new("DELETE", "/v1.1/instances/test-one/admins/2/"),
        ],
    )
    .await;
}

/// A trace knows what it belongs to: the instance and script (or schedule) ids are
/// recovered from its `self` link.
#[tokio::test]
async fn trace_relation_ids() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/test-one/snippets/scripts/4/run/",
        200,
        Some(json!({
            "id": 17, "status": "pending", "duration": null, "result": {}, "executed_at": null,
            "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/traces/17/"}
        })),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/schedules/9/traces/",
        200,
        Some(page(
            vec![json!({
                "id": 3, "status": "success", "duration": 937, "result": {"stdout": "1"},
                "executed_at": "2026-11-22T17:37:25.474230Z",
                "links": {"self": "/v1.1/instances/test-one/schedules/9/traces/3/"}
            })],
            None,
        )),
    )
    .await;
    let connection = client(&server);
    let run = ScriptRunRequest {
        payload: Some(json!({"x": 1})),
    };
    let trace: ScriptTrace = connection
        .instances()
        .scripts("test-one")
        .run(4, &run)
        .await
        .expect("trace");
    assert_eq!(trace.id, 17);
    assert_eq!(trace.status.as_ref().map(|s| s.as_str()), Some("pending"));
    let manager = trace.manager(&connection).expect("script trace manager");
    assert_eq!((manager.instance(), manager.script_id()), ("test-one", "4"));

    let traces: Vec<ScheduleTrace> = connection
        .instances()
        .schedules("test-one")
        .traces(9)
        .list()
        .collect()
        .await
        .expect("traces");
    assert_eq!(traces[0].duration, Some(937));
    assert_eq!(
        traces[0].status.as_ref().map(|s| s.as_str()),
        Some("success")
    );
    let manager = traces[0]
        .manager(&connection)
        .expect("schedule trace manager");
    assert_eq!(
        (manager.instance(), manager.schedule_id()),
        ("test-one", "9")
    );

    assert_requests(
        &server,
        &[
            Expected::new("POST", "/v1.1/instances/test-one/snippets/scripts/4/run/")
                .body(json!({"payload": {"x": 1}})),
            Expected::new("GET", "/v1.1/instances/test-one/schedules/9/traces/"),
        ],
    )
    .await;
}

/// Links lead to typed managers: an instance's classes, a class's objects, a script's
/// traces; a link no model declares stays reachable by name as a raw path.
#[tokio::test]
async fn links_lead_to_managers() {
    let server = MockServer::start().await;
    let mut instance = instance_json("test-one", "");
    instance["links"]["future-feature"] = json!("/v1.1/instances/test-one/future/");
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance),
    )
    .await;
    let class = json!({
        "name": "book", "description": "", "schema": [{"name": "title", "type": "string"}], "status": "ready",
        "objects_count": 1, "revision": 1, "metadata": {},
        "links": {"self": "/v1.1/instances/test-one/classes/book/", "objects": "/v1.1/instances/test-one/classes/book/objects/"}
    });
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/classes/",
        200,
        Some(page(vec![class], None)),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/classes/book/objects/",
        200,
        Some(page(vec![book_json(12, 1, 412)], None)),
    )
    .await;
    let script = json!({
        "id": 4, "label": "hello", "runtime_name": "python3", "source": "print(1)", "config": {},
        "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/", "traces": "/v1.1/instances/test-one/snippets/scripts/4/traces/"}
    });
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/snippets/scripts/4/",
        200,
        Some(script),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/snippets/scripts/4/traces/",
        200,
        Some(page(vec![json!({"id": 17, "status": "success", "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/traces/17/"}})], None)),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/future/",
        200,
        Some(json!({"new": true})),
    )
    .await;
    let connection = client(&server);

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    let classes = instance
        .classes(&connection)
        .expect("classes")
        .list()
        .collect()
        .await
        .expect("classes");
    assert_eq!(classes[0].name, "book");
    let books: Vec<syncano::DataObject<Book>> = classes[0]
        .objects::<Book>(&connection)
        .expect("objects")
        .list()
        .collect()
        .await
        .expect("objects");
    assert_eq!(
        books[0].data,
        Book {
            title: "Dune".into(),
            pages: 412
        }
    );
    let script = connection
        .instances()
        .scripts("test-one")
        .get(4)
        .await
        .expect("script");
    let traces = script
        .traces(&connection)
        .expect("traces")
        .list()
        .collect()
        .await
        .expect("traces");
    assert_eq!(traces.iter().map(|t| t.id).collect::<Vec<_>>(), vec![17]);
    let links = instance.links.as_ref().expect("links");
    let future = links
        .get("future-feature")
        .expect("an undeclared link is kept");
    assert_eq!(
        connection.follow_raw(future).await.expect("raw"),
        json!({"new": true})
    );

    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("GET", "/v1.1/instances/test-one/classes/"),
            Expected::new("GET", "/v1.1/instances/test-one/classes/book/objects/"),
            Expected::new("GET", "/v1.1/instances/test-one/snippets/scripts/4/"),
            Expected::new("GET", "/v1.1/instances/test-one/snippets/scripts/4/traces/"),
            Expected::new("GET", "/v1.1/instances/test-one/future/"),
        ],
    )
    .await;
}

// --- Running calls through a second connection ---------------------------------------

/// `Instance.please.using(other_connection)`: managers, list requests and model calls
/// run through another client.
#[tokio::test]
async fn through_a_second_connection() {
    let server = MockServer::start().await;
    instance_pages(&server).await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        200,
        Some(instance_json("test-one", "first")),
    )
    .await;
    let connection = client(&server);
    let other = connection.with_api_key(OTHER_KEY);

    let manager = connection.instances().using(&other);
    manager.list().page().await.expect("list through other");
    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("get through first");
    instance.reload(&other).await.expect("reload through other");
    connection
        .instances()
        .list()
        .using(&other)
        .limit(1)
        .collect()
        .await
        .expect("list request through other");

    assert_requests(
        &server,
        &[
            Expected::new("GET", "/v1.1/instances/").key(Some(OTHER_KEY)),
            Expected::new("GET", "/v1.1/instances/test-one/"),
            Expected::new("GET", "/v1.1/instances/test-one/").key(Some(OTHER_KEY)),
            Expected::new("GET", "/v1.1/instances/")
                .key(Some(OTHER_KEY))
                .query(&[("page_size", "1")]),
        ],
    )
    .await;
}

// --- Data objects (the Python library's `Object` model) -------------------------------

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Book {
    title: String,
    pages: i64,
}

fn book_json(id: i64, revision: i64, pages: i64) -> Value {
    json!({
        "id": id, "revision": revision, "title": "Dune", "pages": pages, "owner": null,
        "created_at": "2026-11-22T17:37:25.474230Z", "updated_at": "2026-11-22T17:37:25.474230Z",
        "owner_permissions": "full", "group": null, "group_permissions": "none", "other_permissions": "none",
        "channel": null, "channel_room": null,
        "links": {"self": format!("/v1.1/instances/test-one/classes/book/objects/{id}/")}
    })
}

/// `Object.please.create(instance_name, class_name, title=..., pages=...)`, then a
/// typed list and an optimistic update with a write operator; `serde_json::Value`
/// (the default map) works as the data type too.
#[tokio::test]
async fn data_objects_typed_and_raw() {
    use syncano::object::{Object, ObjectPatch};
    use syncano::{DataObjectCreate, DataObjectUpdate};

    let server = MockServer::start().await;
    let objects = "/v1.1/instances/test-one/classes/book/objects/";
    mount(&server, "POST", objects, 201, Some(book_json(12, 1, 412))).await;
    mount(
        &server,
        "GET",
        objects,
        200,
        Some(page(vec![book_json(12, 1, 412)], None)),
    )
    .await;
    mount(
        &server,
        "PATCH",
        "/v1.1/instances/test-one/classes/book/objects/12/",
        200,
        Some(book_json(12, 2, 413)),
    )
    .await;
    let connection = client(&server);
    let books = connection
        .instances()
        .classes("test-one")
        .objects::<Book>("book");

    let created: Object<Book> = books
        .create(&DataObjectCreate::new(Book {
            title: "Dune".into(),
            pages: 412,
        }))
        .await
        .expect("created");
    assert_eq!((created.id, created.revision), (12, Some(1)));
    assert_eq!(
        created.data,
        Book {
            title: "Dune".into(),
            pages: 412
        }
    );

    let listed = books.list().collect().await.expect("listed");
    assert_eq!(listed, vec![created.clone()]);

    let patch = ObjectPatch::new().increment("pages", 1);
    let update = DataObjectUpdate {
        expected_revision: created.revision,
        data: patch,
        ..DataObjectUpdate::default()
    };
    let updated = connection
        .instances()
        .classes("test-one")
        .objects::<ObjectPatch>("book")
        .update(12, &update)
        .await
        .expect("updated");
    assert_eq!(updated.revision, Some(2));
    assert_eq!(updated.data.as_map().get("pages"), Some(&json!(413)));

    let untyped: Vec<Object> = connection
        .instances()
        .classes("test-one")
        .objects("book")
        .list()
        .collect()
        .await
        .expect("maps");
    assert_eq!(untyped[0].data.get("title"), Some(&json!("Dune")));

    assert_requests(
        &server,
        &[
            Expected::new("POST", objects).body(json!({"title": "Dune", "pages": 412})),
            Expected::new("GET", objects),
            Expected::new("PATCH", "/v1.1/instances/test-one/classes/book/objects/12/")
                .body(json!({"expected_revision": 1, "pages": {"_increment": 1}})),
            Expected::new("GET", objects),
        ],
    )
    .await;
}

// --- The guide end to end against the local emulator ---------------------------------

/// The same examples against the schema-driven emulator: connect by email and
/// password, create (accessor and manager), list / all / limit / raw, get, update,
/// save, api keys and admins through links, a second connection, delete.
#[tokio::test]
async fn guide_against_the_emulator() {
    use syncano::{ScriptCreate, ScriptRuntimeName};
    use syncano_emulator::{Emulator, EmulatorConfig};

    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let anonymous = Client::builder()
        .api_root(emu.base_url())
        .no_proxy()
        .build()
        .expect("client");
    let connection = anonymous
        .login(emu.account_email(), emu.account_password())
        .await
        .expect("login");

    let mut first = InstanceCreate::new("guide-one");
    first.description = Some("first".into());
    let one = connection
        .instances()
        .create(&first)
        .await
        .expect("create via accessor");
    assert_eq!(one.description.as_deref(), Some("first"));
    for name in ["guide-two", "guide-three"] {
        InstanceManager::new(&connection)
            .create(&InstanceCreate::new(name))
            .await
            .expect("create via manager");
    }

    let all = connection
        .instances()
        .list()
        .page_size(2)
        .collect()
        .await
        .expect("all");
    let mut all_names: Vec<&str> = names(&all);
    all_names.sort();
    assert_eq!(all_names, vec!["guide-one", "guide-three", "guide-two"]);
    assert_eq!(
        connection
            .instances()
            .list()
            .limit(2)
            .collect()
            .await
            .expect("limit")
            .len(),
        2
    );
    let raw = connection
        .instances()
        .list()
        .raw()
        .collect()
        .await
        .expect("raw");
    assert!(raw.iter().any(|i| i["name"] == "guide-one"));

    let got = connection.instances().get("guide-one").await.expect("get");
    assert_eq!(got.name, "guide-one");
    let update = InstanceUpdate {
        description: Some("updated".into()),
        ..InstanceUpdate::default()
    };
    let updated = connection
        .instances()
        .update("guide-one", &update)
        .await
        .expect("update");
    assert_eq!(updated.description.as_deref(), Some("updated"));
    let mut model = updated.clone();
    model.description = Some("saved".into());
    let saved = model.save(&connection).await.expect("save");
    assert_eq!(saved.description.as_deref(), Some("saved"));
    assert_eq!(
        saved
            .reload(&connection)
            .await
            .expect("reload")
            .description
            .as_deref(),
        Some("saved")
    );

    let keys = saved.api_keys(&connection).expect("api keys");
    let key = keys
        .create(&ApiKeyCreate::default())
        .await
        .expect("api key");
    assert_eq!(key.api_key.as_ref().map(String::len), Some(40));
    assert_eq!(keys.list().collect().await.expect("keys").len(), 1);
    let admins = saved
        .admins(&connection)
        .expect("admins")
        .list()
        .collect()
        .await
        .expect("admins");
    assert_eq!(
        admins
            .iter()
            .filter_map(|a| a.email.as_deref())
            .collect::<Vec<_>>(),
        vec![emu.account_email()]
    );

    let scripts = saved.scripts(&connection).expect("scripts");
    let script = scripts
        .create(&ScriptCreate::new(ScriptRuntimeName::Python3))
        .await
        .expect("script");
    let refused = scripts
        .run(script.id, &ScriptRunRequest { payload: None })
        .await
        .expect_err("no execution");
    assert_eq!(
        refused.api().and_then(|e| e.detail.as_deref()),
        Some(syncano_emulator::EXECUTION_DISABLED)
    );

    let second = anonymous.with_api_key(emu.account_key());
    let through_second = connection
        .instances()
        .using(&second)
        .get("guide-two")
        .await
        .expect("second connection");
    assert_eq!(through_second.name, "guide-two");

    through_second
        .delete(&connection)
        .await
        .expect("delete model");
    connection
        .instances()
        .delete("guide-three")
        .await
        .expect("delete via manager");
    let missing = connection
        .instances()
        .get("guide-two")
        .await
        .expect_err("gone");
    assert!(missing.is_not_found());
    let left = connection.instances().list().collect().await.expect("left");
    assert_eq!(names(&left), vec!["guide-one"]);
    emu.shutdown().await;
}
