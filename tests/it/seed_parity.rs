//! A Rust counterpart for each example of the Syncano Python library's usage guide
//! ("Getting started" and "Interacting with Syncano"), through the generated managers
//! and models, against the local emulator (`syncano-emulator`, started in process,
//! fresh for each test).
//!
//! Each test asserts the exact requests its example sends (method, path, sorted query,
//! `X-API-KEY` / `Authorization` headers, JSON body and content type), as recorded by
//! [`RecordingTransport`] wrapping the real `reqwest` transport, and the typed results
//! the emulator really answered. State an example needs beforehand (instances, classes,
//! keys, admins, objects, scripts ...) is created through an unrecorded client, so the
//! recording holds only the example's own requests.
//!
//! Two tests stay on a recording mock server (`wiremock`) with canned answers:
//! `trace_relation_ids` and `links_lead_to_traces_and_undeclared_links`. Script and
//! schedule traces exist only after code has run, and the emulator never runs code
//! (runs answer 400 [`syncano_emulator::EXECUTION_DISABLED`]), so it cannot answer with a
//! trace; and a link no schema declares cannot come from a server whose links follow the
//! same schema as the SDK. What of those examples the emulator can serve (the refused
//! run, the empty trace lists, every link it sends reachable by name) runs on it in
//! `script_run_refused_by_the_emulator` and `links_lead_to_managers`.

// Written against the v1.1 snapshot's generated API.
#![cfg(not(syncano_custom_schema))]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use syncano::test_util::{CapturedRequest, RecordingTransport};
use syncano::transport::{HttpRequest, RequestBody, ReqwestTransport, Transport};
use syncano::{
    Admin, AdminRole, ApiKeyCreate, ApiKeyManager, Client, Instance, InstanceCreate,
    InstanceManager, InstanceUpdate, InvitationCreate, Method, ScheduleTrace, ScriptCreate,
    ScriptRunRequest, ScriptRuntimeName, ScriptTrace,
};
use syncano_emulator::RunningEmulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

// --- Recording ----------------------------------------------------------------------

/// One request as the client sent it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    /// The query pairs, sorted.
    query: Vec<(String, String)>,
    api_key: Option<String>,
    authorization: Option<String>,
    /// The body parsed as JSON (`Some(Err(..))` if it is not JSON).
    body: Option<Result<Value, String>>,
    content_type: Option<String>,
}

/// A recorder passing every request on to `reqwest`, without a proxy (loopback).
fn recorder() -> Arc<RecordingTransport> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    Arc::new(RecordingTransport::wrapping(ReqwestTransport::new(client)))
}

impl From<&CapturedRequest> for Recorded {
    fn from(captured: &CapturedRequest) -> Self {
        let request = &captured.request;
        let mut query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        query.sort();
        let body = request
            .body
            .as_ref()
            .and_then(RequestBody::as_bytes)
            .filter(|b| !b.is_empty())
            .map(|b| serde_json::from_slice::<Value>(b).map_err(|e| e.to_string()));
        let header = |name: &str| captured.header(name).map(str::to_owned);
        Recorded {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            query,
            api_key: header("x-api-key"),
            authorization: header("authorization"),
            body,
            content_type: header("content-type"),
        }
    }
}

/// What one recorded request must be.
struct Expected<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    key: Option<&'a str>,
    body: Option<Value>,
}

impl<'a> Expected<'a> {
    /// A request sent with `key` as `X-API-KEY`.
    fn new(method: &'a str, path: &'a str, key: &'a str) -> Self {
        Expected {
            method,
            path,
            query: &[],
            key: Some(key),
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

/// Asserts that exactly the `expected` requests were recorded, in order.
fn assert_requests(recorder: &RecordingTransport, expected: &[Expected<'_>]) {
    let received: Vec<Recorded> = recorder.requests().iter().map(Recorded::from).collect();
    let summary: Vec<String> = received
        .iter()
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.query))
        .collect();
    assert_eq!(received.len(), expected.len(), "received: {summary:#?}");
    for (i, (request, want)) in received.iter().zip(expected).enumerate() {
        assert_eq!(request.method, want.method, "request {i}: {summary:?}");
        assert_eq!(request.path, want.path, "request {i}");
        let mut want_query: Vec<(String, String)> = want
            .query
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        want_query.sort();
        assert_eq!(request.query, want_query, "request {i} query");
        assert_eq!(request.api_key.as_deref(), want.key, "request {i} key");
        assert_eq!(request.authorization, None, "request {i} authorization");
        match &want.body {
            Some(body) => {
                assert_eq!(
                    request.body.as_ref(),
                    Some(&Ok(body.clone())),
                    "request {i} body"
                );
                assert_eq!(
                    request.content_type.as_deref(),
                    Some("application/json"),
                    "request {i} content type"
                );
            }
            None => assert!(request.body.is_none(), "request {i} has no body"),
        }
    }
}

// --- The emulator -------------------------------------------------------------------

/// A fresh emulator, a recorded client with its account key, and an unrecorded one
/// for the state a test needs beforehand.
struct Env {
    emu: RunningEmulator,
    recorder: Arc<RecordingTransport>,
    /// Recorded, sends the emulator's account key.
    connection: Client,
    /// Not recorded, sends the emulator's account key.
    setup: Client,
}

async fn emulator() -> Env {
    let emu = support::emulator().await;
    let recorder = recorder();
    let connection = support::builder(&emu)
        .api_key(emu.account_key())
        .transport(recorder.clone())
        .build()
        .expect("client");
    let setup = support::admin(&emu);
    Env {
        emu,
        recorder,
        connection,
        setup,
    }
}

impl Env {
    fn key(&self) -> &str {
        self.emu.account_key()
    }

    /// A request sent with the account key.
    fn expect<'a>(&'a self, method: &'a str, path: &'a str) -> Expected<'a> {
        Expected::new(method, path, self.key())
    }

