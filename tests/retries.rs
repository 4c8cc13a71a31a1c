//! The retry and error core: what is retried (per method and failure kind), what is
//! reported as an unknown outcome, the backoff's jitter, `Retry-After`, the operation
//! timeout, the retry budget, DELETE answered 404 after a retry, `()` results ignoring
//! bodies, and the texts of errors. Failures come from wiremock or from a tiny loopback
//! server that breaks connections the way a flaky network does, so reqwest's real error
//! paths run. No assertion depends on timing.

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use syncano::error::{GiveUpReason, TransportFailure};
use syncano::transport::{HttpRequest, HttpResponse, Transport};
use syncano::{Client, Error, Method, RetryPolicy, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/v1.1/instances/lib/";

/// Retries with waits of a few milliseconds.
fn fast() -> RetryPolicy {
    RetryPolicy::standard()
        .base_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(20))
}

fn client_of(root: &str, policy: RetryPolicy) -> Client {
    Client::builder()
        .api_root(root)
        .api_key("k")
        .no_proxy()
        .retry(policy)
        .build()
        .expect("client")
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// Answers `failures` times with `status`, then 200 `{"ok": true}`.
async fn failing_then_ok(server: &MockServer, verb: &str, status: u16, failures: u64) {
    Mock::given(method(verb))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({"detail": "Busy."})))
        .up_to_n_times(failures)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(server)
        .await;
}

async fn call(client: &Client, verb: Method) -> syncano::Result<Value> {
    let body = json!({"name": "lib"});
    let body = (verb != Method::GET && verb != Method::DELETE).then_some(&body);
    client.request(verb, PATH, body).await
}

/// No message of the chain repeats the message of its source.
fn assert_no_repetition(error: &Error) {
    let mut outer = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        let inner = source.to_string();
        assert!(
            !outer.contains(&inner),
            "{outer:?} repeats its source {inner:?}"
        );
        outer = inner;
        next = source.source();
    }
}

#[tokio::test]
async fn the_default_is_standard_mode_with_three_attempts() {
    let client = Client::builder().build().expect("client");
    assert_eq!(client.retry_policy(), &RetryPolicy::standard());
    assert_eq!(client.retry_policy().max_attempts(), 3);
    assert_eq!(
        client.retry_budget_tokens(),
        Some(syncano::retry::DEFAULT_BUDGET)
    );
    assert_eq!(RetryPolicy::none().max_attempts(), 1);
    assert_eq!(RetryPolicy::new(4).max_attempts(), 5);
}

#[tokio::test]
async fn idempotent_methods_are_retried_on_each_retryable_status() {
    for verb in [Method::GET, Method::PUT, Method::DELETE] {
        for status in [408, 429, 500, 502, 503, 504] {
            let server = MockServer::start().await;
            failing_then_ok(&server, verb.as_str(), status, 2).await;
            let answer = call(&client_of(&server.uri(), fast()), verb.clone()).await;
            assert_eq!(answer.expect("recovered")["ok"], true, "{verb} {status}");
            assert_eq!(count(&server).await, 3, "{verb} {status}");
        }
    }
}

