//! Polling jobs (traces) until they finish, against a request-recording mock server:
//! the emulator refuses to run scripts, so the pending → processing → success sequence
//! is served here.
#![cfg(not(syncano_custom_schema))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use syncano::jobs::PollOptions;
use syncano::{Error, ScriptRunRequest, ScriptTrace, ScriptTraceStatus};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::mock::client;

const TRACE: &str = "/v1.1/instances/lib/snippets/scripts/4/traces/17/";

fn trace(status: &str) -> Value {
    let mut trace = json!({
        "id": 17,
        "status": status,
        "links": {"self": TRACE},
    });
    if status == "success" {
        trace["result"] = json!({"stdout": "42", "stderr": ""});
        trace["duration"] = json!(12);
    }
    trace
}

/// Answers the n-th fetch with the n-th status (the last one repeated).
struct Statuses {
    statuses: Vec<&'static str>,
    calls: AtomicUsize,
}

impl Respond for Statuses {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let status = self.statuses[n.min(self.statuses.len() - 1)];
        ResponseTemplate::new(200).set_body_json(trace(status))
    }
}

async fn server(statuses: Vec<&'static str>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TRACE))
        .respond_with(Statuses {
            statuses,
            calls: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/lib/snippets/scripts/4/run/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(trace("pending")))
        .mount(&server)
        .await;
    server
}

fn fast() -> PollOptions {
    PollOptions::new()
        .interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(5))
}

/// (method, path) of every request received.
async fn requests(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_string()))
        .collect()
}

#[tokio::test]
async fn polls_until_a_final_status() {
    let server = server(vec!["pending", "processing", "success"]).await;
    let client = client(&server);
    let started = std::time::Instant::now();
    let done: ScriptTrace = client.poll_until_done(TRACE, &fast()).await.expect("done");
    assert!(started.elapsed() >= Duration::from_millis(40), "two pauses");
    assert_eq!(done.status, Some(ScriptTraceStatus::Success));
    assert_eq!(done.result, Some(json!({"stdout": "42", "stderr": ""})));
    assert_eq!(done.duration, Some(12));
    let get = ("GET".to_string(), TRACE.to_string());
    assert_eq!(requests(&server).await, vec![get.clone(), get.clone(), get]);
}

#[tokio::test]
async fn waits_for_the_trace_a_run_answered() {
    let server = server(vec!["processing", "failure"]).await;
    let client = client(&server);
    let trace = client
        .instances()
        .scripts("lib")
        .run(4, &ScriptRunRequest::new())
        .await
        .expect("run");
    assert_eq!(trace.status, Some(ScriptTraceStatus::Pending));
    let done = client.wait_for(&trace, &fast()).await.expect("done");
    assert_eq!(done.status, Some(ScriptTraceStatus::Failure));
    let paths: Vec<String> = requests(&server).await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        paths,
        ["/v1.1/instances/lib/snippets/scripts/4/run/", TRACE, TRACE]
    );
    // A finished job is returned without a request.
    let again = client.wait_for(&done, &fast()).await.expect("done");
    assert_eq!(again, done);
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn gives_up_after_the_timeout() {
    let server = server(vec!["pending"]).await;
    let client = client(&server);
    let options = PollOptions::new()
        .interval(Duration::from_millis(30))
        .timeout(Duration::from_millis(100));
    let error = client
        .poll_until_done::<ScriptTrace>(TRACE, &options)
        .await
        .expect_err("still pending");
    match &error {
        Error::PollTimeout {
            path,
            status,
            waited,
        } => {
            assert_eq!(path, TRACE);
            assert_eq!(status, "pending");
            // It stops once another pause would pass the timeout: after more than
            // timeout - interval.
            assert!(*waited > Duration::from_millis(70), "{waited:?}");
        }
        other => panic!("expected a poll timeout, got {other:?}"),
    }
    assert!(!error.is_retryable());
    let fetches = requests(&server).await.len();
    assert!((2..=4).contains(&fetches), "{fetches} fetches");
}

#[tokio::test]
async fn custom_pending_statuses_and_bad_resources() {
    let server = server(vec!["pending", "blocked", "success"]).await;
    let client = client(&server);
    // `blocked` counts as pending here, so polling goes on to `success`.
    let options = fast().pending(["pending", "blocked"]);
    let done: Value = client.poll_until_done(TRACE, &options).await.expect("done");
    assert_eq!(done["status"], "success");
    assert_eq!(requests(&server).await.len(), 3);
    // A pending job without a self link cannot be polled; a resource without a status
    // is a decode error.
    let orphan = json!({"id": 1, "status": "pending"});
    let error = client
        .wait_for(&orphan, &fast())
        .await
        .expect_err("no link");
    assert!(matches!(error, Error::MissingLink { .. }), "{error}");
    let error = client
        .wait_for(&json!({"id": 1}), &fast())
        .await
        .expect_err("no status");
    assert!(error.is_decode(), "{error}");
}