    /// A recorded client without a key.
    fn anonymous(&self) -> Client {
        self.connection.without_keys()
    }

    fn assert_requests(&self, expected: &[Expected<'_>]) {
        assert_requests(&self.recorder, expected);
    }

    /// Creates instances through the unrecorded client.
    async fn instances(&self, instances: &[(&str, &str)]) {
        for (name, description) in instances {
            let mut body = InstanceCreate::new(*name);
            body.description = Some(description.to_string());
            self.setup
                .instances()
                .create(&body)
                .await
                .expect("seeded instance");
        }
    }

    /// Creates the `book` class (title, pages) in `instance`.
    async fn book_class(&self, instance: &str) {
        self.setup
            .request_raw(
                Method::POST,
                &format!("/v1.1/instances/{instance}/classes/"),
                Some(&json!({"name": "book", "schema": [
                    {"name": "title", "type": "string"},
                    {"name": "pages", "type": "integer"},
                ]})),
            )
            .await
            .expect("seeded class");
    }

    /// Registers an account that accepts an invitation to `instance` with `role`;
    /// returns its id and account key.
    async fn invited_admin(&self, instance: &str, email: &str, role: &str) -> (i64, String) {
        let mut invitation = InvitationCreate::new(email);
        invitation.role = Some(role.into());
        let invited = self
            .setup
            .instances()
            .invitations(instance)
            .create(&invitation)
            .await
            .expect("seeded invitation");
        let account = self
            .setup
            .without_keys()
            .request_raw(
                Method::POST,
                "/v1.1/account/register/",
                Some(&json!({
                    "email": email, "password": "second-password",
                    "invitation_key": invited.key.expect("invitation key"),
                })),
            )
            .await
            .expect("registered");
        let id = account["id"].as_i64().expect("account id");
        let key = account["account_key"].as_str().expect("account key");
        (id, key.to_owned())
    }
}

fn names(instances: &[Instance]) -> Vec<&str> {
    instances.iter().map(|i| i.name.as_str()).collect()
}

fn role(instance: &Instance) -> Option<&str> {
    instance.role.as_ref().map(|r| r.as_str())
}

fn is_key(key: Option<&str>) -> bool {
    key.is_some_and(|k| k.len() == 40 && k.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A loopback HTTP/1.1 front that hands every request to `recorder`, rewritten to
/// `target`, and answers with what came back: records the requests of a client that
/// cannot be given a transport ([`Client::from_lookup`] builds its own).
async fn recording_front(recorder: Arc<RecordingTransport>, target: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let recorder = recorder.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let mut lines = head.split("\r\n");
                let mut start = lines.next().unwrap_or_default().split(' ');
                let verb = start.next().unwrap_or_default().to_owned();
                let target_path = start.next().unwrap_or_default().to_owned();
                let mut headers = reqwest::header::HeaderMap::new();
                let mut length = 0;
                for line in lines.filter(|l| !l.is_empty()) {
                    let Some((name, value)) = line.split_once(':') else {
                        continue;
                    };
                    let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
                    if name == "content-length" {
                        length = value.parse().unwrap_or(0);
                    }
                    if ["host", "content-length", "connection"].contains(&name.as_str()) {
                        continue;
                    }
                    if let (Ok(n), Ok(v)) = (
                        reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                        reqwest::header::HeaderValue::from_str(value),
                    ) {
                        headers.append(n, v);
                    }
                }
                while buf.len() < head_end + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let url = url::Url::parse(&format!("{target}{target_path}")).expect("url");
                let verb = Method::from_bytes(verb.as_bytes()).expect("method");
                let mut request = HttpRequest::new(verb, url);
                request.headers = headers;
                let body = &buf[head_end..head_end + length];
                if !body.is_empty() {
                    request.body = Some(bytes::Bytes::copy_from_slice(body).into());
                }
                let response = recorder.send(request).await.expect("forwarded");
                let mut out = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    response.status,
                    response.body.len()
                );
                if let Some(ct) = response.headers.get("content-type") {
                    out.push_str(&format!(
                        "content-type: {}\r\n",
                        ct.to_str().unwrap_or_default()
                    ));
                }
                out.push_str("\r\n");
                let _ = socket.write_all(out.as_bytes()).await;
                let _ = socket.write_all(&response.body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

// --- Making connections -------------------------------------------------------------

/// `syncano.connect(email=..., password=...)`, then `list(connection.instances)`.
#[tokio::test]
async fn connect_with_email_and_password() {
    let env = emulator().await;
    env.instances(&[("test-one", "first"), ("test-two", "second")])
        .await;
    let connection = env
        .anonymous()
        .login(env.emu.account_email(), env.emu.account_password())
        .await
        .expect("login");
    assert_eq!(
        connection.api_key().as_ref().map(|k| k.expose()),
        Some(env.key())
    );
    let first = connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    assert_eq!(names(&first.objects), vec!["test-one", "test-two"]);
    assert_eq!(first.objects[0].description.as_deref(), Some("first"));
    assert_eq!(first.objects[1].description.as_deref(), Some("second"));
    assert!(!first.has_next());
    env.assert_requests(&[
        env.expect("POST", "/v1.1/account/auth/").key(None).body(
            json!({"email": env.emu.account_email(), "password": env.emu.account_password()}),
        ),
        env.expect("GET", "/v1.1/instances/"),
    ]);
}

/// `syncano.connect(api_key='...')` and `connect_instance('name', api_key='...')`.
#[tokio::test]
async fn connect_with_an_api_key() {
    let env = emulator().await;
    env.instances(&[("test-one", "first"), ("test-two", "second")])
        .await;
    let connection = &env.connection;
    let listed = connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    assert_eq!(names(&listed.objects), vec!["test-one", "test-two"]);
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
    assert_eq!(instance.description.as_deref(), Some("first"));
    assert_eq!(role(&instance), Some("full"));
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/"),
        env.expect("GET", "/v1.1/instances/test-one/"),
    ]);
}

/// The environment variables of the guide (`SYNCANO_APIROOT`, `SYNCANO_APIKEY`,
/// `SYNCANO_INSTANCE`, or `SYNCANO_EMAIL` + `SYNCANO_PASSWORD`). The client builds its
/// own HTTP client, so its requests reach the emulator through a recording front.
#[tokio::test]
async fn connect_from_environment_variables() {
    let env = emulator().await;
    env.instances(&[("test-one", "first")]).await;
    let front = recording_front(env.recorder.clone(), env.emu.base_url().to_string()).await;
    let vars: HashMap<&str, &str> = [
        ("SYNCANO_APIROOT", front.as_str()),
        ("SYNCANO_EMAIL", env.emu.account_email()),
        ("SYNCANO_PASSWORD", env.emu.account_password()),
        ("SYNCANO_INSTANCE", "test-one"),
    ]
    .into_iter()
    .collect();
    let connection = Client::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
        .await
        .expect("client");
    assert_eq!(connection.instance_name(), Some("test-one"));
    assert_eq!(
        connection.api_key().as_ref().map(|k| k.expose()),
        Some(env.key())
    );
    let listed = connection
        .instances()
        .list()
        .page()
        .await
        .expect("instances");
    assert_eq!(names(&listed.objects), vec!["test-one"]);
    env.assert_requests(&[
        env.expect("POST", "/v1.1/account/auth/").key(None).body(
            json!({"email": env.emu.account_email(), "password": env.emu.account_password()}),
        ),
        env.expect("GET", "/v1.1/instances/"),
    ]);
}

// --- Creating objects ---------------------------------------------------------------

/// `connection.instances.create(name='dummy_test', description='test')`: through the
/// client's accessor, and through the resource's manager (under another name: a
/// second instance named the same is refused).
#[tokio::test]
async fn create_through_the_accessor_and_the_manager() {
    let env = emulator().await;
    let connection = &env.connection;
    let mut body = InstanceCreate::new("dummy-test");
    body.description = Some("test".into());
    let by_accessor = connection.instances().create(&body).await.expect("created");
    let mut other = body.clone();
    other.name = "dummy-test-two".into();
    let by_manager = InstanceManager::new(connection)
        .create(&other)
        .await
        .expect("created");
    for (instance, name) in [
        (&by_accessor, "dummy-test"),
        (&by_manager, "dummy-test-two"),
    ] {
        assert_eq!(instance.name, name);
        assert_eq!(instance.description.as_deref(), Some("test"));
        // the platform names the caller's role only on instances it reads back
        assert_eq!(role(instance), Some("api_key"));
        assert_eq!(instance.location.as_deref(), Some("us1"));
        assert_eq!(
            instance.owner.as_ref().and_then(|o| o.email.as_deref()),
            Some(env.emu.account_email())
        );
        assert_eq!(
            instance.links.as_ref().and_then(|l| l.self_.clone()),
            Some(format!("/v1.1/instances/{name}/"))
        );
    }
    let again = connection
        .instances()
        .create(&body)
        .await
        .expect_err("a second dummy-test");
    let api = again.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(
        api.field_errors.get("name").map(Vec::as_slice),
        Some(&["This field must be unique.".to_string()][..])
    );
    env.assert_requests(&[
        env.expect("POST", "/v1.1/instances/")
            .body(json!({"name": "dummy-test", "description": "test"})),
        env.expect("POST", "/v1.1/instances/")
            .body(json!({"name": "dummy-test-two", "description": "test"})),
        env.expect("POST", "/v1.1/instances/")
            .body(json!({"name": "dummy-test", "description": "test"})),
    ]);
}

/// `instance = Instance(name='test-one', description=''); instance.save()`: create, then
/// change and save the model (a PATCH of its writable fields to its `self` link).
#[tokio::test]
async fn create_then_save() {
    let env = emulator().await;
    let connection = &env.connection;
    let mut instance = connection
        .instances()
        .create(&InstanceCreate::new("test-one"))
        .await
        .expect("created");
    assert_eq!(instance.description.as_deref(), Some(""));
    assert_eq!(instance.metadata, Some(json!({})));
    instance.description = Some("saved".into());
    let saved = instance.save(connection).await.expect("saved");
    assert_eq!(saved.description.as_deref(), Some("saved"));
    assert_eq!(role(&saved), Some("full"));
    let stored = env.setup.instances().get("test-one").await.expect("stored");
    assert_eq!(stored.description.as_deref(), Some("saved"));
    env.assert_requests(&[
        env.expect("POST", "/v1.1/instances/")
            .body(json!({"name": "test-one"})),
        env.expect("PATCH", "/v1.1/instances/test-one/")
            .body(json!({"name": "test-one", "description": "saved", "metadata": {}})),
    ]);
}

// --- Saving changes to objects ------------------------------------------------------

/// `instance.description = 'new description'; instance.save()`.
#[tokio::test]
async fn update_then_save() {
    let env = emulator().await;
    env.instances(&[("test-one", "old")]).await;
    let connection = &env.connection;
    let mut instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    assert_eq!(instance.description.as_deref(), Some("old"));
    instance.description = Some("new description".into());
    let saved = instance.save(connection).await.expect("saved");
    assert_eq!(saved.description.as_deref(), Some("new description"));
    assert_eq!(saved.created_at, instance.created_at);
    let stored = env.setup.instances().get("test-one").await.expect("stored");
    assert_eq!(stored.description.as_deref(), Some("new description"));
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("PATCH", "/v1.1/instances/test-one/")
            .body(json!({"name": "test-one", "description": "new description", "metadata": {}})),
    ]);
}