#[tokio::test]
async fn other_statuses_are_not_retried() {
    for status in [400, 401, 403, 404, 409, 501, 505] {
        let server = MockServer::start().await;
        failing_then_ok(&server, "GET", status, 1).await;
        let error = call(&client_of(&server.uri(), fast()), Method::GET)
            .await
            .expect_err("no retry");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.attempts(), 1);
        assert!(!error.is_retryable() && !error.may_have_been_applied());
        assert_eq!(count(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn a_post_answered_429_is_sent_again() {
    for verb in [Method::POST, Method::PATCH] {
        let server = MockServer::start().await;
        failing_then_ok(&server, verb.as_str(), 429, 1).await;
        let answer = call(&client_of(&server.uri(), fast()), verb.clone()).await;
        assert_eq!(answer.expect("re-sent")["ok"], true, "{verb}");
        assert_eq!(count(&server).await, 2, "{verb}");
    }
}

#[tokio::test]
async fn a_post_answered_5xx_is_not_sent_again_and_may_have_been_applied() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        failing_then_ok(&server, "POST", status, 1).await;
        let error = call(&client_of(&server.uri(), fast()), Method::POST)
            .await
            .expect_err("not re-sent");
        assert_eq!(count(&server).await, 1, "{status}");
        assert!(error.may_have_been_applied(), "{error}");
        assert!(!error.is_retryable(), "{error}");
        assert!(
            error.to_string().contains("may have been applied"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_get_that_keeps_failing_reports_its_attempts() {
    let server = MockServer::start().await;
    failing_then_ok(&server, "GET", 503, 10).await;
    let error = call(&client_of(&server.uri(), fast()), Method::GET)
        .await
        .expect_err("503 three times");
    assert_eq!(count(&server).await, 3);
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    let Error::GaveUp(gave_up) = &error else {
        panic!("not a GaveUp: {error:?}")
    };
    assert_eq!(gave_up.reason, GiveUpReason::AttemptsExhausted);
    let text = error.to_string();
    assert!(text.contains("gave up after 3 attempts in "), "{text}");
    assert!(
        text.starts_with("GET /v1.1/instances/lib/: HTTP 503: Busy."),
        "{text}"
    );
    // a GET may be sent again later; it changed nothing
    assert!(error.is_retryable() && !error.may_have_been_applied());
    assert_no_repetition(&error);
}

#[tokio::test]
async fn an_undecodable_success_answer_is_retried_for_a_get_only() {
    let server = MockServer::start().await;
    for verb in ["GET", "POST"] {
        Mock::given(method(verb))
            .and(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method(verb))
            .and(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
            .mount(&server)
            .await;
    }
    let client = client_of(&server.uri(), fast());
    assert_eq!(
        call(&client, Method::GET).await.expect("recovered")["ok"],
        true
    );
    assert_eq!(count(&server).await, 2);
    let error = call(&client, Method::POST).await.expect_err("not re-sent");
    assert_eq!(count(&server).await, 3);
    assert!(error.is_decode() && error.may_have_been_applied() && !error.is_retryable());
    assert_no_repetition(&error);
}

#[tokio::test]
async fn a_retried_delete_answered_404_is_a_success() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})))
        .mount(&server)
        .await;
    let client = client_of(&server.uri(), fast());
    let deleted: syncano::Result<()> = client.request(Method::DELETE, PATH, None::<&()>).await;
    deleted.expect("the first attempt may have deleted it");
    assert_eq!(count(&server).await, 2);
    // a 404 at the first attempt is an error
    let error = client
        .request::<(), ()>(Method::DELETE, PATH, None)
        .await
        .expect_err("404");
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn a_delete_answered_404_after_a_429_is_not_found() {
    // a 429 proves the first attempt did nothing, so the 404 is the answer
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})))
        .mount(&server)
        .await;
    let error = client_of(&server.uri(), fast())
        .request::<(), ()>(Method::DELETE, PATH, None)
        .await
        .expect_err("404");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.attempts(), 2);
}

#[tokio::test]
async fn a_unit_result_ignores_a_success_body() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deleted": 1})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(202).set_body_string("accepted, not JSON"))
        .mount(&server)
        .await;
    let client = client_of(&server.uri(), RetryPolicy::none());
    client
        .request::<(), ()>(Method::DELETE, PATH, None)
        .await
        .expect("a JSON body is ignored");
    client
        .request::<_, ()>(Method::POST, PATH, Some(&json!({})))
        .await
        .expect("any body is ignored");
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let error = call(&client_of(&server.uri(), fast()), Method::GET)
        .await
        .expect_err("asked to wait an hour");
    // Retry-After: 0 was retried at once; an hour is past the 20 ms cap
    assert_eq!(count(&server).await, 2);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    let Error::GaveUp(gave_up) = &error else {
        panic!("not a GaveUp: {error:?}")
    };
    assert_eq!(
        gave_up.reason,
        GiveUpReason::RetryAfterTooLong {
            asked: Duration::from_secs(3600),
            allowed: Duration::from_millis(20)
        }
    );
    assert!(error.to_string().contains("asked to wait 3600s"), "{error}");
    // the policy's arithmetic: Retry-After as asked, at most the cap
    let policy = fast();
    assert_eq!(
        policy.delay(0, Some(Duration::from_millis(7))),
        Duration::from_millis(7)
    );
    assert_eq!(
        policy.delay(5, Some(Duration::from_secs(9))),
        Duration::from_millis(20)
    );
}

