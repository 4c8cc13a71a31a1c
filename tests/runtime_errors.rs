//! Error parsing: every body shape the API uses, each status class, decode errors with
//! their excerpt, and a property test that no answer whatsoever makes the client panic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use syncano::transport::{HttpRequest, HttpResponse, Transport};
use syncano::{Client, Error, ListRequest, Method, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn error_for(status: u16, body: &str, retry_after: Option<&str>) -> Error {
    let server = MockServer::start().await;
    let mut template =
        ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json");
    if let Some(value) = retry_after {
        template = template.insert_header("Retry-After", value);
    }
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/"))
        .respond_with(template)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .api_key("k")
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    client
        .request::<Value, Value>(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"name": "x"})),
        )
        .await
        .expect_err("an error status")
}

#[tokio::test]
async fn detail_bodies() {
    let e = error_for(404, r#"{"detail": "Not found."}"#, None).await;
    assert!(e.is_not_found());
    assert!(!e.is_validation() && !e.is_retryable() && !e.is_permission_denied());
    let api = e.api().expect("api error");
    assert_eq!(api.status, 404);
    assert_eq!(api.method, Method::POST);
    assert_eq!(api.path, "/v1.1/instances/");
    assert_eq!(api.detail.as_deref(), Some("Not found."));
    assert!(api.field_errors.is_empty() && api.non_field_errors.is_empty());
    assert_eq!(e.to_string(), "POST /v1.1/instances/: HTTP 404: Not found.");

    let e = error_for(403, r#"{"detail": "No such API Key."}"#, None).await;
    assert!(e.is_permission_denied());
    assert_eq!(
        e.api().and_then(|a| a.detail.as_deref()),
        Some("No such API Key.")
    );

    let e = error_for(405, r#"{"detail": "Method \"PUT\" not allowed."}"#, None).await;
    assert_eq!(e.status(), Some(syncano::StatusCode::METHOD_NOT_ALLOWED));
    assert_eq!(
        e.api().and_then(|a| a.detail.as_deref()),
        Some("Method \"PUT\" not allowed.")
    );
}

#[tokio::test]
async fn field_error_bodies() {
    let e = error_for(
        400,
        r#"{"name": ["This field is required."], "description": ["Too long.", "Bad."]}"#,
        None,
    )
    .await;
    assert!(e.is_validation());
    let api = e.api().expect("api");
    assert_eq!(api.detail, None);
    assert_eq!(
        api.field("name"),
        Some(&["This field is required.".to_string()][..])
    );
    assert_eq!(api.field("description").map(<[String]>::len), Some(2));
    assert_eq!(
        api.message(),
        "description: Too long. Bad.; name: This field is required."
    );
    assert!(!e.is_revision_mismatch());
}

#[tokio::test]
async fn query_error_body_is_a_string() {
    let e = error_for(400, r#"{"query": "Invalid query provided."}"#, None).await;
    assert_eq!(
        e.api().and_then(|a| a.field("query")),
        Some(&["Invalid query provided.".to_string()][..])
    );
}

#[tokio::test]
async fn non_field_error_bodies() {
    let e = error_for(
        400,
        r#"{"non_field_errors": ["Either interval_sec or crontab is required."]}"#,
        None,
    )
    .await;
    let api = e.api().expect("api");
    assert_eq!(
        api.non_field_errors,
        vec!["Either interval_sec or crontab is required.".to_string()]
    );
    assert!(api.field_errors.is_empty());

    let e = error_for(400, r#"["Batch limit exceeded.", "Second."]"#, None).await;
    assert_eq!(e.api().map(|a| a.non_field_errors.len()), Some(2));
}

#[tokio::test]
async fn revision_mismatch() {
    let e = error_for(
        400,
        r#"{"expected_revision": "Revision mismatch. Expected 2, got 3."}"#,
        None,
    )
    .await;
    assert!(e.is_revision_mismatch());
    assert!(e.is_validation());
}

#[tokio::test]
async fn retryable_statuses_and_retry_after() {
    let e = error_for(
        429,
        r#"{"detail": "Request was throttled. Expected available in 3 seconds."}"#,
        Some("3"),
    )
    .await;
    assert!(e.is_rate_limited() && e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    // a POST answered 5xx may have been applied: not safe to send again
    for status in [500, 502, 503, 504] {
        let e = error_for(status, "", None).await;
        assert!(!e.is_retryable() && e.may_have_been_applied(), "{status}");
    }
    assert!(!error_for(501, "", None).await.is_retryable());
    assert!(
        !error_for(413, r#"{"detail": "Request too large."}"#, None)
            .await
            .is_retryable()
    );
}

#[tokio::test]
async fn non_json_bodies_keep_an_excerpt() {
    let html = format!("<html><body>Bad gateway{}</body></html>", "x".repeat(2000));
    let e = error_for(502, &html, None).await;
    let api = e.api().expect("api");
    assert_eq!(api.body, None);
    assert!(api.excerpt.starts_with("<html><body>Bad gateway"));
    assert!(api.excerpt.len() < 600, "excerpt is truncated");
    assert!(api.excerpt.ends_with('…'));
    let e = error_for(500, "", None).await;
    assert_eq!(
        e.api().map(|a| a.message()),
        Some("application/json, empty body".to_string())
    );
}

#[derive(Debug, Deserialize)]
struct Instance {
    name: String,
}

#[tokio::test]
async fn decode_errors_carry_endpoint_and_excerpt() {
    let server = MockServer::start().await;
    let long = format!(r#"{{"title": "{}"}}"#, "y".repeat(5000));
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(long.clone().into_bytes(), "application/json"),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let e = client
        .request::<(), Instance>(Method::GET, "/v1.1/instances/lib/", None)
        .await
        .expect_err("decode");
    match &e {
        Error::Decode {
            method,
            path,
            status,
            excerpt,
            ..
        } => {
            assert_eq!(*method, Method::GET);
            assert_eq!(path, "/v1.1/instances/lib/");
            assert_eq!(*status, 200);
            assert!(long.starts_with(excerpt.trim_end_matches('…')));
            assert!(excerpt.len() <= 512 + 3);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    // the cause is the source, not repeated in the message
    let cause = std::error::Error::source(&e).map(ToString::to_string);
    assert!(
        cause.is_some_and(|c| c.contains("missing field `name`")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("missing field"), "{e}");
    // a GET whose answer does not decode may be sent again
    assert!(e.is_retryable());
}

#[tokio::test]
async fn empty_answers_decode_as_null() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1.1/instances/lib/"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let unit: () = client
        .request::<(), ()>(Method::DELETE, "/v1.1/instances/lib/", None)
        .await
        .expect("204");
    assert_eq!(unit, ());
    let raw = client
        .request_raw::<()>(Method::DELETE, "/v1.1/instances/lib/", None)
        .await
        .expect("204");
    assert_eq!(raw, Value::Null);
}

#[tokio::test]
async fn timeouts_and_refused_connections() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .timeout(Duration::from_millis(100))
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let e = client
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("timeout");
    assert!(e.is_timeout() && e.is_retryable(), "{e:?}");

    // A port nobody listens on: bind, note it, drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let client = Client::builder()
        .api_root(format!("http://127.0.0.1:{port}"))
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let e = client
        .request_raw::<()>(Method::GET, "/v1.1/account/?api_key=secret", None)
        .await
        .expect_err("refused");
    assert!(
        matches!(e, Error::Connect { .. }) && e.is_retryable(),
        "{e:?}"
    );
    assert!(!e.to_string().contains("secret"), "{e}");
}

/// A transport answering whatever it was given, recording the requests.
#[derive(Debug)]
struct Canned {
    status: u16,
    body: Vec<u8>,
    seen: Mutex<Vec<String>>,
}

#[async_trait]
impl Transport for Canned {
    async fn send(&self, request: HttpRequest) -> syncano::Result<HttpResponse> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(request.display_path());
        }
        Ok(HttpResponse::new(self.status, self.body.clone()))
    }
}

fn canned(status: u16, body: Vec<u8>) -> (Client, Arc<Canned>) {
    let transport = Arc::new(Canned {
        status,
        body,
        seen: Mutex::new(Vec::new()),
    });
    let client = Client::builder()
        .transport(transport.clone())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    (client, transport)
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z_ .]{0,12}".prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                "(detail|non_field_errors|name|query|objects|next|[a-z]{1,6})",
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    value.prop_map(|v| v.to_string().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_answer_panics(status in 100u16..600, body in prop_oneof![prop::collection::vec(any::<u8>(), 0..300), json_like()]) {
        let (client, transport) = canned(status, body);
        run(async {
            let one = client.request::<(), Instance>(Method::GET, "/v1.1/instances/x/", None).await;
            let raw = client.request_raw::<()>(Method::GET, "/v1.1/instances/x/", None).await;
            let unit = client.request::<(), ()>(Method::DELETE, "/v1.1/instances/x/", None).await;
            let page = ListRequest::<Instance>::new(client.clone(), "/v1.1/instances/".into()).limit(3).collect().await;
            for result in [one.map(|i| drop(i.name)), raw.map(|_| ()), unit, page.map(|_| ())] {
                if let Err(e) = result {
                    let _ = e.to_string();
                    let _ = (e.is_retryable(), e.is_not_found(), e.is_revision_mismatch(), e.status());
                    if !(200..300).contains(&status) {
                        prop_assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
                    }
                }
            }
            Ok(())
        })?;
        // Success answers with a `next` path may be followed, at most to the limit.
        let seen = transport.seen.lock().map(|s| s.len()).unwrap_or(0);
        prop_assert!((4..=6).contains(&seen), "requests: {}", seen);
    }

    #[test]
    fn error_parsing_never_panics(status in 0u16..1000, body in prop::collection::vec(any::<u8>(), 0..600)) {
        let e = syncano::ApiError::from_response(status, Method::PATCH, "/v1.1/?api_key=k", &body, None);
        prop_assert_eq!(e.path.as_str(), "/v1.1/?api_key=REDACTED");
        prop_assert!(e.excerpt.len() <= 512 + 3);
        let _ = e.to_string();
    }
}

#[tokio::test]
async fn excerpts_never_carry_keys() {
    let key = "9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f";
    let (client, _) = canned(
        200,
        format!(r#"{{"id": 1, "account_key": "{key}", "email": "a@b.c"}}"#).into_bytes(),
    );
    let e = client
        .request::<(), Instance>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("no name field");
    assert!(e.is_decode());
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(key), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
    assert!(
        e.to_string().contains(r#""account_key": "REDACTED""#),
        "{e}"
    );
    let (client, _) = canned(
        400,
        format!(r#"{{"api_key": "{key}", "detail": "Bad."}}"#).into_bytes(),
    );
    let e = client
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("400");
    assert!(
        !e.api()
            .map(|a| a.excerpt.clone())
            .unwrap_or_default()
            .contains(key)
    );
}