/// `Instance.please.update('test-one', description='...')`: a PATCH with only the
/// fields given; the others keep their values.
#[tokio::test]
async fn update_through_the_manager() {
    let env = emulator().await;
    let mut seeded = InstanceCreate::new("test-one");
    seeded.description = Some("before".into());
    seeded.metadata = Some(json!({"color": "blue"}));
    env.setup.instances().create(&seeded).await.expect("seeded");
    let update = InstanceUpdate {
        description: Some("updated".into()),
        ..InstanceUpdate::default()
    };
    let instance = env
        .connection
        .instances()
        .update("test-one", &update)
        .await
        .expect("updated");
    assert_eq!(instance.description.as_deref(), Some("updated"));
    assert_eq!(instance.metadata, Some(json!({"color": "blue"})));
    env.assert_requests(&[env
        .expect("PATCH", "/v1.1/instances/test-one/")
        .body(json!({"description": "updated"}))]);
}

// --- Retrieving objects -------------------------------------------------------------

/// Three instances, listed in creation order (as on the platform, whose cursor is the
/// numeric id: `last_pk=2` after the second).
const THREE: [(&str, &str); 3] = [
    ("test-one", "first"),
    ("test-three", "second"),
    ("test-two", "third"),
];

/// `Instance.please.list()`: one page, as typed models.
#[tokio::test]
async fn list() {
    let env = emulator().await;
    env.instances(&THREE).await;
    let whole = env
        .connection
        .instances()
        .list()
        .page()
        .await
        .expect("page");
    assert_eq!(
        names(&whole.objects),
        vec!["test-one", "test-three", "test-two"]
    );
    assert!(!whole.has_next());
    let first = env
        .connection
        .instances()
        .list()
        .page_size(2)
        .page()
        .await
        .expect("page of two");
    assert_eq!(names(&first.objects), vec!["test-one", "test-three"]);
    assert_eq!(first.objects[0].description.as_deref(), Some("first"));
    assert_eq!(first.objects[1].description.as_deref(), Some("second"));
    assert!(first.has_next());
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/"),
        env.expect("GET", "/v1.1/instances/")
            .query(&[("page_size", "2")]),
    ]);
}

