//! The retry policy: idempotent requests are retried on retryable failures (by default
//! too), `Retry-After` is honoured, other requests are sent once, and
//! `RetryPolicy::none()` never retries. tests/retries.rs covers every rule.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use syncano::{Client, Method, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, policy: Option<RetryPolicy>) -> Client {
    let mut builder = Client::builder()
        .api_root(server.uri())
        .api_key("k")
        .no_proxy();
    if let Some(policy) = policy {
        builder = builder.retry(policy);
    }
    builder.build().expect("client")
}

fn fast(retries: u32) -> RetryPolicy {
    RetryPolicy::new(retries)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(50))
}

async fn count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

async fn failing_then_ok(server: &MockServer, status: u16, failures: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(
            ResponseTemplate::new(status).set_body_json(json!({"detail": "Unavailable."})),
        )
        .up_to_n_times(failures)
        .mount(server)
        .await;
    Mock::given(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "ok"})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn get_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    failing_then_ok(&server, 503, 2).await;
    let value: Value = client(&server, Some(fast(3)))
        .request(Method::GET, "/v1.1/instances/", None::<&()>)
        .await
        .expect("ok");
    assert_eq!(value["name"], "ok");
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    failing_then_ok(&server, 502, 10).await;
    let error = client(&server, Some(fast(2)))
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await
        .expect_err("still failing");
    assert_eq!(error.status(), Some(syncano::StatusCode::BAD_GATEWAY));
    assert_eq!(count(&server).await, 3, "one try and two retries");
}

#[tokio::test]
async fn reads_are_retried_by_default() {
    let server = MockServer::start().await;
    failing_then_ok(&server, 503, 1).await;
    let value = client(&server, None)
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await
        .expect("second try");
    assert_eq!(value["name"], "ok");
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn retry_policy_none_sends_once() {
    let server = MockServer::start().await;
    failing_then_ok(&server, 503, 1).await;
    let error = client(&server, Some(RetryPolicy::none()))
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await;
    assert_eq!(
        error.expect_err("503").status(),
        Some(syncano::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn post_and_patch_are_never_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let c = client(&server, Some(fast(3)));
    let body = json!({"name": "x"});
    assert!(
        c.request_raw(Method::POST, "/v1.1/instances/", Some(&body))
            .await
            .is_err()
    );
    assert!(
        c.request_raw(Method::PATCH, "/v1.1/instances/", Some(&body))
            .await
            .is_err()
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    failing_then_ok(&server, 404, 1).await;
    let error = client(&server, Some(fast(3)))
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await;
    assert!(error.expect_err("404").is_not_found());
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"detail": "Request was throttled."})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let policy = RetryPolicy::new(1)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_secs(5));
    let started = Instant::now();
    client(&server, Some(policy))
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await
        .expect("ok");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "late"})))
        .mount(&server)
        .await;
    let c = Client::builder()
        .api_root(server.uri())
        .timeout(Duration::from_millis(200))
        .retry(fast(1))
        .no_proxy()
        .build()
        .expect("client");
    let value = c
        .request_raw::<()>(Method::GET, "/v1.1/instances/", None)
        .await
        .expect("second try");
    assert_eq!(value["name"], "late");
    assert_eq!(count(&server).await, 2);
}

#[test]
fn delays_grow_and_are_capped() {
    let policy = RetryPolicy::new(5)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(350));
    assert_eq!(policy.backoff(0), Duration::from_millis(100));
    assert_eq!(policy.backoff(1), Duration::from_millis(200));
    assert_eq!(policy.backoff(2), Duration::from_millis(350));
    // full jitter: a draw below the ceiling
    assert!(policy.delay(1, None) <= Duration::from_millis(200));
    assert_eq!(
        policy.delay(1, Some(Duration::from_millis(20))),
        Duration::from_millis(20)
    );
    assert_eq!(
        policy.delay(0, Some(Duration::from_secs(60))),
        Duration::from_millis(350)
    );
    assert_eq!(RetryPolicy::none().max_retries(), 0);
}