#[test]
fn backoff_has_full_jitter_within_its_ceiling() {
    let policy = RetryPolicy::standard()
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_secs(1));
    for retry in 0..6 {
        let ceiling = policy.backoff(retry);
        assert_eq!(
            ceiling,
            Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_secs(1))
        );
        let draws: Vec<Duration> = (0..200).map(|_| policy.delay(retry, None)).collect();
        assert!(draws.iter().all(|d| *d <= ceiling), "{draws:?}");
        // full jitter spreads the waits over the whole range, not around the ceiling
        assert!(draws.iter().any(|d| *d < ceiling / 2), "{draws:?}");
        assert!(draws.iter().any(|d| *d > ceiling / 2), "{draws:?}");
    }
}

#[tokio::test]
async fn the_operation_timeout_bounds_the_attempts_and_says_how_many() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(30)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .retry(
            RetryPolicy::standard()
                .with_max_attempts(1000)
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(10))
                .without_budget(),
        )
        .operation_timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let error = call(&client, Method::GET).await.expect_err("deadline");
    let Error::GaveUp(gave_up) = &error else {
        panic!("not a GaveUp: {error:?}")
    };
    assert_eq!(
        gave_up.reason,
        GiveUpReason::OperationTimeout(Duration::from_millis(300))
    );
    assert!(error.is_timeout(), "{error}");
    assert!(gave_up.attempts >= 1 && gave_up.attempts < 1000);
    assert!(count(&server).await >= gave_up.attempts as usize - 1);
    let text = error.to_string();
    let attempts = match gave_up.attempts {
        1 => "1 attempt in ".to_string(),
        n => format!("{n} attempts in "),
    };
    assert!(
        text.contains("the operation timeout of 300ms passed"),
        "{text}"
    );
    assert!(text.contains(&attempts), "{text}");
    assert_no_repetition(&error);
}

#[tokio::test]
async fn an_operation_timeout_cutting_a_post_short_reports_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .retry(fast())
        .operation_timeout(Duration::from_millis(50))
        .build()
        .expect("client");
    let error = call(&client, Method::POST).await.expect_err("deadline");
    assert_eq!(error.attempts(), 1);
    assert!(error.is_timeout() && error.may_have_been_applied() && !error.is_retryable());
    let text = error.to_string();
    assert!(
        text.contains("POST /v1.1/instances/lib/: no answer"),
        "{text}"
    );
    assert!(text.contains("may have been applied"), "{text}");
}

#[tokio::test]
async fn attempt_timeouts_are_retried_for_a_get_but_not_for_a_post() {
    let server = MockServer::start().await;
    for verb in ["GET", "POST"] {
        Mock::given(method(verb))
            .and(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method(verb))
            .and(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
            .mount(&server)
            .await;
    }
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .retry(fast())
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    assert_eq!(
        call(&client, Method::GET).await.expect("retried")["ok"],
        true
    );
    let error = call(&client, Method::POST).await.expect_err("not re-sent");
    assert!(error.is_timeout() && error.may_have_been_applied() && !error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("no complete answer within the request timeout (the request was sent and may have been applied)"),
        "{error}"
    );
    assert_eq!(count(&server).await, 3);
}

#[tokio::test]
async fn the_retry_budget_stops_retries_and_successes_refill_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    // room for one retry
    let client = client_of(&server.uri(), fast().budget(syncano::retry::RETRY_COST));
    let first = call(&client, Method::GET).await.expect_err("503 twice");
    assert_eq!(first.attempts(), 2);
    let clone = client.with_instance("other");
    assert_eq!(
        clone.retry_budget_tokens(),
        Some(0),
        "clones share the budget"
    );
    let second = call(&clone, Method::GET).await.expect_err("503, no retry");
    assert_eq!(second.attempts(), 1);
    let Error::GaveUp(gave_up) = &second else {
        panic!("not a GaveUp: {second:?}")
    };
    assert_eq!(gave_up.reason, GiveUpReason::BudgetSpent);
    assert!(
        second.to_string().contains("retry budget is spent"),
        "{second}"
    );
    assert_eq!(count(&server).await, 3);
    call(&client, Method::GET).await.expect("200");
    assert_eq!(
        client.retry_budget_tokens(),
        Some(syncano::retry::SUCCESS_REFILL)
    );
}