/// `Instance.please.all()`: every page.
#[tokio::test]
async fn all() {
    let env = emulator().await;
    env.instances(&THREE).await;
    let all = env
        .connection
        .instances()
        .list()
        .page_size(2)
        .collect()
        .await
        .expect("all");
    assert_eq!(names(&all), vec!["test-one", "test-three", "test-two"]);
    assert_eq!(
        all.iter()
            .map(|i| i.description.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("first"), Some("second"), Some("third")]
    );
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/")
            .query(&[("page_size", "2")]),
        env.expect("GET", "/v1.1/instances/").query(&[
            ("direction", "1"),
            ("last_pk", "2"),
            ("page_size", "2"),
        ]),
    ]);
}

/// "Manager is lazy": `query = Class.please.list('test-instance').limit(10)` sends
/// nothing until evaluated.
#[tokio::test]
async fn list_is_lazy() {
    let env = emulator().await;
    env.instances(&[("test-instance", "")]).await;
    let query = env
        .connection
        .instances()
        .classes("test-instance")
        .list()
        .limit(10);
    env.assert_requests(&[]);
    let classes = query.collect().await.expect("classes");
    // a new instance holds the built-in user_profile class
    assert_eq!(
        classes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["user_profile"]
    );
    env.assert_requests(&[env
        .expect("GET", "/v1.1/instances/test-instance/classes/")
        .query(&[("page_size", "10")])]);
}

/// `Instance.please.limit(2)` (and `Instance.please[:2]`): stops after two items
/// without following `next`.
#[tokio::test]
async fn limit_two() {
    let env = emulator().await;
    env.instances(&THREE).await;
    let two = env
        .connection
        .instances()
        .list()
        .limit(2)
        .collect()
        .await
        .expect("two");
    assert_eq!(names(&two), vec!["test-one", "test-three"]);
    env.assert_requests(&[env
        .expect("GET", "/v1.1/instances/")
        .query(&[("page_size", "2")])]);
}

