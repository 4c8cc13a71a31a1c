//! Session expiry: a logged-in client logs in again once when its key stops being
//! accepted, swaps the key for every clone, and retries the failed request once.
//! Against a request-recording mock server (exact requests) and against the emulator
//! (`account/reset_key/` invalidates the old key).
#![cfg(not(syncano_custom_schema))]

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use syncano::{Client, Method};

use crate::support;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const OLD_KEY: &str = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";
const NEW_KEY: &str = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";
const INSTANCE_KEY: &str = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";
const OLD_USER_KEY: &str = "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
const NEW_USER_KEY: &str = "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4";

/// Answers the n-th call with the n-th key (the last one repeated).
struct KeySequence {
    field: &'static str,
    keys: Vec<&'static str>,
    calls: AtomicUsize,
}

impl Respond for KeySequence {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let key = self.keys[n.min(self.keys.len() - 1)];
        ResponseTemplate::new(200).set_body_json(json!({"id": 1, self.field: key}))
    }
}

fn no_such_key() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({"detail": "No such API Key."}))
}

/// A server whose account login answers `OLD_KEY`, then `NEW_KEY`; the account
/// endpoint accepts only `NEW_KEY`.
async fn rotated_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(KeySequence {
            field: "account_key",
            keys: vec![OLD_KEY, NEW_KEY],
            calls: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .and(header("x-api-key", NEW_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1, "email": "a@b.c"})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(no_such_key())
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn header_of<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// (method, path, x-api-key, x-user-key, JSON body) of every request received.
async fn log(server: &MockServer) -> Vec<(String, String, Option<String>, Option<String>, Value)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_string(),
                header_of(r, "x-api-key").map(str::to_string),
                header_of(r, "x-user-key").map(str::to_string),
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            )
        })
        .collect()
}

async fn login(server: &MockServer) -> Client {
    Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .build()
        .expect("client")
        .login("a@b.c", "s3cret")
        .await
        .expect("login")
}

fn account_auth() -> (String, String, Option<String>, Option<String>, Value) {
    (
        "POST".into(),
        "/v1.1/account/auth/".into(),
        None,
        None,
        json!({"email": "a@b.c", "password": "s3cret"}),
    )
}

fn get_account(key: &str) -> (String, String, Option<String>, Option<String>, Value) {
    (
        "GET".into(),
        "/v1.1/account/".into(),
        Some(key.into()),
        None,
        Value::Null,
    )
}

#[tokio::test]
async fn rotated_key_logs_in_again_and_retries_once() {
    let server = rotated_server().await;
    let client = login(&server).await;
    let clone = client.clone();
    let derived = client.with_instance("lib");
    assert!(client.can_relogin());
    let account: Value = client
        .request(Method::GET, "/v1.1/account/", None::<&()>)
        .await
        .expect("the request succeeds after a re-login");
    assert_eq!(account["email"], "a@b.c");
    assert_eq!(
        log(&server).await,
        vec![
            account_auth(),
            get_account(OLD_KEY),
            account_auth(),
            get_account(NEW_KEY),
        ]
    );
    // Every clone and derived client now sends the new key, without logging in.
    for other in [&clone, &derived] {
        assert_eq!(
            other.api_key().as_ref().map(syncano::auth::ApiKey::expose),
            Some(NEW_KEY)
        );
        let _: Value = other
            .request(Method::GET, "/v1.1/account/", None::<&()>)
            .await
            .expect("the clone uses the new key");
    }
    let requests = log(&server).await;
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[4], get_account(NEW_KEY));
    assert_eq!(requests[5], get_account(NEW_KEY));
    // The password never shows in Debug output.
    let debug = format!("{client:?}");
    assert!(
        !debug.contains("s3cret") && !debug.contains(NEW_KEY),
        "{debug}"
    );
    assert!(debug.contains("relogin: true"), "{debug}");
}

#[tokio::test]
async fn a_second_failure_is_returned_as_is() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(KeySequence {
            field: "account_key",
            keys: vec![OLD_KEY, NEW_KEY],
            calls: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(no_such_key())
        .mount(&server)
        .await;
    let client = login(&server).await;
    let error = client
        .request::<(), Value>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("still rejected");
    assert!(
        error.is_session_expired() && error.is_permission_denied(),
        "{error}"
    );
    assert_eq!(
        log(&server).await,
        vec![
            account_auth(),
            get_account(OLD_KEY),
            account_auth(),
            get_account(NEW_KEY),
        ]
    );
}

#[tokio::test]
async fn a_failing_relogin_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"account_key": OLD_KEY})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid password."})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(no_such_key())
        .mount(&server)
        .await;
    let client = login(&server).await;
    let error = client
        .request::<(), Value>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("the re-login fails");
    assert!(error.is_unauthorized(), "{error}");
    assert_eq!(
        error.api().and_then(|e| e.detail.as_deref()),
        Some("Invalid password.")
    );
    assert_eq!(
        log(&server).await.len(),
        3,
        "login, request, failed re-login"
    );
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(OLD_KEY),
        "the key is unchanged"
    );
}

