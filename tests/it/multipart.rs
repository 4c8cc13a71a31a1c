//! Multipart requests on the wire: the generated managers send payloads with files as
//! `multipart/form-data` with the expected parts (text fields, files with their names and
//! content types) and the auth header; retries send the whole form again; a custom
//! transport sees the form as its parts.
#![cfg(not(syncano_custom_schema))]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use syncano::test_util::RecordingTransport;
use syncano::transport::{HttpResponse, RequestBody};
use syncano::upload::Part;
use syncano::{ApnsConfigUpdate, Client, HostingFileCreate, Method, RetryPolicy, Upload};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::mock::{KEY, client};

/// One part of a multipart body as received.
#[derive(Debug, PartialEq)]
struct Received {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Splits a `multipart/form-data` body by the boundary of its `Content-Type`.
fn parts(request: &Request) -> Vec<Received> {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let mut out = Vec::new();
    let positions: Vec<usize> = body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        // a part: CRLF, headers, CRLF CRLF, content, CRLF
        let part = &body[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end");
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..].to_vec();
        // `key="value"` in the Content-Disposition header
        let param = |key: &str| {
            headers
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(&format!("{key}=\"")))
                .and_then(|v| v.split('"').next())
                .map(str::to_string)
        };
        let content_type = headers
            .lines()
            .find_map(|l| {
                l.strip_prefix("Content-Type: ")
                    .or(l.strip_prefix("content-type: "))
            })
            .map(str::to_string);
        out.push(Received {
            name: param("name").expect("a part name"),
            file_name: param("filename"),
            content_type,
            body: content,
        });
    }
    out
}

#[tokio::test]
async fn a_hosting_file_goes_as_a_path_part_and_a_file_part() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/site/hosting/3/files/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 9, "path": "index.html", "size": 11,
            "checksum": "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "links": {"self": "/v1.1/instances/site/hosting/3/files/9/"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let page = Upload::from_bytes("index.html", "hello world");
    let created = client
        .instances()
        .hosting("site")
        .files(3)
        .create(&HostingFileCreate::new(page, "index.html"))
        .await
        .expect("created");
    assert_eq!((created.id, created.size), (9, Some(11)));

    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some(KEY)
    );
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    assert_eq!(
        request.headers.get_all("content-type").iter().count(),
        1,
        "one Content-Type, the transport's"
    );
    assert_eq!(
        parts(request),
        [
            Received {
                name: "path".into(),
                file_name: None,
                content_type: None,
                body: b"index.html".to_vec(),
            },
            Received {
                name: "file".into(),
                file_name: Some("index.html".into()),
                content_type: Some("text/html".into()),
                body: b"hello world".to_vec(),
            },
        ]
    );
}

#[tokio::test]
async fn unset_fields_and_files_are_left_out_and_others_are_text() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.1/instances/push/push_notifications/apns/config/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "production_certificate": true, "development_certificate": false,
            "links": {"self": "/v1.1/instances/push/push_notifications/apns/config/"}
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let certificate = Upload::from_bytes("cert.bin", vec![0u8, 159, 146, 150])
        .content_type("application/x-pkcs12");
    let update = ApnsConfigUpdate {
        production_certificate: Some(certificate),
        production_certificate_name: Some("Apple Push Services: com.example".into()),
        ..Default::default()
    };
    let config = client
        .instances()
        .apns_config("push")
        .update(&update)
        .await
        .expect("updated");
    assert_eq!(
        config.production_certificate.as_ref().map(|c| c.is_set()),
        Some(true)
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let received = parts(&requests[0]);
    assert_eq!(
        received,
        [
            Received {
                name: "production_certificate_name".into(),
                file_name: None,
                content_type: None,
                body: b"Apple Push Services: com.example".to_vec(),
            },
            Received {
                name: "production_certificate".into(),
                file_name: Some("cert.bin".into()),
                content_type: Some("application/x-pkcs12".into()),
                body: vec![0u8, 159, 146, 150],
            },
        ],
        "no development certificate, no unset text fields"
    );
}