/// `Instance.please.list().raw()`, `list().limit(1).raw()` and `raw().get('test-one')`.
#[tokio::test]
async fn raw_list_and_raw_get() {
    let env = emulator().await;
    env.instances(&THREE).await;
    let detail = env
        .setup
        .instances()
        .get_raw("test-one")
        .await
        .expect("detail");
    assert_eq!(detail["name"], "test-one");
    let connection = &env.connection;
    let raw: Vec<Value> = connection
        .instances()
        .list()
        .page_size(2)
        .raw()
        .collect()
        .await
        .expect("raw");
    assert_eq!(
        raw.iter().map(|i| i["name"].clone()).collect::<Vec<_>>(),
        vec![json!("test-one"), json!("test-three"), json!("test-two")]
    );
    assert_eq!(raw[0], detail);
    let one: Vec<Value> = connection
        .instances()
        .list()
        .limit(1)
        .raw()
        .collect()
        .await
        .expect("raw one");
    assert_eq!(one, vec![detail.clone()]);
    let got = connection
        .instances()
        .get_raw("test-one")
        .await
        .expect("raw get");
    assert_eq!(got, detail);
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/")
            .query(&[("page_size", "2")]),
        env.expect("GET", "/v1.1/instances/").query(&[
            ("direction", "1"),
            ("last_pk", "2"),
            ("page_size", "2"),
        ]),
        env.expect("GET", "/v1.1/instances/")
            .query(&[("page_size", "1")]),
        env.expect("GET", "/v1.1/instances/test-one/"),
    ]);
}

/// `Instance.please.get('instance-name')` and its alias `detail`; a missing one is a
/// "does not exist" error.
#[tokio::test]
async fn get_and_detail() {
    let env = emulator().await;
    env.instances(&[("instance-name", "x")]).await;
    let connection = &env.connection;
    let by_accessor = connection
        .instances()
        .get("instance-name")
        .await
        .expect("get");
    let by_manager = InstanceManager::new(connection)
        .get("instance-name")
        .await
        .expect("detail");
    assert_eq!(by_accessor, by_manager);
    assert_eq!(by_accessor.name, "instance-name");
    assert_eq!(by_accessor.description.as_deref(), Some("x"));
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
    assert_eq!(
        missing.api().and_then(|e| e.detail.as_deref()),
        Some("Instance was not found.")
    );
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/instance-name/"),
        env.expect("GET", "/v1.1/instances/instance-name/"),
        env.expect("GET", "/v1.1/instances/missing/"),
    ]);
}

// --- Removing objects ---------------------------------------------------------------

/// `instance = Instance.please.get('test-one'); instance.delete()`, and
/// `Instance.please.delete('test-two')`.
#[tokio::test]
async fn delete_on_a_model_and_through_the_manager() {
    let env = emulator().await;
    env.instances(&THREE).await;
    let connection = &env.connection;
    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    instance.delete(connection).await.expect("deleted");
    connection
        .instances()
        .delete("test-two")
        .await
        .expect("deleted");
    let left = env.setup.instances().list().collect().await.expect("left");
    assert_eq!(names(&left), vec!["test-three"]);
    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("DELETE", "/v1.1/instances/test-one/"),
        env.expect("DELETE", "/v1.1/instances/test-two/"),
    ]);
}

// --- Lookups that span relationships and backward relations -------------------------

/// `ApiKey.please.list('test-one')`; `instance.api_keys.list()`, `.get(1)` and
/// `instance.api_keys.create()` (then `api_key.api_key`).
#[tokio::test]
async fn api_keys_of_an_instance() {
    let env = emulator().await;
    env.instances(&[("test-one", "")]).await;
    let seeded = env
        .setup
        .instances()
        .api_keys("test-one")
        .create(&ApiKeyCreate {
            description: Some("seeded".into()),
            ..ApiKeyCreate::default()
        })
        .await
        .expect("seeded key");
    let connection = &env.connection;

    let by_lookup = ApiKeyManager::new(connection, "test-one")
        .list()
        .collect()
        .await
        .expect("keys");
    assert_eq!(by_lookup, vec![seeded.clone()]);
    assert_eq!(by_lookup[0].id, 1);
    assert_eq!(by_lookup[0].description.as_deref(), Some("seeded"));
    assert!(is_key(by_lookup[0].api_key.as_deref()));
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
    let keys = instance.api_keys(connection).expect("api_keys manager");
    assert_eq!(keys.instance(), "test-one");
    assert_eq!(keys.list().collect().await.expect("keys"), by_lookup);
    assert_eq!(keys.get(1).await.expect("key 1"), seeded);
    let created = keys
        .create(&ApiKeyCreate::default())
        .await
        .expect("created");
    assert_eq!(created.id, 2);
    assert!(is_key(created.api_key.as_deref()));
    assert_ne!(created.api_key, seeded.api_key);
    assert_eq!(created.ignore_acl, Some(false));

    let keys_path = "/v1.1/instances/test-one/api_keys/";
    env.assert_requests(&[
        env.expect("GET", keys_path),
        env.expect("GET", keys_path),
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("GET", keys_path),
        env.expect("GET", "/v1.1/instances/test-one/api_keys/1/"),
        env.expect("POST", keys_path).body(json!({})),
    ]);
}

