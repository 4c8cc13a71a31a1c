//! Credentials against a local mock server: the three key modes, the user key, account
//! and user logins, `Client::from_lookup`, and `Debug` redaction.

use std::collections::HashMap;

use serde_json::{Value, json};
use syncano::{AuthMode, Client, Error, Method};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT_KEY: &str = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
const INSTANCE_KEY: &str = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
const USER_KEY: &str = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

async fn account_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": 1, "email": "admin@example.com"})),
        )
        .mount(&server)
        .await;
    server
}

fn builder(server: &MockServer) -> syncano::ClientBuilder {
    Client::builder().api_root(server.uri()).no_proxy()
}

#[tokio::test]
async fn key_as_x_api_key_by_default() {
    let server = account_server().await;
    let client = builder(&server)
        .api_key(ACCOUNT_KEY)
        .build()
        .expect("client");
    let account: Value = client
        .request(Method::GET, "/v1.1/account/", None::<&()>)
        .await
        .expect("account");
    assert_eq!(account["email"], "admin@example.com");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "x-api-key"), Some(ACCOUNT_KEY));
    assert_eq!(header(&requests[0], "authorization"), None);
    assert_eq!(header(&requests[0], "accept"), Some("application/json"));
    assert!(header(&requests[0], "user-agent").is_some_and(|ua| ua.starts_with("syncano-rs/")));
    assert_eq!(requests[0].url.query(), None);
    assert!(requests[0].body.is_empty());
    assert_eq!(header(&requests[0], "content-type"), None);
}

#[tokio::test]
async fn key_as_authorization_token() {
    let server = account_server().await;
    let client = builder(&server)
        .api_key(ACCOUNT_KEY)
        .auth_mode(AuthMode::Authorization)
        .build()
        .expect("client");
    client
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect("account");
    let requests = received(&server).await;
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(format!("token {ACCOUNT_KEY}").as_str())
    );
    assert_eq!(header(&requests[0], "x-api-key"), None);
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn key_as_query_parameter_is_opt_in() {
    let server = account_server().await;
    let client = builder(&server)
        .api_key(ACCOUNT_KEY)
        .auth_mode(AuthMode::Query)
        .build()
        .expect("client");
    client
        .request_raw::<()>(Method::GET, "/v1.1/account/?fields=email", None)
        .await
        .expect("account");
    // A path that already carries an api_key (a server echoing it in `next`) gets it once.
    client
        .request_raw::<()>(Method::GET, "/v1.1/account/?api_key=old", None)
        .await
        .expect("account");
    let requests = received(&server).await;
    let pairs = |r: &Request| {
        r.url
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&requests[0]),
        vec![
            ("fields".into(), "email".into()),
            ("api_key".into(), ACCOUNT_KEY.into())
        ]
    );
    assert_eq!(
        pairs(&requests[1]),
        vec![("api_key".to_string(), ACCOUNT_KEY.to_string())]
    );
    assert_eq!(header(&requests[0], "x-api-key"), None);
    assert_eq!(header(&requests[0], "authorization"), None);
}

#[tokio::test]
async fn user_key_beside_instance_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/user/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 3, "username": "john"})),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .api_key(INSTANCE_KEY)
        .user_key(USER_KEY)
        .build()
        .expect("client");
    let me: Value = client
        .request(Method::GET, "/v1.1/instances/lib/user/", None::<&()>)
        .await
        .expect("me");
    assert_eq!(me["username"], "john");
    let requests = received(&server).await;
    assert_eq!(header(&requests[0], "x-api-key"), Some(INSTANCE_KEY));
    assert_eq!(header(&requests[0], "x-user-key"), Some(USER_KEY));
}

async fn login_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 1, "email": "admin@example.com", "first_name": "", "last_name": "",
            "is_active": true, "has_password": true, "account_key": ACCOUNT_KEY
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": 1, "email": "admin@example.com"})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn account_login_yields_the_account_key() {
    let server = login_server().await;
    let anonymous = builder(&server).build().expect("client");
    let admin = anonymous
        .login("admin@example.com", "s3cret")
        .await
        .expect("login");
    assert_eq!(
        admin.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(ACCOUNT_KEY)
    );
    admin
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect("account");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(requests[0].url.path(), "/v1.1/account/auth/");
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/json")
    );
    assert_eq!(header(&requests[0], "x-api-key"), None);
    assert_eq!(
        requests[0].body_json::<Value>().expect("json body"),
        json!({"email": "admin@example.com", "password": "s3cret"})
    );
    assert_eq!(header(&requests[1], "x-api-key"), Some(ACCOUNT_KEY));
}

#[tokio::test]
async fn account_login_with_bad_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid password."})),
        )
        .mount(&server)
        .await;
    let error = builder(&server)
        .build()
        .expect("client")
        .login("a@b.c", "nope")
        .await
        .expect_err("401");
    assert!(error.is_unauthorized());
    assert_eq!(
        error.api().and_then(|e| e.detail.as_deref()),
        Some("Invalid password.")
    );
    assert!(!error.to_string().contains("nope"));
}

#[tokio::test]
async fn user_login_adds_the_user_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/my%20lib/user/auth/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 3, "username": "john", "user_key": USER_KEY, "profile": {}, "groups": []
        })))
        .mount(&server)
        .await;
    let app = builder(&server)
        .api_key(INSTANCE_KEY)
        .build()
        .expect("client");
    let user = app.user_login("my lib", "john", "pw").await.expect("login");
    assert_eq!(
        user.user_key().as_ref().map(syncano::UserKey::expose),
        Some(USER_KEY)
    );
    assert_eq!(
        user.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(INSTANCE_KEY)
    );
    assert!(app.user_key().is_none(), "the original client is unchanged");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "x-api-key"), Some(INSTANCE_KEY));
    assert_eq!(header(&requests[0], "x-user-key"), None);
    assert_eq!(
        requests[0].body_json::<Value>().expect("json"),
        json!({"username": "john", "password": "pw"})
    );
}