#[tokio::test]
async fn request_multipart_serializes_non_strings_as_json_text() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/custom/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    let client = client(&server);
    let upload = Upload::from_bytes("data.json", "{}");
    let answer: serde_json::Value = client
        .request_multipart(
            Method::POST,
            "/v1.1/custom/",
            &json!({"n": 3, "flag": false, "tags": ["a"], "none": null, "s": "x"}),
            &[("upload", Some(&upload)), ("skipped", None)],
        )
        .await
        .expect("answered");
    assert_eq!(answer, json!({"ok": true}));
    let requests = server.received_requests().await.unwrap_or_default();
    let received: Vec<(String, Vec<u8>)> = parts(&requests[0])
        .into_iter()
        .map(|p| (p.name, p.body))
        .collect();
    assert_eq!(
        received,
        [
            ("n".to_string(), b"3".to_vec()),
            ("flag".to_string(), b"false".to_vec()),
            ("tags".to_string(), b"[\"a\"]".to_vec()),
            ("s".to_string(), b"x".to_vec()),
            ("upload".to_string(), b"{}".to_vec()),
        ]
    );
    // a body that is not an object cannot be a form
    let error = client
        .request_multipart::<_, serde_json::Value>(Method::POST, "/v1.1/custom/", &[1, 2], &[])
        .await
        .expect_err("not an object");
    assert!(matches!(error, syncano::Error::Encode { .. }), "{error}");
}

#[tokio::test]
async fn a_retried_multipart_request_sends_the_whole_form_again() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1.1/instances/site/hosting/3/files/9/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1.1/instances/site/hosting/3/files/9/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 9, "path": "index.html", "size": 2
        })))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .api_key(KEY)
        .no_proxy()
        .retry(RetryPolicy::new(2).base_delay(Duration::from_millis(1)))
        .build()
        .expect("client");
    let replaced = client
        .instances()
        .hosting("site")
        .files(3)
        .replace(
            9,
            &HostingFileCreate::new(Upload::from_bytes("i.html", "v2"), "index.html"),
        )
        .await
        .expect("replaced after a retry");
    assert_eq!(replaced.size, Some(2));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2);
    assert_eq!(parts(&requests[0]), parts(&requests[1]));
    assert_eq!(parts(&requests[1])[1].body, b"v2");
}

#[tokio::test]
async fn a_transport_sees_the_form_as_parts_and_no_content_type() {
    let recorder = Arc::new(RecordingTransport::answering(HttpResponse::new(
        201,
        r#"{"id": 1, "path": "a.txt", "size": 3}"#,
    )));
    let client = Client::builder()
        .api_key(KEY)
        .transport(recorder.clone())
        .build()
        .expect("client");
    client
        .instances()
        .hosting("site")
        .files(1)
        .create(&HostingFileCreate::new(
            Upload::from_bytes("a.txt", "abc"),
            "a.txt",
        ))
        .await
        .expect("created");
    let seen = recorder.requests();
    assert_eq!(seen.len(), 1);
    let request = &seen[0].request;
    assert!(request.headers.get("content-type").is_none());
    assert!(request.headers.get("x-api-key").is_some());
    let form = request
        .body
        .as_ref()
        .and_then(RequestBody::as_multipart)
        .expect("a multipart body");
    let names: Vec<&str> = form.parts().iter().map(Part::name).collect();
    assert_eq!(names, ["path", "file"]);
    match &form.parts()[1] {
        Part::File { upload, .. } => {
            assert_eq!(
                (upload.name(), upload.bytes().as_ref()),
                ("a.txt", &b"abc"[..])
            )
        }
        other => panic!("not a file part: {other:?}"),
    }
    let shown = format!("{request:?}");
    assert!(shown.contains("multipart, 2 parts"), "{shown}");
    assert!(!shown.contains("abc"), "no bytes in Debug: {shown}");
}