/// Related models through links: an instance's admins — list, raw, "create" (admins
/// join through an invitation; the admins list itself takes GET only), update, delete.
#[tokio::test]
async fn admins_of_an_instance() {
    let env = emulator().await;
    env.instances(&[("test-one", "")]).await;
    let (reader, _) = env
        .invited_admin("test-one", "reader@example.com", "read")
        .await;
    let admins_path = "/v1.1/instances/test-one/admins/";
    let reader_path = format!("{admins_path}{reader}/");
    let connection = &env.connection;

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    let admins = instance.admins(connection).expect("admins manager");
    let list: Vec<Admin> = admins.list().collect().await.expect("admins");
    assert_eq!(
        list.iter()
            .map(|a| (a.id, a.email.as_deref(), a.role.clone()))
            .collect::<Vec<_>>(),
        vec![
            (1, Some(env.emu.account_email()), Some(AdminRole::Full)),
            (reader, Some("reader@example.com"), Some(AdminRole::Read)),
        ]
    );
    let raw: Vec<Value> = admins.list().raw().collect().await.expect("raw admins");
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[1]["id"], json!(reader));
    assert_eq!(raw[1]["email"], "reader@example.com");
    assert_eq!(raw[1]["role"], "read");
    assert_eq!(raw[1]["links"]["self"], json!(reader_path));

    let mut invitation = InvitationCreate::new("new@example.com");
    invitation.role = Some("write".into());
    let invited = instance
        .invitations(connection)
        .expect("invitations")
        .create(&invitation)
        .await
        .expect("invited");
    // the reader's invitation was the first
    assert_eq!(invited.id, 2);
    assert_eq!(invited.email, "new@example.com");
    assert_eq!(invited.role.as_ref().map(|r| r.as_str()), Some("write"));
    assert_eq!(invited.state.as_ref().map(|s| s.as_str()), Some("new"));
    assert!(is_key(invited.key.as_deref()));

    let mut second = list[1].clone();
    second.role = Some(AdminRole::Write);
    let saved = second.save(connection).await.expect("saved");
    assert_eq!(saved.role, Some(AdminRole::Write));
    assert_eq!(saved.email.as_deref(), Some("reader@example.com"));
    saved.delete(connection).await.expect("removed");
    let left = env
        .setup
        .instances()
        .admins("test-one")
        .list()
        .collect()
        .await
        .expect("left");
    assert_eq!(left.iter().map(|a| a.id).collect::<Vec<_>>(), vec![1]);

    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("GET", admins_path),
        env.expect("GET", admins_path),
        env.expect("POST", "/v1.1/instances/test-one/invitations/")
            .body(json!({"email": "new@example.com", "role": "write"})),
        env.expect("PATCH", &reader_path)
            .body(json!({"role": "write"})),
        env.expect("DELETE", &reader_path),
    ]);
}

/// The part of `trace_relation_ids` the emulator can serve: the run request is sent and
/// refused with the typed 400 (the emulator never runs code), and a schedule's traces
/// list, empty as nothing ran, is reached through the typed manager.
#[tokio::test]
async fn script_run_refused_by_the_emulator() {
    let env = emulator().await;
    env.instances(&[("test-one", "")]).await;
    let mut script = ScriptCreate::new(ScriptRuntimeName::Python3);
    script.label = Some("hello".into());
    script.source = Some("print(1)".into());
    let script = env
        .setup
        .instances()
        .scripts("test-one")
        .create(&script)
        .await
        .expect("seeded script");
    env.setup
        .request_raw(
            Method::POST,
            "/v1.1/instances/test-one/schedules/",
            Some(&json!({"label": "every minute", "script": script.id, "interval_sec": 60})),
        )
        .await
        .expect("seeded schedule");
    let connection = &env.connection;
    let run = ScriptRunRequest {
        payload: Some(json!({"x": 1})),
    };
    let refused = connection
        .instances()
        .scripts("test-one")
        .run(script.id, &run)
        .await
        .expect_err("no execution");
    let api = refused.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(
        api.detail.as_deref(),
        Some(syncano_emulator::EXECUTION_DISABLED)
    );
    let traces: Vec<ScheduleTrace> = connection
        .instances()
        .schedules("test-one")
        .traces(1)
        .list()
        .collect()
        .await
        .expect("traces");
    assert!(traces.is_empty(), "{traces:?}");
    env.assert_requests(&[
        env.expect("POST", "/v1.1/instances/test-one/snippets/scripts/1/run/")
            .body(json!({"payload": {"x": 1}})),
        env.expect("GET", "/v1.1/instances/test-one/schedules/1/traces/"),
    ]);
}