#[tokio::test]
async fn html_error_pages_are_summarized_with_control_characters_escaped() {
    let server = MockServer::start().await;
    let page = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
                <body>\r\nINJECTED: fake log line\r\n</body></html>\r\n";
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(503).set_body_raw(page, "text/html; charset=utf-8"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/plain/"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("bad\r\nINJECTED\u{1b}[31m", "text/plain"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/detail/"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"detail": "one\r\nINJECTED: two"})),
        )
        .mount(&server)
        .await;
    let client = client_of(&server.uri(), RetryPolicy::none());
    let error = call(&client, Method::GET).await.expect_err("503");
    assert_eq!(
        error.to_string(),
        format!(
            "GET /v1.1/instances/lib/: HTTP 503: text/html, {} bytes: \"503 Service Temporarily Unavailable\"",
            page.len()
        )
    );
    let error = client
        .request_raw::<()>(Method::GET, "/v1.1/plain/", None)
        .await
        .expect_err("502");
    let text = error.to_string();
    assert!(
        !text.contains('\n') && !text.contains('\r') && !text.contains('\u{1b}'),
        "{text:?}"
    );
    // line breaks read as spaces, other control characters escaped
    assert!(
        text.ends_with(r#"text/plain, 18 bytes: "bad INJECTED\u{1b}[31m""#),
        "{text}"
    );
    let error = client
        .request_raw::<()>(Method::GET, "/v1.1/detail/", None)
        .await
        .expect_err("400");
    assert_eq!(
        error.to_string(),
        r#"GET /v1.1/detail/: HTTP 400: one\r\nINJECTED: two"#
    );
}

/// What the loopback server does with a request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Reads the request, then resets the connection.
    ResetAfterReading,
    /// Reads the request, then closes the connection without answering.
    CloseAfterReading,
    /// Reads the request, then answers with half the announced body and closes.
    TruncateBody,
    /// Answers 200 with a JSON body.
    None,
}

/// A loopback HTTP/1.1 server applying `faults` to its first requests (one a
/// connection), then answering normally; counts the requests it read.
async fn faulty_server(faults: Vec<Fault>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let root = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let fault = faults.get(n).copied().unwrap_or(Fault::None);
            tokio::spawn(serve(stream, fault));
        }
    });
    (root, seen)
}

async fn serve(mut stream: TcpStream, fault: Fault) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    // the head, then as many body bytes as Content-Length announces
    let body_start = loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < body_start + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    match fault {
        Fault::ResetAfterReading => {
            // a zero linger time makes closing the socket reset the connection
            stream.set_zero_linger().expect("linger");
            drop(stream);
        }
        Fault::CloseAfterReading => drop(stream),
        Fault::TruncateBody => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{\"ok\": tr",
                )
                .await;
            let _ = stream.flush().await;
        }
        Fault::None => {
            let body = br#"{"ok": true}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.write_all(body).await;
            let _ = stream.flush().await;
        }
    }
}

#[tokio::test]
async fn broken_connections_are_retried_for_a_get() {
    for fault in [
        Fault::ResetAfterReading,
        Fault::CloseAfterReading,
        Fault::TruncateBody,
    ] {
        let (root, seen) = faulty_server(vec![fault, fault]).await;
        let answer = call(&client_of(&root, fast()), Method::GET).await;
        assert_eq!(answer.expect("recovered")["ok"], true, "{fault:?}");
        assert_eq!(seen.load(Ordering::SeqCst), 3, "{fault:?}");
    }
}

#[tokio::test]
async fn a_post_broken_after_sending_is_not_sent_again_and_may_have_been_applied() {
    for (fault, failure, words) in [
        (
            Fault::ResetAfterReading,
            TransportFailure::Reset,
            "the connection was reset",
        ),
        (
            Fault::CloseAfterReading,
            TransportFailure::Closed,
            "the connection was closed before the answer was complete",
        ),
        (
            Fault::TruncateBody,
            TransportFailure::TruncatedBody,
            "the answer's body was cut short",
        ),
    ] {
        let (root, seen) = faulty_server(vec![fault]).await;
        let error = call(&client_of(&root, fast()), Method::POST)
            .await
            .expect_err("not re-sent");
        assert_eq!(seen.load(Ordering::SeqCst), 1, "{fault:?}");
        assert!(
            matches!(&error, Error::Transport { failure: f, sent: true, .. } if *f == failure),
            "{fault:?}: {error:?}"
        );
        assert!(
            error.may_have_been_applied() && !error.is_retryable(),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "POST /v1.1/instances/lib/: {words} (the request was sent and may have been applied)"
            )
        );
        assert!(error.source().is_some());
        assert_no_repetition(&error);
    }
}