#[tokio::test]
async fn login_answer_without_key_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let error = builder(&server)
        .build()
        .expect("client")
        .login("a@b.c", "pw")
        .await
        .expect_err("no key");
    assert!(error.is_decode(), "{error}");
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[tokio::test]
async fn from_lookup_with_api_key() {
    let server = account_server().await;
    let uri = server.uri();
    let client = Client::from_lookup(lookup(&[
        ("SYNCANO_API_ROOT", &uri),
        ("SYNCANO_API_KEY", INSTANCE_KEY),
        ("SYNCANO_INSTANCE", "lib"),
        ("SYNCANO_USER_KEY", USER_KEY),
        ("SYNCANO_EMAIL", "ignored@example.com"),
        ("SYNCANO_PASSWORD", "ignored"),
    ]))
    .await
    .expect("client");
    assert_eq!(client.api_root(), uri);
    assert_eq!(client.instance_name(), Some("lib"));
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(INSTANCE_KEY)
    );
    assert_eq!(
        client.user_key().as_ref().map(syncano::UserKey::expose),
        Some(USER_KEY)
    );
    assert!(
        received(&server).await.is_empty(),
        "an API key means no login"
    );
}

#[tokio::test]
async fn from_lookup_logs_in_with_email_and_password() {
    let server = login_server().await;
    let uri = server.uri();
    let client = Client::from_lookup(lookup(&[
        ("SYNCANO_API_ROOT", &uri),
        ("SYNCANO_API_KEY", ""),
        ("SYNCANO_EMAIL", "admin@example.com"),
        ("SYNCANO_PASSWORD", "s3cret"),
    ]))
    .await
    .expect("client");
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(ACCOUNT_KEY)
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/v1.1/account/auth/");
    assert_eq!(
        requests[0].body_json::<Value>().expect("json"),
        json!({"email": "admin@example.com", "password": "s3cret"})
    );
}

#[tokio::test]
async fn from_lookup_errors() {
    let half = Client::from_lookup(lookup(&[("SYNCANO_EMAIL", "a@b.c")]))
        .await
        .expect_err("half a login");
    assert!(matches!(half, Error::Config(_)), "{half}");
    let bad_root = Client::from_lookup(lookup(&[("SYNCANO_API_ROOT", "ftp://x")]))
        .await
        .expect_err("bad root");
    assert!(matches!(bad_root, Error::Config(_)), "{bad_root}");
    let defaults = Client::from_lookup(lookup(&[]))
        .await
        .expect("anonymous client");
    assert_eq!(defaults.api_root(), "https://api.syncano.io");
    assert!(defaults.api_key().is_none());
}

#[test]
fn debug_never_prints_keys() {
    let builder = Client::builder().api_key(ACCOUNT_KEY).user_key(USER_KEY);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().expect("client");
    let client_debug = format!("{client:?}");
    for text in [&builder_debug, &client_debug] {
        assert!(!text.contains(ACCOUNT_KEY), "{text}");
        assert!(!text.contains(USER_KEY), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
    assert!(client_debug.contains("https://api.syncano.io"));
}

#[test]
fn bad_configuration_is_reported() {
    for root in ["not a url", "ftp://example.com", "http://example.com/?x=1"] {
        let error = Client::builder().api_root(root).build().expect_err(root);
        assert!(matches!(error, Error::Config(_)), "{root}: {error}");
    }
    let error = Client::builder()
        .api_key("bad\nkey")
        .build()
        .expect_err("newline in key");
    assert!(
        matches!(&error, Error::Config(m) if !m.contains("bad")),
        "{error}"
    );
    let error = Client::builder()
        .proxy("::not a proxy::")
        .build()
        .expect_err("bad proxy");
    assert!(matches!(error, Error::Config(_)), "{error}");
}

#[tokio::test]
async fn api_root_with_prefix_and_absolute_links() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/prefix/v1.1/account/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let root = format!("{}/prefix/", server.uri());
    let client = builder(&server)
        .api_root(root.clone())
        .build()
        .expect("client");
    assert_eq!(client.api_root(), format!("{}/prefix", server.uri()));
    client
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect("relative");
    client
        .request_raw::<()>(Method::GET, &format!("{root}v1.1/account/"), None)
        .await
        .expect("absolute");
    let error = client
        .request_raw::<()>(Method::GET, "https://elsewhere.example/v1.1/account/", None)
        .await;
    assert!(
        matches!(error, Err(Error::InvalidRequest(_))),
        "keys are never sent to another host"
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn from_lookup_reads_the_python_spellings() {
    let client = Client::from_lookup(lookup(&[
        ("SYNCANO_APIROOT", "http://127.0.0.1:9/"),
        ("SYNCANO_APIKEY", INSTANCE_KEY),
    ]))
    .await
    .expect("client");
    assert_eq!(client.api_root(), "http://127.0.0.1:9");
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(INSTANCE_KEY)
    );
    let preferred = Client::from_lookup(lookup(&[
        ("SYNCANO_APIKEY", INSTANCE_KEY),
        ("SYNCANO_API_KEY", ACCOUNT_KEY),
    ]))
    .await
    .expect("client");
    assert_eq!(
        preferred
            .api_key()
            .as_ref()
            .map(syncano::auth::ApiKey::expose),
        Some(ACCOUNT_KEY)
    );
}