/// Links lead to typed managers: an instance's classes, a class's objects, a script's
/// traces (none: the emulator never runs code); every link the instance carries, declared
/// by the schema or not, stays reachable by name, and a link root is followed raw.
#[tokio::test]
async fn links_lead_to_managers() {
    let env = emulator().await;
    env.instances(&[("test-one", "")]).await;
    env.book_class("test-one").await;
    env.setup
        .instances()
        .classes("test-one")
        .objects::<Book>("book")
        .create(&syncano::DataObjectCreate::new(dune(412)))
        .await
        .expect("seeded book");
    let mut script = ScriptCreate::new(ScriptRuntimeName::Python3);
    script.label = Some("hello".into());
    let script_id = env
        .setup
        .instances()
        .scripts("test-one")
        .create(&script)
        .await
        .expect("seeded script")
        .id;
    let raw_instance = env
        .setup
        .instances()
        .get_raw("test-one")
        .await
        .expect("raw");
    let connection = &env.connection;

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
    let classes = instance
        .classes(connection)
        .expect("classes")
        .list()
        .collect()
        .await
        .expect("classes");
    // in creation order: the instance's built-in user_profile first
    assert_eq!(
        classes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["user_profile", "book"]
    );
    let books: Vec<syncano::DataObject<Book>> = classes[1]
        .objects::<Book>(connection)
        .expect("objects")
        .list()
        .collect()
        .await
        .expect("objects");
    assert_eq!(
        books.iter().map(|b| (b.id, &b.data)).collect::<Vec<_>>(),
        vec![(1, &dune(412))]
    );
    let script = connection
        .instances()
        .scripts("test-one")
        .get(script_id)
        .await
        .expect("script");
    assert_eq!(script.label.as_deref(), Some("hello"));
    let traces_manager = script.traces(connection).expect("traces");
    assert_eq!(
        (traces_manager.instance(), traces_manager.script_id()),
        ("test-one", script_id.to_string().as_str())
    );
    let traces = traces_manager.list().collect().await.expect("traces");
    assert!(traces.is_empty(), "{traces:?}");

    let links = instance.links.as_ref().expect("links");
    let sent = raw_instance["links"].as_object().expect("raw links");
    assert_eq!(
        serde_json::to_value(links).expect("links"),
        raw_instance["links"]
    );
    for (name, path) in sent {
        assert_eq!(links.get(name), path.as_str(), "link {name}");
    }
    let snippets = links.get("snippets").expect("snippets link");
    let root = connection.follow_raw(snippets).await.expect("raw");
    assert_eq!(
        root["links"]["scripts"],
        "/v1.1/instances/test-one/snippets/scripts/"
    );

    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("GET", "/v1.1/instances/test-one/classes/"),
        env.expect("GET", "/v1.1/instances/test-one/classes/book/objects/"),
        env.expect("GET", "/v1.1/instances/test-one/snippets/scripts/1/"),
        env.expect("GET", "/v1.1/instances/test-one/snippets/scripts/1/traces/"),
        env.expect("GET", "/v1.1/instances/test-one/snippets/"),
    ]);
}

// --- Running calls through a second connection ---------------------------------------

/// `Instance.please.using(other_connection)`: managers, list requests and model calls
/// run through another client — here the key of a second account, a `write` admin of
/// `test-one` only, so what each call answers shows whose key it carried.
#[tokio::test]
async fn through_a_second_connection() {
    let env = emulator().await;
    env.instances(&[("test-one", "first"), ("test-two", "second")])
        .await;
    let (_, other_key) = env
        .invited_admin("test-one", "second@example.com", "write")
        .await;
    assert!(is_key(Some(&other_key)));
    let connection = &env.connection;
    let other = connection.with_api_key(other_key.as_str());

    let manager = connection.instances().using(&other);
    let seen = manager.list().page().await.expect("list through other");
    assert_eq!(names(&seen.objects), vec!["test-one"]);
    assert_eq!(role(&seen.objects[0]), Some("write"));
    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("get through first");
    assert_eq!(role(&instance), Some("full"));
    let reloaded = instance.reload(&other).await.expect("reload through other");
    assert_eq!(role(&reloaded), Some("write"));
    assert_eq!(reloaded.description.as_deref(), Some("first"));
    let limited = connection
        .instances()
        .list()
        .using(&other)
        .limit(1)
        .collect()
        .await
        .expect("list request through other");
    assert_eq!(names(&limited), vec!["test-one"]);
    assert_eq!(role(&limited[0]), Some("write"));

    env.assert_requests(&[
        env.expect("GET", "/v1.1/instances/").key(Some(&other_key)),
        env.expect("GET", "/v1.1/instances/test-one/"),
        env.expect("GET", "/v1.1/instances/test-one/")
            .key(Some(&other_key)),
        env.expect("GET", "/v1.1/instances/")
            .key(Some(&other_key))
            .query(&[("page_size", "1")]),
    ]);
}

// --- Data objects (the Python library's `Object` model) -------------------------------

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Book {
    title: String,
    pages: i64,
}

fn dune(pages: i64) -> Book {
    Book {
        title: "Dune".into(),
        pages,
    }
}

/// `Object.please.create(instance_name, class_name, title=..., pages=...)`, then a
/// typed list and an optimistic update with a write operator; `serde_json::Value`
/// (the default map) works as the data type too.
#[tokio::test]
async fn data_objects_typed_and_raw() {
    use syncano::object::{Object, ObjectPatch};
    use syncano::{DataObjectCreate, DataObjectUpdate};

    let env = emulator().await;
    env.instances(&[("test-one", "")]).await;
    env.book_class("test-one").await;
    let connection = &env.connection;
    let objects = "/v1.1/instances/test-one/classes/book/objects/";
    let books = connection
        .instances()
        .classes("test-one")
        .objects::<Book>("book");

    let created: Object<Book> = books
        .create(&DataObjectCreate::new(dune(412)))
        .await
        .expect("created");
    assert_eq!((created.id, created.revision), (1, Some(1)));
    assert_eq!(created.data, dune(412));

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
        .update(1, &update)
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
    assert_eq!(untyped.len(), 1);
    assert_eq!(untyped[0].data.get("title"), Some(&json!("Dune")));
    assert_eq!(untyped[0].data.get("pages"), Some(&json!(413)));
    assert_eq!(untyped[0].revision, Some(2));

    env.assert_requests(&[
        env.expect("POST", objects)
            .body(json!({"title": "Dune", "pages": 412})),
        env.expect("GET", objects),
        env.expect("PATCH", "/v1.1/instances/test-one/classes/book/objects/1/")
            .body(json!({"expected_revision": 1, "pages": {"_increment": 1}})),
        env.expect("GET", objects),
    ]);
}