#[tokio::test]
async fn a_refused_connection_is_retried_for_any_method_and_reads_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let root = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let error = call(&client_of(&root, fast()), Method::POST)
        .await
        .expect_err("nobody listens");
    assert_eq!(error.attempts(), 3, "a POST that was never sent is retried");
    assert!(
        matches!(error.last_attempt(), Error::Connect { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable() && !error.may_have_been_applied());
    let text = error.to_string();
    assert!(
        text.starts_with(
            "POST /v1.1/instances/lib/: could not connect (connection refused; the request was not sent)"
        ),
        "{text}"
    );
    assert_no_repetition(&error);
}

/// A transport failing its first `failures` requests without sending them.
#[derive(Debug)]
struct NeverWritten {
    failures: usize,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl Transport for NeverWritten {
    async fn send(&self, request: HttpRequest) -> syncano::Result<HttpResponse> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pool connection gone");
            return Err(Error::transport(
                request.method.clone(),
                &request.display_path(),
                TransportFailure::Closed,
                false,
                io,
            ));
        }
        Ok(HttpResponse::new(201, r#"{"ok": true}"#))
    }
}

#[tokio::test]
async fn a_post_never_written_is_sent_again() {
    let transport = Arc::new(NeverWritten {
        failures: 2,
        calls: AtomicUsize::new(0),
    });
    let client = Client::builder()
        .transport(transport.clone())
        .retry(fast())
        .build()
        .expect("client");
    let answer = call(&client, Method::POST).await.expect("re-sent");
    assert_eq!(answer["ok"], true);
    assert_eq!(transport.calls.load(Ordering::SeqCst), 3);
    let error = Error::transport(
        Method::POST,
        PATH,
        TransportFailure::Closed,
        false,
        std::io::Error::other("x"),
    );
    assert_eq!(
        error.to_string(),
        "POST /v1.1/instances/lib/: the connection was closed before the answer was complete (the request was not sent)"
    );
    assert!(error.is_retryable() && !error.may_have_been_applied());
}

#[tokio::test]
async fn the_environment_chooses_the_retry_mode() {
    let build = |vars: &'static [(&'static str, &'static str)]| {
        Client::from_lookup(move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    };
    let client = build(&[]).await.expect("defaults");
    assert_eq!(client.retry_policy().max_attempts(), 3);
    let client = build(&[("SYNCANO_RETRY_MODE", "off")]).await.expect("off");
    assert_eq!(client.retry_policy().max_attempts(), 1);
    let client = build(&[("SYNCANO_MAX_ATTEMPTS", "5")]).await.expect("5");
    assert_eq!(client.retry_policy().max_attempts(), 5);
    let client = build(&[
        ("SYNCANO_RETRY_MODE", "standard"),
        ("SYNCANO_MAX_ATTEMPTS", "1"),
    ])
    .await
    .expect("1");
    assert_eq!(client.retry_policy().max_attempts(), 1);
    for bad in [
        &[("SYNCANO_RETRY_MODE", "adaptive")][..],
        &[("SYNCANO_MAX_ATTEMPTS", "0")][..],
        &[("SYNCANO_MAX_ATTEMPTS", "three")][..],
        &[("SYNCANO_RETRY_MODE", "off"), ("SYNCANO_MAX_ATTEMPTS", "4")][..],
    ] {
        let error = build(bad).await.expect_err("malformed");
        assert!(matches!(error, Error::Config(_)), "{bad:?}: {error}");
    }
}

#[tokio::test]
async fn a_bad_request_path_is_an_invalid_request_not_a_config_error() {
    let client = Client::builder().no_proxy().build().expect("client");
    let error = client
        .request_raw::<()>(Method::GET, "instances/", None)
        .await
        .expect_err("not a path");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    let error = client
        .download("ftp://example.invalid/x")
        .await
        .expect_err("ftp");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
}