#[tokio::test]
async fn other_errors_and_fixed_keys_never_log_in() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/account/"))
        .respond_with(no_such_key())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(
                json!({"detail": "You do not have permission to perform this action."}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"account_key": OLD_KEY})))
        .mount(&server)
        .await;
    // A client given a key cannot log in again.
    let fixed = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .api_key(OLD_KEY)
        .build()
        .expect("client");
    assert!(!fixed.can_relogin());
    let error = fixed
        .request::<(), Value>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("rejected");
    assert!(error.is_session_expired());
    assert!(matches!(
        fixed.relogin().await,
        Err(syncano::Error::Config(_))
    ));
    // A logged-in client does not log in again on a plain permission error...
    let client = login(&server).await;
    let error = client
        .request::<(), Value>(Method::GET, "/v1.1/instances/", None)
        .await
        .expect_err("forbidden");
    assert!(error.is_permission_denied() && !error.is_session_expired());
    // ...and not at all once told not to.
    let strict = client.without_relogin();
    assert!(!strict.can_relogin() && client.can_relogin());
    strict
        .request::<(), Value>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("rejected");
    let paths: Vec<String> = log(&server).await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        paths,
        [
            "/v1.1/account/",
            "/v1.1/account/auth/",
            "/v1.1/instances/",
            "/v1.1/account/"
        ]
    );
}

#[tokio::test]
async fn concurrent_failures_log_in_once() {
    let server = rotated_server().await;
    let client = login(&server).await;
    let calls = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .request::<(), Value>(Method::GET, "/v1.1/account/", None)
                .await
        })
    });
    for call in futures::future::join_all(calls).await {
        call.expect("task").expect("every request succeeds");
    }
    let logins = log(&server)
        .await
        .iter()
        .filter(|r| r.1 == "/v1.1/account/auth/")
        .count();
    assert_eq!(logins, 2, "the first login and one re-login");
}

#[tokio::test]
async fn user_session_renews_the_user_key_on_401() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/lib/user/auth/"))
        .and(header("x-api-key", INSTANCE_KEY))
        .respond_with(KeySequence {
            field: "user_key",
            keys: vec![OLD_USER_KEY, NEW_USER_KEY],
            calls: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/user/"))
        .and(header("x-user-key", NEW_USER_KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 3, "username": "john"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/user/"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid user key."})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let app = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .api_key(INSTANCE_KEY)
        .build()
        .expect("client");
    let user = app.user_login("lib", "john", "p4ss").await.expect("login");
    let me: Value = user
        .request(Method::GET, "/v1.1/instances/lib/user/", None::<&()>)
        .await
        .expect("renewed");
    assert_eq!(me["username"], "john");
    let auth = (
        "POST".to_string(),
        "/v1.1/instances/lib/user/auth/".to_string(),
        Some(INSTANCE_KEY.to_string()),
        None,
        json!({"username": "john", "password": "p4ss"}),
    );
    let me_with = |key: &str| {
        (
            "GET".to_string(),
            "/v1.1/instances/lib/user/".to_string(),
            Some(INSTANCE_KEY.to_string()),
            Some(key.to_string()),
            Value::Null,
        )
    };
    assert_eq!(
        log(&server).await,
        vec![
            auth.clone(),
            me_with(OLD_USER_KEY),
            auth,
            me_with(NEW_USER_KEY)
        ]
    );
}

#[tokio::test]
async fn emulator_reset_key_is_transparent() {
    let emu = support::emulator().await;
    let client = support::anonymous(&emu)
        .login(emu.account_email(), emu.account_password())
        .await
        .expect("login");
    let old = client.api_key().expect("a key").expose().to_string();
    // Reset the key through another client holding the same key, fixed.
    let other = client.without_relogin();
    let reset: Value = other
        .request(Method::POST, "/v1.1/account/reset_key/", Some(&json!({})))
        .await
        .expect("reset");
    let new = reset["account_key"]
        .as_str()
        .expect("a new key")
        .to_string();
    assert_ne!(old, new);
    // The fixed client now fails; the logged-in one logs in again and succeeds.
    let error = other
        .request::<(), Value>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("the old key is gone");
    assert!(error.is_session_expired(), "{error}");
    let account = client.account().get().await.expect("after a re-login");
    assert_eq!(account.email, emu.account_email());
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(new.as_str())
    );
    // Managers created before the reset hold clones and use the new key too.
    let instances = client.instances();
    instances.list().collect().await.expect("listing");
}