// --- On the recording mock: what needs code to have run ------------------------------

/// The key the mock tests send.
const MOCK_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

/// A recording mock server and a recorded client sending [`MOCK_KEY`].
async fn mock() -> (MockServer, Arc<RecordingTransport>, Client) {
    let server = MockServer::start().await;
    let recorder = recorder();
    let client = Client::builder()
        .api_root(server.uri())
        .api_key(MOCK_KEY)
        .transport(recorder.clone())
        .build()
        .expect("client");
    (server, recorder, client)
}

fn mock_expect<'a>(method: &'a str, path: &'a str) -> Expected<'a> {
    Expected::new(method, path, MOCK_KEY)
}

fn page(objects: Vec<Value>) -> Value {
    json!({"objects": objects, "next": null, "prev": null})
}

async fn mount(server: &MockServer, verb: &str, at: &str, body: Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A trace knows what it belongs to: the instance and script (or schedule) ids are
/// recovered from its `self` link. On the mock: a trace exists only once code has run,
/// and the emulator never runs code (see `script_run_refused_by_the_emulator`).
#[tokio::test]
async fn trace_relation_ids() {
    let (server, recorder, connection) = mock().await;
    mount(
        &server,
        "POST",
        "/v1.1/instances/test-one/snippets/scripts/4/run/",
        json!({
            "id": 17, "status": "pending", "duration": null, "result": {}, "executed_at": null,
            "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/traces/17/"}
        }),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/schedules/9/traces/",
        page(vec![json!({
            "id": 3, "status": "success", "duration": 937, "result": {"stdout": "1"},
            "executed_at": "2026-11-22T17:37:25.474230Z",
            "links": {"self": "/v1.1/instances/test-one/schedules/9/traces/3/"}
        })]),
    )
    .await;
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
        &recorder,
        &[
            mock_expect("POST", "/v1.1/instances/test-one/snippets/scripts/4/run/")
                .body(json!({"payload": {"x": 1}})),
            mock_expect("GET", "/v1.1/instances/test-one/schedules/9/traces/"),
        ],
    );
}

/// The parts of `links_lead_to_managers` the emulator cannot serve, on the mock: a
/// script's `traces` link leading to a trace (traces exist only once code has run), and
/// a link no model declares (the emulator's links follow the same schema as the SDK),
/// kept and followed raw by name.
#[tokio::test]
async fn links_lead_to_traces_and_undeclared_links() {
    let (server, recorder, connection) = mock().await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/",
        json!({
            "name": "test-one", "description": "", "role": "full",
            "links": {
                "self": "/v1.1/instances/test-one/",
                "future-feature": "/v1.1/instances/test-one/future/",
            }
        }),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/snippets/scripts/4/",
        json!({
            "id": 4, "label": "hello", "runtime_name": "python3", "source": "print(1)", "config": {},
            "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/", "traces": "/v1.1/instances/test-one/snippets/scripts/4/traces/"}
        }),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/snippets/scripts/4/traces/",
        page(vec![json!({
            "id": 17, "status": "success",
            "links": {"self": "/v1.1/instances/test-one/snippets/scripts/4/traces/17/"}
        })]),
    )
    .await;
    mount(
        &server,
        "GET",
        "/v1.1/instances/test-one/future/",
        json!({"new": true}),
    )
    .await;

    let instance = connection
        .instances()
        .get("test-one")
        .await
        .expect("instance");
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
    let manager = traces[0]
        .manager(&connection)
        .expect("script trace manager");
    assert_eq!((manager.instance(), manager.script_id()), ("test-one", "4"));
    let links = instance.links.as_ref().expect("links");
    let future = links
        .get("future-feature")
        .expect("an undeclared link is kept");
    assert_eq!(
        connection.follow_raw(future).await.expect("raw"),
        json!({"new": true})
    );

    assert_requests(
        &recorder,
        &[
            mock_expect("GET", "/v1.1/instances/test-one/"),
            mock_expect("GET", "/v1.1/instances/test-one/snippets/scripts/4/"),
            mock_expect("GET", "/v1.1/instances/test-one/snippets/scripts/4/traces/"),
            mock_expect("GET", "/v1.1/instances/test-one/future/"),
        ],
    );
}

// --- The guide end to end against the local emulator ---------------------------------

/// The same examples against the schema-driven emulator: connect by email and
/// password, create (accessor and manager), list / all / limit / raw, get, update,
/// save, api keys and admins through links, a second connection, delete.
#[tokio::test]
async fn guide_against_the_emulator() {
    let emu = support::emulator().await;
    let anonymous = support::anonymous(&emu);
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
