//! The emulator in the test's own process: requests through the same router as on
//! the wire (`Emulator::in_process`), without a socket.

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::EmulatorConfig;

use crate::cast::{Answer, Local};

/// An in-process emulator with `config`, and the admin's key.
fn emulator(config: EmulatorConfig) -> (Local, String) {
    let local = Local::with_config(config);
    let key = local.admin_key();
    (local, key)
}

#[tokio::test]
async fn a_request_goes_through_the_whole_stack() {
    let (local, key) = emulator(EmulatorConfig::default());
    let admin = (Some(key.as_str()), None);
    let body = json!({"name": "local"});
    let Answer { status, body } = local
        .call(Method::POST, "/v1.1/instances/", admin, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let Answer { status, body } = local
        .call(Method::GET, "/v1.1/instances/local/classes/", admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["objects"][0]["name"], "user_profile");
    let Answer { status, body } = local
        .call(Method::GET, "/v1.1/instances/nowhere/", admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let emu = &local.emu;
    // the HTTP layer's checks hold too: keys, JSON parsing, the body limit
    let anonymous = Request::get("/v1.1/instances/")
        .body(Body::empty())
        .expect("a valid request");
    assert_eq!(emu.send(anonymous).await.status(), StatusCode::FORBIDDEN);
    let broken = Request::post("/v1.1/instances/")
        .header("X-API-KEY", emu.account_key())
        .header("content-type", "application/json")
        .body(Body::from("{"))
        .expect("a valid request");
    assert_eq!(emu.send(broken).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_body_limit_applies_in_process() {
    let (local, key) = emulator(EmulatorConfig {
        body_limit: 64,
        ..EmulatorConfig::default()
    });
    let big = json!({"name": "x".repeat(100)});
    let answer = local
        .call(
            Method::POST,
            "/v1.1/instances/",
            (Some(&key), None),
            Some(&big),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn stored_file_urls_are_paths_without_a_host() {
    let (local, key) = emulator(EmulatorConfig::default());
    let admin = (Some(key.as_str()), None);
    for (path, body) in [
        ("/v1.1/instances/", json!({"name": "files"})),
        (
            "/v1.1/instances/files/classes/",
            json!({"name": "doc", "schema": [{"name": "scan", "type": "file"}]}),
        ),
    ] {
        let answer = local.call(Method::POST, path, admin, Some(&body)).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{path}: {}",
            answer.body
        );
    }
    let emu = &local.emu;
    let boundary = "emulator-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/v1.1/instances/files/classes/doc/objects/")
        .header("X-API-KEY", emu.account_key())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(form))
        .expect("a valid request");
    let response = emu.send(request).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body: Value = serde_json::from_slice(&bytes).expect("JSON");
    let url = body["scan"]["value"].as_str().expect("a URL");
    assert!(url.starts_with("/media/files/doc/"), "{url}");
    let download = emu
        .send(
            Request::get(url)
                .body(Body::empty())
                .expect("a valid request"),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    let bytes = to_bytes(download.into_body(), usize::MAX)
        .await
        .expect("a body");
    assert_eq!(bytes.as_ref(), b"hello");
}
